"""Flood state 4 ("high", over 150 cm): 5 % of its people displaced (flood.md 2, the 4.x value map).

The fixture snapshot has states 1 to 3 only. Here the three RWs of Ancol, the village with the most people
affected, are raised to state 4, and the real `realtime flood process` runs on the result, with
INASAFE_LOCALE=id: English is made all the same. The expected numbers come from exactextract straight on
the population raster, for the polygons of the built snapshot.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from exactextract import exact_extract

from conftest import FLOOD_SNAPSHOT, run_cli

FLOOD_ID = "2017022105-6-rw"
HIGH_VILLAGE = "ANCOL"
RATES = {2: 0.01, 3: 0.03, 4: 0.05}  # flood.md: low, medium, high; use caution (1) displaces no one


@pytest.fixture(scope="module")
def high(fixtures, jakarta_data, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("flood-high")
    collection = json.loads(FLOOD_SNAPSHOT.read_text())
    raised = [f for f in collection["features"] if f["properties"]["parent_name"] == HIGH_VILLAGE]
    assert len(raised) == 3 and {f["properties"]["state"] for f in raised} == {2}
    for feature in raised:
        feature["properties"]["state"] = 4
    snapshot = root / "high.json"
    snapshot.write_text(json.dumps(collection))
    result = run_cli("flood", "process", "--source", "file", "--file", str(snapshot), "--flood-id", FLOOD_ID,
                     "--analysis-data", str(jakarta_data), "--output", str(root / "extracted"),
                     env={"INASAFE_LOCALE": "id", "FLOODMAPS_DIR": str(root / "floodmaps"), "COLUMNS": "200"})
    assert result.returncode == 0, result.stdout + result.stderr
    people = exact_extract(str(jakarta_data / "exposure" / "population.tif"), gpd.read_file(snapshot), "sum",
                           include_cols=["area_id", "state"], output="pandas")
    folder = root / "extracted" / FLOOD_ID
    return {"result": result, "folder": folder, "people": people,
            "impact": json.loads((folder / "impact.json").read_text())}


def test_state_4_displaces_five_percent_of_its_people(high):
    people, impact = high["people"], high["impact"]
    by_state = people.groupby("state")["sum"].sum()
    ancol = by_state[4]
    assert ancol > 10_000  # a real number of people to take 5 % of
    classes = {row["key"]: row for row in impact["classes"]}
    assert (classes["high"]["state"], classes["high"]["rw_count"]) == (4, 3)
    assert classes["high"]["affected"] == pytest.approx(ancol, rel=1e-9)
    assert classes["high"]["displaced"] == pytest.approx(0.05 * ancol, rel=1e-9)
    expected = sum(rate * by_state[state] for state, rate in RATES.items())
    assert impact["summary"]["displaced"] == pytest.approx(expected, rel=1e-9)
    assert impact["needs"]["displaced"] == round(expected)
    [village] = [v for v in impact["villages"] if v["name"] == HIGH_VILLAGE]
    assert (village["worst_state"], village["flooded_rw"]) == (4, 3)
    assert village["displaced"] == pytest.approx(0.05 * ancol, rel=1e-9)

    layer = json.loads((high["folder"] / impact["products"]["impact"]).read_text())
    expected_by_area = dict(zip(people["area_id"], people["sum"]))
    areas = [f["properties"] for f in layer["features"] if f["properties"]["state"] == 4]
    assert len(areas) == 3
    for area in areas:  # each RW of the class on its own
        assert area["class"] == "high"
        assert area["displaced"] == pytest.approx(0.05 * expected_by_area[area["area_id"]], rel=1e-9)

    row = re.search(r"│ high +│ +(\d+) │ +([\d,]+) │ +([\d,]+) │", high["result"].stdout)
    assert row, high["result"].stdout
    assert row.groups() == ("3", f"{ancol:,.0f}", f"{0.05 * ancol:,.0f}")  # what the duty officer reads


def test_english_is_made_when_inasafe_locale_is_id_only(high):
    folder, reports = high["folder"], high["impact"]["products"]["reports"]
    assert sorted(reports) == ["en", "id"]
    for language in ("en", "id"):
        for name in reports[language].values():
            assert (folder / name).stat().st_size > 0
        assert (folder / reports[language]["pdf"]).read_bytes()[:5] == b"%PDF-"
