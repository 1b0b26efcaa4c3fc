"""The direction of imports is a contract (``[tool.importlinter]`` in pyproject.toml, checked by
``lint-imports`` in .ci/run): the project keeps it, and each rule fails on a deliberate
violation, made in a copy of the sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
#: The project's own packages, as settings install them.
PACKAGES = tuple(app for app in settings.INSTALLED_APPS if (ROOT / app / "__init__.py").is_file())
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """The project's packages and contracts, copied once."""
    root = tmp_path_factory.mktemp("sources")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


VIOLATIONS = [
    ("the engine imports Django", "offers/matching/engine.py", "from django.conf import settings", "engine is pure"),
    ("the engine imports a model", "offers/matching/scoring.py", "from offers.models import Offer", "engine is pure"),
    (
        "the taxonomy imports actors",
        "products/units.py",
        "from actors.models import Commune",
        "taxonomy imports no app",
    ),
    ("actors import offers", "actors/selectors.py", "from offers.models import Offer", "Actors import no other app"),
    ("offers import meetings", "offers/selectors.py", "from meetings.models import Meeting", "Offers import neither"),
    ("a service imports a tasks module", "offers/services/runs.py", "from offers import tasks", "tasks sit above"),
    ("a model imports a service", "meetings/models.py", "from meetings.services import shared", "tasks sit above"),
    ("a shared piece imports an app", "miam/pagination.py", "from offers.models import Offer", "shared pieces"),
    (
        "offers import indicators",
        "offers/selectors.py",
        "from indicators import selectors",
        "nothing imports indicators",
    ),
    (
        "indicators write through a service",
        "indicators/selectors.py",
        "from offers.services import matches",
        "write nothing",
    ),
    (
        "offers import interop",
        "offers/services/listings.py",
        "from interop.models import Subscription",
        "nothing imports interop",
    ),
    (
        "an interop service imports its tasks",
        "interop/services/webhooks.py",
        "from interop import tasks",
        "tasks sit above",
    ),
    (
        "offers import agreements",
        "offers/services/planned.py",
        "from agreements.models import SupplyAgreement",
        "nothing imports agreements",
    ),
    (
        "offers import logistics",
        "offers/selectors.py",
        "from logistics.models import Round",
        "nothing imports logistics",
    ),
    (
        "the round planner imports a model",
        "logistics/routing.py",
        "from logistics.models import Round",
        "round planner",
    ),
    ("imports import meetings", "imports/columns.py", "from meetings.models import Meeting", "Imports use actors"),
    ("actors import the imports room", "actors/views.py", "from imports.models import ImportBatch", "No other app"),
]


@pytest.mark.parametrize(("case", "path", "line", "contract"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_a_deliberate_violation_breaks_its_contract(sources, case, path, line, contract):
    target = sources / path
    original = target.read_text()
    target.write_text(original + f"\n{line}  # deliberate violation\n")
    try:
        result = lint(sources)
    finally:
        target.write_text(original)
    assert result.returncode != 0, result.stdout
    broken = [row for row in result.stdout.splitlines() if row.rstrip().endswith("BROKEN")]
    assert any(contract in row for row in broken) or contract in result.stdout.split("Broken contracts")[-1], (
        result.stdout
    )
