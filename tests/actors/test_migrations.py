"""The data migration that gives each demo PAT figure its own source, both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("actors", "0003_organization_search_text")]
AFTER = [("actors", "0004_territory_figure_sources")]
OLD_SOURCE = "Chambre d'agriculture, INSEE 2021 — livret MIAM phase 1 (000_7229e82bde55593c)"


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_splits_the_demos_single_source_and_puts_it_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = _migrate(BEFORE)
        apps.get_model("actors", "Territory").objects.create(
            name="PAT Auxonne",
            slug="auxonne-pontailler",
            has_social_justice_axis=True,
            diagnostic_source=OLD_SOURCE,
            diagnostic_year=2021,
        )
        apps = _migrate(AFTER)
        auxonne = apps.get_model("actors", "Territory").objects.get(slug="auxonne-pontailler")
        assert not auxonne.has_social_justice_axis and "pas été traitée" in auxonne.social_justice_axis_source
        assert (auxonne.farms_count_source, auxonne.poverty_rate_source, auxonne.poverty_rate_year) == (
            "Chambre d'agriculture",
            "INSEE",
            2021,
        )
        assert auxonne.diagnostic_source.startswith("Livret méthodologique MIAM") and auxonne.diagnostic_year is None
        apps = _migrate(BEFORE)
        auxonne = apps.get_model("actors", "Territory").objects.get(slug="auxonne-pontailler")
        assert (auxonne.diagnostic_source, auxonne.diagnostic_year, auxonne.has_social_justice_axis) == (
            OLD_SOURCE,
            2021,
            True,
        )
    finally:
        _migrate(latest)
