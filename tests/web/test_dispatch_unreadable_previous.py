"""An unreadable earlier version never silences a good one (issue 16 review).

A correction is compared with the quake version told before it, a flood report with the report before it. When
that older impact.json cannot be read (stored before the push checked it, or read by a newer reader), the new,
readable version goes out as a first version would, through the real SMTP server, with one WARNING naming both
versions and the key; the older one keeps its ERROR line. The version being planned, when it is the unreadable
one, is still planned for nobody.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from events import dispatch
from events.models import Delivery, Earthquake, Flood
from impact_documents import flood_document, renamed
from smtp_inbox import subject
from test_email_notifications import deliver, inbox, origin, quake, smtp_port, subscriber  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
QUAKE_KEY, FLOOD_KEY = ("fatalities.alert", "level"), ("summary.flooded_rw", "rw_flooded")


def lines(caplog, level: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == level and r.name.startswith("events.")]


def flood(hours_ago: float, document: dict) -> Flood:
    when = origin(hours_ago)
    return Flood.objects.create(event_id=f"{when:%Y%m%d%H}-6-rw", time=when, interval=6, impact=document,
                                published_at=timezone.now())


def unreadable_quake(when, source_type: str = "initial") -> Earthquake:
    """A published version whose stored impact.json lost the alert key (renamed, as another schema leaves it)."""
    event = quake(source_type, when=when, alert="orange", fatalities="100 - 1,000")
    event.impact = renamed(event.impact, *QUAKE_KEY)
    event.save(update_fields=["impact"])
    return event


def test_an_unreadable_previous_flood_does_not_silence_the_next_good_one(inbox, caplog):
    subscriber("banjir@example.org", "id", earthquakes=False, floods=True)
    old = flood(2, renamed(flood_document(), *FLOOD_KEY))
    good = flood(1, flood_document(12340.0, 2100.0, 158, 3))
    assert len(deliver("flood", good.pk)) == 1
    [message] = inbox.to("banjir@example.org")
    when = good.time  # 158 RW and 12,340 people (Indonesian thousands dot), as the document above says
    assert subject(message) == f"Banjir Jakarta {when:%Y-%m-%d %H:%M} UTC – 158 RW tergenang – 12.340 terdampak"
    [warning] = lines(caplog, "WARNING")
    assert f"flood {good.event_id}" in warning and f"flood {old.event_id}" in warning
    assert f"impact.json lacks '{FLOOD_KEY[0]}'" in warning
    [error] = lines(caplog, "ERROR")  # the old report's own line, from events.summary
    assert old.event_id in error and good.event_id not in error


def test_a_correction_of_an_unreadable_initial_quake_is_told_by_the_rules(inbox, caplog):
    """Orange corrected map after an unreadable initial: told as a first version, to those whose threshold it meets
    (orange >= green, orange < red), as an UPDATE since it is a correction."""
    subscriber("green@example.org", "en")
    subscriber("red@example.org", "en", min_alert="red")
    when = origin()
    initial = unreadable_quake(when)
    correction = quake("corrected", when=when, alert="orange", fatalities="100 - 1,000")
    assert len(deliver("earthquake", correction.pk)) == 1
    [message] = inbox.to("green@example.org")
    assert subject(message) == "UPDATE: ORANGE alert – M 7.6 – 91 km W of Padang"
    assert inbox.to("red@example.org") == []
    [warning] = lines(caplog, "WARNING")
    assert f"earthquake {correction.shake_id}/corrected" in warning
    assert f"earthquake {initial.shake_id}/initial" in warning and f"impact.json lacks '{QUAKE_KEY[0]}'" in warning


@pytest.mark.parametrize("hazard", ["earthquake", "flood"])
def test_the_unreadable_version_itself_is_still_planned_for_nobody(inbox, caplog, hazard):
    """After a readable version, the unreadable one: no delivery, one ERROR line naming it, no WARNING."""
    subscriber("all@example.org", "en", floods=True)
    if hazard == "earthquake":
        when = origin()
        quake(when=when, alert="red", fatalities="1,000 - 10,000")
        bad, key = unreadable_quake(when, "corrected"), QUAKE_KEY[0]
        name = f"earthquake {bad.shake_id}/corrected"
    else:
        flood(2, flood_document(500.0, 50.0, 4, 1))
        bad, key = flood(1, renamed(flood_document(), *FLOOD_KEY)), FLOOD_KEY[0]
        name = f"flood {bad.event_id}"
    caplog.clear()
    assert dispatch.plan(hazard, bad.pk) == []
    assert Delivery.objects.count() == 0 and inbox.messages == []
    [error] = lines(caplog, "ERROR")
    assert name in error and f"impact.json lacks '{key}'" in error
    assert lines(caplog, "WARNING") == []


def test_a_readable_previous_version_still_holds_back_the_same_flooding(inbox, caplog):
    """The rule the fix must keep: the same flooding as a readable report before it tells nobody."""
    subscriber("banjir@example.org", "id", earthquakes=False, floods=True)
    flood(2, flood_document())
    again = flood(1, flood_document())
    assert dispatch.plan("flood", again.pk) == [] and inbox.messages == []
    assert lines(caplog, "WARNING") == [] and lines(caplog, "ERROR") == []
