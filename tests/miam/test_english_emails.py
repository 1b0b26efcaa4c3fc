"""E-mails sent while people use MIAM in English hold no French words.

The flows are driven through the pages, as people do them: a match accepted by both sides,
scheduled, received; another declined; a meeting's invitations and its cancellation; an
invitation to join MIAM; a password reset. Everyone here chose English in their profile:
notifications are written in their recipient's language (tests/offers/test_notification_language.py).
"""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from actors.models import Organization, Territory, User
from meetings.models import Meeting
from offers.models import Match
from tests.factories import make_member
from tests.miam.french_words import PageData
from tests.miam.test_english_pages import english_client


def _open_match(farm: Organization, structure: Organization) -> Match:
    return Match.objects.filter(offer__organization=farm, need__organization=structure, status="proposed").get()


def test_english_emails_hold_no_french_words(demo, django_capture_on_commit_callbacks):
    User.objects.update(language="en")
    farmer = User.objects.get(email="producteur@demo.miam.fr")
    volunteer = User.objects.get(email="structure@demo.miam.fr")
    officer = User.objects.get(email="pat.coeur-du-jura@demo.miam.fr")
    farm, structure = farmer.memberships.get().organization, volunteer.memberships.get().organization
    jura = Territory.objects.get(slug="coeur-du-jura")
    match = _open_match(farm, structure)
    other = Match.objects.filter(status="proposed", need__organization__commune__territories=jura).exclude(pk=match.pk)
    other = other.select_related("offer__organization", "need__organization").first()
    # Someone on each side of the other match, so that declining it tells someone.
    other_member = make_member(other.need.organization, email="member.structure@example.org", language="en")
    make_member(other.offer.organization, email="member.farm@example.org", language="en")
    upcoming = Meeting.objects.filter(territory=jura, cancelled_at__isnull=True, starts_at__gt=timezone.now())
    meeting = upcoming.order_by("starts_at").first()
    mail.outbox.clear()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    as_farmer, as_volunteer, as_officer = english_client(farmer), english_client(volunteer), english_client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        as_farmer.post(reverse("offers:match_accept", args=[match.pk]))
        as_volunteer.post(reverse("offers:match_accept", args=[match.pk]))
        as_volunteer.post(reverse("offers:match_schedule", args=[match.pk]), {"date": tomorrow, "mode": match.mode})
    with django_capture_on_commit_callbacks(execute=True):
        as_volunteer.post(
            reverse("offers:match_confirm_delivery", args=[match.pk]),
            {"quantity_received": str(match.quantity), "delivered_on": timezone.localdate()},
        )
    with django_capture_on_commit_callbacks(execute=True):
        english_client(other_member).post(reverse("offers:match_decline", args=[other.pk]), {"reason": "distance"})
    with django_capture_on_commit_callbacks(execute=True):
        as_officer.post(
            reverse("meetings:invitations", args=[meeting.pk]),
            {"organizations": [farm.pk, structure.pk], "emails": "invitee@example.org"},
        )
        as_volunteer.post(
            reverse("meetings:detail", args=[meeting.pk]), {"participant": f"org-{structure.pk}", "answer": "yes"}
        )
        as_officer.post(reverse("meetings:cancel", args=[meeting.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        as_officer.post(
            reverse("actors:invitations", args=[jura.slug]),
            {"action": "team", "team-email": "colleague@example.org", "team-territory_role": "officer"},
        )
        english_client().post(reverse("password_reset"), {"email": farmer.email})

    subjects = [m.subject for m in mail.outbox]
    assert len(mail.outbox) >= 10, subjects
    data = PageData()
    problems = []
    for message in mail.outbox:
        texts = [message.subject, *message.body.splitlines()]
        texts += [content for content, kind in getattr(message, "alternatives", []) if "html" not in kind]
        for text in texts:
            words = data.french_words(text) + data.french_spacing(text)
            if words:
                problems.append(f"«{message.subject}»: {sorted(set(words))} in «{text[:120]}»")
    assert not problems, f"{len(problems)} French lines in {len(mail.outbox)} English e-mails:\n" + "\n".join(problems)
