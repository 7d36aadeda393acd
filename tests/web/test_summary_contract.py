"""Contract (issue 16): the feeds, CAP, emails and webhooks read impact.json as strictly as the pages do.

events.summary reads through events.impact_read. The real products of the shared fixtures (tests/conftest.py) are
told in full; the same product with one key renamed (as a processor/web mismatch would leave it) is never told
with a blank alert, range or count: a feed or the CAP index leaves that version out, its CAP file is a 500
naming the key, an email or webhook planned for it is given up with the key on the Delivery, and planning it
tells nobody. Each case logs exactly one ERROR line naming the event and the key. The expected words are worked
out here from the document itself.
"""

from __future__ import annotations

import copy
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from events import dispatch
from events.models import Ash, Delivery, Earthquake, Flood, Subscriber, Webhook, mark_published
from impact_documents import renamed
from test_email_notifications import inbox, smtp_port  # noqa: F401 (fixtures: a real SMTP server)
from test_pages import media  # noqa: F401 (media is a fixture)
from test_webhooks import SECRET, Receiver

pytestmark = pytest.mark.django_db
SITE = "http://localhost:8000"
# A key each channel tells, renamed as a processor speaking another schema would leave it.
RENAMED = {"earthquake": ("fatalities.alert", "level"), "flood": ("summary.flooded_rw", "rw_flooded"),
           "ash": ("summary.affected", "people")}


def add_version(hazard: str, document: dict, hours_ago: float, label: str = "good"):
    """A published version of the hazard holding this impact.json, hours ago (inside every feed's window)."""
    moment = (timezone.now() - timedelta(hours=hours_ago)).replace(minute=0, second=0, microsecond=0)
    published = timezone.now() - timedelta(minutes=hours_ago)
    if hazard == "earthquake":
        return Earthquake.objects.create(
            shake_id=moment.strftime("%Y%m%d%H%M%S"), source_type="initial", magnitude=5.0, depth=202.0,
            longitude=124.42, latitude=1.34, time=moment, location_description=f"{label} quake",
            impact=document, published_at=published)
    if hazard == "flood":
        return Flood.objects.create(event_id=f"{moment:%Y%m%d%H}-6-rw", time=moment, interval=6, impact=document,
                                    published_at=published)
    local = moment.astimezone(timezone.get_fixed_timezone(7 * 60))
    return Ash.objects.create(ash_id=f"{local:%Y%m%d%H%M%z}_Merapi", volcano_name="Merapi", event_time=local,
                              alert_level="siaga", impact=document, published_at=published)


def event_id(row) -> str:
    return {Earthquake: lambda r: r.shake_id, Flood: lambda r: r.event_id, Ash: lambda r: r.ash_id}[type(row)](row)


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR" and r.name.startswith("events.")]


@pytest.fixture
def real(quake_initial, flood_products, ash_products) -> dict[str, dict]:
    """The processor's impact.json of each shared fixture (tests/conftest.py), by hazard."""
    return {"earthquake": quake_initial.impact, "flood": flood_products.impact, "ash": ash_products.impact}


def told(hazard: str, document: dict) -> list[str]:
    """What the Atom entry of the real product must say, worked out from its impact.json."""
    if hazard == "earthquake":
        fatalities = document["fatalities"]
        return [f"– {fatalities['alert'].upper()}", f"Estimated fatalities: {fatalities['range']}."]
    if hazard == "flood":
        summary = document["summary"]
        return [f"– {summary['flooded_rw']} RW flooded – {round(summary['affected']):,} affected",
                f"RWs to watch: {summary['caution_rw']}."]
    people = document["summary"]["affected"]  # rounded up as the report rounds: to 10, 100 or 1,000
    step = 10 if people < 1000 else 100 if people < 100000 else 1000
    return [f"– {-(-people // step) * step:,.0f} people in ash fall – SIAGA"]


FEEDS = [("earthquake", "/realtime/feeds/earthquakes.atom"), ("earthquake", "/realtime/feeds/earthquakes.geojson"),
         ("earthquake", "/realtime/feeds/cap.atom"), ("flood", "/realtime/feeds/floods.atom"),
         ("flood", "/realtime/feeds/cap.atom"), ("ash", "/realtime/feeds/ash.atom"), ("ash", "/realtime/feeds/cap.atom")]


@pytest.mark.parametrize("hazard, url", FEEDS, ids=[f"{h}-{u.rsplit('/', 1)[1]}" for h, u in FEEDS])
def test_a_feed_tells_the_real_product_and_leaves_out_one_it_cannot_read(client, media, real, caplog, hazard, url):
    good = add_version(hazard, real[hazard], 2)
    path, new = RENAMED[hazard]
    bad = add_version(hazard, renamed(real[hazard], path, new), 5, "bad")
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert event_id(good) in content
    assert event_id(bad) not in content and "bad quake" not in content  # left out, never told with blanks
    if url.endswith(("earthquakes.atom", "floods.atom", "ash.atom")):
        for words in told(hazard, real[hazard]):
            assert words in content, (words, content)
    [line] = errors(caplog)
    assert event_id(bad) in line and f"impact.json lacks '{path}'" in line


@pytest.mark.parametrize("hazard", RENAMED)
def test_a_cap_file_it_cannot_read_is_a_500_naming_the_key(client, media, real, caplog, hazard):
    good = add_version(hazard, real[hazard], 2)
    prefix = {"earthquake": "eq", "flood": "flood", "ash": "ash"}[hazard]
    suffix = "-initial" if hazard == "earthquake" else ""
    assert client.get(f"/realtime/cap/inasafe-realtime-{prefix}-{event_id(good)}{suffix}.xml").status_code == 200
    path, new = RENAMED[hazard]
    bad = add_version(hazard, renamed(real[hazard], path, new), 5, "bad")
    caplog.clear()
    response = client.get(f"/realtime/cap/inasafe-realtime-{prefix}-{event_id(bad)}{suffix}.xml")
    assert response.status_code == 500
    assert f"impact.json lacks '{path}'" in response.content.decode()
    [line] = errors(caplog)
    assert event_id(bad) in line and path in line


@pytest.fixture
def channels(inbox, tmp_path):
    """A real SMTP server and a real webhook receiver, a subscriber and a webhook for both hazards."""
    Subscriber.objects.create(email="duty@example.org", token="d" * 40, confirmed_at=timezone.now(), floods=True)
    with Receiver(SECRET) as receiver:
        Webhook.objects.create(url=receiver.url, secret=SECRET, floods=True)
        yield inbox, receiver


@pytest.mark.parametrize("hazard", ["earthquake", "flood"])
def test_no_email_or_webhook_for_a_version_it_cannot_read_and_the_delivery_says_why(real, channels, caplog, hazard):
    """Planned while readable, then the stored impact.json lost a key: both deliveries are given up naming it,
    nothing reaches the SMTP server or the receiver; a version unreadable from the start is planned for nobody."""
    inbox, receiver = channels
    version = add_version(hazard, real[hazard], 1)
    planned = dispatch.plan(hazard, version.pk)
    assert len(planned) == 2
    path, new = RENAMED[hazard]
    type(version).objects.filter(pk=version.pk).update(impact=renamed(real[hazard], path, new))
    for delivery_id in planned:
        dispatch.attempt(delivery_id)
    for delivery in Delivery.objects.filter(pk__in=planned):
        assert delivery.status == "gave_up", (delivery.channel, delivery.last_error)
        assert f"impact.json lacks '{path}'" in delivery.last_error
    assert inbox.messages == [] and receiver.calls == []
    assert len([line for line in errors(caplog) if path in line]) == 2  # one per attempt, naming the key

    caplog.clear()
    fresh = add_version(hazard, renamed(real[hazard], path, new), 3, "bad")
    type(fresh).objects.filter(pk=fresh.pk).update(published_at=None)
    fresh.refresh_from_db()
    assert mark_published(fresh)
    assert dispatch.plan(hazard, fresh.pk) == []
    [line] = errors(caplog)
    assert event_id(fresh) in line and path in line


def test_a_value_at_or_just_above_a_class_edge_is_told_in_its_class(client, media, quake_initial):
    """The report shows 9.54 as "X 9.54", never "X 9.5" (ca7e739): class k covers (k - 0.5, k + 0.5]. The web
    shows no MMI value, only the class, so it cannot say "X 9.5"; it must name the class the value is in: X for
    a place at 9.54, IX for one at exactly 9.5 and for a max MMI of 9.5, on the page and in the feeds."""
    document = copy.deepcopy(quake_initial.impact)
    document["grid"]["max_mmi"] = 9.5
    place = document["places"][0]
    document["places"] = [place | {"name": "Above", "mmi": 9.54}, place | {"name": "Edge", "mmi": 9.5}]
    event = add_version("earthquake", document, 2)
    assert "Max MMI: IX." in client.get("/realtime/feeds/earthquakes.atom").content.decode()
    html = client.get(f"/realtime/earthquake/{event.shake_id}/initial/").content.decode()
    rows = {re.search(r"<td>(\w+)</td>", row)[1]: re.findall(r'class="mmi mmi-bg-(\w+)', row)
            for row in re.findall(r"<tr>.*?</tr>", html, re.S) if "<td>Above</td>" in row or "<td>Edge</td>" in row}
    assert rows == {"Above": ["X"], "Edge": ["IX"]}
    assert re.search(r'Max MMI</dt><dd><span class="mmi mmi-bg-IX', html)
