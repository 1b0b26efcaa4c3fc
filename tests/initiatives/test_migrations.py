"""The data migration from cited files to cited documents, both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("initiatives", "0002_dates_constraint_message")]
AFTER = [("initiatives", "0003_sheet_fields_typology_sources")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_a_cited_file_into_a_cited_document_and_back():
    latest = [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes() if key[0] == "initiatives"]
    try:
        apps = _migrate(BEFORE)
        apps.get_model("initiatives", "Initiative").objects.create(
            slug="marches",
            name="Marchés",
            domain="distribution",
            type="solidarity_pricing_sales",
            source_file="004_9026a486fb190f56.txt",
            source_section="Fiches initiatives",
        )
        apps = _migrate(AFTER)
        initiative = apps.get_model("initiatives", "Initiative").objects.get(slug="marches")
        assert initiative.sources == [
            {
                "document": "resolis-2022",
                "title": "RESOLIS, catalogue thématique « Renforcement des circuits alimentaires courts et de "
                "proximité » (2022)",
                "section": "Fiches initiatives",
            }
        ]
        apps = _migrate(BEFORE)
        initiative = apps.get_model("initiatives", "Initiative").objects.get(slug="marches")
        assert (initiative.source_file, initiative.source_section) == ("004_9026a486fb190f56.txt", "Fiches initiatives")
    finally:
        _migrate(latest)
