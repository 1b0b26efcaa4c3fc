"""Shared fixtures. Tests run on PostgreSQL in CI (DATABASE_URL), on SQLite elsewhere.

In CI (CI=true) a skipped test is a failure: a test that needs PostgreSQL, Redis or
Chromium must really run there.

Under pytest-xdist (``python3 dev.py test`` runs two workers) each worker has its own test
database (pytest-django suffixes its name: ``test_miam_gw0``…) and its own Redis database
(``pytest_xdist_setupnodes`` below): a worker's ``flushdb()``, cache, broker queue and Celery
worker subprocesses never meet the other's.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.factories import *  # noqa: F403  (factories are fixtures' building blocks)

TEST_DEPARTEMENTS = ["21", "25", "39", "71"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config):
    os.environ.setdefault("PLAYWRIGHT_BROWSERS_PATH", "0")
    # Processes the tests start (a Celery worker, a server) need a real key with DEBUG off.
    os.environ.setdefault("SECRET_KEY", "tests-" + secrets.token_urlsafe(48))


def worker_redis_url(base_url: str, index: int) -> str:
    """The Redis URL of the xdist worker number ``index``: database (base + 1 + index) mod 16,
    never the base's own (``redis://h:6379/4`` → ``/5``, ``/6``…)."""
    parts = urlsplit(base_url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 1 + index) % 16}"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """In the controller, before the workers start: each one gets its own ``REDIS_URL`` in its
    environment, so that the settings (read before any conftest), the Celery workers the tests
    start and the tests' own ``flushdb()`` all see it."""
    base_url = os.environ.get("REDIS_URL")
    if not base_url:
        return
    if len(specs) > 15:
        raise pytest.UsageError(f"{len(specs)} xdist workers: Redis has 16 databases, at most 15 workers")
    for index, spec in enumerate(specs):
        spec.env["REDIS_URL"] = worker_redis_url(base_url, index)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI (CI=true forbids skips): {report.longrepr}"


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and not settings.IS_POSTGRES:
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/…")


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run inline unless a test starts a real worker (marker ``redis``)."""
    from miam.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(autouse=True)
def _broker_reachable_again():
    """A test that made the broker refuse a message does not leave the next test's to beat."""
    from miam.dispatch import broker_state_reset

    broker_state_reset()
    yield
    broker_state_reset()


@pytest.fixture(autouse=True)
def _own_abuse_counters(settings):
    """The reset limits count in the cache (Redis in CI, kept between tests): each test starts at 0."""
    settings.ABUSE_CACHE_PREFIX = "abuse-test-" + secrets.token_hex(6)


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GEOCODER = "none"
    # Hashing passwords the real way costs a third of a second each: not what tests test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _ensure_reference():
    from actors.models import Commune
    from actors.reference import load_reference

    if not Commune.objects.filter(insee_code="25462").exists():
        load_reference(departements=TEST_DEPARTEMENTS)
    _ensure_categories()


def _ensure_categories():
    """The product taxonomy comes from a data migration: a transactional test's flush empties it."""
    from products.models import ProductCategory
    from products.taxonomy import taxonomy_load

    if not ProductCategory.objects.exists():
        taxonomy_load(ProductCategory)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Reference geography of four départements, loaded once for the session."""
    with django_db_blocker.unblock():
        _ensure_reference()


@pytest.fixture
def geo(db):
    """Reference geography (reloaded after a transactional test flushed it)."""
    _ensure_reference()


@pytest.fixture
def transactional_geo(transactional_db):
    _ensure_reference()


@pytest.fixture(autouse=True)
def _french_between_tests():
    """A request in English leaves English active in the thread: each test starts in French again."""
    yield
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_reference_caches():
    """Territories and categories a rolled-back test created must not linger in memory."""
    from miam.refcache import clear_all

    clear_all()
    yield
    clear_all()
