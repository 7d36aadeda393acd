"""The web app's operations with real servers: Celery sends over redis, PostgreSQL, the push user."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import redis

from servers import django_shell, free_port, manage, redis_server, stop, wait_for_port, web_env


def queued_messages(url: str, queue: str) -> list[dict]:
    client = redis.Redis.from_url(url)
    return [json.loads(raw) for raw in client.lrange(queue, 0, -1)]


def test_requestflood_puts_a_json_task_on_the_processor_queue(tmp_path):
    with redis_server(tmp_path) as url:
        env = web_env(tmp_path, INASAFE_REALTIME_BROKER_URL=url)
        manage(env, "migrate", "-v0")
        out = manage(env, "requestflood", "--source", "file", "--file", "/data/flood_data.json", "--flood-id", "2017022105-6-rw")
        assert "realtime.tasks.flood.process_flood" in out.stdout
        messages = queued_messages(url, "inasafe-realtime")
        assert len(messages) == 1
        message = messages[0]
        assert message["headers"]["task"] == "realtime.tasks.flood.process_flood"
        assert message["content-type"] == "application/json"  # never pickle
        args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        assert args == []
        assert kwargs == {"flood_id": "2017022105-6-rw", "data_source": "file",
                          "data_source_args": {"filename": "/data/flood_data.json"}}
        manage(env, "requestflood")  # the hourly form: the processor picks the hour and the live source
        _, kwargs, _ = json.loads(base64.b64decode(queued_messages(url, "inasafe-realtime")[0]["body"]))
        assert kwargs == {"flood_id": None, "data_source": "petabencana", "data_source_args": None}


def test_requestflood_refuses_a_file_source_without_a_file(tmp_path):
    env = web_env(tmp_path)
    with pytest.raises(subprocess.CalledProcessError) as error:
        manage(env, "requestflood", "--source", "file")
    assert "--source file needs --file" in error.value.stderr


def test_processor_check_sends_the_check_with_a_callback_and_returns_at_once(tmp_path):
    """Nobody listens: the task still returns (it never waits); the message carries the answer's route."""
    with redis_server(tmp_path) as url:
        env = web_env(tmp_path, INASAFE_REALTIME_BROKER_URL=url, REALTIME_PROCESSOR_CHECK_TIMEOUT="45")
        manage(env, "migrate", "-v0")
        script = ("from events.tasks import check_processor; from events.models import ProcessorCheck;"
                  "pk = check_processor(); c = ProcessorCheck.objects.get(pk=pk); print(pk, c.answered_at)")
        check_id, answered = django_shell(env, script).split()
        assert answered == "None"
        [message] = queued_messages(url, "inasafe-realtime")
        assert message["headers"]["task"] == "realtime.tasks.generic.check_broker_connection"
        assert message["content-type"] == "application/json" and message["headers"]["expires"]
        _, _, embed = json.loads(base64.b64decode(message["body"]))
        [callback] = embed["callbacks"]
        assert callback["task"] == "events.tasks.record_processor_answer"
        assert callback["kwargs"] == {"check_id": int(check_id)}
        assert callback["options"]["queue"] == "inasafe-django"


def test_createrealtimeuser_is_idempotent_and_grants_the_group(tmp_path):
    env = web_env(tmp_path)
    manage(env, "migrate", "-v0")
    assert "created" in manage(env, "createrealtimeuser", "push@example.org", "one").stdout
    assert "updated" in manage(env, "createrealtimeuser", "push@example.org", "two").stdout
    script = ("from django.contrib.auth import authenticate, get_user_model;"
              "u = get_user_model().objects.get(username='push@example.org');"
              "print(get_user_model().objects.count(), [g.name for g in u.groups.all()],"
              "u.has_perm('events.add_earthquake'), u.has_perm('events.change_floodreport'),"
              "authenticate(username='push@example.org', password='two') is not None)")
    assert django_shell(env, script).strip() == "1 ['Realtime REST User'] True True True"


POSTGRES_BIN = Path("/usr/lib/postgresql")


def _postgres_tool(name: str) -> str | None:
    found = sorted(POSTGRES_BIN.glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


@pytest.mark.skipif(_postgres_tool("initdb") is None, reason="PostgreSQL server not installed (make test installs it)")
def test_postgresql_when_database_url_is_set(tmp_path):
    """migrate, the push user and a round trip on a throwaway PostgreSQL cluster."""
    # PostgreSQL refuses to run as root: as root, run it as the postgres user in a folder it can reach.
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="realtime-pg-"))
    if as_postgres:
        data.chmod(0o700)
        shutil.chown(data, "postgres")
    subprocess.run([*as_postgres, _postgres_tool("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*as_postgres, _postgres_tool("postgres"), "-D", str(data), "-p", str(port),
                               "-k", str(data), "-c", "listen_addresses=127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        env = web_env(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/postgres")
        manage(env, "migrate", "-v0")
        manage(env, "createrealtimeuser", "push@example.org", "secret")
        script = ("from django.db import connection; from events.models import Flood; from django.utils import timezone;"
                  "Flood.objects.create(event_id='2017022105-6-rw', time=timezone.now());"
                  "print(connection.vendor, Flood.objects.count())")
        assert django_shell(env, script).strip() == "postgresql 1"
    finally:
        stop(server)
        shutil.rmtree(data, ignore_errors=True)
