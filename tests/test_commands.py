"""The commands a duty officer runs, as console commands: config, data init, shake reprocess, flood process.

Each runs the real `realtime` entry point in a subprocess (conftest.run_cli) on folders of its own.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import FLOOD_SNAPSHOT, run_cli
from hostile_floods import VALID_FLOOD_ID, feature, valid_collection
from real_products import FLOOD_ID
from realtime.earthquake.scenario import write_scenario
from realtime.runtime.ledger import EventKey, ledger_at
from realtime.runtime.jobs import BadInput
from realtime.runtime.shake_job import handle_shake
from realtime.settings import Settings

WIDE = {"COLUMNS": "250"}  # rich tables and one-line errors unwrapped


def one_line(text: str) -> str:
    """What a terminal shows, without the line breaks and table borders a narrow one adds."""
    return re.sub(r"[\s│┃]+", " ", text)


# realtime config ------------------------------------------------------------------------------------------

SECRETS = {  # every setting that can carry a credential, each with a secret no other value contains
    "INASAFE_REALTIME_REST_PASSWORD": ("Pw-rest-9f3e", "********"),
    "INASAFE_REALTIME_BROKER_HOST": ("redis://:Pw@broker-7a1@redis.example:6379/0", "redis://********@redis.example:6379/0"),
    "REALTIME_RESULT_BACKEND": ("db+postgresql://celery:Pw-result-2c8@db.example/celery",
                                "db+postgresql://********@db.example/celery"),
    "INASAFE_REALTIME_REST_URL": ("https://pushuser:Pw-url-5d2@web.example/realtime/api/v1/",
                                  "https://********@web.example/realtime/api/v1/"),
    "REALTIME_PETABENCANA_URL": ("https://reader:Pw-peta-4b6@data.petabencana.id/floods",
                                 "https://********@data.petabencana.id/floods"),
}
LEAKS = ("Pw-rest-9f3e", "broker-7a1", "Pw@broker", "Pw-result-2c8", "celery:", "Pw-url-5d2", "pushuser", "Pw-peta-4b6",
         "reader:")


def test_config_prints_the_settings_with_every_secret_masked():
    env = {name: secret for name, (secret, _) in SECRETS.items()}
    result = run_cli("config", env={**env, "INASAFE_REALTIME_REST_USER": "push@example.org", **WIDE})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    shown = result.stdout + one_line(result.stdout)
    for leak in LEAKS:  # no part of a password (a password holding '@' included), nor a user inside a URL
        assert leak not in shown, leak
    rows = dict(re.findall(r"│ ([A-Z_]+) +│ (.*?) *│", result.stdout))
    for name, (_, masked) in SECRETS.items():
        assert rows[name] == masked, name
    assert rows["INASAFE_REALTIME_REST_USER"] == "push@example.org"  # a user name is no secret
    assert rows["REALTIME_MAX_ATTEMPTS"] == "3" and len(rows) == len(Settings.model_fields)


# realtime data init ---------------------------------------------------------------------------------------

def test_data_init_keeps_a_complete_folder_and_force_rebuilds_it(demo_data, tmp_path):
    folder = tmp_path / "analysis-data"
    shutil.copytree(demo_data, folder)
    (folder / "context" / "airports.geojson").unlink()  # a folder from before the ash analysis
    ours = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.8, -6.2]},
         "properties": {"name": "Our own town", "population": 1234}}]}
    (folder / "context" / "places.geojson").write_text(json.dumps(ours))
    files = ["README.md", "context/airports.geojson", "context/land.geojson", "context/places.geojson",
             "exposure/population.tif"]
    before = {name: (folder / name).stat().st_mtime_ns for name in files if name != "context/airports.geojson"}

    kept = run_cli("data", "init", str(folder), env=WIDE)
    assert kept.returncode == 0, kept.stderr
    assert f"analysis data ready in {folder}" in kept.stdout
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == files
    assert {name: (folder / name).stat().st_mtime_ns for name in before} == before  # nothing rewritten...
    assert json.loads((folder / "context" / "places.geojson").read_text()) == ours  # ...not even our places
    airports = json.loads((folder / "context" / "airports.geojson").read_text())["features"]
    assert "CGK" in {airport["properties"]["iata"] for airport in airports}  # ...but the missing file is made

    rebuilt = run_cli("data", "init", str(folder), "--force", env=WIDE)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert all((folder / name).stat().st_mtime_ns > before[name] for name in before)  # every file made again
    places = json.loads((folder / "context" / "places.geojson").read_text())["features"]
    assert len(places) > 400 and "Our own town" not in {place["properties"]["name"] for place in places}
    assert "approximate" in (folder / "README.md").read_text()


# realtime shake reprocess ---------------------------------------------------------------------------------

def worker_env(root: Path, data: Path, rest_url: str = "", locale: str = "en") -> dict[str, str]:
    """One worker's settings: watched and extract folders under `root`."""
    env = {"SHAKEMAPS_DIR": root / "shakemaps", "SHAKEMAPS_EXTRACT_DIR": root / "extracted",
           "REALTIME_STATE_DIR": root / "state", "ANALYSIS_DATA_DIR": data, "INASAFE_LOCALE": locale, **WIDE}
    if rest_url:
        env |= {"INASAFE_REALTIME_REST_URL": rest_url, "INASAFE_REALTIME_REST_USER": "push@example.org",
                "INASAFE_REALTIME_REST_PASSWORD": "pu5h-pass"}
    return {name: str(value) for name, value in env.items()}


def test_shake_reprocess_makes_the_products_again_and_queues_their_push(demo_data, tmp_path):
    """Also: English is always made, with an empty entry and an unknown language in INASAFE_LOCALE."""
    from servers import free_port

    env = worker_env(tmp_path, demo_data, rest_url=f"http://127.0.0.1:{free_port()}/realtime/api/v1/",
                     locale=" ,xx")
    settings = Settings(**{name: value for name, value in env.items() if name != "COLUMNS"})
    origin = datetime(2024, 1, 1, 0, 7, tzinfo=timezone.utc)
    grid = write_scenario(settings.shakemaps_dir, 5.5, 10.0, -7.9, 110.4, origin, "Scenario", spacing=0.05,
                          half_width=1.0)
    shake_id = grid.parent.name
    first = handle_shake(settings, shake_id, None, "initial")  # the worker processed it, and delivered it
    assert first.status == "done", first.message
    ledger = ledger_at(settings.state_dir)
    [delivery] = ledger.pushes("pending", shake_id)
    ledger.push_sent(delivery["id"])
    key = EventKey("earthquake", shake_id, "initial", delivery["sha256"])
    ledger.set_state(key, "pushed")
    folder = Path(first.folder)
    made = json.loads((folder / "impact.json").read_text())["generated_at"]
    (folder / "left-by-the-first-run").write_text("")

    result = run_cli("shake", "reprocess", "--all", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{shake_id}: done") and lines[-1] == "pushed 0, 1 waiting in the outbox"
    impact = json.loads((folder / "impact.json").read_text())
    assert impact["shake_id"] == shake_id and impact["generated_at"] > made
    assert not (folder / "left-by-the-first-run").exists()  # the folder was made anew, not patched
    assert impact["products"]["reports"] == {"en": {"pdf": f"{shake_id}-en.pdf", "png": f"{shake_id}-en.png",
                                                    "thumbnail": f"{shake_id}-thumb-en.png"}}
    assert (folder / f"{shake_id}-en.pdf").read_bytes()[:5] == b"%PDF-" and not list(folder.glob("*-xx*"))
    assert "no report catalog for 'xx'" in result.stderr
    row = ledger.get(key)
    assert (row["state"], row["attempts"], row["error"]) == ("done", 2, None)
    [again] = ledger.pushes("pending", shake_id)  # the same version, delivered again: tried at once
    assert again["id"] == delivery["id"] and again["attempts"] == 1 and "cannot connect" in again["last_error"]


def test_shake_reprocess_refusals_are_one_line(tmp_path, demo_data):
    env = worker_env(tmp_path, demo_data)
    cases = [
        (("--all", "--source-type", "corrected"), "no watched folder for corrected ShakeMaps", 2),
        (("--all",), f"{tmp_path / 'shakemaps'}: no such folder", 2),
        (("20990101000000",), "20990101000000: skipped", 1),  # named, but nothing there: not processed
    ]
    for args, words, code in cases:
        result = run_cli("shake", "reprocess", *args, env=env)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and words in one_line(result.stdout + result.stderr), args
        if code == 2:
            assert len(result.stderr.splitlines()) == 1, result.stderr


# realtime flood process -----------------------------------------------------------------------------------

def test_flood_process_writes_the_products_and_keeps_the_snapshot(flood_products):
    folder = flood_products.folder
    impact = flood_products.impact
    assert impact["flood_id"] == FLOOD_ID == folder.name
    products = impact["products"]
    listed = {name for key, name in products.items() if key != "reports"}
    listed |= {name for names in products["reports"].values() for name in names.values()}
    assert sorted(products["reports"]) == ["en", "id"]
    assert listed <= {p.name for p in folder.iterdir()}  # every product impact.json names is there
    assert (folder / products["hazard"]).read_bytes() == FLOOD_SNAPSHOT.read_bytes()
    kept = folder.parent.parent / "floodmaps" / FLOOD_ID / "flood_data.json"  # FLOODMAPS_DIR, as real_products sets it
    assert kept.read_bytes() == FLOOD_SNAPSHOT.read_bytes()
    layer = json.loads((folder / products["impact"]).read_text())
    assert len(layer["features"]) == 161  # every area of the snapshot with a state, flooded or use caution
    assert sum(f["properties"]["affected"] for f in layer["features"]) == pytest.approx(impact["summary"]["affected"])
    for language in ("en", "id"):
        assert flood_products.report(language).read_bytes()[:5] == b"%PDF-"


@pytest.fixture
def flood_env(tmp_path, jakarta_data) -> dict[str, str]:
    return {"FLOODMAPS_DIR": str(tmp_path / "floodmaps"), "REALTIME_FLOOD_EXTRACT_DIR": str(tmp_path / "extracted"),
            "ANALYSIS_DATA_DIR": str(jakarta_data), "INASAFE_LOCALE": "en", **WIDE}


def test_flood_process_refuses_a_bad_flood_id_in_one_line(flood_env, tmp_path):
    result = run_cli("flood", "process", "--source", "file", "--file", str(FLOOD_SNAPSHOT), "--flood-id",
                     "2017022105-2-rw", env=flood_env)  # 2 hours: PetaBencana's durations are 1, 3 and 6
    assert result.returncode == 2, (result.stdout, result.stderr)
    [line] = result.stderr.splitlines()
    assert line.startswith("error:") and "2017022105-2-rw" in line, line
    assert not (tmp_path / "floodmaps").exists() and not (tmp_path / "extracted").exists()


def test_flood_process_with_only_use_caution_areas_reports_no_impact(flood_env, tmp_path):
    snapshot = tmp_path / "caution.json"
    snapshot.write_text(json.dumps(valid_collection(feature(state=1))))
    result = run_cli("flood", "process", "--source", "file", "--file", str(snapshot), "--flood-id", VALID_FLOOD_ID,
                     env=flood_env)
    assert result.returncode == 0, result.stderr
    assert "No flood impact" in result.stdout and "nothing to push" in one_line(result.stdout)
    kept = tmp_path / "floodmaps" / VALID_FLOOD_ID / "flood_data.json"
    assert kept.read_bytes() == snapshot.read_bytes()  # kept, as the old processor kept every snapshot
    assert not (tmp_path / "extracted").exists()  # no report, no products


def test_a_refusal_before_the_grid_is_settled_when_the_grid_comes(demo_data, tmp_path):
    """A reprocess typed before the grid arrived is a failure without a version; once a grid of that event is read,
    that row is superseded, so `status --failed` shows only failures that hold."""
    env = worker_env(tmp_path, demo_data)
    settings = Settings(**{name: value for name, value in env.items() if name != "COLUMNS"})
    origin = datetime(2024, 1, 1, 0, 9, tzinfo=timezone.utc)
    shake_id = "20240101070900"  # BMKG's shake ids are on WIB (UTC+7)
    with pytest.raises(BadInput, match="no such grid file"):
        handle_shake(settings, shake_id, None, "initial", force=True)
    ledger = ledger_at(settings.state_dir)
    unversioned = EventKey("earthquake", shake_id, "initial", "")
    assert ledger.get(unversioned)["state"] == "failed"
    assert shake_id in run_cli("status", "--failed", env=env).stdout
    grid = write_scenario(settings.shakemaps_dir, 5.5, 10.0, -7.9, 110.4, origin, "Scenario", spacing=0.05,
                          half_width=1.0)
    assert grid.parent.name == shake_id
    assert handle_shake(settings, shake_id, None, "initial").status == "done"
    row = ledger.get(unversioned)
    assert row["state"] == "superseded" and "a grid for this event was read later" in row["error"], row
    assert shake_id not in run_cli("status", "--failed", env=env).stdout
