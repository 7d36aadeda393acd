"""What the PDF reports say equals impact.json, in English and Indonesian (issue 16, "Report content").

The text comes out of the real PDFs with poppler's `pdftotext -layout`; a table row is a line split on runs
of two or more spaces. The expected strings are worked out here from impact.json with the report's documented
rules, restated below and not taken from realtime.reporting:

- people in the exposure, class and village tables and the key figures are rounded UP to a multiple of 10
  below 1,000, of 100 below 100,000, else of 1,000 (InaSAFE's population_rounding; reference earthquake.md
  §3, flood.md §3.6, ash.md "Estimated People Exposed"); under half a person shows 0;
- place populations and needs amounts are exact; distances have no decimals; a place's MMI has one, or two
  where one would show the lower edge of its class (9.54 is X, above 9.5: "X 9.54", not "X 9.5");
- CLDR number symbols (what Babel applies): English groups with "," and marks decimals with ".",
  Indonesian the other way round;
- the words are the Indonesian catalogue's, written out here (reference earthquake.md §2.2 for shaking).

The Minahassa grid is a small deep quake (MMI II-IV, "0 - 100", green); a scenario M7.0 under Yogyakarta
(`realtime shake scenario`) covers the strong classes V-VIII, a red alert and a range with thousands. The
scenario's intensity equation never passes VIII, so a hand-made 2x2 grid (MMI 8 to 11 at its corners) adds the
IX and X rows, "10,000 - 100,000" and places just above a class edge.
"""

from __future__ import annotations

import math
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import run_cli
from hostile_grids import FOLDER_ID, grid_xml
from real_products import Products, process_grid

LANGUAGES = ("en", "id")
ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
NUMBER = re.compile(r"^\d{1,3}(?:[.,]\d{3})*$")
DISTANCE = re.compile(r"^\d+ km \w+$")
# A quake place: name, people, MMI badge and value, distance. The badge is centred in a fixed width, so a
# narrow numeral ("X") stands further from its value than "VIII": spaces between them are not a cell break.
QUAKE_PLACE = re.compile(r"(?:^|\s{2,})(\S+(?: \S+)*)\s{2,}(\d{1,3}(?:[.,]\d{3})*)\s+([IVX]+)\s+(\d+[.,]\d+)\s+(\d+ km \w+)$")

# Words as each report language writes them.
COMPASS = {
    "en": ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"),
    "id": ("U", "UTL", "TL", "TTL", "T", "TTg", "Tg", "STg", "S", "SBD", "BD", "BBD", "B", "BBL", "BL", "UBL"),
}
SHAKING = {  # MMI II..X, reference earthquake.md §2.2
    "en": ("Weak", "Weak", "Light", "Moderate", "Strong", "Very strong", "Severe", "Violent", "Extreme"),
    "id": ("Lemah", "Lemah", "Agak lemah", "Sedang", "Kuat", "Sangat kuat", "Keras", "Sangat keras", "Ekstrem"),
}
DAMAGE = {  # MMI II..X; VI's "Light" damage is "Ringan", not IV's "Light" shaking ("Agak lemah")
    "en": ("None", "None", "None", "Very light", "Light", "Moderate", "Moderate/Heavy", "Heavy", "Very heavy"),
    "id": ("Tidak ada", "Tidak ada", "Tidak ada", "Sangat ringan", "Ringan", "Sedang", "Sedang/Berat", "Berat",
           "Sangat berat"),
}
ALERTS = {"en": {"green": "GREEN", "yellow": "YELLOW", "orange": "ORANGE", "red": "RED"},  # the badge is upper case
          "id": {"green": "HIJAU", "yellow": "KUNING", "orange": "ORANYE", "red": "MERAH"}}
FATALITY_LINE = {"en": "Estimated fatalities: {range} (ITB Bayesian model)",
                 "id": "Perkiraan korban jiwa: {range} (model ITB Bayesian)"}
EXPECTED_VALUE = {"en": "Expected value {n} people, ITB Bayesian model.", "id": "Nilai harapan {n} jiwa, model ITB Bayesian."}
TOTAL = {"en": "Total", "id": "Jumlah"}
FLOOD_STATES = {"en": {"high": "High", "medium": "Medium", "low": "Low", "use_caution": "Use caution"},
                "id": {"high": "Tinggi", "medium": "Sedang", "low": "Rendah", "use_caution": "Waspada"}}
WORST_STATE = {4: "high", 3: "medium", 2: "low", 1: "use_caution"}
NOT_COUNTED = {"en": "not counted", "id": "tidak dihitung"}
NEEDS = {  # BNPB Perka 7/2008 per displaced person (reference flood.md §3.5), with the report's row names
    "rice": (2.8, "weekly", {"en": "Rice (kg)", "id": "Beras (kg)"}),
    "drinking_water": (17.5, "weekly", {"en": "Drinking Water (l)", "id": "Air Minum (l)"}),
    "clean_water": (67, "weekly", {"en": "Clean Water (l)", "id": "Air Bersih (l)"}),
    "family_kits": (0.2, "weekly", {"en": "Family Kits", "id": "Piranti Pokok Keluarga"}),
    "toilets": (0.05, "once", {"en": "Toilets", "id": "Toilet"}),
}
NEEDS_TITLE = {"en": "Minimum needs for {n} displaced people", "id": "Kebutuhan minimum untuk {n} pengungsi"}
FREQUENCY = {"en": {"weekly": "Weekly", "once": "Once"}, "id": {"weekly": "Mingguan", "once": "Sekali"}}
MORE_VILLAGES = {"en": "and {n} more flooded villages", "id": "dan {n} kelurahan tergenang lainnya"}
ASH_ALERT_LINE = {"en": "Siaga (level III, Watch)", "id": "Siaga (level III)"}
ASH_TABLE_PLACES = 6  # the report lists at most six places (generation 1's table)
SCENARIO = ("--magnitude", "7.0", "--lat", "-7.96", "--lon", "110.45", "--depth", "10", "--time", "2006-05-27T05:53:58",
            "--description", "Yogyakarta scenario", "--spacing", "0.05", "--half-width", "1.5")


# ---- expected strings, from the rules in the module docstring ----

def rounded_up(people: float) -> int:
    if people < 0.5:
        return 0
    step = 10 if people < 1_000 else 100 if people < 100_000 else 1_000
    return math.ceil(people / step) * step


def localised(text: str, language: str) -> str:
    """English number text ("1,234.5") in the language's symbols."""
    return text.translate(str.maketrans(",.", ".,")) if language == "id" else text


def whole(n: float, language: str) -> str:
    return localised(f"{round(n):,}", language)


def decimal(x: float, digits: int, language: str) -> str:
    return localised(f"{x:,.{digits}f}", language)


def compass(bearing_deg: float, language: str) -> str:
    return COMPASS[language][round(bearing_deg / 22.5) % 16]


# ---- the PDF's text ----

@lru_cache(maxsize=None)
def pdf_text(pdf: Path) -> str:
    result = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"pdftotext {pdf} failed: {result.stderr}"
    return result.stdout


def rows_of(text: str) -> list[list[str]]:
    """Each line's cells: the text between runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def show(rows: list[list[str]]) -> str:
    return "\n".join("  | ".join(row) for row in rows) or "  (none)"


def find_row(rows: list[list[str]], expected: list[str], what: str) -> list[str]:
    """The line holding `expected` as consecutive cells; else fail showing the lines that hold its first word."""
    for row in rows:
        if any(row[i:i + len(expected)] == expected for i in range(len(row))):
            return row
    word = expected[0].split()[0]
    near = [row for row in rows if any(word in cell for cell in row)]
    pytest.fail(f"{what}: no row {expected}; the lines with {word!r}:\n{show(near)}")


def assert_table(found: list[list[str]], expected: list[list[str]], what: str) -> None:
    """The table's rows, in order, with the first differing row named."""
    for index, (got, want) in enumerate(zip(found, expected)):
        assert got == want, f"{what}, row {index + 1} differs:\n  expected {want}\n  found    {got}"
    assert len(found) == len(expected), f"{what}: {len(found)} rows, expected {len(expected)}:\n{show(found)}"


def flat(text: str) -> str:
    return " ".join(text.split())


# ---- earthquake ----

@pytest.fixture(scope="module")
def quake_big(demo_data, tmp_path_factory) -> Products:
    """A scenario M7.0 under Yogyakarta on the demo population: MMI V-VIII, red, "1000 - 10000"."""
    root = tmp_path_factory.mktemp("quake-big")
    result = run_cli("shake", "scenario", str(root / "grids"), *SCENARIO)
    assert result.returncode == 0, result.stdout + result.stderr
    (grid,) = (root / "grids").glob("*/grid.xml")
    return process_grid(grid, demo_data, root / "out")


@pytest.fixture(scope="module")
def quake_extreme(demo_data, tmp_path_factory) -> Products:
    """A 2x2 grid over Yogyakarta, MMI 8 (NW), 9 (NE), 10 (SW) and 11 (SE) at its corners."""
    grid = tmp_path_factory.mktemp("quake-extreme") / "grids" / FOLDER_ID / "grid.xml"
    grid.parent.mkdir(parents=True)
    grid.write_bytes(grid_xml(magnitude="7.9", lat="-7.75", lon="110.45", description="Extreme test",
                              bounds=("110.2", "-8.0", "110.7", "-7.5"), mmi=("8.0", "9.0", "10.0", "11.0")))
    return process_grid(grid, demo_data, grid.parents[2] / "out")


@pytest.fixture(params=["quake_initial", "quake_big", "quake_extreme"])
def quake(request) -> Products:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("language", LANGUAGES)
def test_quake_exposure_table(quake, language):
    """People per MMI class II-IX (X only when someone felt it), rounded up, with the shaking and damage words."""
    impact = quake.impact
    exposure = impact["exposure"]
    classes = ROMANS[1:9] + (("X",) if exposure["X"] >= 0.5 else ())
    expected = [[roman, whole(rounded_up(exposure[roman]), language), SHAKING[language][ROMANS.index(roman) - 1],
                 DAMAGE[language][ROMANS.index(roman) - 1]] for roman in classes]
    rows = rows_of(pdf_text(quake.report(language)))
    assert_table([row for row in rows if row[0] in ROMANS], expected, f"{quake.event_id} {language} exposure table")
    find_row(rows, [TOTAL[language], whole(rounded_up(impact["exposure_total"]), language)], "exposure total")


@pytest.mark.parametrize("language", LANGUAGES)
def test_quake_places_table(quake, language):
    """Each place with its population, MMI class and value, and distance and direction from the epicentre."""
    def mmi_shown(mmi: float) -> str:  # class k covers (k - 0.5, k + 0.5]
        k = min(10, max(1, math.ceil(mmi - 0.5)))
        return f"{ROMANS[k - 1]} {decimal(mmi, 2 if round(mmi, 1) <= k - 0.5 else 1, language)}"

    places = quake.impact["places"]
    assert places, "the fixture events have places"
    expected = [[p["name"], whole(p["population"], language), mmi_shown(p["mmi"]),
                 f"{decimal(p['distance_km'], 0, language)} km {compass(p['bearing_deg'], language)}"] for p in places]
    matches = (QUAKE_PLACE.search(line.rstrip()) for line in pdf_text(quake.report(language)).splitlines())
    table = [[m[1], m[2], f"{m[3]} {m[4]}", m[5]] for m in matches if m]
    assert_table(table, expected, f"{quake.event_id} {language} places table")


@pytest.mark.parametrize("language", LANGUAGES)
def test_quake_fatalities_and_alert(quake, language):
    """The fatality range (with thousands separators) in the impact line and the panel, the expected value and
    the alert badge; the range and alert are README's rules applied to the expected value."""
    fatalities = quake.impact["fatalities"]
    total = fatalities["total"]
    bounds = [0, 100, 1_000, 10_000, 100_000]
    upper = next((b for b in bounds[1:] if total < b), None)
    assert fatalities["range"] == (f"{bounds[bounds.index(upper) - 1]} - {upper}" if upper else "> 100000")
    assert fatalities["alert"] == ("green" if total < 1 else "yellow" if total < 100 else "orange" if total < 1000
                                   else "red")
    shown_range = " ".join(whole(int(p), language) if p.isdigit() else p for p in fatalities["range"].split(" "))
    text = pdf_text(quake.report(language))
    rows = rows_of(text)
    find_row(rows, [FATALITY_LINE[language].format(range=shown_range)], "impact line")
    find_row(rows, [shown_range], "fatality range in the panel")
    assert EXPECTED_VALUE[language].format(n=whole(total, language)) in flat(text), "expected value sentence"
    badge = {cell for row in rows[:4] for cell in row} & set(ALERTS[language].values())
    assert badge == {ALERTS[language][fatalities["alert"]]}, f"alert badge: {badge}\n{show(rows[:4])}"


def test_the_quakes_cover_what_minahassa_does_not(quake_initial, quake_big, quake_extreme):
    """The other two events are there for strong classes, another alert, ranges in the thousands and MMI values
    just above a class edge."""
    small, big, extreme = quake_initial.impact, quake_big.impact, quake_extreme.impact
    assert (small["fatalities"]["range"], small["fatalities"]["alert"]) == ("0 - 100", "green")
    assert big["fatalities"]["alert"] == "red" and big["fatalities"]["range"] == "1000 - 10000"
    assert all(big["exposure"][roman] > 1_000 for roman in ("V", "VI", "VII", "VIII"))
    assert extreme["fatalities"]["range"] == "10000 - 100000"
    assert all(extreme["exposure"][roman] > 1_000 for roman in ("IX", "X"))
    assert any(9.5 < place["mmi"] < 9.55 for place in extreme["places"]), "a place shown with two decimals"


# ---- flood ----

@pytest.mark.parametrize("language", LANGUAGES)
def test_flood_totals_and_classes(flood_products, language):
    """The key figures, then RWs, affected and displaced per flood state, the total and the caution row."""
    impact = flood_products.impact
    summary = impact["summary"]
    rows = rows_of(pdf_text(flood_products.report(language)))
    find_row(rows, [whole(rounded_up(summary["affected"]), language), whole(rounded_up(summary["displaced"]), language),
                    whole(summary["flooded_rw"], language), whole(summary["flooded_villages"], language)], "key figures")
    names = FLOOD_STATES[language]
    counted = [row for row in impact["classes"] if row["key"] != "use_caution"]
    expected = [[names[row["key"]], whole(row["rw_count"], language), whole(rounded_up(row["affected"]), language),
                 whole(rounded_up(row["displaced"]), language)] for row in counted]
    table = [row for row in rows if len(row) == 4 and row[0] in names.values() and all(NUMBER.match(c) for c in row[1:])]
    assert_table(table, expected, f"flood {language} class table")
    find_row(rows, [TOTAL[language], whole(summary["flooded_rw"], language), whole(rounded_up(summary["affected"]), language),
                    whole(rounded_up(summary["displaced"]), language)], "class table total")
    (caution,) = [row for row in impact["classes"] if row["key"] == "use_caution"]
    find_row(rows, [names["use_caution"], whole(caution["rw_count"], language), NOT_COUNTED[language]], "caution row")


@pytest.mark.parametrize("language", LANGUAGES)
def test_flood_needs(flood_products, language):
    """Minimum needs for the displaced people: each BNPB amount, rounded up, under its frequency heading."""
    needs = flood_products.impact["needs"]
    displaced = needs["displaced"]
    items = {item["key"]: item["amount"] for item in needs["items"]}
    assert set(items) == set(NEEDS)
    rows = rows_of(pdf_text(flood_products.report(language)))
    find_row(rows, [NEEDS_TITLE[language].format(n=whole(displaced, language))], "needs title")
    lines = [" ".join(row) for row in rows]
    for key, (per_person, frequency, names) in NEEDS.items():
        amount = math.ceil(round(displaced * per_person, 6))
        assert items[key] == amount, f"impact.json {key}: {items[key]}, BNPB gives {amount}"
        row = find_row(rows, [names[language], whole(amount, language)], f"need {key}")
        heading = lines.index(FREQUENCY[language][frequency])
        assert heading < lines.index(" ".join(row)), f"{key} is not under {FREQUENCY[language][frequency]!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_flood_villages_table(flood_products, language):
    """The ten most affected villages, in title case with their worst state, then how many more there are."""
    villages = flood_products.impact["villages"]
    names = FLOOD_STATES[language]
    expected = [[v["name"].title(), names[WORST_STATE[v["worst_state"]]], whole(v["flooded_rw"], language),
                 whole(rounded_up(v["affected"]), language), whole(rounded_up(v["displaced"]), language)]
                for v in villages[:10]]
    rows = rows_of(pdf_text(flood_products.report(language)))
    table = [row for row in rows if len(row) == 5 and row[1] in names.values() and all(NUMBER.match(c) for c in row[2:])]
    assert_table(table, expected, f"flood {language} villages table")
    find_row(rows, [MORE_VILLAGES[language].format(n=whole(len(villages) - 10, language))], "more villages")


# ---- ash ----

@pytest.mark.parametrize("language", LANGUAGES)
def test_ash_exposure_by_class(ash_products, language):
    """Key figures, then people per fallout level with its thickness range, and the total; the alert line."""
    impact = ash_products.impact
    rows = rows_of(pdf_text(ash_products.report(language)))
    summary = impact["summary"]
    find_row(rows, [whole(rounded_up(summary["affected"]), language), whole(rounded_up(summary["displaced"]), language),
                    f"{decimal(impact['max_thickness_cm'], 1, language)} cm"], "key figures")

    def thickness(row: dict) -> str:
        low = localised(f"{row['min_cm']:g}", language)
        return f"> {low}" if row["max_cm"] is None else f"{low}–" + localised(f"{row['max_cm']:g}", language)

    labels = [row["label"][language] for row in impact["classes"]]
    expected = [[row["label"][language], whole(rounded_up(impact["exposure"][row["key"]]), language), thickness(row)]
                for row in impact["classes"]]
    table = [[row[0], row[1], row[-1]] for row in rows if len(row) >= 4 and row[0] in labels and NUMBER.match(row[1])]
    assert_table(table, expected, f"ash {language} class table (level, people, thickness)")
    find_row(rows, [TOTAL[language], whole(rounded_up(impact["exposure_total"]), language)], "class table total")
    find_row(rows, [ASH_ALERT_LINE[language]], "alert level line")
    column = impact["event"]["column_height_asl_m"]
    assert column == impact["event"]["eruption_height_m"] + impact["volcano"]["elevation_m"]
    shown = f"{whole(column, language)} m"  # the label and value are one space apart: look in the text
    assert re.search(rf"(?<![\d.,]){re.escape(shown)}\b", flat(pdf_text(ash_products.report(language)))), shown


def ash_place_rows(text: str) -> list[list[str]]:
    """The places table as [name, people, level, distance] rows. An airport has no people (a mark instead), and
    its long name wraps onto the next lines in the same column, hyphenated with U+2010: joined back here."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        row = re.split(r"\s{2,}", line.strip())
        if len(row) < 3 or not DISTANCE.match(row[-1]):
            continue
        if NUMBER.match(row[-3]):
            found.append(row[-4:])
            continue
        name, column = row[-3], line.index(row[-3])
        for follow in lines[index + 1:]:
            part = follow.strip()
            if not part or follow.index(part) != column or re.search(r"\s{2,}", part):  # not the name's column alone
                break
            name = name[:-1] + part if name.endswith("\u2010") else f"{name} {part}"
        found.append([name, "", row[-2], row[-1]])
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_ash_places_table(ash_products, language):
    """The worst-hit towns with population, then at most two airports with their code, each with its fallout
    level and distance and direction from the volcano: six rows in all."""
    impact = ash_products.impact
    levels = {row["key"]: row["label"][language] for row in impact["classes"]}
    airports = impact["airports"][:2]
    towns = impact["places"][:ASH_TABLE_PLACES - len(airports)]
    assert len(airports) == 2 and len(impact["places"]) > len(towns), "Merapi's table holds both, and cuts the towns"

    def where(place: dict) -> str:
        return f"{decimal(place['distance_km'], 0, language)} km {compass(place['bearing_deg'], language)}"

    expected = [[p["name"], whole(p["population"], language), levels[p["class_key"]], where(p)] for p in towns] + [
        [f"{a['name']} ({a['iata']})", "", levels[a["class_key"]], where(a)] for a in airports]
    assert_table(ash_place_rows(pdf_text(ash_products.report(language))), expected, f"ash {language} places table")
