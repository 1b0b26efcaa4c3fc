import importlib
from django.core import mail
from django.utils import translation
from actors import demo as actors_demo


def test_dbg(geo):
    with translation.override("en"):
        ctx = actors_demo.seed(seed_value=2024, farms_divisor=40)
        for name in ("offers.demo", "initiatives.demo", "meetings.demo"):
            importlib.import_module(name).seed(ctx)
    print(len(mail.outbox))
    from collections import Counter

    print(Counter(m.subject.split(":")[0] for m in mail.outbox))
    for m in mail.outbox[:3]:
        print("----", m.subject, "\n", m.body)
    from actors.models import Notification

    print(Notification.objects.count(), list(Notification.objects.values_list("title", flat=True)[:5]))
