"""Synthetic BMKG-style ShakeMaps for drills, demos and tests.

A scenario grid is written in the exact 8-field layout BMKG publishes, so the
whole pipeline (reader, impact, report) runs on it unchanged. The module is
pure: the caller passes the event time; no clock, environment or network.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import numpy as np
from pyproj import Geod

from realtime.event_folder import write_atomic

WIB = ZoneInfo("Asia/Jakarta")
_GEOD = Geod(ellps="WGS84")
_MAX_NODES = 10_000_000  # the grid reader refuses anything larger

# Allen, Wald & Worden (2012), "Intensity attenuation for active crustal
# regions", J. Seismology 16:409-433, the hypocentral-distance IPE.
_AWW12 = {"c0": 2.085, "c1": 1.428, "c2": -1.402, "c3": 0.078, "m1": -0.209, "m2": 2.042}

# Worden, Gerstenberger, Rhoades & Wald (2012), BSSA 102(1):204-221 GMICE:
# MMI = c1 + c2*log10(Y) for log10(Y) <= t1, else c3 + c4*log10(Y);
# Y is PGA in cm/s^2 or PGV in cm/s. Coefficients as in USGS shakelib WGRW12.
_WGRW12 = {
    "PGA": {"c1": 1.78, "c2": 1.55, "c3": -1.60, "c4": 3.70, "t1": 1.57},
    "PGV": {"c1": 3.78, "c2": 1.47, "c3": 2.89, "c4": 3.16, "t1": 0.53},
}
_CM_S2_TO_PCT_G = 100.0 / 981.0  # ShakeMap takes g as 981 cm/s^2

_HEADER = """<?xml version="1.0" encoding="US-ASCII" standalone="yes"?>
<shakemap_grid xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xmlns="http://inatews.bmkg.go.id/shakemap" \
xsi:schemaLocation="http://inatews.bmkg.go.id http://inatews.bmkg.go.id/shakemap/xml/schemas/shakemap.xsd" \
event_id="{shake_id}" shakemap_id="{shake_id}" shakemap_version="1" code_version="3.5" \
process_timestamp="{processed}" shakemap_originator="us" map_status="RELEASED" shakemap_event_type="SCENARIO">
<event magnitude="{magnitude:.1f}" depth="{depth:g}" lat="{lat:.6f}" lon="{lon:.6f}" \
event_timestamp="{local}WIB" event_network="" event_description={description} />
<grid_specification lon_min="{lon_min:.6f}" lat_min="{lat_min:.6f}" lon_max="{lon_max:.6f}" \
lat_max="{lat_max:.6f}" nominal_lon_spacing="{dx:.6f}" nominal_lat_spacing="{dy:.6f}" nlon="{nlon}" nlat="{nlat}" />
<grid_field index="1" name="LON" units="dd" />
<grid_field index="2" name="LAT" units="dd" />
<grid_field index="3" name="PGA" units="pctg" />
<grid_field index="4" name="PGV" units="cms" />
<grid_field index="5" name="MMI" units="intensity" />
<grid_field index="6" name="STDPGA" units="pctg" />
<grid_field index="7" name="URAT" units="" />
<grid_field index="8" name="SVEL" units="ms" />
<grid_data>
"""
_FOOTER = b"\n</grid_data>\n</shakemap_grid>\n"
_CONSTANT_TAIL = b" 0.5 1 600"  # STDPGA, URAT, SVEL as in BMKG grids without site data


def intensity_aww12(magnitude: float, hypocentral_km: np.ndarray | float) -> np.ndarray:
    """MMI predicted by Allen, Wald & Worden (2012), clipped to the display range 1..10."""
    c = _AWW12
    r = np.asarray(hypocentral_km, dtype=np.float64)
    r_m = c["m1"] + c["m2"] * np.exp(magnitude - 5.0)
    mmi = c["c0"] + c["c1"] * magnitude + c["c2"] * np.log(np.sqrt(r**2 + r_m**2))
    mmi = mmi + c["c3"] * np.log(np.maximum(r, 50.0) / 50.0)  # the far-field term is zero within 50 km
    return np.clip(mmi, 1.0, 10.0)


def ground_motion_wgrw12(mmi: np.ndarray, imt: str) -> np.ndarray:
    """PGA (%g) or PGV (cm/s) for an MMI by inverting the Worden et al. (2012) GMICE."""
    c = _WGRW12[imt]
    mmi = np.asarray(mmi, dtype=np.float64)
    lower = (mmi - c["c1"]) / c["c2"]
    log_y = np.where(lower <= c["t1"], lower, (mmi - c["c3"]) / c["c4"])
    y = 10.0**log_y
    return y * _CM_S2_TO_PCT_G if imt == "PGA" else y


def shake_id_of(time: datetime) -> str:
    """BMKG names an event by its origin time in WIB, to the second."""
    if time.tzinfo is None or time.utcoffset() is None:
        raise ValueError("scenario time must be timezone-aware")
    return time.astimezone(WIB).strftime("%Y%m%d%H%M%S")


def scenario_grid(
    magnitude: float,
    depth_km: float,
    lat: float,
    lon: float,
    time: datetime,
    description: str = "",
    spacing: float = 0.025,
    half_width: float = 2.0,
) -> tuple[str, bytes]:
    """(shake_id, grid.xml bytes) of a point-source scenario centred on the epicentre."""
    shake_id = shake_id_of(time)
    if not all(map(math.isfinite, (magnitude, depth_km, lat, lon, spacing, half_width))):
        raise ValueError("scenario parameters must be finite numbers")
    if not (spacing > 0 and half_width > 0 and depth_km >= 0):
        raise ValueError("spacing and half_width must be positive and depth_km not negative")
    if abs(lat) + half_width > 90:
        raise ValueError("scenario grid would cross a pole")
    n = round(2 * half_width / spacing) + 1
    if n < 2 or n * n > _MAX_NODES:
        raise ValueError(f"{n}x{n} nodes: the grid reader accepts 2x2 up to {_MAX_NODES} nodes")
    lons = np.linspace(lon - half_width, lon + half_width, n)
    lats = np.linspace(lat + half_width, lat - half_width, n)  # row 0 is the north edge
    # Geodesic distance only depends on |lon - epicentre|: compute the west half and mirror it.
    west = (n + 1) // 2
    lon2, lat2 = np.meshgrid(lons[:west], lats)
    _, _, metres = _GEOD.inv(np.full(lon2.size, lon), np.full(lat2.size, lat), lon2.ravel(), lat2.ravel())
    metres = metres.reshape(n, west)
    metres = np.hstack([metres, metres[:, : n - west][:, ::-1]]).ravel()
    mmi = intensity_aww12(magnitude, np.hypot(metres / 1000.0, depth_km))

    rows = np.tile(_decimal_text(lons, 4, sep=""), n)
    for column in (
        np.repeat(_decimal_text(lats, 4), n),
        _decimal_text(ground_motion_wgrw12(mmi, "PGA"), 2),
        _decimal_text(ground_motion_wgrw12(mmi, "PGV"), 2),
        _decimal_text(mmi, 2),
    ):
        rows = np.strings.add(rows, column)
    rows = np.strings.add(rows, _CONSTANT_TAIL)

    header = _HEADER.format(
        shake_id=shake_id,
        # No clock in a pure module: the scenario counts as processed at its origin time.
        processed=time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        magnitude=magnitude,
        depth=depth_km,
        lat=lat,
        lon=lon,
        local=time.astimezone(WIB).strftime("%Y-%m-%dT%H:%M:%S"),
        description=quoteattr(description),
        lon_min=lons[0],
        lat_min=lats[-1],
        lon_max=lons[-1],
        lat_max=lats[0],
        dx=lons[1] - lons[0],
        dy=lats[0] - lats[1],
        nlon=n,
        nlat=n,
    )
    data = b"\n".join(rows.tolist())
    return shake_id, header.encode("ascii", errors="xmlcharrefreplace") + data + _FOOTER


def write_scenario(out_dir: Path, *args, **kwargs) -> Path:
    """Write ``out_dir/<shake_id>/grid.xml`` atomically (arguments as `scenario_grid`), so a watcher never sees half a grid."""
    shake_id, data = scenario_grid(*args, **kwargs)
    target = Path(out_dir) / shake_id / "grid.xml"
    write_atomic(target, data)
    return target


def _decimal_text(values: np.ndarray, decimals: int, sep: str = " ") -> np.ndarray:
    """ASCII fixed-point fields (``sep`` first), formatting each distinct value once: fast on 1M nodes."""
    scale = 10**decimals
    units, inverse = np.unique(np.rint(np.asarray(values) * scale).astype(np.int64), return_inverse=True)
    # Formatting whole units avoids "-0.0000" and binary round-off in the last digit.
    texts = [f"{sep}{'-' if u < 0 else ''}{abs(u) // scale}.{abs(u) % scale:0{decimals}d}" for u in units.tolist()]
    return np.array(texts, dtype=np.bytes_)[inverse.reshape(-1)]
