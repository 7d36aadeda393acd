"""The earthquake list for a duty officer: filters in the URL, one row per event, local and UTC times, and the
stable links to the newest report. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.utils import timezone

from events.local_time import zone_at
from servers import WEB, ensure_web_catalog
from test_pages import add_earthquake, add_report, media, shake_impact, text_of  # noqa: F401 (media is a fixture)

ensure_web_catalog()

UTC = dt_timezone.utc


def rows_of(response) -> list[str]:
    """The shake ids of the rows, top to bottom (each row's first detail link)."""
    html = response.content.decode()
    body = html[html.index("<tbody>"):html.index("</tbody>")] if "<tbody>" in html else ""
    found = []
    for row in body.split("<tr>")[1:]:
        found.append(re.search(r'href="/realtime/earthquake/([^/]+)/', row).group(1))
    return found


def quake(shake_id: str, magnitude: float, age: timedelta, alert: str | None, felt: bool = False,
          strongest: str = "II", **fields):
    """An event whose analysis puts people at MMI II up to `strongest` (III and up counts as felt)."""
    impact = shake_impact(alert) if alert else None
    if impact:
        romans = ("II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
        shaken = romans[:romans.index(strongest) + 1]
        impact["exposure"] = {roman: (1000.0 if roman in shaken else 0.0) for roman in romans}
    return add_earthquake(shake_id=shake_id, magnitude=magnitude, time=timezone.now() - age, impact=impact,
                          felt=felt, **fields)


@pytest.fixture
def five_events(db):
    """A: M 5.6 two days ago, orange, people at MMI II only; B: M 4.2 three hours ago, green, marked felt;
    C: M 6.1 twenty days ago, red, people at MMI VI (felt by the analysis); D: M 5.2 a hundred days ago, yellow;
    E: M 3.0 ten days ago, no impact yet."""
    quake("20200101000001", 5.6, timedelta(days=2), "orange")
    quake("20200101000002", 4.2, timedelta(hours=3), "green", felt=True)
    quake("20200101000003", 6.1, timedelta(days=20), "red", strongest="VI")
    quake("20200101000004", 5.2, timedelta(days=100), "yellow")
    quake("20200101000005", 3.0, timedelta(days=10), None)


A, B, C, D, E = (f"2020010100000{k}" for k in range(1, 6))


@pytest.mark.parametrize("query, expected", [
    ("", [B, A, E, C, D]),                           # everything, newest first
    ("?min_magnitude=5&days=7", [A]),               # "Recent large": M >= 5 in the last 7 days
    ("?felt=1", [B, C]),                            # "Felt": B by BMKG's flag, C by people at MMI >= III
    ("?min_alert=orange", [A, C]),                  # orange and red; E (no estimate) is below every level
    ("?min_alert=green", [B, A, C, D]),
    ("?days=1", [B]),                               # the last 24 hours
    ("?days=30", [B, A, E, C]),
    ("?min_magnitude=5", [A, C, D]),
    ("?min_magnitude=5.6", [A, C]),                 # "at least" includes 5.6 itself
    ("?min_alert=yellow&days=30", [A, C]),
    ("?felt=1&min_alert=red", [C]),
    ("?felt=0", [B, A, E, C, D]),                   # 0 is "no filter", not "not felt"
    ("?min_magnitude=&days=&min_alert=&felt=", [B, A, E, C, D]),  # an empty form is no filter
])
def test_filters(client, media, five_events, query, expected):
    response = client.get(f"/realtime/{query}")
    assert response.status_code == 200
    assert rows_of(response) == expected


@pytest.mark.django_db
def test_felt_means_at_least_one_person_at_mmi_iii(client, media):
    quake("20200101000001", 4.0, timedelta(days=1), "green", strongest="III")  # 1,000 people at III: felt
    sparse = quake("20200101000002", 4.0, timedelta(days=2), "green", strongest="III")
    sparse.impact["exposure"]["III"] = 0.9  # under one person: not felt
    sparse.save()
    quake("20200101000003", 4.0, timedelta(days=3), "green")  # II only: not felt
    assert rows_of(client.get("/realtime/?felt=1")) == ["20200101000001"]
    html = client.get("/realtime/").content.decode()
    assert 'title="BMKG marks it felt, or the analysis puts people at MMI III or more"' in html


def test_shortcuts_link_their_filters_and_show_which_is_on(client, media, five_events):
    html = client.get("/realtime/").content.decode()
    assert 'href="?min_magnitude=5&amp;days=7"' in html and "Recent large (M ≥ 5, last 7 days)" in html
    assert 'href="?felt=1"' in html
    current = re.findall(r'<a href="([^"]*)"[^>]* class="current"', client.get("/realtime/?felt=1").content.decode())
    assert current == ["?felt=1"]
    current = re.findall(r'<a href="([^"]*)"[^>]* class="current"',
                         client.get("/realtime/?days=7&min_magnitude=5").content.decode())
    assert current == ["?min_magnitude=5&amp;days=7"]  # the same filter, whatever the parameters' order


def test_the_form_shows_the_filter_of_the_url(client, media, five_events):
    html = client.get("/realtime/?min_magnitude=4.5&days=3&min_alert=yellow&felt=1").content.decode()
    assert 'name="min_magnitude" min="0" max="10" step="0.1" inputmode="decimal" value="4.5"' in html
    assert '<option value="3" selected>Last 3 days</option>' in html  # a period not in the menu is added
    assert '<option value="yellow" selected>Yellow</option>' in html
    assert 'name="felt" value="1" checked' in html
    assert "No earthquakes match this filter." in text_of(client.get("/realtime/?min_magnitude=9"))


@pytest.mark.django_db
def test_pagination_keeps_the_filter(client, media):
    start = timezone.now() - timedelta(days=6)
    for k in range(51):  # 51 events of M 5.0 in the last 6 days, and 5 small ones in between
        add_earthquake(shake_id=f"2020020100{k:04d}", magnitude=5.0, time=start + timedelta(minutes=k))
    for k in range(5):
        add_earthquake(shake_id=f"2020020200{k:04d}", magnitude=4.0, time=start + timedelta(minutes=k, seconds=30))
    first = client.get("/realtime/?min_magnitude=5&days=7")
    assert len(rows_of(first)) == 50 and "Page 1 of 2" in text_of(first)
    assert 'href="?min_magnitude=5&amp;days=7&amp;page=2" rel="next"' in first.content.decode()
    second = client.get("/realtime/?min_magnitude=5&days=7&page=2")
    assert rows_of(second) == ["2020020100" + "0000"]  # the oldest M 5; no M 4 crept in
    assert 'href="?min_magnitude=5&amp;days=7&amp;page=1" rel="prev"' in second.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query, message", [
    ("?min_magnitude=abc", "Magnitude: “abc” is not a number from 0 to 10."),
    ("?min_magnitude=11", "Magnitude: “11” is not a number from 0 to 10."),
    ("?min_magnitude=nan", "Magnitude: “nan” is not a number from 0 to 10."),
    ("?days=0", "Period: “0” is not a number of days above 0."),
    ("?days=-7", "Period: “-7” is not a number of days above 0."),
    ("?days=inf", "Period: “inf” is not a number of days above 0."),
    ("?days=99999999999", "Period: “99999999999” is not a number of days above 0."),
    ("?min_alert=purple", "Alert level: “purple” is not green, yellow, orange or red."),
    ("?felt=maybe", "Felt: “maybe” is not 1 or 0."),
])
def test_bad_values_are_a_clear_400(client, media, query, message):
    add_earthquake()
    response = client.get(f"/realtime/{query}")
    assert response.status_code == 400
    text = text_of(response)
    assert "This filter cannot be applied:" in text and message in text
    assert rows_of(response) == []  # no list that looks filtered but is not


@pytest.mark.django_db
def test_bad_values_are_escaped_listed_together_and_translated(client, media):
    response = client.get("/realtime/?min_alert=<b>x&min_magnitude=abc")
    html, text = response.content.decode(), text_of(response)
    assert "<b>x" not in html and "&lt;b&gt;x" in html
    assert "Magnitude: “abc”" in text and "Alert level: “&lt;b&gt;x”" in text
    indonesian = text_of(client.get("/realtime/?days=0", HTTP_ACCEPT_LANGUAGE="id"))
    assert "Saringan ini tidak dapat diterapkan:" in indonesian
    assert "Periode: “0” bukan jumlah hari di atas 0." in indonesian


@pytest.mark.django_db
def test_initial_and_corrected_are_one_row_newest_first(client, media):
    initial = add_earthquake(impact=shake_impact("orange", "100 - 1000"))
    add_earthquake(shake_id="20180220162928_50_01400_124450_20180220162928", source_type="corrected",
                   magnitude=5.1, impact=shake_impact("yellow", "1 - 100"))
    add_earthquake(shake_id="20190101000000", time=datetime(2019, 1, 1, tzinfo=UTC), magnitude=4.0)
    response = client.get("/realtime/")
    # Two events, two rows: the 2019 one, then the 2018 one shown by its corrected version.
    assert rows_of(response) == ["20190101000000", "20180220162928_50_01400_124450_20180220162928"]
    html = response.content.decode()
    row = html[html.index("<tbody>"):].split("<tr>")[2]
    assert 'class="alert alert-yellow">Yellow<' in row and "1 - 100" in row  # the corrected version's numbers
    initial_link = '<a class="sub other-version" href="/realtime/earthquake/20180220163351/initial/">'
    assert initial_link + 'initial report: <span class="nowrap">M 5.0</span></a>' in row
    # Filters read the version the row shows: the corrected one is yellow, so "orange and up" drops the event.
    assert rows_of(client.get("/realtime/?min_alert=orange")) == []
    assert rows_of(client.get("/realtime/?min_alert=yellow")) == ["20180220162928_50_01400_124450_20180220162928"]
    initial.refresh_from_db()
    assert initial.has_corrected


@pytest.mark.django_db
def test_a_second_correction_becomes_the_row_and_both_earlier_versions_stay_linked(client, media):
    add_earthquake(magnitude=5.0)
    add_earthquake(shake_id="20180220162928_50_01400_124450_20180220162928", source_type="corrected", magnitude=5.1)
    add_earthquake(shake_id="20180220162928_52_01400_124450_20180220170000", source_type="corrected", magnitude=5.2)
    response = client.get("/realtime/")
    assert rows_of(response) == ["20180220162928_52_01400_124450_20180220170000"]
    text = text_of(response)
    assert text.index("earlier correction: M 5.1") < text.index("initial report: M 5.0")


@pytest.mark.django_db
def test_times_local_to_the_epicentre_and_utc_with_when_processed(client, media):
    # 09:29:28 UTC. Padang (100.35 E) is WIB, UTC+7: 16:29. Manado's sea (124.42 E) is WITA, UTC+8: 17:29.
    # Jayapura (140.7 E) is WIT, UTC+9: 18:29.
    origin = datetime(2018, 2, 20, 9, 29, 28, tzinfo=UTC)
    add_earthquake(shake_id="20180220162928", time=origin, longitude=100.35, latitude=-0.95,
                   published_at=datetime(2018, 2, 20, 9, 36, tzinfo=UTC))
    add_earthquake(shake_id="20180220162929", time=origin + timedelta(seconds=1), longitude=124.42)
    add_earthquake(shake_id="20180220162930", time=origin + timedelta(seconds=2), longitude=140.7,
                   impact={**shake_impact(), "generated_at": "2018-02-20T09:41:00+00:00"})
    html = client.get("/realtime/").content.decode()
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
             for cell in re.findall(r'<td data-label="Time" class="when">(.*?)</td>', html, flags=re.S)]
    assert cells == [
        # published_at missing: impact.generated_at, 09:41 UTC = 18:41 WIT
        "20 Feb 2018 18:29 WIT 20 Feb 2018 09:29 UTC processed 20 Feb 2018 18:41 WIT",
        "20 Feb 2018 17:29 WITA 20 Feb 2018 09:29 UTC not processed yet",
        "20 Feb 2018 16:29 WIB 20 Feb 2018 09:29 UTC processed 20 Feb 2018 16:36 WIB",  # published 09:36 UTC
    ]
    assert '<time datetime="2018-02-20T18:29:30+09:00">' in html


@pytest.mark.django_db
def test_local_date_across_midnight_in_indonesian(client, media):
    # 31 Dec 2018 20:00 UTC off Ambon (128.2 E, WIT, UTC+9) is 1 Jan 2019 05:00 there.
    add_earthquake(shake_id="20190101050000", time=datetime(2018, 12, 31, 20, 0, tzinfo=UTC), longitude=128.2)
    text = text_of(client.get("/realtime/", HTTP_ACCEPT_LANGUAGE="id"))
    assert "1 Jan 2019 05:00 WIT 31 Des 2018 20:00 UTC belum diproses" in text


@pytest.mark.parametrize("longitude, zone", [
    (95.3, "WIB"),      # Banda Aceh
    (114.39, "WIB"),    # Ketapang, Banyuwangi (Java's ferry port)
    (114.4, "WITA"),    # the Bali Strait boundary itself
    (114.43, "WITA"),   # Gilimanuk, Bali
    (114.59, "WITA"),   # Banjarmasin
    (119.4, "WITA"),    # Makassar
    (125.19, "WITA"),   # Bitung
    (125.89, "WITA"),
    (125.9, "WIT"),     # the boundary
    (125.97, "WIT"),    # Sanana, Sula islands (North Maluku)
    (127.38, "WIT"),    # Ternate
    (140.7, "WIT"),     # Jayapura
    (None, "WIB"), ("x", "WIB"), (float("nan"), "WIB"),  # unknown: BMKG's own zone
])
def test_zone_rule(longitude, zone):
    assert zone_at(longitude).abbreviation == zone


def test_zone_offsets():
    moment = datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
    assert [moment.astimezone(zone_at(lon).zone).utcoffset() for lon in (100, 120, 135)] == [
        timedelta(hours=7), timedelta(hours=8), timedelta(hours=9)]


@pytest.mark.django_db
def test_long_shake_ids_may_wrap(client, media):
    long_id = "20180220162928_999_-123456_-1234567_20180220162928"
    assert len(long_id) == 50
    add_earthquake(shake_id=long_id, source_type="corrected")
    add_earthquake(shake_id="20190101000000", time=datetime(2019, 1, 1, tzinfo=UTC), location_description="")
    html = client.get("/realtime/").content.decode()
    assert f'<span class="sub shake-id"><code>{long_id}</code></span>' in html  # under its place name
    # Without a place name the id is the link's text, not repeated below it.
    assert 'href="/realtime/earthquake/20190101000000/initial/">20190101000000</a>' in html
    assert html.count("20190101000000</") == 1
    css = (WEB / "events" / "static" / "events" / "site.css").read_text()
    rule = re.search(r"\n([^{}\n]*\.shake-id code[^{}]*)\{([^}]*)\}", css)
    assert rule and "overflow-wrap: anywhere" in rule.group(2) and "td.location a" in rule.group(1)


# Stable links: /realtime/latest/earthquake/<lang>.pdf|.png


@pytest.mark.django_db
def test_latest_redirects_to_the_newest_published_version_and_is_never_cached(client, media):
    published = datetime(2018, 2, 20, 10, 0, tzinfo=UTC)
    older = add_earthquake(shake_id="20170101000000", time=datetime(2017, 1, 1, tzinfo=UTC), published_at=published)
    initial = add_earthquake(published_at=published)
    corrected = add_earthquake(shake_id="20180220162928_50_01400_124450_20180220162928", source_type="corrected",
                               published_at=published + timedelta(minutes=30))
    unpublished = add_earthquake(shake_id="20190101000000", time=datetime(2019, 1, 1, tzinfo=UTC), impact=None)
    for event in (older, initial, corrected, unpublished):
        add_report(event, "en")
    add_report(older, "id")  # the only Indonesian report is the 2017 event's
    response = client.get("/realtime/latest/earthquake/en.pdf")
    # Newest origin time among published versions is 2018-02-20; of its two versions, the corrected one.
    assert response.status_code == 302
    assert response["Location"] == corrected.reports.get(language="en").report_pdf.url
    cache = response["Cache-Control"]
    assert "no-cache" in cache and "no-store" in cache and "max-age=0" in cache
    png = client.get("/realtime/latest/earthquake/en.png")
    assert png.status_code == 302 and png["Location"] == corrected.reports.get(language="en").report_image.url
    assert png["Location"].endswith(".png")
    indonesian = client.get("/realtime/latest/earthquake/id.pdf")
    assert indonesian["Location"] == older.reports.get(language="id").report_pdf.url
    html = client.get("/realtime/").content.decode()
    assert 'href="/realtime/latest/earthquake/en.pdf"' in html and 'href="/realtime/latest/earthquake/id.png"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path, message", [
    ("fr.pdf", "No such language “fr”: use en or id."),
    ("EN.png", "No such language “EN”: use en or id."),
    ("english.pdf", "No such language “english”: use en or id."),
    ("en.pdf", "No earthquake report has been published in this language yet."),
])
def test_latest_404_says_why(client, media, path, message):
    event = add_earthquake(impact=None)  # not published: never the "latest"
    add_report(event, "en")
    response = client.get(f"/realtime/latest/earthquake/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == message + "\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_latest_other_kinds_are_not_routes(client):
    assert client.get("/realtime/latest/earthquake/en.jpg").status_code == 404
    assert client.get("/realtime/latest/earthquake/.pdf").status_code == 404
