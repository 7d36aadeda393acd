"""A real mmi_output zip for the web tests: the processor's own contours of a fixture grid, zipped as push does."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path


def real_contours(grid_xml: Path) -> dict:
    """contours.geojson exactly as the processor writes it for this grid (realtime.earthquake.contours)."""
    from realtime.earthquake.contours import mmi_contours
    from realtime.earthquake.grid import read_shake_grid

    grid = read_shake_grid(grid_xml)
    return mmi_contours(grid.spec, grid.mmi)


def mmi_output_zip(members: dict[str, bytes | dict]) -> bytes:
    """A zip of named members (dicts written as JSON), deflated like realtime.runtime.push._zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, json.dumps(content) if isinstance(content, dict) else content)
    return buffer.getvalue()


def whole_level_lines(contours: dict) -> dict[str, int]:
    """How many lines each whole MMI level has (the ones the PDF map and the web map draw)."""
    counts: dict[str, int] = {}
    for feature in contours["features"]:
        roman = feature["properties"]["roman"]
        if roman:
            counts[roman] = counts.get(roman, 0) + 1
    return counts
