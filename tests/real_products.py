"""Products made by the real `realtime` commands on the shared fixtures, once per test session.

The contract tests (web pages, report text, end to end) read these instead of a hand-written impact.json, so that
renaming a key in the processor's output breaks a test. Use the session fixtures in conftest.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from conftest import FIXTURES, FLOOD_SNAPSHOT, GRID_CORRECTED, GRID_INITIAL, run_cli

MERAPI_RASTER = FIXTURES / "ash" / "201702211204+0000_Merapi-hazard.tif"
MERAPI_EVENT = ("--event-time", "2017-02-21T19:04:00+07:00", "--eruption-height", "3000", "--alert-level", "siaga",
                "--forecast-duration", "3")
FLOOD_ID = "2017022105-6-rw"


@dataclass(frozen=True)
class Products:
    """One processed event: its folder of products and the impact.json the processor wrote there."""

    folder: Path

    @property
    def event_id(self) -> str:
        return self.folder.name

    @property
    def impact(self) -> dict:
        return json.loads((self.folder / "impact.json").read_text(encoding="utf-8"))

    def report(self, language: str, suffix: str = "pdf") -> Path:
        """The report file for a language (<id>-<lang>.pdf), named as the processor names it."""
        matches = sorted(p for p in self.folder.glob(f"*-{language}.{suffix}") if "thumb" not in p.name)
        assert len(matches) == 1, f"expected one {language} .{suffix} report in {self.folder}, found {matches}"
        return matches[0]


def _checked(result, what: str) -> None:
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"


def process_grid(grid_xml: Path, analysis_data: Path, output: Path) -> Products:
    """`realtime shake process` on a grid, in both languages; the event folder it wrote."""
    before = set(output.iterdir()) if output.is_dir() else set()
    result = run_cli("shake", "process", str(grid_xml), "--analysis-data", str(analysis_data), "--output",
                     str(output), env={"INASAFE_LOCALE": "en,id"})
    _checked(result, f"shake process {grid_xml}")
    (folder,) = set(output.iterdir()) - before
    return Products(folder)


def process_flood(snapshot: Path, analysis_data: Path, output: Path, flood_id: str = FLOOD_ID) -> Products:
    """`realtime flood process --source file` on a PetaBencana snapshot, in both languages."""
    result = run_cli("flood", "process", "--source", "file", "--file", str(snapshot), "--flood-id", flood_id,
                     "--analysis-data", str(analysis_data), "--output", str(output),
                     env={"INASAFE_LOCALE": "en,id", "FLOODMAPS_DIR": str(output.parent / "floodmaps")})
    _checked(result, f"flood process {snapshot}")
    return Products(output / flood_id)


def process_ash(raster: Path, analysis_data: Path, output: Path) -> Products:
    """`realtime ash process` on the Merapi forecast, in both languages."""
    before = set(output.iterdir()) if output.is_dir() else set()
    result = run_cli("ash", "process", str(raster), "--volcano", "Merapi", *MERAPI_EVENT, "--analysis-data",
                     str(analysis_data), "--output", str(output), env={"INASAFE_LOCALE": "en,id"})
    _checked(result, f"ash process {raster}")
    (folder,) = set(output.iterdir()) - before
    return Products(folder)


__all__ = ["Products", "process_grid", "process_flood", "process_ash", "GRID_INITIAL", "GRID_CORRECTED",
           "FLOOD_SNAPSHOT", "MERAPI_RASTER", "FLOOD_ID"]
