"""The migration that hashes the calendar feed secrets keeps the subscribed addresses working."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("meetings", "0004_french_verbose_names")]
AFTER = [("meetings", "0005_calendar_token_hashed")]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_feed_secrets_are_hashed_in_place_and_still_open_their_feed(client):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = _migrate(BEFORE)
        user = apps.get_model("actors", "User").objects.create(email="abonnee@example.org")
        apps.get_model("meetings", "CalendarToken").objects.create(user=user, token="ancien-secret-abonne")
        apps = _migrate(AFTER)
        stored = apps.get_model("meetings", "CalendarToken").objects.get(user_id=user.pk)
        assert stored.token_hash == hashlib.sha256(b"ancien-secret-abonne").hexdigest()
        _migrate(latest)
        assert client.get("/reunions/agendas/ancien-secret-abonne.ics").status_code == 200
    finally:
        _migrate(latest)
