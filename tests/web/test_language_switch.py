"""The language switch in the header (DSFR's selector over Django's set_language)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.usefixtures("geo")


def test_the_header_offers_french_and_english_and_switching_keeps_the_page(client):
    html = client.get("/initiatives/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'class="fr-translate fr-nav"' in html and 'action="/i18n/setlang/"' in html
    assert 'value="en" lang="en"' in html and "EN – English" in html
    assert 'value="fr" lang="fr" aria-current="true"' in html

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/initiatives/"})
    assert response.status_code == 302 and response["Location"] == "/initiatives/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/initiatives/").content.decode()
    assert '<html lang="en"' in html and 'value="en" lang="en" aria-current="true"' in html


def test_the_switch_refuses_an_outside_next_address():
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
