"""A corpus of hostile and implausible grid.xml files, generated, never committed.

Used by `tests/test_hostile_grids.py` (each case must be refused by `realtime shake
process` with exit code 2 and one line naming the file) and by
`bench/bench_refusals.py` (each refusal must take under a second).

API: `write_cases(root) -> list[HostileCase]` writes every case under `root` in
the layout BMKG pushes (`<folder id>/grid.xml`) and returns them; `case.path` is
the file to hand to the processor and `case.problem` a fragment of the expected
error message.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

FOLDER_ID = "20200102030405"
OTHER_ID = "20200102030406"

_BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + ']>\n<shakemap_grid event_id="&lol9;"/>'
)
_XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE shakemap_grid [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f'<shakemap_grid event_id="{FOLDER_ID}"><event event_description="&xxe;"/></shakemap_grid>'
)


def grid_xml(
    *,
    event_id: str = FOLDER_ID,
    shakemap_id: str | None = None,
    magnitude: str = "5.0",
    depth: str = "10",
    lat: str = "-7.25",
    lon: str = "110.25",
    timestamp: str = "2020-01-02T03:04:05WIB",
    description: str = "Test region",
    bounds: tuple[str, str, str, str] = ("110.0", "-7.5", "110.5", "-7.0"),
    nlon: str = "2",
    nlat: str = "2",
    fields: tuple[str, ...] = ("LON", "LAT", "MMI"),
    indices: tuple[int, ...] | None = None,
    mmi: tuple[str, ...] = ("4.0", "5.0", "6.0", "7.0"),
    rows: list[str] | None = None,
) -> bytes:
    """A small valid grid (2×2 nodes around Yogyakarta) with any part replaced."""
    lon_min, lat_min, lon_max, lat_max = bounds
    indices = indices or tuple(range(1, len(fields) + 1))
    field_xml = "".join(f'<grid_field index="{i}" name="{n}" units="" />\n' for i, n in zip(indices, fields))
    if rows is None:
        nodes = [(lon_min, lat_max), (lon_max, lat_max), (lon_min, lat_min), (lon_max, lat_min)]
        rows = [f"{x} {y} {m}" for (x, y), m in zip(nodes, mmi)]
    return (
        '<?xml version="1.0" encoding="US-ASCII"?>\n'
        f'<shakemap_grid xmlns="http://inatews.bmkg.go.id/shakemap" event_id="{event_id}" '
        f'shakemap_id="{event_id if shakemap_id is None else shakemap_id}" shakemap_event_type="ACTUAL">\n'
        f'<event magnitude="{magnitude}" depth="{depth}" lat="{lat}" lon="{lon}" '
        f'event_timestamp="{timestamp}" event_description="{description}" />\n'
        f'<grid_specification lon_min="{lon_min}" lat_min="{lat_min}" lon_max="{lon_max}" lat_max="{lat_max}" '
        f'nlon="{nlon}" nlat="{nlat}" />\n'
        f"{field_xml}<grid_data>\n" + "\n".join(rows) + "\n</grid_data>\n</shakemap_grid>\n"
    ).encode()


@dataclass(frozen=True)
class HostileCase:
    name: str
    path: Path
    problem: str  # a fragment the one-line refusal must contain


def _zip_with(name: str, data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(name, data)
    return write


# name -> (folder id, file name, bytes or writer, expected fragment)
_CASES: dict[str, tuple[str, str, bytes | Callable[[Path], None], str]] = {
    # identity: the folder BMKG pushed into names the event
    "event-id-of-another-folder": (FOLDER_ID, "grid.xml", grid_xml(event_id=OTHER_ID), OTHER_ID),
    "shakemap-id-disagrees": (FOLDER_ID, "grid.xml", grid_xml(shakemap_id=OTHER_ID), OTHER_ID),
    "arabic-indic-digit-id": (FOLDER_ID, "grid.xml", grid_xml(event_id="2020010203040&#1633;"), "not a valid"),
    "trailing-newline-id": (FOLDER_ID, "grid.xml", grid_xml(event_id=FOLDER_ID + "&#10;"), "not a valid"),
    "path-traversal-id": (FOLDER_ID, "grid.xml", grid_xml(event_id="../../etc/passwd"), "not a valid"),
    # implausible values
    "mmi-minus-41": (FOLDER_ID, "grid.xml", grid_xml(mmi=("4.0", "-41", "6.0", "7.0")), "MMI"),
    "mmi-15": (FOLDER_ID, "grid.xml", grid_xml(mmi=("4.0", "5.0", "15", "7.0")), "MMI"),
    "mmi-zero": (FOLDER_ID, "grid.xml", grid_xml(mmi=("0", "5.0", "6.0", "7.0")), "MMI"),
    "magnitude-99": (FOLDER_ID, "grid.xml", grid_xml(magnitude="99"), "magnitude"),
    "magnitude-negative": (FOLDER_ID, "grid.xml", grid_xml(magnitude="-3"), "magnitude"),
    "depth-negative": (FOLDER_ID, "grid.xml", grid_xml(depth="-10"), "depth"),
    "depth-1000-km": (FOLDER_ID, "grid.xml", grid_xml(depth="1000"), "depth"),
    "latitude-999": (FOLDER_ID, "grid.xml", grid_xml(lat="999"), "lat"),
    "longitude-minus-200": (FOLDER_ID, "grid.xml", grid_xml(lon="-200"), "lon"),
    "bounds-beyond-the-pole": (FOLDER_ID, "grid.xml", grid_xml(bounds=("110.0", "89.5", "110.5", "95.0")), "lat_max"),
    "bounds-degenerate": (FOLDER_ID, "grid.xml", grid_xml(bounds=("110.0", "-7.5", "110.0", "-7.0")), "bounds"),
    "bounds-inverted": (FOLDER_ID, "grid.xml", grid_xml(bounds=("110.5", "-7.5", "110.0", "-7.0")), "bounds"),
    "one-column-grid": (FOLDER_ID, "grid.xml", grid_xml(nlon="1"), "grid size"),
    "billion-nodes-declared": (FOLDER_ID, "grid.xml", grid_xml(nlon="100000", nlat="100000"), "grid size"),
    "event-in-year-1066": (FOLDER_ID, "grid.xml", grid_xml(timestamp="1066-10-14T09:00:00WIB"), "event_timestamp"),
    "timestamp-garbage": (FOLDER_ID, "grid.xml", grid_xml(timestamp="yesterday"), "event_timestamp"),
    # text fields
    "description-8-mb": (FOLDER_ID, "grid.xml", grid_xml(description="A" * 8_000_000), "header"),
    "event-type-unknown": (FOLDER_ID, "grid.xml", grid_xml().replace(b'"ACTUAL"', b'"' + b"X" * 300 + b'"'), "shakemap_event_type"),
    # structure
    "grid-field-index-zero": (FOLDER_ID, "grid.xml", grid_xml(indices=(0, 1, 2)), "index"),
    "grid-field-index-out-of-range": (FOLDER_ID, "grid.xml", grid_xml(indices=(1, 2, 9)), "index"),
    "grid-field-duplicate-index": (FOLDER_ID, "grid.xml", grid_xml(indices=(1, 1, 2)), "index"),
    "missing-mmi-field": (FOLDER_ID, "grid.xml", grid_xml(fields=("LON", "LAT", "PGA")), "MMI"),
    "rows-missing": (FOLDER_ID, "grid.xml", grid_xml(rows=["110.0 -7.0 4", "110.5 -7.0 5", "110.0 -7.5 6"]), "expected nlon*nlat"),
    "value-not-a-number": (FOLDER_ID, "grid.xml", grid_xml(mmi=("4.0", "x", "6.0", "7.0")), "not a number"),
    "value-nan": (FOLDER_ID, "grid.xml", grid_xml(mmi=("4.0", "nan", "6.0", "7.0")), "NaN"),
    "value-infinite": (FOLDER_ID, "grid.xml", grid_xml(mmi=("4.0", "inf", "6.0", "7.0")), "NaN"),
    "rows-south-to-north": (FOLDER_ID, "grid.xml", grid_xml(rows=["110.0 -7.5 4", "110.5 -7.5 5", "110.0 -7.0 6", "110.5 -7.0 7"]), "do not follow"),
    "truncated-upload": (FOLDER_ID, "grid.xml", grid_xml()[:-60], "well-formed"),
    "empty-file": (FOLDER_ID, "grid.xml", b"", "well-formed"),
    "binary-garbage": (FOLDER_ID, "grid.xml", bytes(range(256)) * 8, "well-formed"),
    "html-error-page": (FOLDER_ID, "grid.xml", b"<html><body>502 Bad Gateway</body></html>", "<html>"),
    "billion-laughs": (FOLDER_ID, "grid.xml", _BILLION_LAUGHS.encode(), "unsafe XML"),
    "external-entity": (FOLDER_ID, "grid.xml", _XXE.encode(), "unsafe XML"),
    "zip-that-is-not": (FOLDER_ID, f"{FOLDER_ID}.out.zip", b"PK\x03\x04 not really a zip", "zip"),
    "zip-without-grid": (FOLDER_ID, f"{FOLDER_ID}.out.zip", _zip_with("readme.txt", b"hello"), "no grid.xml"),
}


def write_cases(root: Path) -> list[HostileCase]:
    """Write every hostile case under `root/<case>/<folder id>/` and return them."""
    cases = []
    for name, (folder_id, file_name, content, problem) in _CASES.items():
        path = Path(root) / name / folder_id / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
        cases.append(HostileCase(name, path, problem))
    return cases


CASE_NAMES = tuple(_CASES)
