"""Which Indonesian time zone an epicentre lies in, so a duty officer reads the time people there lived.

BMKG stamps every ShakeMap in WIB (the processor's impact.event.timezone is that stamp's zone, not the
epicentre's), so the zone is chosen here from the epicentre's longitude. Indonesia's three zones follow
province borders; two meridians place every province capital right:

    WIB  (UTC+7, Asia/Jakarta)   west of 114.4° E  Sumatra, Java, West and Central Kalimantan
    WITA (UTC+8, Asia/Makassar)  114.4° E to 125.9° E  Bali (Gilimanuk 114.43), Nusa Tenggara, South, East
                                 and North Kalimantan (Banjarmasin 114.59), Sulawesi (Bitung 125.19)
    WIT  (UTC+9, Asia/Jayapura)  from 125.9° E  Maluku (Sanana 125.97, Ternate 127.38), Papua

Known misses of a meridian rule: eastern Central Kalimantan (114.4–115.8° E, WIB shown as WITA) and the
Talaud islands (about 126.7° E, WITA shown as WIT). Sea epicentres take the zone of their meridian.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

WITA_FROM_LONGITUDE = 114.4  # the Bali Strait: Ketapang (Java, 114.40) WIB, Gilimanuk (Bali, 114.43) WITA
WIT_FROM_LONGITUDE = 125.9  # between Sangihe (Tahuna 125.49, WITA) and the Sula islands (Sanana 125.97, WIT)


@dataclass(frozen=True)
class LocalZone:
    abbreviation: str  # WIB, WITA or WIT: what Indonesians write after a time
    zone: ZoneInfo


WIB = LocalZone("WIB", ZoneInfo("Asia/Jakarta"))
WITA = LocalZone("WITA", ZoneInfo("Asia/Makassar"))
WIT = LocalZone("WIT", ZoneInfo("Asia/Jayapura"))


def zone_at(longitude: float | None) -> LocalZone:
    """The zone of an epicentre by its longitude (WIB when the longitude is unknown, as BMKG writes)."""
    try:
        longitude = float(longitude)
    except (TypeError, ValueError):
        return WIB
    if not -180 <= longitude <= 180:  # also NaN
        return WIB
    if longitude < WITA_FROM_LONGITUDE:
        return WIB
    return WITA if longitude < WIT_FROM_LONGITUDE else WIT


def local(moment: datetime, longitude: float | None) -> tuple[datetime, str]:
    """The moment on the epicentre's clock and that zone's abbreviation."""
    zone = zone_at(longitude)
    return moment.astimezone(zone.zone), zone.abbreviation
