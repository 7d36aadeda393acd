"""Contract (issue 16): the REST API refuses, at push time, an impact.json the web app cannot read.

The processor pushes a version's record first, then its layers and reports, then its impact.json (last: it
publishes the version; realtime/runtime/push.py). The API checks that document with the reader the pages, feeds,
CAP and notifications use (events.impact_read): a key renamed by a processor the web app does not match is an
HTTP 400 whose body names the key, the record stays unpublished, and the processor's outbox marks the push dead
with that body, which `realtime status` shows. A record without an impact yet ({} or null) is still taken.
"""

from __future__ import annotations

import copy
import json

import pytest
import requests

from events.models import Ash, Earthquake, Flood
from impact_documents import renamed
from servers import web_app
from test_push import enqueue, outbox, status
from test_summary_contract import real  # noqa: F401 (a fixture: the real products' impact.json)
from tests.web.test_api import API, FLOOD_ID, SHAKE_ID, pusher, quake  # noqa: F401 (pusher is a fixture)
from tests.web.test_ash_api import DETAIL as ASH_DETAIL, event as ash_event, volcanoes  # noqa: F401 (a fixture)
from realtime.runtime.outbox import deliver_pending
from realtime.runtime.rest import RealtimeRest

USER = ("test@realtime.inasafe.org", "t3st-pass")
# A key each hazard's pages and channels read, renamed as a processor speaking another schema would leave it.
CASES = [("earthquake", "exposure.VII", "7"), ("earthquake", "fatalities.alert", "level"),
         ("earthquake", "places", "cities"), ("flood", "summary.flooded_rw", "rw_flooded"),
         ("flood", "needs", "minimum_needs"), ("ash", "summary.affected", "people"), ("ash", "classes", "levels")]


def create(pusher, hazard: str, **impact) -> tuple[str, object]:
    """POST the record as the processor does first (no impact, or the one given); its detail URL and model."""
    if hazard == "earthquake":
        created = pusher.post(f"{API}earthquake/", quake(**impact), format="json")
        detail, model = f"{API}earthquake/{SHAKE_ID}/initial/", Earthquake
    elif hazard == "flood":
        created = pusher.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z", **impact},
                              format="json")
        detail, model = f"{API}flood/{FLOOD_ID}/", Flood
    else:
        created = pusher.post(f"{API}ash/", ash_event(**impact), format="json")
        detail, model = ASH_DETAIL, Ash
    assert created.status_code == 201, created.json()
    return detail, model


def put_impact(pusher, hazard: str, detail: str, document):
    body = {"impact": document} | ({"event_id": FLOOD_ID} if hazard == "flood" else {})
    return pusher.put(detail, body, format="json")


@pytest.mark.parametrize("hazard, path, new", CASES, ids=[f"{h}-{p}" for h, p, _ in CASES])
def test_a_push_with_a_renamed_key_is_a_400_naming_it_and_publishes_nothing(pusher, volcanoes, real,
                                                                             hazard, path, new):
    detail, model = create(pusher, hazard)
    answer = put_impact(pusher, hazard, detail, renamed(real[hazard], path, new))
    assert answer.status_code == 400
    [message] = answer.json()["impact"]
    assert f"impact.json lacks '{path}'" in message
    row = model.objects.get()
    assert row.impact is None and row.published_at is None  # nothing stored, nothing told
    # the processor's own document goes through and publishes the version
    accepted = put_impact(pusher, hazard, detail, real[hazard])
    assert accepted.status_code == 200, accepted.json()
    row.refresh_from_db()
    assert row.impact == real[hazard] and row.published_at is not None


@pytest.mark.parametrize("hazard", ["earthquake", "flood", "ash"])
def test_a_mistyped_value_is_a_400_naming_its_key(pusher, volcanoes, real, hazard):
    path = {"earthquake": ("grid", "max_mmi"), "flood": ("summary", "affected"), "ash": ("summary", "displaced")}
    parent, key = path[hazard]
    document = copy.deepcopy(real[hazard])
    document[parent][key] = "lots"
    detail, _model = create(pusher, hazard)
    answer = put_impact(pusher, hazard, detail, document)
    assert answer.status_code == 400
    assert f"'{parent}.{key}' is not a non-negative number" in json.dumps(answer.json())


@pytest.mark.parametrize("hazard", ["earthquake", "flood", "ash"])
@pytest.mark.parametrize("empty", [{}, None], ids=["empty", "null"])
def test_a_record_before_its_impact_is_still_taken(pusher, volcanoes, hazard, empty):
    """The processor's first POST carries no impact; a record with {} or null is created, not published."""
    detail, model = create(pusher, hazard, impact=empty)
    assert put_impact(pusher, hazard, detail, empty).status_code == 200
    row = model.objects.get()
    assert row.impact == empty and row.published_at is None


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with web_app(tmp_path_factory.mktemp("web"), user=USER) as base:
        yield base


def test_the_processors_push_of_a_renamed_key_is_dead_with_the_web_apps_words(web, quake_initial, tmp_path):
    """The real product with a key renamed, pushed by the processor's own outbox to the web app under gunicorn:
    dead after one attempt with the 400's body naming the key; `realtime status` shows it; nothing published."""
    def rename(document: dict) -> None:
        document["fatalities"]["level"] = document["fatalities"].pop("alert")

    ledger, _key, _folder = enqueue(tmp_path, quake_initial.folder, edit=rename)
    assert deliver_pending(ledger, RealtimeRest(f"{web}/realtime/api/v1/", *USER, timeout=30)) == (0, 0)
    [row] = outbox(tmp_path)
    assert row["state"] == "dead" and row["attempts"] == 1
    assert "HTTP 400" in row["last_error"] and "impact.json lacks 'fatalities.alert'" in row["last_error"]
    shown = status(tmp_path)
    assert "1 dead" in shown and "fatalities.alert" in shown
    record = requests.get(f"{web}/realtime/api/v1/earthquake/{SHAKE_ID}/initial/", timeout=30).json()
    assert record["impact"] is None and len(record["reports"]) == 2  # the rest arrived; the version is unpublished
