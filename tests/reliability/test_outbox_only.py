"""Every path that queues Celery work goes through the outbox (``miam.dispatch``): no module of
the apps calls ``.delay``, ``.apply_async`` or ``send_task`` itself (a broker error would then
break the save, or the job be lost with it)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

APPS = ["miam", "products", "actors", "offers", "meetings", "initiatives"]
DIRECT = re.compile(r"\.(delay|apply_async|send_task|signature|s)\(")
ALLOWED = {Path("miam/dispatch.py")}  # the outbox itself, and the beat entries it relies on


def test_no_module_sends_a_task_but_the_outbox():
    root = Path(settings.BASE_DIR)
    offenders = []
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            relative = path.relative_to(root)
            if relative in ALLOWED or "migrations" in relative.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if DIRECT.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
