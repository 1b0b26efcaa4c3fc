"""Fixtures of the web pages' tests: a territory (PAT du Clunisois) with its people."""

from __future__ import annotations

import pytest

from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, make_member, make_officer


@pytest.fixture
def territory(geo):
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


@pytest.fixture
def farm(territory):
    return FarmFactory(name="Ferme des Grands Prés", address="12 chemin des Prés", email="contact@grandspres.example")


@pytest.fixture
def structure(territory):
    return StructureFactory(
        name="Épicerie solidaire de Cluny", address="3 rue du Merle", email="epicerie@cluny.example"
    )


@pytest.fixture
def farmer(farm):
    return make_member(farm, email="paul.fermier@example.org")


@pytest.fixture
def volunteer(structure):
    return make_member(structure, email="lea.benevole@example.org")


@pytest.fixture
def officer(territory):
    return make_officer(territory, email="cm.pat@example.org")
