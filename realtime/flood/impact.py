"""One flood's impact: people affected and displaced per class and village, and their needs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from realtime import SOFTWARE_NAME, __version__
from realtime.analysis_data import AnalysisData
from realtime.flood.classes import CLASS_BY_STATE, FLOOD_CLASSES, MIN_AFFECTED_STATE
from realtime.flood.exposure import people_per_polygon_raster, people_per_polygon_vector
from realtime.ids import parse_flood_id
from realtime.flood.needs import load_needs_profile, load_vulnerability_ratios, minimum_needs, vulnerable_groups
from realtime.flood.snapshot import FloodArea, FloodSnapshot

JAKARTA = ZoneInfo("Asia/Jakarta")


class NoFloodImpact(Exception):
    """No area has state 2 or more: nothing to analyse and nothing to push."""


@dataclass(frozen=True)
class FloodImpact:
    flood_id: str
    areas: list[FloodArea]  # every area with state >= 1
    population: np.ndarray  # people inside each of `areas`
    document: dict

    def geojson(self) -> dict:
        features = []
        for area, people in zip(self.areas, self.population):
            flood_class = CLASS_BY_STATE[area.state]
            affected = float(people) if flood_class.affected else 0.0
            features.append({
                "type": "Feature",
                "geometry": area.geometry.__geo_interface__,
                "properties": {
                    "area_id": area.area_id, "rw": area.rw, "village": area.village, "state": area.state,
                    "class": flood_class.key, "population": float(people), "affected": affected,
                    "displaced": affected * flood_class.displacement_rate,
                },
            })
        return {"type": "FeatureCollection", "features": features}


def analyse_flood(
    snapshot: FloodSnapshot, flood_id: str, data: AnalysisData, source_name: str, generated_at: datetime | None = None
) -> FloodImpact:
    """Raises NoFloodImpact when no area is flooded at state 2 or more."""
    moment, duration, level = parse_flood_id(flood_id)
    if not snapshot.with_state_at_least(MIN_AFFECTED_STATE):
        raise NoFloodImpact(f"{flood_id}: no area has flood state 2 or more, so no one is counted as affected")
    areas = snapshot.with_state_at_least(1)
    polygons = [area.geometry for area in areas]
    if data.flood_population:
        population = people_per_polygon_vector(polygons, data.flood_population)
        population_source = str(data.flood_population.name)
    else:
        data.check(need_places=False)
        population = people_per_polygon_raster(polygons, data.population)
        population_source = data.population_source()

    classes = {c.key: {"key": c.key, "state": c.state, "rw_count": 0, "population": 0.0, "affected": 0.0, "displaced": 0.0}
               for c in FLOOD_CLASSES}
    villages: dict[str, dict] = defaultdict(lambda: {"flooded_rw": 0, "caution_rw": 0, "affected": 0.0, "displaced": 0.0, "worst_state": 0})
    for area, people in zip(areas, population):
        flood_class = CLASS_BY_STATE[area.state]
        row = classes[flood_class.key]
        row["rw_count"] += 1
        row["population"] += float(people)
        village = villages[area.village or "?"]
        village["worst_state"] = max(village["worst_state"], area.state)
        if flood_class.affected:
            row["affected"] += float(people)
            row["displaced"] += float(people) * flood_class.displacement_rate
            village["flooded_rw"] += 1
            village["affected"] += float(people)
            village["displaced"] += float(people) * flood_class.displacement_rate
        else:
            village["caution_rw"] += 1

    affected = sum(row["affected"] for row in classes.values())
    displaced = sum(row["displaced"] for row in classes.values())
    provenance, needs = load_needs_profile()
    displaced_people = int(round(displaced))
    village_rows = sorted(
        ({"name": name, **values} for name, values in villages.items() if values["flooded_rw"]),
        key=lambda v: (-v["affected"], v["name"]),
    )
    document = {
        "flood_id": flood_id,
        "time": moment.isoformat(),
        "local_time": moment.astimezone(JAKARTA).isoformat(),
        "timezone": "Asia/Jakarta",
        "duration_hours": duration,
        "level": level,
        "source": {"name": source_name, "schema": snapshot.schema, "areas": len(snapshot.areas)},
        "summary": {
            "affected": affected,
            "displaced": displaced,
            "flooded_rw": sum(classes[k]["rw_count"] for k in ("high", "medium", "low")),
            "caution_rw": classes["use_caution"]["rw_count"],
            "flooded_villages": len(village_rows),
        },
        "classes": list(classes.values()),
        "villages": village_rows,
        "needs": {"displaced": displaced_people, "provenance": provenance,
                  "items": minimum_needs(displaced_people, needs)},
        "vulnerable": vulnerable_groups(displaced, load_vulnerability_ratios()),
        "sources": {"flood": "BPBD DKI Jakarta / PetaBencana.id", "population": population_source,
                    "needs": "BNPB Perka 7/2008"},
        "software": {"name": SOFTWARE_NAME, "version": __version__},
        "generated_at": generated_at.isoformat() if generated_at else None,
        "products": {},
    }
    return FloodImpact(flood_id=flood_id, areas=areas, population=population, document=document)
