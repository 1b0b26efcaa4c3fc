"""Which language a person gets, and how English writes dates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.test import Client
from django.utils import formats, translation

from tests.factories import FarmFactory, make_member


def _html_lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_person_who_chose_english_gets_english_pages_whatever_the_browser_says(geo):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    client.force_login(make_member(FarmFactory(), language="en"))
    response = client.get("/mon-espace/")
    assert _html_lang(response) == "en"
    assert "My space" in response.content.decode()


def test_a_person_who_chose_french_gets_french_pages_from_an_english_browser(geo):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    client.force_login(make_member(FarmFactory(), language="fr"))
    assert _html_lang(client.get("/mon-espace/")) == "fr"


def test_a_language_chosen_for_this_browser_wins_over_the_profile(geo):
    client = Client()
    client.force_login(make_member(FarmFactory(), language="en"))
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert _html_lang(client.get("/mon-espace/")) == "fr"


def test_visitors_get_the_language_of_their_browser(geo):
    assert _html_lang(Client(HTTP_ACCEPT_LANGUAGE="en").get("/")) == "en"
    assert _html_lang(Client(HTTP_ACCEPT_LANGUAGE="fr").get("/")) == "fr"


def test_the_api_follows_accept_language_rather_than_the_profile(geo):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_member(FarmFactory(), language="fr"))
    response = client.get("/api/v1/categories/potatoes/")
    assert response.json()["label"] == "Potatoes"


def test_english_dates_are_written_day_first_with_a_24_hour_clock():
    moment = dt.datetime(2026, 12, 2, 14, 30)
    with translation.override("en"):
        assert formats.date_format(moment.date(), "SHORT_DATE_FORMAT") == "02/12/2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "2 Dec 2026, 14:30"
        assert formats.time_format(moment.time()) == "14:30"
        assert formats.date_format(moment.date(), "YEAR_MONTH_FORMAT") == "December 2026"
