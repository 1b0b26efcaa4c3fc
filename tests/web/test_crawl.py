"""Every page and link works for each role: a crawler starts from the home page of the demo and
follows every internal link it finds, failing on any 4xx or 5xx.

Bounded: a page is visited once per (view, query parameter names), so that a list gives one
sample of its detail pages and one of its next pages; downloads (CSV, XLSX, calendars) are
fetched and checked too. The counts per role are written to test-artifacts/crawl.txt.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.test import TestCase, override_settings
from django.urls import Resolver404, resolve

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MAX_PAGES = 500
SKIPPED_PREFIXES = ("/static/", "/media/", "/deconnexion/", "/admin/logout/", "/i18n/")
ROLES = {
    "visitor": None,
    "farmer": "producteur@demo.miam.fr",
    "structure": "structure@demo.miam.fr",
    "officer": "pat.coeur-du-jura@demo.miam.fr",
    "staff": "admin@demo.miam.fr",
}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def sample_key(path: str, query: str) -> tuple:
    """One visit per view and set of query parameter names (a list page and one of its items)."""
    try:
        match = resolve(path)
    except Resolver404:
        return ("unresolved", path)
    if match.view_name.startswith("admin:"):
        return (match.view_name,)  # the admin's sorting and filtering variants are Django's
    names = frozenset(name for name, _value in parse_qsl(query, keep_blank_values=True))
    return (match.view_name, names)


@override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)
class EveryLinkWorksForEachRole(TestCase):
    """The demo of the four pilot PATs (a lighter one: fewer farms), visited as each role."""

    visited: dict[str, int] = {}

    @classmethod
    def setUpTestData(cls):
        from actors import demo as actors_demo
        from agreements import demo as agreements_demo
        from initiatives import demo as initiatives_demo
        from meetings import demo as meetings_demo
        from offers import demo as offers_demo
        from tests.conftest import _ensure_reference

        _ensure_reference()
        context = actors_demo.seed(seed_value=2024, farms_divisor=20)
        for module in (offers_demo, initiatives_demo, meetings_demo, agreements_demo):
            module.seed(context)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        ARTIFACTS.mkdir(exist_ok=True)
        lines = [f"{role}: {count} pages" for role, count in sorted(cls.visited.items())]
        (ARTIFACTS / "crawl.txt").write_text("\n".join(lines) + "\n")

    def crawl(self, role: str) -> list[tuple[int, str, str]]:
        from actors.models import User

        email = ROLES[role]
        if email:
            self.client.force_login(User.objects.get(email=email))
        queue: list[tuple[str, str]] = [("/", "")]
        seen_keys: set[tuple] = set()
        seen_urls: set[str] = set()
        failures: list[tuple[int, str, str]] = []
        visited = 0
        while queue and visited < MAX_PAGES:
            url, referrer = queue.pop(0)
            parts = urlsplit(url)
            key = sample_key(parts.path, parts.query)
            if url in seen_urls or key in seen_keys:
                continue
            seen_urls.add(url)
            seen_keys.add(key)
            response = self.client.get(url, follow=True)
            visited += 1
            if response.status_code >= 400:
                failures.append((response.status_code, url, referrer))
                continue
            if "text/html" not in response.get("Content-Type", ""):
                continue
            final = response.request["PATH_INFO"]
            for href in links_of(response.content.decode()):
                target = urlsplit(urljoin(final, href))
                if target.scheme not in ("", "http") or target.netloc not in ("", "testserver"):
                    continue
                if target.path.startswith(SKIPPED_PREFIXES) or (target.path.startswith("/admin/") and role != "staff"):
                    continue
                link = target.path + (f"?{target.query}" if target.query else "")
                if link not in seen_urls:
                    queue.append((link, url))
        self.visited[role] = visited
        return failures

    def assert_crawl(self, role: str, *, at_least: int):
        failures = self.crawl(role)
        assert not failures, f"{role}: broken links (status, url, found on): {failures}"
        assert self.visited[role] >= at_least, f"{role}: only {self.visited[role]} pages reached"

    def test_a_visitor_reaches_every_public_page_without_an_error(self):
        self.assert_crawl("visitor", at_least=20)

    def test_a_farmer_reaches_every_page_of_their_menu_without_an_error(self):
        self.assert_crawl("farmer", at_least=30)

    def test_a_food_aid_structure_reaches_every_page_of_its_menu_without_an_error(self):
        self.assert_crawl("structure", at_least=30)

    def test_a_pat_officer_reaches_every_page_of_their_menu_without_an_error(self):
        self.assert_crawl("officer", at_least=45)

    def test_the_miam_staff_reach_every_page_and_the_admin_without_an_error(self):
        self.assert_crawl("staff", at_least=100)
