"""Two pytest-xdist workers (``python3 dev.py test``) share no Redis database and no test
database: each worker's ``REDIS_URL`` is set in its environment before the settings are read
(tests/conftest.py), and pytest-django suffixes the test database's name with the worker's id."""

from __future__ import annotations

import os

from django.conf import settings
from django.db import connection

from miam.celery import app
from tests.conftest import worker_redis_url


def test_each_worker_gets_a_redis_database_of_its_own_never_the_base_one():
    assert worker_redis_url("redis://127.0.0.1:6379/4", 0) == "redis://127.0.0.1:6379/5"
    assert worker_redis_url("redis://127.0.0.1:6379/4", 1) == "redis://127.0.0.1:6379/6"
    assert worker_redis_url("redis://127.0.0.1:6379/14", 1) == "redis://127.0.0.1:6379/0"  # past 15, from 0
    assert worker_redis_url("redis://:secret@cache:6380", 0) == "redis://:secret@cache:6380/1"


def test_the_settings_the_broker_and_the_cache_use_this_workers_redis_database():
    url = os.environ.get("REDIS_URL", "")
    assert url == settings.REDIS_URL
    if url:
        assert settings.CACHES["default"]["LOCATION"] == url
        assert app.conf.broker_url == url


def test_this_workers_test_database_is_its_own(db):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and settings.IS_POSTGRES:
        assert connection.settings_dict["NAME"].endswith(f"_{worker}")
