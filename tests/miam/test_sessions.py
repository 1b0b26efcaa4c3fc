"""Anonymous reading creates no session row; beat deletes the expired ones."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from miam.beat import BEAT_SCHEDULE
from miam.tasks import sessions_clear
from tests.factories import TerritoryFactory

pytestmark = pytest.mark.django_db


def test_anonymous_pages_create_no_session_row_even_with_a_territory_chosen_in_the_link(client, geo):
    first = TerritoryFactory(name="PAT A", slug="pat-a")
    other = TerritoryFactory(name="PAT B", slug="pat-b", epci_codes=["200071595"])
    pages = [
        reverse("home"),
        reverse("offers:map"),
        f"{reverse('offers:map')}?territory={other.pk}",
        f"{reverse('offers:map_data')}?territory={other.pk}",
        reverse("actors:territory_detail", args=[other.slug]),
        reverse("actors:territory_detail", args=[first.slug]),
        reverse("initiatives:list"),
        reverse("meetings:list"),
        reverse("login"),
        reverse("password_reset"),
        "/api/v1/offers/",
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert Session.objects.count() == 0
    assert "sessionid" not in client.cookies
    # The territory still follows the link on the page itself.
    assert "PAT B" in client.get(f"{reverse('offers:map')}?territory={other.pk}").content.decode()


def test_beat_clears_the_expired_sessions():
    assert BEAT_SCHEDULE["miam-sessions-clear"]["task"] == "miam.tasks.sessions_clear"
    for expired in (True, False):
        store = SessionStore()
        store["x"] = 1
        store.create()
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() + (timedelta(days=-1) if expired else timedelta(days=1))
        )
    sessions_clear.delay()
    assert Session.objects.count() == 1
    assert Session.objects.get().expire_date > timezone.now()
