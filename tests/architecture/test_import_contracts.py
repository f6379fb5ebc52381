"""The import-linter contracts hold on the real tree, and each one breaks on a planted violation."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    tree = tmp_path_factory.mktemp("tree")
    for name in ("apps", "config", "logitrack"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_real_tree_keeps_every_contract():
    result = subprocess.run([str(LINT), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


PLANTED = {
    "bounded-contexts: trips reaches into fleet's models": (
        "apps/trips/services/booking.py",
        "from apps.fleet import models as fleet_models  # planted\n",
        "Bounded contexts meet only via api",
    ),
    "bounded-contexts: another app's api called outside integrations": (
        "apps/billing/services/payouts.py",
        "from apps.partner import api as partner_api  # planted\n",
        "Bounded contexts meet only via api",
    ),
    "app-layers: models import services": (
        "apps/identity/models.py",
        "from apps.identity import services  # planted\n",
        "Inside every app",
    ),
    "tiers: kernel imports an app": (
        "logitrack/jobs.py",
        "import apps.trips.api  # planted\n",
        "Tiers: config (composition root) > apps > logitrack",
    ),
    "tiers: an app imports the composition root": (
        "apps/fleet/services.py",
        "import config.urls  # planted\n",
        "Tiers: config (composition root) > apps > logitrack",
    ),
    "pure-contracts: events import Django": (
        "apps/trips/events.py",
        "from django.db import models  # planted\n",
        "Contracts and events are framework-free",
    ),
    "console-public-surface: the console reads trips' tables": (
        "config/console/overview.py",
        "from apps.trips.models import TripDay  # planted\n",
        "The manager's console (config/console) reads the contexts only through",
    ),
    "console-public-surface: the console calls billing's selectors": (
        "config/console/views.py",
        "from apps.billing import selectors  # planted\n",
        "The manager's console (config/console) reads the contexts only through",
    ),
    "context-map: fleet calls up into trips": (
        "apps/fleet/integrations.py",
        "from apps.trips import api as trips_api  # planted\n",
        "Synchronous calls follow the context map",
    ),
}


@pytest.mark.parametrize("case", list(PLANTED))
def test_each_contract_breaks_on_a_planted_violation(pristine, tmp_path, case):
    target, line, contract = PLANTED[case]
    tree = tmp_path / "tree"
    shutil.copytree(pristine, tree)
    path = tree / target
    path.write_text((path.read_text() if path.exists() else "") + line)

    result = lint(tree)

    assert result.returncode != 0, f"{case} went unnoticed:\n{result.stdout}"
    broken = [ln for ln in result.stdout.splitlines() if " BROKEN" in ln]
    assert broken, result.stdout
    assert contract in result.stdout.split("Broken contracts")[-1], result.stdout
