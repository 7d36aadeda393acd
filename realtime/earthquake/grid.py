"""Read BMKG/USGS ShakeMap 3.5 ``grid.xml`` files into a value object.

Every grid arrives from outside, so the reader treats it as hostile: entity
declarations and external references are refused by defusedxml, sizes are
bounded, and any inconsistency raises one ``ShakeGridError`` naming the file.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from affine import Affine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from realtime.earthquake.shake_id import SOURCE_TYPES, is_shake_id, source_type_of

MAX_GRID_BYTES = 256 * 1024 * 1024  # a ShakeMap v4 grid at its 500k-node cap is ~24 MB

# BMKG writes local time with an Indonesian zone suffix.
ZONE_SUFFIXES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_TIMESTAMP = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\s*([A-Za-z]*)\s*$")


class ShakeGridError(ValueError):
    """A grid.xml that cannot be trusted; the message names the file and the problem."""


@dataclass(frozen=True)
class GridSpec:
    """Node lattice of a ShakeMap: nodes are cell centres, row 0 is the north edge."""

    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float
    nlon: int
    nlat: int

    @property
    def dx(self) -> float:
        return (self.lon_max - self.lon_min) / (self.nlon - 1)

    @property
    def dy(self) -> float:
        return (self.lat_max - self.lat_min) / (self.nlat - 1)

    @property
    def transform(self) -> Affine:
        """North-up affine of the cells centred on the nodes."""
        return Affine(self.dx, 0.0, self.lon_min - self.dx / 2, 0.0, -self.dy, self.lat_max + self.dy / 2)

    @property
    def footprint(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the rectangle spanned by the nodes."""
        return (self.lon_min, self.lat_min, self.lon_max, self.lat_max)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nlat, self.nlon)


@dataclass(frozen=True)
class ShakeEvent:
    shake_id: str
    source_type: str
    magnitude: float
    depth_km: float
    latitude: float
    longitude: float
    time: datetime
    timezone: str
    description: str
    process_timestamp: str = ""
    event_type: str = "ACTUAL"


@dataclass(frozen=True)
class ShakeGrid:
    event: ShakeEvent
    spec: GridSpec
    fields: dict[str, np.ndarray] = field(repr=False)
    source: str = ""

    @property
    def mmi(self) -> np.ndarray:
        return self.fields["MMI"]

    def field(self, name: str) -> np.ndarray:
        try:
            return self.fields[name.upper()]
        except KeyError:
            raise KeyError(f"{self.source}: no grid field {name!r}; have {sorted(self.fields)}") from None


def read_shake_grid(path: str | Path, source_type: str | None = None) -> ShakeGrid:
    """Read a grid.xml, or the grid.xml inside a legacy ``<id>.out.zip``."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".zip":
            data = _grid_bytes_from_zip(path)
        else:
            if path.stat().st_size > MAX_GRID_BYTES:
                raise ShakeGridError(f"{path}: file is larger than {MAX_GRID_BYTES} bytes")
            data = path.read_bytes()
    except OSError as exc:
        raise ShakeGridError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_shake_grid(data, name=str(path), source_type=source_type)


def _grid_bytes_from_zip(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.endswith("grid.xml")]
            if not members:
                raise ShakeGridError(f"{path}: no grid.xml inside the zip")
            member = min(members, key=lambda m: (not m.filename.endswith("output/grid.xml"), m.filename))
            if member.file_size > MAX_GRID_BYTES:
                raise ShakeGridError(f"{path}: {member.filename} is larger than {MAX_GRID_BYTES} bytes")
            with archive.open(member) as handle:
                return handle.read(MAX_GRID_BYTES + 1)
    except zipfile.BadZipFile as exc:
        raise ShakeGridError(f"{path}: not a valid zip file: {exc}") from exc


def parse_shake_grid(data: bytes, name: str = "<grid.xml>", source_type: str | None = None) -> ShakeGrid:
    """Parse grid.xml bytes; ``name`` is only used in error messages."""
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise ShakeGridError(f"{name}: refused unsafe XML ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        raise ShakeGridError(f"{name}: not well-formed XML ({exc})") from exc
    if _local(root.tag) != "shakemap_grid":
        raise ShakeGridError(f"{name}: root element is <{_local(root.tag)}>, expected <shakemap_grid>")
    children = {}
    grid_fields: dict[str, int] = {}
    for child in root:
        tag = _local(child.tag)
        if tag == "grid_field":
            grid_fields[child.get("name", "").upper()] = _int(child, "index", name) - 1
        else:
            children.setdefault(tag, child)
    for needed in ("event", "grid_specification", "grid_data"):
        if needed not in children:
            raise ShakeGridError(f"{name}: missing <{needed}> element")
    for needed in ("LON", "LAT", "MMI"):
        if needed not in grid_fields:
            raise ShakeGridError(f"{name}: missing grid_field {needed}")

    spec = _grid_spec(children["grid_specification"], name)
    event = _event(root, children["event"], name, source_type)
    table = _grid_table(children["grid_data"].text or "", len(grid_fields), spec, name)
    _check_lattice(table[:, grid_fields["LON"]], table[:, grid_fields["LAT"]], spec, name)
    fields = {
        field_name: np.ascontiguousarray(table[:, index].reshape(spec.nlat, spec.nlon))
        for field_name, index in grid_fields.items()
        if field_name not in ("LON", "LAT")
    }
    return ShakeGrid(event=event, spec=spec, fields=fields, source=name)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _float(element, attribute: str, name: str) -> float:
    raw = element.get(attribute)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ShakeGridError(f"{name}: <{_local(element.tag)}> {attribute}={raw!r} is not a number") from None
    if not np.isfinite(value):
        raise ShakeGridError(f"{name}: <{_local(element.tag)}> {attribute}={raw!r} is not finite")
    return value


def _int(element, attribute: str, name: str) -> int:
    raw = element.get(attribute)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ShakeGridError(f"{name}: <{_local(element.tag)}> {attribute}={raw!r} is not an integer") from None


def _grid_spec(element, name: str) -> GridSpec:
    spec = GridSpec(
        lon_min=_float(element, "lon_min", name),
        lat_min=_float(element, "lat_min", name),
        lon_max=_float(element, "lon_max", name),
        lat_max=_float(element, "lat_max", name),
        nlon=_int(element, "nlon", name),
        nlat=_int(element, "nlat", name),
    )
    if spec.nlon < 2 or spec.nlat < 2 or spec.nlon * spec.nlat > 10_000_000:
        raise ShakeGridError(f"{name}: implausible grid size nlon={spec.nlon} nlat={spec.nlat}")
    if not (spec.lon_min < spec.lon_max and spec.lat_min < spec.lat_max):
        raise ShakeGridError(f"{name}: grid_specification bounds are empty or inverted")
    return spec


def _event(root, element, name: str, source_type: str | None) -> ShakeEvent:
    shake_id = (root.get("event_id") or root.get("shakemap_id") or "").strip()
    if not is_shake_id(shake_id):
        raise ShakeGridError(f"{name}: event_id {shake_id[:60]!r} is not a valid BMKG shake id")
    if source_type is None:
        source_type = source_type_of(shake_id)
    if source_type not in SOURCE_TYPES:
        raise ShakeGridError(f"{name}: source type {source_type!r} is not one of {SOURCE_TYPES}")
    time, zone = _event_time(element.get("event_timestamp", ""), name)
    return ShakeEvent(
        shake_id=shake_id,
        source_type=source_type,
        magnitude=_float(element, "magnitude", name),
        depth_km=_float(element, "depth", name),
        latitude=_float(element, "lat", name),
        longitude=_float(element, "lon", name),
        time=time,
        timezone=zone,
        description=(element.get("event_description") or "").strip(),
        process_timestamp=root.get("process_timestamp", ""),
        event_type=root.get("shakemap_event_type", "ACTUAL"),
    )


def _event_time(raw: str, name: str) -> tuple[datetime, str]:
    match = _TIMESTAMP.match(raw)
    if not match:
        raise ShakeGridError(f"{name}: event_timestamp {raw[:40]!r} is not YYYY-MM-DDTHH:MM:SS<zone>")
    zone = ZONE_SUFFIXES.get(match.group(2).upper(), "UTC")
    naive = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    return naive.replace(tzinfo=ZoneInfo(zone)), zone


def _grid_table(text: str, nfields: int, spec: GridSpec, name: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(text, dtype=np.float64, sep=" ")
        except (ValueError, DeprecationWarning):
            raise ShakeGridError(f"{name}: grid_data holds a value that is not a number") from None
    expected = spec.nlon * spec.nlat * nfields
    if values.size != expected:
        rows = values.size / nfields
        raise ShakeGridError(
            f"{name}: grid_data has {rows:g} rows of {nfields} fields, "
            f"expected nlon*nlat = {spec.nlon}*{spec.nlat} = {spec.nlon * spec.nlat} (truncated upload?)"
        )
    if not np.isfinite(values).all():
        raise ShakeGridError(f"{name}: grid_data holds NaN or infinite values")
    return values.reshape(-1, nfields)


def _check_lattice(lon: np.ndarray, lat: np.ndarray, spec: GridSpec, name: str) -> None:
    """Rows must run west to east, north to south, on the declared lattice."""
    lon2 = lon.reshape(spec.shape)
    lat2 = lat.reshape(spec.shape)
    expected_lon = spec.lon_min + spec.dx * np.arange(spec.nlon)
    expected_lat = spec.lat_max - spec.dy * np.arange(spec.nlat)
    if np.abs(lon2[0] - expected_lon).max() > spec.dx / 2 or np.abs(lat2[:, 0] - expected_lat).max() > spec.dy / 2:
        raise ShakeGridError(f"{name}: grid_data nodes do not follow grid_specification (row order or extent)")
