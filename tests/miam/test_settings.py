import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    ignored = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_values():
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "k3y-F0r-T3st1ng-0nly-9f8e7d6c5b4a39281706f5e4d3c2b1a0zZ",
            "ALLOWED_HOSTS": "miam.example.org",
            "SECURE_SSL_REDIRECT": "1",
            "SECURE_COOKIES": "1",
            "SECURE_HSTS_SECONDS": "31536000",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_complains_about_the_embedded_defaults():
    result = _run_manage("check", "--deploy", "--fail-level", "WARNING", env={})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr or "security.W009" in result.stderr


def test_without_database_url_and_redis_url_the_embedded_defaults_apply():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='miam.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["django.db.backends.sqlite3", "True", "memory://"]


def test_with_database_url_and_redis_url_postgres_and_a_real_broker_are_used():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='miam.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    env = {**os.environ, "DATABASE_URL": "postgres://u@db:5432/miamprod", "REDIS_URL": "redis://cache:6379/2"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["django.db.backends.postgresql", "miamprod", "False", "redis://cache:6379/2"]


def test_french_is_the_default_language_with_english_available():
    assert settings.LANGUAGE_CODE == "fr"
    assert [code for code, _name in settings.LANGUAGES] == ["fr", "en"]


def _setting(name: str, env: dict) -> subprocess.CompletedProcess:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='miam.settings'; django.setup();"
        f"from django.conf import settings as s; print(s.{name})"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_a_yes_or_no_setting_reads_the_usual_words_and_refuses_anything_else_at_start():
    assert _setting("DEBUG", {"DEBUG": "yes"}).stdout.strip() == "True"
    assert _setting("DEBUG", {"DEBUG": " Off "}).stdout.strip() == "False"
    assert _setting("DEBUG", {"DEBUG": ""}).stdout.strip() == "False"  # empty: the default
    refused = _setting("DEBUG", {"DEBUG": "ouais"})
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "DEBUG='ouais'" in refused.stderr


def test_the_matching_settings_are_declared_with_their_defaults():
    assert (settings.MATCHING_MODE, settings.MATCHING_DEBOUNCE_SECONDS) == ("flow", 20.0)
    assert settings.MATCHING_COLLECT_GRACE_DAYS == 1
    assert not hasattr(settings, "MATCHING_DEFAULT_CRATE_KG")  # a crate weighs what its offer says, never a guess
    assert _setting("MATCHING_DEBOUNCE_SECONDS", {"MATCHING_DEBOUNCE_SECONDS": "5"}).stdout.strip() == "5.0"


ENV_EXAMPLE_KEY = "change-me-to-a-long-random-string-of-at-least-fifty-characters-please"


def _start(env: dict) -> subprocess.CompletedProcess:
    """Import the settings the way gunicorn or a worker does (not a test, not an offline command)."""
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='miam.settings'; django.setup(); print('started')"
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_with_debug_off_the_app_refuses_to_start_without_a_real_secret_key():
    for env in ({"DEBUG": "0"}, {}, {"DEBUG": "0", "SECRET_KEY": ENV_EXAMPLE_KEY}, {"DEBUG": "0", "SECRET_KEY": " "}):
        refused = _start(env)
        assert refused.returncode != 0, env
        assert "ImproperlyConfigured" in refused.stderr and "SECRET_KEY" in refused.stderr
        assert "started" not in refused.stdout
    assert (
        _start({"DEBUG": "0", "SECRET_KEY": "k3y-F0r-T3st1ng-0nly-9f8e7d6c5b4a39281706f5e4d3c2b1a0zZ"}).stdout.strip()
        == "started"
    )
    assert _start({"DEBUG": "1"}).stdout.strip() == "started"  # the demo (python3 dev.py demo)


def test_the_deploy_check_fails_on_any_placeholder_key():
    production = {"DEBUG": "0", "ALLOWED_HOSTS": "miam.example.org", "SECURE_SSL_REDIRECT": "1"}
    production |= {"SECURE_COOKIES": "1", "SECURE_HSTS_SECONDS": "31536000"}
    for key in (
        ENV_EXAMPLE_KEY,
        "django-insecure-miam-local-development-key-change-me",
        "x" * 30 + "CHANGEME" + "y1z2w3" * 5,
    ):
        result = _run_manage("check", "--deploy", env={**production, "SECRET_KEY": key})
        assert result.returncode != 0, key
        assert "miam.E001" in result.stderr
