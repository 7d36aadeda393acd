"""Our Rancher files put through what Rancher 1.6 does with them (emulated in rancher16.py): the catalog is cloned
and traversed as `make rancher-catalog` publishes it, the questions' answers are substituted, the health checks'
exact bytes are sent to the real servers, and the containers are placed on hosts by Cattle's scheduling rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import rancher16
from rancher16 import Host, Unschedulable, containers, place

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "production" / "docker"
BRANCH = "master"


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """`make rancher-catalog`'s repository, cloned at its branch as Rancher's catalog service clones it."""
    base = tmp_path_factory.mktemp("catalog")
    published = base / "published"
    result = subprocess.run(["make", "--no-print-directory", "rancher-catalog", f"CATALOG_DIR={published}",
                             f"CATALOG_BRANCH={BRANCH}"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Add Catalog" in result.stdout  # it says what to do next
    subprocess.run(["git", "clone", "-q", "--branch", BRANCH, f"file://{published}", str(base / "clone")], check=True)
    return base / "clone"


@pytest.fixture(scope="module")
def entry(clone):
    entries, problems = rancher16.traverse(clone)
    assert problems == []
    assert [e.folder.name for e in entries] == ["inasafe-realtime"]
    return entries[0]


def test_this_repository_is_not_a_catalog_but_the_published_one_is(clone):
    """Rancher pointed at this repository would read the report templates as the catalog and find no entry."""
    entries, problems = rancher16.traverse(REPO)
    assert entries == [] and problems, problems
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == ["README.md", "templates"]


def test_the_entry_has_what_the_catalog_lists(entry):
    assert entry.config["name"] == "InaSAFE Realtime" and entry.icon is not None and entry.icon.stat().st_size > 0
    assert sorted(entry.versions) == [0]
    catalog = yaml.safe_load((entry.versions[0] / "rancher-compose.yml").read_text())["catalog"]
    assert catalog["version"] == entry.config["version"]
    # onRemove (the rancher-nfs volume option PREREQUISITE.md creates the volumes with) came in v1.6.6
    assert rancher16.version_tuple(catalog["minimum_rancher_version"]) >= (1, 6, 6)
    assert rancher16.question_problems(catalog["questions"]) == []


def test_the_published_files_are_the_production_files(entry):
    for name in ("docker-compose.yml", "rancher-compose.yml"):
        published = yaml.safe_load((entry.versions[0] / name).read_text())
        production = yaml.safe_load((PRODUCTION / name).read_text())
        published.pop("catalog", None)
        assert published == production, name


def test_the_server_side_executor_can_run_the_files(entry):
    """Compose v2 only, and nothing that needs the client's disk (build:, env_file:) or Compose 2.1+ keys."""
    compose = yaml.safe_load((entry.versions[0] / "docker-compose.yml").read_text())
    assert compose["version"] == "2"
    for name, service in compose["services"].items():
        assert not {"build", "env_file", "healthcheck", "extends"} & set(service), name


def catalog_render(entry, typed: dict[str, str]) -> tuple[dict, dict, dict[str, str]]:
    folder = entry.versions[0]
    items = rancher16.questions(folder / "rancher-compose.yml")
    answers = rancher16.answers_for(items, typed)
    return (yaml.safe_load(rancher16.substitute((folder / "docker-compose.yml").read_text(), answers)),
            yaml.safe_load(rancher16.substitute((folder / "rancher-compose.yml").read_text(), answers)), answers)


def required_without_default(entry) -> dict[str, str]:
    items = rancher16.questions(entry.versions[0] / "rancher-compose.yml")
    return {q["variable"]: f"typed-{q['variable'].lower()}" for q in items
            if q.get("required") and q.get("default") in (None, "")}


def test_every_variable_in_the_files_is_a_question(entry):
    folder = entry.versions[0]
    asked = {q["variable"] for q in rancher16.questions(folder / "rancher-compose.yml")}
    used = set()
    for name in ("docker-compose.yml", "rancher-compose.yml"):
        used |= rancher16.variables((folder / name).read_text())
    assert used - asked == set()  # an unasked variable would be substituted with "" without a word


def test_the_required_answers_alone_leave_no_empty_image_or_port(entry):
    compose, rancher, answers = catalog_render(entry, required_without_default(entry))
    assert rancher16.empty_values(compose, rancher) == []
    assert compose["services"]["sftp"]["ports"] == ["9222:22"]  # BMKG's port, as the old stack published it
    assert rancher["services"]["web-lb"]["lb_config"]["port_rules"][0]["service"] == "web"


def test_the_cli_answers_file_lists_every_question(entry):
    """production/docker/answers.env.example, filled in, renders like the catalog does (the `rancher up` path)."""
    lines = [line for line in (PRODUCTION / "answers.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    given = dict(line.split("=", 1) for line in lines)
    items = rancher16.questions(entry.versions[0] / "rancher-compose.yml")
    assert sorted(given) == sorted(q["variable"] for q in items)
    typed = required_without_default(entry)
    assert {k for k, v in given.items() if v == ""} >= set(typed)
    filled = {**given, **typed}
    compose = yaml.safe_load(rancher16.substitute((PRODUCTION / "docker-compose.yml").read_text(), filled))
    rancher = yaml.safe_load(rancher16.substitute((PRODUCTION / "rancher-compose.yml").read_text(), filled))
    assert rancher16.empty_values(compose, rancher) == []
    assert compose == catalog_render(entry, typed)[0]


def test_the_generated_files_are_up_to_date():
    sys.path.insert(0, str(REPO / "production"))
    try:
        import build_catalog
    finally:
        sys.path.pop(0)
    stale = [str(path) for path, text in build_catalog.build().items() if path.read_text() != text]
    assert stale == [], "run `python production/build_catalog.py`"


# health checks ------------------------------------------------------------------------------------------------------
def checks(entry) -> dict[str, dict]:
    _, rancher, _ = catalog_render(entry, required_without_default(entry))
    return {name: s["health_check"] for name, s in rancher["services"].items() if "health_check" in s}


def test_the_web_check_bytes_get_200_from_the_web_app(entry, tmp_path):
    from servers import web_app

    check = checks(entry)["web"]
    _, _, answers = catalog_render(entry, required_without_default(entry))
    with web_app(tmp_path, DJANGO_ALLOWED_HOSTS=answers["WEB_HOSTNAMES"]) as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert rancher16.raw_status(port, rancher16.haproxy_check_bytes(check["request_line"])) == 200


@pytest.mark.parametrize("service", ["inasafe-worker", "inasafe-shakemap-monitor"])
def test_the_processor_check_bytes_get_200_from_its_health_server(entry, service):
    from servers import free_port

    from realtime.runtime.health import serve_health

    check = checks(entry)[service]
    port = free_port()
    server = serve_health("127.0.0.1", port, lambda: (True, {"service": service}))
    try:
        assert rancher16.raw_status(port, rancher16.haproxy_check_bytes(check["request_line"])) == 200
    finally:
        server.shutdown()
        server.server_close()


# scheduling ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack(entry) -> tuple[dict, dict]:
    compose, rancher, _ = catalog_render(entry, required_without_default(entry))
    return compose, rancher


def hosts(count: int) -> list[Host]:
    return [Host(f"host{i}") for i in range(1, count + 1)]


def test_the_whole_stack_fits_on_one_host(stack):
    place(containers(*stack), hosts(1), {})


@pytest.mark.parametrize("service", ["web", "inasafe-worker", "web-lb", "sftp", "inasafe-shakemap-monitor",
                                     "bmkg-sync", "redis"])
def test_an_upgrade_fits_on_one_host(stack, service):
    """A start-first upgrade runs the new container beside the old: it must not need a second host."""
    place(containers(*stack, upgrading=service), hosts(1), {})


def test_when_a_host_dies_everything_starts_on_the_other(stack):
    two = hosts(2)
    homes: dict[str, str] = {}
    everything = containers(*stack)
    place(everything[::2], [two[0]], homes)  # spread the stack over both hosts
    place(everything[1::2], [two[1]], homes)
    lost = two[0].containers
    two[0].containers = []
    survivors = [two[1]]
    place(lost, survivors, homes)  # nothing pinned to the dead host: no local named volume, no host label
    assert {c.service for c in two[1].containers} == {c.service for c in everything}


def test_the_emulated_scheduler_refuses_what_rancher_refuses():
    """The rules themselves, on a stack shaped like ours before this change: a web at scale 2 publishing a host
    port, and a worker on a local named volume."""
    compose = {"services": {"web": {"image": "w", "ports": ["8000:8000"]},
                            "worker": {"image": "p", "volumes": ["realtime-state:/var/lib/realtime"]}},
               "volumes": {"realtime-state": {"driver": "local"}}}
    rancher = {"services": {"web": {"scale": 2}, "worker": {"scale": 1}}}
    with pytest.raises(Unschedulable, match="web"):
        place(containers(compose, rancher), hosts(1), {})
    two, homes = hosts(2), {}
    place(containers(compose, rancher), two, homes)
    assert homes == {"realtime-state": "host1"}
    with pytest.raises(Unschedulable, match="worker"):
        place([c for c in containers(compose, rancher) if c.service == "worker"], [two[1]], homes)
