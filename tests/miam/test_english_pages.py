"""English pages hold no French words, for every role, on the demo data.

Each role's main pages are rendered in English (language cookie, `Accept-Language: en` and
the person's own preference all say English) and their visible text is searched for
unmistakable French words once the data shown (names, communes, what people typed, the
catalog's texts) is taken out. A failure lists each page with the French words it shows.
"""

from __future__ import annotations

import csv as csv_module
import io
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import translation

from actors.models import Organization, Territory, User
from initiatives.models import ActionPlan, Initiative, PlannedAction
from meetings.models import DiagnosticInterview, Meeting
from offers.models import Need, Offer
from tests.factories import FarmFactory
from tests.miam.french_words import PageData, french_words, visible_texts


def english_client(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def _pages() -> dict[str, list[str]]:
    """The main pages of each role, as URLs into the demo data."""
    jura = Territory.objects.get(slug="coeur-du-jura")
    # The demo logins' own organizations, whatever the demo names them.
    farm = Organization.objects.get(memberships__user__email="producteur@demo.miam.fr")
    structure = Organization.objects.get(memberships__user__email="structure@demo.miam.fr")
    offer = Offer.objects.filter(organization=farm).order_by("pk").first()
    need = Need.objects.filter(organization=structure).order_by("pk").first()
    meeting = Meeting.objects.filter(territory=jura, cancelled_at__isnull=True).order_by("starts_at").first()
    public_meeting = Meeting.objects.filter(territory=jura, visibility="public").order_by("starts_at").first()
    initiative = Initiative.objects.filter(is_published=True).order_by("slug").first()
    plan = ActionPlan.objects.get(territory=jura)
    action = PlannedAction.objects.filter(plan=plan).order_by("pk").first()
    interview = DiagnosticInterview.objects.filter(territory=jura).order_by("pk").first()
    public = [
        reverse("home"),
        reverse("offers:map") + f"?territory={jura.pk}",
        reverse("initiatives:list"),
        reverse("initiatives:map"),
        reverse("initiatives:detail", args=[initiative.slug]),
        reverse("initiatives:plans"),
        reverse("initiatives:plan", args=[jura.slug]),
        reverse("actors:directory") + f"?territory={jura.pk}",
        reverse("actors:organization_detail", args=[farm.pk]),
        reverse("actors:organization_detail", args=[structure.pk]),
        reverse("actors:territory_detail", args=[jura.slug]),
        reverse("offers:offer_detail", args=[offer.pk]),
        reverse("offers:need_detail", args=[need.pk]),
        reverse("actors:privacy"),
    ]
    if public_meeting is not None:
        public.append(reverse("meetings:detail", args=[public_meeting.pk]))
    member = [
        reverse("offers:my_space"),
        reverse("offers:proposals"),
        reverse("offers:deliveries"),
        reverse("actors:notifications"),
        reverse("actors:profile"),
        reverse("meetings:list"),
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:calendar"),
        reverse("meetings:actions"),
        reverse("meetings:calendars"),
    ]
    return {
        "visitor": public
        + [
            reverse("login"),
            reverse("password_reset"),
            reverse("password_reset_done"),
        ],
        "farmer": member
        + [
            reverse("offers:offer_create"),
            reverse("offers:my_offers"),
            reverse("offers:offer_edit", args=[offer.pk]),
            reverse("offers:offer_detail", args=[offer.pk]),
            reverse("actors:organization_edit", args=[farm.pk]),
        ],
        "structure": member
        + [
            reverse("offers:need_create"),
            reverse("offers:my_needs"),
            reverse("offers:need_edit", args=[need.pk]),
            reverse("offers:need_detail", args=[need.pk]),
            reverse("actors:organization_edit", args=[structure.pk]),
        ],
        "officer": member
        + [
            reverse("offers:dashboard") + f"?territory={jura.pk}",
            reverse("offers:match_propose") + f"?territory={jura.pk}",
            reverse("offers:map") + f"?territory={jura.pk}",
            reverse("actors:invitations", args=[jura.slug]),
            reverse("actors:directory") + f"?territory={jura.pk}",
            reverse("meetings:create"),
            reverse("meetings:edit", args=[meeting.pk]),
            reverse("meetings:invitations", args=[meeting.pk]),
            reverse("meetings:attendance", args=[meeting.pk]),
            reverse("meetings:followup", args=[meeting.pk]),
            reverse("meetings:diagnostic", args=[jura.slug]),
            reverse("meetings:interview_create", args=[jura.slug]),
            reverse("meetings:interview_edit", args=[interview.pk]),
            reverse("meetings:organization_interviews", args=[farm.pk]),
            reverse("initiatives:plan", args=[jura.slug]),
            reverse("initiatives:action_edit", args=[jura.slug, action.pk]),
            reverse("initiatives:plan_print", args=[jura.slug]),
            reverse("offers:indicators_csv") + f"?territory={jura.pk}",
            reverse("initiatives:plan_csv", args=[jura.slug]),
            reverse("meetings:participants_csv", args=[meeting.pk]),
        ],
        "staff": [
            reverse("home"),
            reverse("offers:dashboard") + f"?territory={jura.pk}",
            reverse("actors:directory"),
            reverse("admin:index"),
            reverse("admin:offers_offer_changelist"),
            reverse("admin:actors_organization_changelist"),
            reverse("admin:meetings_meeting_changelist"),
            reverse("admin:offers_offer_change", args=[offer.pk]),
            reverse("admin:actors_organization_change", args=[farm.pk]),
            reverse("admin:meetings_meeting_change", args=[meeting.pk]),
            reverse("admin:initiatives_initiative_change", args=[initiative.pk]),
        ],
    }


def _users() -> dict[str, User | None]:
    return {
        "visitor": None,
        "farmer": User.objects.get(email="producteur@demo.miam.fr"),
        "structure": User.objects.get(email="structure@demo.miam.fr"),
        "officer": User.objects.get(email="pat.coeur-du-jura@demo.miam.fr"),
        "staff": User.objects.get(email="admin@demo.miam.fr"),
    }


def page_problems(data: PageData, label: str, html: str, *, csv: bool = False) -> list[str]:
    if csv:
        lang, texts = "en", [cell for row in csv_module.reader(io.StringIO(html), delimiter=";") for cell in row]
    else:
        lang, texts = visible_texts(html)
    problems = [] if lang == "en" else [f'{label}: <html lang="{lang}">']
    for text in texts:
        words = data.french_words(text) + data.french_spacing(text)
        if words:
            problems.append(f"{label}: {sorted(set(words))} in «{text[:120]}»")
    return problems


def test_english_pages_of_every_role_show_no_french_words(demo):
    data = PageData()
    problems, rendered = [], 0
    users = _users()
    for role, urls in _pages().items():
        client = english_client(users[role])
        for url in urls:
            response = client.get(url)
            label = f"{role} {url}"
            if response.status_code != 200:
                problems.append(f"{label}: HTTP {response.status_code}")
                continue
            rendered += 1
            is_csv = response["Content-Type"].startswith("text/csv")
            problems += page_problems(data, label, response.content.decode("utf-8-sig"), csv=is_csv)
    assert not problems, f"{len(problems)} problems on {rendered} English pages:\n" + "\n".join(problems)


def test_english_forms_sent_with_mistakes_explain_them_without_french_words(demo):
    """Validation messages: forms sent empty or wrong come back with their errors, in English."""
    data = PageData()
    users = _users()
    jura = Territory.objects.get(slug="coeur-du-jura")
    meeting = Meeting.objects.filter(territory=jura, cancelled_at__isnull=True).order_by("starts_at").first()
    long_ago = "2000-01-01"
    posts = [
        ("visitor", reverse("login"), {"username": "nobody@example.org", "password": "wrong"}),
        ("farmer", reverse("offers:offer_create"), {"quantity": "-3", "window_start": long_ago}),
        ("structure", reverse("offers:need_create"), {"quantity": "abc", "window_end": long_ago}),
        ("farmer", reverse("actors:profile"), {"first_name": "", "language": "xx"}),
        ("officer", reverse("meetings:create"), {"title": "", "starts_at": "nonsense"}),
        ("officer", reverse("meetings:invitations", args=[meeting.pk]), {"emails": "not-an-address"}),
        ("officer", reverse("actors:invitations", args=[jura.slug]), {"action": "new", "new-email": "x"}),
    ]
    problems = []
    for role, url, payload in posts:
        response = english_client(users[role]).post(url, payload)
        label = f"{role} POST {url}"
        if response.status_code not in (200, 400):
            problems.append(f"{label}: HTTP {response.status_code} (the form should come back with its errors)")
            continue
        html = response.content.decode()
        if not any(mark in html for mark in ("--error", "fr-error-text")):
            problems.append(f"{label}: no error shown")
        problems += page_problems(data, label, html)
    assert not problems, "\n".join(problems)


def test_english_error_pages_show_no_french_words(geo):
    data = PageData()
    resolver = get_resolver()
    problems = []
    errors = {
        400: SuspiciousOperation("bad request"),
        403: PermissionDenied(),
        404: Http404(),
        500: None,
    }
    with translation.override("en"):
        for status, exception in errors.items():
            request = RequestFactory().get("/nowhere/", HTTP_ACCEPT_LANGUAGE="en")
            request.LANGUAGE_CODE = "en"
            handler = resolver.resolve_error_handler(status)
            response = handler(request) if exception is None else handler(request, exception=exception)
            assert response.status_code == status
            problems += page_problems(data, f"error {status}", response.content.decode())
    # A real 404 through the whole stack (middleware, context processors).
    response = english_client().get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    problems += page_problems(data, "error 404 (client)", response.content.decode())
    assert not problems, "\n".join(problems)


def test_the_french_word_check_finds_the_french_of_a_french_page(geo):
    """The check itself works: the home page in French is full of French words."""
    FarmFactory(name="Ferme de Germigney")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    data = PageData()
    lang, texts = visible_texts(client.get(reverse("home")).content.decode())
    found = {w.lower() for text in texts for w in data.french_words(text)}
    assert lang == "fr"
    assert {"des", "pour"} <= found
    # …while a French name shown as data is not a missing translation.
    assert data.french_words("Ferme de Germigney") == []
    assert french_words("Restos du Cœur") == []


def _schema_texts(node, path=""):
    """The summaries, descriptions and titles of an OpenAPI schema, with where they are."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("summary", "description", "title") and isinstance(value, str):
                yield f"{path}/{key}", value
            else:
                yield from _schema_texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_texts(value, f"{path}[{index}]")


def test_the_api_documentation_in_english_holds_no_french_words(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    problems = [
        f"{path}: {sorted(set(words))} in «{text[:100]}»"
        for path, text in _schema_texts(json.loads(response.content))
        if (words := french_words(text))
    ]
    assert not problems, "\n".join(problems)
