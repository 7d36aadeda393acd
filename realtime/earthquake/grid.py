"""Read BMKG/USGS ShakeMap 3.5 ``grid.xml`` files into a value object.

Every grid arrives from outside, so the reader treats it as hostile: entity
declarations and external references are refused by defusedxml, sizes are
bounded, and any inconsistency raises one ``ShakeGridError`` naming the file.
"""

from __future__ import annotations

import hashlib
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

from realtime.ids import SOURCE_TYPES, is_shake_id, source_type_of

MAX_GRID_BYTES = 256 * 1024 * 1024  # a ShakeMap v4 grid at its 500k-node cap is ~24 MB
# Everything before <grid_data> is a few hundred bytes in real grids (1.4 kB with 11 fields): a header
# larger than this hides an oversized attribute, refused before the XML parser builds it.
MAX_HEADER_BYTES = 64 * 1024
# Text fields are cut to what the web app stores (Earthquake.location_description is 255 characters).
MAX_DESCRIPTION_CHARS = 255
MAX_TOKEN_CHARS = 64  # process_timestamp, shakemap_event_type: short machine tokens

# Plausible ranges; a value outside fails the event with the file, the field and the value.
MAGNITUDE_RANGE = (0.0, 10.0)
DEPTH_RANGE_KM = (0.0, 800.0)
LATITUDE_RANGE = (-90.0, 90.0)
LONGITUDE_RANGE = (-180.0, 180.0)
MMI_RANGE = (1.0, 12.0)  # the scale runs from I to XII
MMI_TOLERANCE = 0.05  # rounding at the ends of the scale: within it a value is clipped, beyond it refused
YEAR_RANGE = (1900, 2100)

# BMKG writes local time with an Indonesian zone suffix.
ZONE_SUFFIXES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_TIMESTAMP = re.compile(r"\s*([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\s*([A-Za-z]*)\s*")


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
    sha256: str = ""  # of the exact bytes parsed: the version these values come from

    @property
    def mmi(self) -> np.ndarray:
        return self.fields["MMI"]

    def field(self, name: str) -> np.ndarray:
        try:
            return self.fields[name.upper()]
        except KeyError:
            raise KeyError(f"{self.source}: no grid field {name!r}; have {sorted(self.fields)}") from None


def read_shake_grid(path: str | Path, source_type: str | None = None, expected_id: str | None = None) -> ShakeGrid:
    """Read a grid.xml, or the grid.xml inside a legacy ``<id>.out.zip``.

    `expected_id` is the event folder's name: a grid naming another event is refused.
    """
    return parse_shake_grid(read_grid_bytes(path), name=str(path), source_type=source_type, expected_id=expected_id)


def read_grid_bytes(path: str | Path) -> bytes:
    """The grid's bytes, read once, so that what is hashed is exactly what is parsed."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".zip":
            return _grid_bytes_from_zip(path)
        with path.open("rb") as stream:
            data = stream.read(MAX_GRID_BYTES + 1)
    except OSError as exc:
        raise ShakeGridError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_GRID_BYTES:
        raise ShakeGridError(f"{path}: file is larger than {MAX_GRID_BYTES} bytes")
    return data


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


def parse_shake_grid(data: bytes, name: str = "<grid.xml>", source_type: str | None = None,
                     expected_id: str | None = None) -> ShakeGrid:
    """Parse grid.xml bytes; ``name`` is only used in error messages."""
    header = data.find(b"<grid_data")
    if header > MAX_HEADER_BYTES or (header < 0 and len(data) > MAX_HEADER_BYTES):
        size = header if header >= 0 else len(data)
        raise ShakeGridError(f"{name}: header before <grid_data> is {size} bytes, more than {MAX_HEADER_BYTES} "
                             "(an oversized attribute?)")
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise ShakeGridError(f"{name}: refused unsafe XML ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        raise ShakeGridError(f"{name}: not well-formed XML ({exc})") from exc
    if _local(root.tag) != "shakemap_grid":
        raise ShakeGridError(f"{name}: root element is <{_local(root.tag)}>, expected <shakemap_grid>")
    children = {}
    field_elements = []
    for child in root:
        tag = _local(child.tag)
        if tag == "grid_field":
            field_elements.append(child)
        else:
            children.setdefault(tag, child)
    for needed in ("event", "grid_specification", "grid_data"):
        if needed not in children:
            raise ShakeGridError(f"{name}: missing <{needed}> element")
    grid_fields = _grid_fields(field_elements, name)

    spec = _grid_spec(children["grid_specification"], name)
    event = _event(root, children["event"], name, source_type, expected_id)
    table = _grid_table(children["grid_data"].text or "", len(grid_fields), spec, name)
    _check_lattice(table[:, grid_fields["LON"]], table[:, grid_fields["LAT"]], spec, name)
    fields = {
        field_name: np.ascontiguousarray(table[:, index].reshape(spec.nlat, spec.nlon))
        for field_name, index in grid_fields.items()
        if field_name not in ("LON", "LAT")
    }
    fields["MMI"] = _plausible_mmi(fields["MMI"], name)
    return ShakeGrid(event=event, spec=spec, fields=fields, source=name, sha256=hashlib.sha256(data).hexdigest())


def _grid_fields(elements: list, name: str) -> dict[str, int]:
    """Field name -> column; indices must be 1..n, each used once, and LON, LAT and MMI present."""
    columns: dict[str, int] = {}
    for element in elements:
        index = _int(element, "index", name)
        if not 1 <= index <= len(elements) or index - 1 in columns.values():
            raise ShakeGridError(f"{name}: grid_field index={index} is out of 1..{len(elements)} or repeated")
        columns[_token(element, "name", name).upper()] = index - 1
    for needed in ("LON", "LAT", "MMI"):
        if needed not in columns:
            raise ShakeGridError(f"{name}: missing grid_field {needed}")
    return columns


def _plausible_mmi(mmi: np.ndarray, name: str) -> np.ndarray:
    """MMI on the I..XII scale; rounding just past either end is clipped, anything further refused."""
    low, high = MMI_RANGE
    lowest, highest = float(mmi.min()), float(mmi.max())
    for value in (lowest, highest):
        if not low - MMI_TOLERANCE <= value <= high + MMI_TOLERANCE:
            raise ShakeGridError(f"{name}: grid_data MMI={value:g} is outside {low:g}..{high:g}")
    if lowest < low or highest > high:
        return np.clip(mmi, low, high)
    return mmi


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _token(element, attribute: str, name: str, default: str = "") -> str:
    raw = element.get(attribute, default)
    if len(raw) > MAX_TOKEN_CHARS or not raw.isascii() or not raw.isprintable():
        raise ShakeGridError(f"{name}: <{_local(element.tag)}> {attribute}={raw[:40]!r} is not a short ASCII token")
    return raw


def _ranged(element, attribute: str, name: str, bounds: tuple[float, float]) -> float:
    value = _float(element, attribute, name)
    if not bounds[0] <= value <= bounds[1]:
        raise ShakeGridError(f"{name}: <{_local(element.tag)}> {attribute}={value:g} is outside {bounds[0]:g}..{bounds[1]:g}")
    return value


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
        lon_min=_ranged(element, "lon_min", name, LONGITUDE_RANGE),
        lat_min=_ranged(element, "lat_min", name, LATITUDE_RANGE),
        lon_max=_ranged(element, "lon_max", name, LONGITUDE_RANGE),
        lat_max=_ranged(element, "lat_max", name, LATITUDE_RANGE),
        nlon=_int(element, "nlon", name),
        nlat=_int(element, "nlat", name),
    )
    if spec.nlon < 2 or spec.nlat < 2 or spec.nlon * spec.nlat > 10_000_000:
        raise ShakeGridError(f"{name}: implausible grid size nlon={spec.nlon} nlat={spec.nlat}")
    if not (spec.lon_min < spec.lon_max and spec.lat_min < spec.lat_max):
        raise ShakeGridError(f"{name}: grid_specification bounds are empty or inverted")
    return spec


def _event(root, element, name: str, source_type: str | None, expected_id: str | None) -> ShakeEvent:
    shake_id = _shake_id(root, name, expected_id)
    if source_type is None:
        source_type = source_type_of(shake_id)
    if source_type not in SOURCE_TYPES:
        raise ShakeGridError(f"{name}: source type {source_type!r} is not one of {SOURCE_TYPES}")
    time, zone = _event_time(element.get("event_timestamp", ""), name)
    return ShakeEvent(
        shake_id=shake_id,
        source_type=source_type,
        magnitude=_ranged(element, "magnitude", name, MAGNITUDE_RANGE),
        depth_km=_ranged(element, "depth", name, DEPTH_RANGE_KM),
        latitude=_ranged(element, "lat", name, LATITUDE_RANGE),
        longitude=_ranged(element, "lon", name, LONGITUDE_RANGE),
        time=time,
        timezone=zone,
        description=(element.get("event_description") or "").strip()[:MAX_DESCRIPTION_CHARS].strip(),
        process_timestamp=_token(root, "process_timestamp", name),
        event_type=_token(root, "shakemap_event_type", name, "ACTUAL"),
    )


def _shake_id(root, name: str, expected_id: str | None) -> str:
    """The event's id; event_id and shakemap_id must agree, with each other and with the event folder."""
    event_id, shakemap_id = root.get("event_id"), root.get("shakemap_id")
    shake_id = event_id or shakemap_id or ""
    if not is_shake_id(shake_id):
        raise ShakeGridError(f"{name}: event_id {shake_id[:60]!r} is not a valid BMKG shake id")
    for attribute, value in (("shakemap_id", shakemap_id), ("event_id", event_id)):
        if value is not None and value != shake_id:
            raise ShakeGridError(f"{name}: {attribute} {value[:60]!r} disagrees with event_id {shake_id!r}")
    if expected_id is not None and shake_id != expected_id:
        raise ShakeGridError(f"{name}: the grid names event {shake_id} but lies in the folder of event {expected_id}")
    return shake_id


def _event_time(raw: str, name: str) -> tuple[datetime, str]:
    match = _TIMESTAMP.fullmatch(raw)
    if not match:
        raise ShakeGridError(f"{name}: event_timestamp {raw[:40]!r} is not YYYY-MM-DDTHH:MM:SS<zone>")
    zone = ZONE_SUFFIXES.get(match.group(2).upper(), "UTC")
    try:
        naive = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise ShakeGridError(f"{name}: event_timestamp {raw[:40]!r} is not a real date and time") from None
    if not YEAR_RANGE[0] <= naive.year <= YEAR_RANGE[1]:
        raise ShakeGridError(f"{name}: event_timestamp {raw[:40]!r} is outside the years {YEAR_RANGE[0]}..{YEAR_RANGE[1]}")
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
