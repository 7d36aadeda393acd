"""Products of one flood, written into its (staging) folder."""

from __future__ import annotations

from pathlib import Path

from realtime.event_folder import IMPACT_JSON, write_json
from realtime.flood.history import SNAPSHOT_NAME
from realtime.flood.impact import FloodImpact

IMPACT_GEOJSON = "impact.geojson"


def write_flood_products(folder: Path, impact: FloodImpact, raw_snapshot: bytes) -> dict:
    """impact.json, impact.geojson and the snapshot it came from; returns the document written."""
    folder = Path(folder)
    (folder / SNAPSHOT_NAME).write_bytes(raw_snapshot)
    write_json(folder / IMPACT_GEOJSON, impact.geojson())
    document = dict(impact.document)
    document["products"] = {"impact": IMPACT_GEOJSON, "hazard": SNAPSHOT_NAME}
    write_json(folder / IMPACT_JSON, document)
    return document
