"""Shared fixtures: the real data in ../shared/fixtures and a demo analysis-data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The container stack tests (tests/containers) need a Docker engine and the four images and take minutes:
# `make stack-test` runs them with STACK_TEST=1. A conftest of their own would shadow this one's imports.
collect_ignore_glob = [] if os.environ.get("STACK_TEST") == "1" else ["containers/*"]
FIXTURES = (REPO / ".." / "shared" / "fixtures").resolve()
EQ = FIXTURES / "earthquake"
GRID_INITIAL = EQ / "shakemaps" / "20180220163351" / "grid.xml"
GRID_CORRECTED = EQ / "shakemaps-corrected" / "20180220162928_50_01400_124450_20180220162928" / "grid.xml"
GRID_PAPUA = EQ / "shakemaps" / "20131105060809" / "output" / "grid.xml"
GRID_ZIP = EQ / "legacy-zip" / "20120726022003.out.zip"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """A demo analysis-data folder, built once per test session."""
    from realtime.demo_data import init_demo_analysis_data

    root = tmp_path_factory.mktemp("analysis-data")
    init_demo_analysis_data(root)
    return root


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real `realtime` console entry point in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "realtime", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=300,
    )


JAKARTA_CENSUS_2010 = 9_607_787
FLOOD_SNAPSHOT = FIXTURES / "flood" / "petabencana-2017022105.json"


def build_jakarta_analysis_data(root: Path) -> Path:
    """Analysis data from the real Jakarta grid, its relative densities scaled to the 2010 census."""
    import json

    from realtime.demo_data import population_from_density

    population_from_density(
        FIXTURES / "exposure" / "Population_Jakarta_geographic.asc", root / "exposure" / "population.tif",
        JAKARTA_CENSUS_2010, "Jakarta population grid scaled to the 2010 census (test)",
    )
    (root / "context").mkdir(parents=True, exist_ok=True)
    (root / "context" / "places.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    return root


@pytest.fixture(scope="session")
def jakarta_data(fixtures, tmp_path_factory) -> Path:
    return build_jakarta_analysis_data(tmp_path_factory.mktemp("jakarta-analysis-data"))


# Real products of the shared fixtures (tests/real_products.py), made once per session by the real commands.
@pytest.fixture(scope="session")
def quake_initial(fixtures, demo_data, tmp_path_factory):
    """The Minahassa M5.0 initial grid, processed."""
    from real_products import GRID_INITIAL, process_grid

    return process_grid(GRID_INITIAL, demo_data, tmp_path_factory.mktemp("quake-initial"))


@pytest.fixture(scope="session")
def quake_corrected(fixtures, demo_data, tmp_path_factory):
    """The corrected grid of the same quake (long id), processed."""
    from real_products import GRID_CORRECTED, process_grid

    return process_grid(GRID_CORRECTED, demo_data, tmp_path_factory.mktemp("quake-corrected"))


@pytest.fixture(scope="session")
def flood_products(fixtures, jakarta_data, tmp_path_factory):
    """The PetaBencana 2017-02-21 snapshot on the real Jakarta population, processed."""
    from real_products import FLOOD_SNAPSHOT, process_flood

    return process_flood(FLOOD_SNAPSHOT, jakarta_data, tmp_path_factory.mktemp("flood") / "extracted")


@pytest.fixture(scope="session")
def ash_products(fixtures, demo_data, tmp_path_factory):
    """The real Merapi ash-fall forecast, processed."""
    from real_products import MERAPI_RASTER, process_ash

    return process_ash(MERAPI_RASTER, demo_data, tmp_path_factory.mktemp("ash"))
