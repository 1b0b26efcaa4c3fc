"""The header's language switch on a phone: in the menu, one tap, the page in English."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def geo(transactional_geo):
    return None


def test_a_visitor_switches_to_english_from_the_phone_menu(open_context, geo):
    page = open_context(phone=True).new_page()
    assert page.goto("/initiatives/").status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    page.locator("#menu-button").click()
    menu = page.locator("#main-menu")
    menu.locator(".fr-translate__btn").click()
    menu.locator("button[name=language][value=en]").click()
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert page.url.endswith("/initiatives/")
    assert (
        page.locator("#main-menu .fr-translate__btn, .fr-header__tools .fr-translate__btn")
        .first.inner_text()
        .startswith("EN")
    )
