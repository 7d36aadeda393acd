"""How much a flood snapshot may hold: far above real PetaBencana data, so hostile input is refused early.

Measured on real data: the PetaBencana fixture petabencana-2017022105.json has
161 RW areas, 8,644 vertices, at most 627 in one area, 315 KB; every RW of
Jakarta (rw_jakarta.shp, 2,685 areas) has 113,143 vertices, at most 560 in one.
The caps bound the work before any geometry is built: parsing, checking and
analysing a snapshot at the caps takes seconds, not minutes.
"""

from __future__ import annotations

MAX_SNAPSHOT_BYTES = 100 * 1024 * 1024
MAX_AREAS = 10_000  # 3.7 x every RW in Jakarta
MAX_AREA_VERTICES = 20_000  # 30 x the largest RW
MAX_VERTICES = 500_000  # 4.4 x every RW in Jakarta, 58 x the fixture
# JSON arrays, objects and commas a snapshot within the caps can hold (a vertex is one array and two
# commas; a feature with its properties, far fewer than 100). Counted on the bytes before parsing, it
# bounds the memory json.loads may take: 100 MB of "0," would be 50 million Python objects.
MAX_JSON_VALUES = 3 * MAX_VERTICES + 100 * MAX_AREAS
MAX_TEXT = 255  # characters: the web app's CharField(max_length=255) (services/web/events/models.py)
MAX_INTEGER_DIGITS = 20  # integer ids: an old PetaJakarta pkey (3173080005004000) has 16 digits
MAX_SELF_CROSSINGS = 100  # a ring crossing itself more often is refused, not repaired (repair is quadratic)
# PetaBencana.id maps Indonesian cities only: Indonesia (lon 95-141, lat -11-6) with a margin.
INDONESIA = (94.0, -12.0, 142.0, 7.0)  # lon min, lat min, lon max, lat max
MAX_AREA_SPAN_DEGREES = 1.0  # about 110 km: all of Jakarta spans 0.3 degrees, one RW or subdistrict far less
