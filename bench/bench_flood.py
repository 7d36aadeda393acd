"""Flood analysis time for all of Jakarta, next to a rasterstats zonal sum.

Two snapshots: the real PetaBencana fixture (161 RWs) and a synthetic one with
every RW of the Jakarta boundary file flooded (states 2-4 in turn). The
population is the real Jakarta grid scaled to the 2010 census.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from rasterstats import zonal_stats

from realtime.analysis_data import AnalysisData
from realtime.demo_data import population_from_density
from realtime.flood.impact import analyse_flood
from realtime.flood.snapshot import parse_snapshot

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"


def all_rw_snapshot() -> bytes:
    rw = gpd.read_file(FIXTURES / "boundaries" / "rw_jakarta.shp").to_crs("EPSG:4326")
    rw = rw[rw.geometry.notna() & ~rw.geometry.is_empty]
    frame = gpd.GeoDataFrame({
        "area_id": [str(i) for i in range(len(rw))], "area_name": rw["RW"].fillna("RW ?").to_list(),
        "parent_name": rw["KEL_NAME"].fillna("?").to_list(), "state": [2 + i % 3 for i in range(len(rw))],
    }, geometry=rw.geometry.to_list(), crs="EPSG:4326")
    return frame.to_json().encode()


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "flood")
    args = parser.parse_args()
    data = AnalysisData(args.workdir / "analysis-data")
    if not data.population.exists():
        population_from_density(FIXTURES / "exposure" / "Population_Jakarta_geographic.asc", data.population,
                                9_607_787, "Jakarta grid scaled to the 2010 census")
    cases = {"fixture (161 RWs)": (FIXTURES / "flood" / "petabencana-2017022105.json").read_bytes(), "all RWs": all_rw_snapshot()}
    print(f"{'snapshot':<20}{'areas':>7}{'ours s':>10}{'rasterstats s':>15}{'affected ours':>16}{'rasterstats':>14}{'diff %':>9}")
    for name, raw in cases.items():
        snapshot = parse_snapshot(raw, name)
        ours_time, impact = timed(lambda: analyse_flood(snapshot, "2017022105-6-rw", data, "bench"), args.repeat)
        flooded = [a for a in snapshot.areas if a.state >= 2]
        polygons = [a.geometry for a in flooded]
        theirs_time, stats = timed(lambda: zonal_stats(polygons, str(data.population), stats="sum", nodata=-9999), args.repeat)
        theirs = float(np.nansum([s["sum"] or 0 for s in stats]))
        ours = impact.document["summary"]["affected"]
        print(f"{name:<20}{len(snapshot.areas):>7}{ours_time:>10.3f}{theirs_time:>15.3f}{ours:>16,.0f}{theirs:>14,.0f}"
              f"{100 * (ours - theirs) / theirs:>9.2f}")


if __name__ == "__main__":
    main()
