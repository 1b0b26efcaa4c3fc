"""The demo data, for the checks that walk the site as each role does."""

from __future__ import annotations

import importlib

import pytest
from django.utils import translation

DEMO_APPS = ("offers.demo", "initiatives.demo", "meetings.demo")


@pytest.fixture
def demo(geo):
    """The demo (a quarter of its farms) made in English, every demo person preferring English.

    What the demo's own jobs write for people (notifications, in their recipient's language) is
    then English too: the demo's people are created preferring the language it is made in.
    """
    from actors import demo as actors_demo
    from actors.models import User

    with translation.override("en"):
        context = actors_demo.seed(seed_value=2024, farms_divisor=40)
        for name in DEMO_APPS:
            importlib.import_module(name).seed(context)
    User.objects.update(language="en")
    return context
