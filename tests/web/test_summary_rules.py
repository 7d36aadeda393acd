"""The one-line story of a version (events.summary) and who hears about it (events.notify_rules)."""

from __future__ import annotations

import os
import subprocess
import sys

from datetime import datetime, timedelta, timezone as dt_timezone
from types import SimpleNamespace

import pytest
from django.utils import timezone

from events.models import Earthquake, Flood, Subscriber, mark_published
from events import dispatch
from events.notify_rules import flood_skip_reason, in_box, quake_skip_reason, wants_quake
from events.summary import flood_summary, quake_summary
from impact_documents import flood_document, quake_document
from servers import WEB

UTC = dt_timezone.utc
pytestmark = pytest.mark.django_db
START = timezone.now().replace(microsecond=0)


def impact(alert="orange", fatalities="100 - 1,000", place="Padang", distance=91.4, direction="W") -> dict:
    """A whole impact.json (tests/web/impact_documents.py) with this alert, range and nearest town."""
    document = quake_document(alert, fatalities, exposure={"VI": 120000.0, "VII": 45000.0, "VIII": 3000.0},
                              grid={"max_mmi": 8.46},
                              location={"place": place, "distance_km": distance, "direction": direction,
                                        "text": f"Located {round(distance or 0)} km {direction} of {place}"})
    document["exposure"]["bogus"] = "x"  # a key the readers do not know is ignored
    document["fatalities"]["total"] = 310.0
    return document


def quake(source_type="initial", minutes_ago=30, **impact_fields) -> Earthquake:
    origin = START - timedelta(minutes=minutes_ago)  # the same for both versions, as the pages pair them
    event = Earthquake.objects.create(
        shake_id="20091001170000", source_type=source_type, magnitude=7.6, depth=81.0, longitude=99.87,
        latitude=-0.72, time=origin, impact=impact(**impact_fields))
    mark_published(event)
    return event


def test_titles_read_like_usgs_in_english_and_bmkg_in_indonesian():
    summary = quake_summary(quake())
    assert summary.title("en") == "M 7.6 – 91 km W of Padang – ORANGE"
    assert summary.title("id") == "M 7.6 – 91 km Barat Padang – ORANYE"
    assert summary.mmi_roman == "VIII"  # 8.46 is in (7.5, 8.5]
    assert {k: v for k, v in summary.exposure.items() if v} == {"VI": 120000.0, "VII": 45000.0, "VIII": 3000.0}
    assert "bogus" not in summary.exposure  # only the MMI classes are read
    assert summary.detail_url == "http://localhost:8000/realtime/earthquake/20091001170000/initial/"


def test_no_nearest_place_falls_back_to_the_events_own_description():
    event = quake()
    del event.impact["location"]  # the processor leaves it out when no town is near enough
    event.location_description = "Southern Sumatra"
    summary = quake_summary(event)
    assert summary.title("en") == "M 7.6 – Southern Sumatra – ORANGE"


def test_published_is_stamped_once():
    event = quake()
    first = event.published_at
    assert first is not None and not mark_published(event)
    assert Earthquake.objects.get(pk=event.pk).published_at == first
    bare = Earthquake.objects.create(shake_id="20091001170001", magnitude=5, depth=10, longitude=100, latitude=0,
                                     time=timezone.now())
    assert not mark_published(bare) and bare.published_at is None  # no impact: not a whole version yet


def test_old_versions_and_unchanged_corrections_are_not_announced():
    initial = quake()
    assert quake_skip_reason(quake_summary(initial)) is None
    same = quake(source_type="corrected")
    assert "same alert level" in quake_skip_reason(quake_summary(same))
    same.impact = impact(alert="red")
    same.save()
    assert quake_skip_reason(quake_summary(same)) is None  # the level changed: tell people
    Earthquake.objects.all().delete()
    assert "older than 8 h" in quake_skip_reason(quake_summary(quake(minutes_ago=8 * 60 + 1)))


def test_thresholds_and_boxes_including_one_across_the_antimeridian():
    summary = quake_summary(quake())  # orange, M 7.6 at 99.87 E, 0.72 S
    base = dict(earthquakes=True, min_alert="green", min_magnitude=0, bbox_west=None, bbox_south=None,
                bbox_east=None, bbox_north=None)
    assert wants_quake(Subscriber(**base), summary)
    assert not wants_quake(Subscriber(**{**base, "min_alert": "red"}), summary)
    assert not wants_quake(Subscriber(**{**base, "min_magnitude": 7.7}), summary)
    assert not wants_quake(Subscriber(**{**base, "earthquakes": False}), summary)
    sumatra = dict(bbox_west=95.0, bbox_south=-6.0, bbox_east=106.0, bbox_north=6.0)
    assert wants_quake(Subscriber(**{**base, **sumatra}), summary)
    assert not wants_quake(Subscriber(**{**base, **sumatra, "bbox_west": 100.0}), summary)
    pacific = SimpleNamespace(bbox_west=170.0, bbox_south=-50.0, bbox_east=-170.0, bbox_north=0.0)
    assert in_box(pacific, 179.5, -10) and in_box(pacific, -179.5, -10) and not in_box(pacific, 0, -10)


def test_flood_summary_counts_flooded_and_caution_rws_apart():
    flood = Flood.objects.create(event_id="2024010112-6-rw", time=datetime(2024, 1, 1, 5, tzinfo=UTC),
                                 boundary_flooded=161,
                                 impact=flood_document(12345.6, 2000, 158, 3, [f"village {n}" for n in range(40)]))
    summary = flood_summary(flood)
    assert (summary.flooded_rw, summary.caution_rw, summary.villages) == (158, 3, 40)
    assert summary.title("en") == "Jakarta flood 2024-01-01 05:00 UTC – 158 RW flooded – 12,346 affected"
    assert summary.title("id") == "Banjir Jakarta 2024-01-01 05:00 UTC – 158 RW tergenang – 12.346 terdampak"


def second_version(shake_id: str, alert: str, fatalities: str, after: Earthquake) -> Earthquake:
    """Another corrected version of the same quake (same origin time), published after `after`."""
    event = Earthquake.objects.create(
        shake_id=shake_id, source_type="corrected", magnitude=7.6, depth=81.0, longitude=99.87, latitude=-0.72,
        time=after.time, impact=impact(alert=alert, fatalities=fatalities))
    mark_published(event)
    Earthquake.objects.filter(pk=event.pk).update(published_at=after.published_at + timedelta(minutes=5))
    event.refresh_from_db()
    return event


def test_a_correction_is_compared_with_what_people_were_last_told_not_with_the_initial_map():
    initial = quake(alert="green", fatalities="0 - 1")
    red = second_version("20091001170000_76_-720_99870_20091001171000", "red", "1,000 - 10,000", initial)
    assert quake_skip_reason(quake_summary(red)) is None  # green -> red: tell people
    back = second_version("20091001170000_76_-720_99870_20091001172000", "green", "0 - 1", red)
    # Same as the initial map, but people were last told RED: they must hear that it is green again.
    assert quake_skip_reason(quake_summary(back)) is None
    again = second_version("20091001170000_76_-720_99870_20091001173000", "green", "0 - 1", back)
    assert "same alert level" in quake_skip_reason(quake_summary(again))


def test_only_the_push_that_stamps_a_version_publishes_it():
    event = quake()
    stale = Earthquake.objects.get(pk=event.pk)
    Earthquake.objects.filter(pk=event.pk).update(published_at=None)
    fresh = Earthquake.objects.get(pk=event.pk)
    stale.published_at = None
    assert mark_published(fresh)
    assert not mark_published(stale)  # raced and lost: it does not publish (nor notify) a second time
    assert stale.published_at == fresh.published_at


def flood_report(event_id: str, hour: int, flooded: int, caution: int, affected: float) -> Flood:
    flood = Flood.objects.create(event_id=event_id, time=START.replace(minute=0, second=0) - timedelta(hours=hour),
                                 impact=flood_document(affected, 0.0, flooded, caution))
    mark_published(flood)
    return flood


def test_hourly_flood_reports_go_out_only_when_there_is_flooding_and_it_changed():
    dry = flood_report("2026112901-1-rw", 3, 0, 0, 0)
    assert flood_skip_reason(flood_summary(dry)) == "no RW flooded or to watch"
    first = flood_report("2026112902-1-rw", 2, 12, 3, 4500)
    assert flood_skip_reason(flood_summary(first)) is None
    same = flood_report("2026112903-1-rw", 1, 12, 3, 4500)
    assert flood_skip_reason(flood_summary(same)) == "the same flooding as the report before it"
    more = flood_report("2026112904-1-rw", 0, 20, 3, 7100)
    assert flood_skip_reason(flood_summary(more)) is None


def test_a_pending_email_to_someone_who_unsubscribed_is_not_sent():
    event = quake()
    subscriber = Subscriber.objects.create(email="gone@example.org", token="t" * 40, confirmed_at=timezone.now())
    planned = dispatch.plan("earthquake", event.pk)
    assert len(planned) == 1
    Subscriber.objects.filter(pk=subscriber.pk).update(unsubscribed_at=timezone.now())
    delivery = dispatch.attempt(planned[0])  # no SMTP server at all: nothing may be tried
    assert delivery.status == "gave_up" and "unsubscribed" in delivery.last_error


def test_planning_again_inserts_nothing():
    event = quake()
    for n in range(3):
        Subscriber.objects.create(email=f"s{n}@example.org", token=f"{n}" * 40, confirmed_at=timezone.now())
    assert len(dispatch.plan("earthquake", event.pk)) == 3
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as queries:
        assert dispatch.plan("earthquake", event.pk) == []
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]


def test_a_control_character_in_a_pushed_place_name_does_not_break_the_feeds(client):
    event = quake(place="Pa\x01dang")
    assert quake_summary(event).title("en") == "M 7.6 – 91 km W of Padang – ORANGE"
    for url in ("/realtime/feeds/earthquakes.atom", "/realtime/feeds/cap.atom",
                f"/realtime/cap/inasafe-realtime-eq-{event.shake_id}-initial.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"\x01" not in response.content


def test_blank_settings_from_compose_fall_back_to_the_defaults():
    script = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'inasafe_web.settings'; django.setup(); "
              "from django.conf import settings as s; print(s.EMAIL_PORT, s.SITE_URL, s.NOTIFY_MAX_AGE_HOURS)")
    env = {**os.environ, "DJANGO_DEBUG": "1", "EMAIL_PORT": "", "REALTIME_SITE_URL": "",
           "REALTIME_NOTIFY_MAX_AGE_HOURS": ""}
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=WEB, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["25", "http://localhost:8000", "8.0"], result.stderr
