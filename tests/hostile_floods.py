"""Hostile flood snapshots, built in memory, that `realtime flood process` must refuse.

Each case is a `HostileCase`: a `name` (a pytest id and a file stem), a `build()`
returning the bytes of the snapshot, and `problem`, words the one-line refusal
must contain, so a case refused for the wrong reason does not pass unnoticed.
Nothing is committed as a file: write the cases where you need them.

    from tests.hostile_floods import CASES, write_cases   # or `from hostile_floods import ...` in tests/
    for case, path in write_cases(tmp_folder):             # <tmp_folder>/<case.name>.json, one per case
        ...  # `realtime flood process --source file --file path --flood-id VALID_FLOOD_ID` exits 2

`by_name(name)` returns one case. The module needs only the standard library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CASES", "VALID_FLOOD_ID", "HostileCase", "by_name", "valid_collection", "write_cases"]

VALID_FLOOD_ID = "2017022105-6-rw"
MAX_SNAPSHOT_BYTES = 100 * 1024 * 1024  # realtime.flood.limits, repeated so this module imports nothing of ours

# One RW-sized square in West Jakarta (Grogol), the shape every case starts from.
GROGOL = [[106.80, -6.20], [106.81, -6.20], [106.81, -6.19], [106.80, -6.19], [106.80, -6.20]]


@dataclass(frozen=True)
class HostileCase:
    name: str
    build: Callable[[], bytes]
    problem: str  # words the refusal must contain

    def write(self, folder: Path) -> Path:
        path = Path(folder) / f"{self.name}.json"
        path.write_bytes(self.build())
        return path


def feature(ring: list | None = None, geometry: dict | None = None, **properties) -> dict:
    props = {"area_id": "5", "area_name": "RW 09", "parent_name": "GROGOL", "state": 2,
             "last_updated": "2017-02-21T01:39:36.885Z", **properties}
    if geometry is None:
        geometry = {"type": "Polygon", "coordinates": [ring or GROGOL]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def valid_collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features) or [feature()]}


def _dump(document) -> bytes:
    return json.dumps(document).encode()


def _collection_with(**changes) -> Callable[[], bytes]:
    return lambda: _dump(valid_collection(feature(**changes)))


def _circle(vertices: int, lon: float = 106.805, lat: float = -6.195, radius: float = 0.004) -> list:
    ring = [[round(lon + radius * math.cos(2 * math.pi * i / vertices), 7),
             round(lat + radius * math.sin(2 * math.pi * i / vertices), 7)] for i in range(vertices)]
    return ring + [ring[0]]


def _star(points: int) -> list:
    """A {points/(points//2)} star: every edge crosses almost every other (points is odd)."""
    step = points // 2
    ring = [[106.805 + 0.004 * math.cos(2 * math.pi * i * step / points),
             -6.195 + 0.004 * math.sin(2 * math.pi * i * step / points)] for i in range(points)]
    return ring + [ring[0]]


def _deep_nesting() -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


def _deep_coordinates() -> bytes:
    """A position nested 500 deep in a ring: inside the JSON parser's limit, far beyond any geometry."""
    deep: list = [106.8, -6.2]
    for _ in range(500):
        deep = [deep]
    return _dump(valid_collection(feature(ring=[deep, *GROGOL[1:]])))


def _many_areas() -> bytes:
    return _dump(valid_collection(*(feature(area_id=str(n)) for n in range(10_001))))


def _many_vertices() -> bytes:
    """26 areas of 19,999 vertices: each under the per-area cap, together over the snapshot's."""
    ring = _circle(19_998)
    return _dump(valid_collection(*(feature(ring=ring, area_id=str(n)) for n in range(26))))


def _value_flood() -> bytes:
    """A few MB of commas: millions of JSON values, memory far beyond the bytes."""
    return b'{"type": "FeatureCollection", "features": [' + b"0," * 3_000_000 + b"0]}"


def _duplicate_key() -> bytes:
    return _dump(valid_collection()).replace(b'"state": 2', b'"state": 1, "state": 4')


def _invalid_utf8() -> bytes:
    return _dump(valid_collection()).replace(b"GROGOL", b"GROG\xffOL")


def _utf16() -> bytes:
    return json.dumps(valid_collection()).encode("utf-16")


def _html() -> bytes:
    return b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>[nginx]</body></html>\n"


def _truncated() -> bytes:
    whole = _dump(valid_collection(feature(), feature(area_id="6")))
    return whole[: len(whole) // 2]


def _nan() -> bytes:
    return _dump(valid_collection()).replace(b"106.81, -6.2]", b"NaN, -6.2]", 1)


def _huge_integer() -> bytes:
    return _dump(valid_collection()).replace(b'"area_id": "5"', b'"area_id": ' + b"9" * 5_000)


def _huge_float() -> bytes:
    return _dump(valid_collection()).replace(b"106.81, -6.2]", b"1e999, -6.2]", 1)


def _surrogate() -> bytes:
    return _dump(valid_collection()).replace(b"RW 09", b"RW \\ud800")


CASES: tuple[HostileCase, ...] = (
    # 1. coordinates: out of range, swapped, elsewhere on Earth, broken
    HostileCase("out_of_range_coordinates", _collection_with(ring=[[500, 95], [501, 95], [501, 96], [500, 95]]),
                "not a longitude/latitude"),
    HostileCase("swapped_lat_lon", _collection_with(ring=[[p[1], p[0]] for p in GROGOL]), "swapped"),
    HostileCase("outside_indonesia", _collection_with(ring=[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86], [2.35, 48.85]]),
                "outside Indonesia"),
    HostileCase("larger_than_a_city", _collection_with(ring=[[95, -11], [141, -11], [141, 6], [95, 6], [95, -11]]),
                "spans"),
    HostileCase("coordinates_as_strings", _collection_with(ring=[[str(x), str(y)] for x, y in GROGOL]),
                "not [lon, lat] numbers"),
    HostileCase("boolean_coordinates", _collection_with(ring=[[True, False]] * 4), "not [lon, lat] numbers"),
    HostileCase("ring_too_short", _collection_with(ring=GROGOL[:2] + GROGOL[:1]), "at least 4"),
    HostileCase("nan_coordinate", _nan, "NaN"),
    HostileCase("huge_float_coordinate", _huge_float, "not a finite number"),
    # 2. nesting
    HostileCase("deeply_nested_json", _deep_nesting, "nested too deeply"),
    HostileCase("deeply_nested_coordinates", _deep_coordinates, "not [lon, lat] numbers"),
    # 3. size
    HostileCase("polygon_300k_vertices", _collection_with(ring=_circle(300_000)), "vertices, more than"),
    HostileCase("snapshot_over_500k_vertices", _many_vertices, "vertices in all"),
    HostileCase("over_10000_areas", _many_areas, "areas, more than"),
    HostileCase("millions_of_json_values", _value_flood, "JSON values"),
    HostileCase("over_max_bytes", lambda: b" " * (MAX_SNAPSHOT_BYTES + 1), "larger than"),
    HostileCase("star_polygon_crossing_itself", _collection_with(ring=_star(301)), "crosses itself"),
    # 4. text fields
    HostileCase("area_name_100k_characters", _collection_with(area_name="RW " + "9" * 100_000), "characters"),
    HostileCase("nul_in_village_name", _collection_with(parent_name="GROGOL\u0000"), "control character"),
    HostileCase("lone_surrogate_in_rw_name", _surrogate, "not valid Unicode"),
    HostileCase("huge_integer_area_id", _huge_integer, "digits"),
    # 5. everything else
    HostileCase("empty_file", lambda: b"", "empty"),
    HostileCase("html_instead_of_json", _html, "not JSON"),
    HostileCase("truncated_json", _truncated, "not JSON"),
    HostileCase("invalid_utf8", _invalid_utf8, "not UTF-8"),
    HostileCase("utf16_with_bom", _utf16, "not UTF-8"),
    HostileCase("json_string_not_object", lambda: b'"FeatureCollection"', "expected a GeoJSON FeatureCollection"),
    HostileCase("features_is_an_object", lambda: b'{"type": "FeatureCollection", "features": {}}', "no features list"),
    HostileCase("empty_feature_object", lambda: b'{"type": "FeatureCollection", "features": [{}]}', "no properties"),
    HostileCase("area_id_is_a_list", _collection_with(area_id=["5"]), "area_id must be text or a whole number"),
    HostileCase("state_out_of_range", _collection_with(state=7), "outside 0-4"),
    HostileCase("state_is_an_object", _collection_with(state={"depth": 4}), "not a number"),
    HostileCase("state_infinity", lambda: _dump(valid_collection()).replace(b'"state": 2', b'"state": Infinity'),
                "Infinity"),
    HostileCase("duplicate_key", _duplicate_key, "twice"),
    HostileCase("duplicate_area_ids", lambda: _dump(valid_collection(feature(), feature())), "also feature 0"),
    HostileCase("null_geometry", lambda: _dump(valid_collection(feature() | {"geometry": None})), "(got null)"),
    HostileCase("geometry_collection", _collection_with(geometry={"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "coordinates": [GROGOL]}]}), "no Polygon or MultiPolygon"),
    HostileCase("zero_area_polygon", _collection_with(ring=[[106.8, -6.2], [106.81, -6.2], [106.82, -6.2], [106.8, -6.2]]),
                "no area"),
)


def by_name(name: str) -> HostileCase:
    return next(case for case in CASES if case.name == name)


def write_cases(folder: Path, cases: tuple[HostileCase, ...] = CASES) -> list[tuple[HostileCase, Path]]:
    """Write each case to <folder>/<name>.json; returns (case, path) pairs in order."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [(case, case.write(folder)) for case in cases]
