"""Write the web maps' land layer, events/static/events/geo/land.geojson, from realtime.geography.

The web image has no numpy or geo stack, so its coastline is a small committed file. This script is the
only way that file is made: run it in the project's .venv (it needs the processor extra, about 1 GB
for a few seconds) and commit the result. tests/web/test_maps.py checks the file is what it makes.

    .venv/bin/python services/web/tools/make_land.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shapely.geometry import Polygon

from realtime import geography

OUTPUT = Path(__file__).resolve().parents[1] / "events" / "static" / "events" / "geo" / "land.geojson"
TOLERANCE = 0.02  # degrees (~2 km): the overview shows ~0.04 degrees a pixel, a detail map ~0.005
MIN_CELLS = 20  # islands under ~17 km2 (20 cells of 30 arc-seconds) left out
MIN_HOLE_CELLS = 50  # holes under ~40 km2 filled: hundreds of one-cell gaps in the mask are noise
DECIMALS = 3  # ~100 m, well inside the tolerance


def without_small_holes(polygon: Polygon, min_cells: int) -> Polygon:
    keep = [ring for ring in polygon.interiors if Polygon(ring).area >= min_cells * geography.CELL ** 2]
    return Polygon(polygon.exterior, keep)


def land_document() -> dict:
    """The land GeoJSON for Indonesia, with its provenance and parameters as foreign members."""
    mask, corner = geography.land_mask(geography.INDONESIA)
    polygons = geography.land_polygons(mask, corner, TOLERANCE, MIN_CELLS)
    document = geography.land_geojson([without_small_holes(polygon, MIN_HOLE_CELLS) for polygon in polygons])
    for feature in document["features"]:
        geometry = feature["geometry"]
        geometry["coordinates"] = [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring]
                                   for ring in geometry["coordinates"]]
    return {
        "type": "FeatureCollection",
        "bbox": list(geography.INDONESIA),
        "source": document["source"],
        "made_by": "services/web/tools/make_land.py (realtime.geography.land_mask, land_polygons, land_geojson)",
        "parameters": {"tolerance_deg": TOLERANCE, "min_island_cells": MIN_CELLS,
                       "min_hole_cells": MIN_HOLE_CELLS, "decimals": DECIMALS},
        "features": document["features"],
    }


def land_text(document: dict) -> str:
    """The file's exact text: one feature a line, so a regenerated file diffs by island."""
    head = json.dumps({k: v for k, v in document.items() if k != "features"}, separators=(",", ":"))[:-1]
    lines = [json.dumps(feature, separators=(",", ":")) for feature in document["features"]]
    return head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"


def main() -> int:
    document = land_document()
    text = land_text(document)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"{OUTPUT}: {len(document['features'])} polygons, {len(text.encode()) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
