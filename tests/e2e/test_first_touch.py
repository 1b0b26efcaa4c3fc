"""The key pages, as each role sees them, on a phone (390×844) and a desktop (1280×800), in
French: no horizontal overflow, a sane page height, every button with a visible text label, no
English words, and axe-core without serious or critical violations.

One browser, one context per role and size, each page loaded once per size; the demo of the four
pilot PATs (a lighter one) is the data. Page heights go to test-artifacts/e2e/page-heights.txt.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone

from tests.e2e.conftest import ARTIFACTS, CHROMIUM_ARGS, axe_violations  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_geo")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MAX_HEIGHT = {390: 12_000, 1280: 9_000}
# Words that have no business on a French page (whole words, any case). Proper names in the demo
# data would be found by a longer list; this one holds interface words.
ENGLISH_WORDS = [
    "the",
    "and",
    "with",
    "your",
    "you",
    "please",
    "submit",
    "search",
    "layers",
    "zoom in",
    "zoom out",
    "forbidden",
    "not found",
    "loading",
    "select",
    "choose",
    "cancel",
    "save",
    "delete",
    "edit",
    "next",
    "previous",
    "login",
    "log in",
    "logout",
    "password",
    "settings",
    "show",
    "hide",
    "required",
    "optional",
    "yes",
    "home",
    "skip",
    "error",
    "warning",
    "success",
    "close",
    "open",
    "map",
    "offer",
    "offers",
    "need",
    "needs",
    "meeting",
    "meetings",
    "farm",
    "farms",
    "dashboard",
    "reset view",
]
ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")\b", re.IGNORECASE)

BUTTONS_WITHOUT_LABEL = """() => {
  const out = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== "hidden" && el.closest("[hidden]") === null;
  };
  document.querySelectorAll("button, a.fr-btn, input[type=submit], input[type=button], summary.fr-btn").forEach((el) => {
    if (!visible(el) || !el.checkVisibility({ checkVisibilityCSS: true }) || el.closest(".leaflet-control")) return;
    const text = (el.innerText || el.value || "").trim();
    if (!text) { out.push(el.outerHTML.slice(0, 120)); return; }
    // A DSFR icon button hides its text (overflow) when it is too narrow for it.
    const range = document.createRange();
    range.selectNodeContents(el);
    const textWidth = range.getBoundingClientRect().width;
    const style = getComputedStyle(el);
    if (style.overflow === "hidden" && textWidth > el.clientWidth + 2) out.push("clipped: " + text.slice(0, 60));
  });
  return out;
}"""

WIDER_THAN_THE_SCREEN = """(width) => {
  const out = [];
  document.querySelectorAll("body *").forEach((el) => {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !el.closest(".fr-table, .fr-header__menu")) {
      out.push(`${el.tagName.toLowerCase()}.${el.className}#${el.id} right=${Math.round(r.right)}`);
    }
  });
  return out.slice(0, 8);
}"""

VISIBLE_TEXT = """() => {
  const parts = [document.body.innerText];
  document.querySelectorAll("[aria-label], [title], [placeholder], img[alt]").forEach((el) => {
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  });
  return parts.join("\\n");
}"""


def _session_cookie(user, live_server) -> dict:
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_server.url}


def _demo() -> dict:
    from actors import demo as actors_demo
    from initiatives import demo as initiatives_demo
    from meetings import demo as meetings_demo
    from offers import demo as offers_demo

    context = actors_demo.seed(seed_value=2024, farms_divisor=20)
    for module in (offers_demo, initiatives_demo, meetings_demo):
        module.seed(context)
    return context


def _pages() -> dict[str, list[tuple[str, str]]]:
    """(name, path) of the key pages, by the role that sees them."""
    from actors.models import Territory
    from initiatives.models import Initiative
    from meetings.models import Meeting

    jura = Territory.objects.get(slug="coeur-du-jura")
    initiative = Initiative.objects.filter(is_published=True).order_by("name").first()
    now = timezone.now()
    upcoming = Meeting.objects.filter(territory=jura, starts_at__gte=now).order_by("starts_at").first()
    past = Meeting.objects.filter(territory=jura, starts_at__lt=now).order_by("-starts_at").first()
    return {
        "visitor": [
            ("home", "/"),
            ("map", f"/carte/?territory={jura.pk}"),
            ("catalog", "/initiatives/"),
            ("initiative", f"/initiatives/{initiative.slug}/"),
        ],
        "farmer": [("offer-form", "/je-propose/"), ("deliveries", "/mes-livraisons/")],
        "structure": [("need-form", "/j-ai-besoin/"), ("proposals", "/mes-propositions/")],
        "officer": [
            ("dashboard", "/tableau-de-bord/"),
            ("meeting", f"/reunions/{(upcoming or past).pk}/"),
            ("attendance", f"/reunions/{past.pk}/presences/"),
        ],
    }


LOGINS = {
    "farmer": "producteur@demo.miam.fr",
    "structure": "structure@demo.miam.fr",
    "officer": "pat.coeur-du-jura@demo.miam.fr",
}


def _check(page, name: str, width: int) -> list[str]:
    problems = []
    where = f"{name} @{width}px"
    if page.evaluate("document.documentElement.lang") != "fr":
        problems.append(f"{where}: the page is not in French")
    size = page.evaluate("({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})")
    if size["w"] > width:
        wide = page.evaluate(WIDER_THAN_THE_SCREEN, width)
        problems.append(f"{where}: wider than the screen ({size['w']} px): {wide}")
    if size["h"] > MAX_HEIGHT[width]:
        problems.append(f"{where}: {size['h']} px tall (bound {MAX_HEIGHT[width]})")
    for button in page.evaluate(BUTTONS_WITHOUT_LABEL):
        problems.append(f"{where}: button without a visible label: {button}")
    english = sorted({m.group(0).lower() for m in ENGLISH.finditer(page.evaluate(VISIBLE_TEXT))})
    if english:
        problems.append(f"{where}: English words on a French page: {english}")
    for violation in axe_violations(page):
        problems.append(
            f"{where}: axe {violation['impact']} {violation['id']} ({violation['help']}) {violation['nodes']}"
        )
    return problems, size["h"]


def _officer_tools_work(browser, live_server, officer) -> list[str]:
    """Select-all on the invitations and the minutes' toolbar and preview, in the browser."""
    from meetings.models import Meeting

    meeting = Meeting.objects.filter(organizers=officer, starts_at__gte=timezone.now()).first() or (
        Meeting.objects.filter(territory__roles__user=officer).order_by("-starts_at").first()
    )
    problems = []
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(15_000)
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())
    context.add_cookies([_session_cookie(officer, live_server)])
    page = context.new_page()
    page.goto(f"/reunions/{meeting.pk}/invitations/")
    boxes = page.locator('input[name="organizations"]')
    if boxes.count() > 1:
        page.locator("label[for=select-all-organizations]").click()
        if page.locator('input[name="organizations"]:not(:checked)').count():
            problems.append("invitations: « Tout sélectionner » left boxes unchecked")
    page.goto(f"/reunions/{meeting.pk}/suivi/")
    page.fill("#id_body", "")
    page.locator('[data-md="heading"]').click()
    page.keyboard.type("Décisions")
    page.locator("#id_body").press("End")
    page.keyboard.press("Enter")
    page.locator('[data-md="bold"]').click()
    if "## Décisions" not in page.input_value("#id_body") or "**texte en gras**" not in page.input_value("#id_body"):
        problems.append(f"minutes toolbar wrote {page.input_value('#id_body')!r}")
    page.get_by_role("button", name="Aperçu").click()
    page.locator("#minutes-preview strong").wait_for()
    if page.locator("#minutes-preview h2").inner_text() != "Décisions":
        problems.append("minutes preview does not show the heading")
    context.close()
    return problems


def test_the_key_pages_work_on_a_phone_and_a_desktop_in_french(browser, live_server, artifacts):
    from actors.models import User

    _demo()
    pages = _pages()
    problems: list[str] = []
    heights: list[str] = []
    for viewport in (PHONE, DESKTOP):
        width = viewport["width"]
        for role, role_pages in pages.items():
            context = browser.new_context(
                base_url=live_server.url,
                viewport=viewport,
                device_scale_factor=1,
                is_mobile=width < 600,
                has_touch=width < 600,
                locale="fr-FR",
                timezone_id="Europe/Paris",
            )
            context.set_default_timeout(15_000)
            context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())
            if role in LOGINS:
                context.add_cookies([_session_cookie(User.objects.get(email=LOGINS[role]), live_server)])
            page = context.new_page()
            refused: list[str] = []  # the Content-Security-Policy is on: nothing of ours may be refused
            page.on(
                "console", lambda m, refused=refused: refused.append(m.text) if "Security Policy" in m.text else None
            )
            for name, path in role_pages:
                response = page.goto(path)
                assert response.status == 200, f"{name} ({path}): HTTP {response.status}"
                if name == "map":
                    page.wait_for_function("() => window.miamMapReady === true")
                if name == "offer-form":
                    page.locator("details.miam-more > summary").click()  # « Plus de détails » open
                found, height = _check(page, name, width)
                problems += found
                heights.append(f"{name} @{width}px: {height} px")
                page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=height < 8000)
                problems += [f"{name} @{width}px: CSP refused: {text[:200]}" for text in refused]
                refused.clear()
            context.close()
    problems += _officer_tools_work(browser, live_server, User.objects.get(email=LOGINS["officer"]))
    (ARTIFACTS / "page-heights.txt").write_text("\n".join(heights) + "\n")
    (ARTIFACTS / "first-touch-problems.txt").write_text("\n".join(problems) + "\n")
    assert not problems, "\n".join(problems)
