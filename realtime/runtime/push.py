"""What is sent to the web app for each hazard: the event, its products and its reports.

The record's `impact` (the whole impact.json) is written last: the web app
holds a version only once its products and every report are in, so a push
cut short is never taken for a delivered one (see `outbox.web_holds`).
An earthquake's grid.xml goes with its layers, so readers can download the
very grid the estimate was computed from.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from realtime.earthquake.grid import ShakeGridError, read_grid_bytes
from realtime.event_folder import IMPACT_JSON
from realtime.runtime.rest import PushError, RealtimeRest

log = logging.getLogger(__name__)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _zip(folder: Path, names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            if (folder / name).exists():
                archive.write(folder / name, arcname=name)
    return buffer.getvalue()


def _files(folder: Path, names: dict[str, str]) -> dict:
    return {field: (name, (folder / name).read_bytes()) for field, name in names.items()}


def source_grid(document: dict) -> bytes | None:
    """The grid.xml these products were computed from: the file impact.json names as its input (a legacy
    .out.zip gives its grid.xml member), only if its bytes still hash to the recorded sha256. A grid replaced
    since is another version, processed and pushed on its own; one gone is not sent (the rest still is)."""
    source = document.get("input") or {}
    path, sha256 = source.get("file"), source.get("sha256")
    if not path or not sha256:
        return None
    try:
        data = read_grid_bytes(path)
    except ShakeGridError as exc:
        log.warning("grid.xml not pushed: %s", exc)
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        log.warning("grid.xml not pushed: %s changed since these products were made from it", path)
        return None
    return data


def push_earthquake(client: RealtimeRest, folder: Path) -> None:
    document = _read_json(folder / IMPACT_JSON)
    shake_id, source_type = document["shake_id"], document["source_type"]
    event = document["event"]
    payload = {
        "shake_id": shake_id,
        "source_type": source_type,
        "magnitude": event["magnitude"],
        "time": event["time"],
        "depth": event["depth_km"],
        "location": {"type": "Point", "coordinates": [event["longitude"], event["latitude"]]},
        "location_description": event["description"],
        "felt": False,
    }
    detail = f"earthquake/{shake_id}/{source_type}/"
    client.upsert(detail, "earthquake/", json=payload)
    products = [name for key, name in document["products"].items() if key != "reports"]
    files = {"mmi_output": (f"{shake_id}-mmi-output.zip", _zip(folder, [IMPACT_JSON, *products]))}
    if (grid := source_grid(document)) is not None:
        files["shake_grid"] = (f"{shake_id}-grid.xml", grid)  # the web app names it <shake_id>-<source_type>-grid.xml
    client.call("PUT", detail, files=files)
    for language, names in document["products"].get("reports", {}).items():
        files = _files(folder, {"report_pdf": names["pdf"], "report_image": names["png"], "report_thumbnail": names["thumbnail"]})
        client.upsert(f"earthquake-report/{shake_id}/{source_type}/{language}/",
                      f"earthquake-report/{shake_id}/{source_type}/", data={"language": language}, files=files)
    client.call("PUT", detail, json={"impact": document})  # last: the version is there only when all of it is
    try:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        client.call("POST", "indicator/notify_shakemap_push/", data={"timestamp": stamp})
    except PushError as exc:  # the indicator is a courtesy; the event itself is delivered
        log.warning("push indicator not updated: %s", exc)


def push_flood(client: RealtimeRest, folder: Path) -> None:
    document = _read_json(folder / IMPACT_JSON)
    flood_id = document["flood_id"]
    data = {
        "event_id": flood_id,
        "time": document["time"],
        "interval": document["duration_hours"],
        "data_source": document["source"]["name"],
        "source": document["source"]["schema"],
        "region": "Jakarta",
    }
    files = {
        "hazard_layer": (f"{flood_id}-flood_data.json", (folder / document["products"]["hazard"]).read_bytes()),
        "impact_layer": (f"{flood_id}-impact.zip", _zip(folder, [document["products"]["impact"], IMPACT_JSON])),
    }
    client.upsert(f"flood/{flood_id}/", "flood/", data=data, files=files)
    for language, names in document["products"].get("reports", {}).items():
        client.upsert(f"flood-report/{flood_id}/{language}/", f"flood-report/{flood_id}/",
                      data={"language": language}, files=_files(folder, {"impact_map": names["pdf"]}))
    client.call("PUT", f"flood/{flood_id}/", data={"event_id": flood_id, "impact": json.dumps(document)})  # last


def ash_record_path(document: dict) -> str:
    """`ash/<volcano>/<event time %Y%m%d%H%M%S%z>/`, as InaSAFE Django named an ash event: the volcano as in the
    ash id ('_' for spaces), the time in the offset the event was given in."""
    moment = datetime.fromisoformat(document["event"]["time"])
    return f"ash/{document['ash_id'].split('_', 1)[1]}/{moment:%Y%m%d%H%M%S%z}/"


def push_ash(client: RealtimeRest, folder: Path) -> None:
    document = _read_json(folder / IMPACT_JSON)
    ash_id, event, products = document["ash_id"], document["event"], document["products"]
    detail = ash_record_path(document)
    data = {
        "ash_id": ash_id,
        "volcano_name": document["volcano"]["name"],
        "event_time": event["time"],
        "event_time_zone_string": event.get("timezone") or "",
        "alert_level": event["alert_level"],
        "eruption_height": event["eruption_height_m"],
        "forecast_duration": event["forecast_duration_days"],
        "hazard_path": str(folder / products["hazard"]),
        "task_status": "SUCCESS",  # as InaSAFE Django's handle_hazard_process recorded a processed upload
    }
    files = {"hazard_file": (f"{ash_id}-{products['hazard']}", (folder / products["hazard"]).read_bytes())}
    client.upsert(detail, "ash/", data=data, files=files)
    reports = detail.replace("ash/", "ash-report/", 1)
    for language, names in products.get("reports", {}).items():
        files = _files(folder, {"report_map": names["pdf"], "report_image": names["png"], "report_thumbnail": names["thumbnail"]})
        client.upsert(f"{reports}{language}/", reports, data={"language": language}, files=files)
    client.call("PUT", detail, json={"impact": document})  # last: the version is there only when all of it is
