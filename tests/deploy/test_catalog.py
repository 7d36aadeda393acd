"""The Rancher catalog template, rendered with its default answers, is the production stack, service by service.

Rancher 1.6 renders a catalog template by putting the answers to its questions in place of `${VAR}`;
no Rancher server can run here, so the test renders both files the same way and compares what
Rancher would deploy: images, commands, mounts, environment names, health checks, scale and upgrades.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "production" / "docker"
CATALOG = REPO / "production" / "rancher-catalog" / "templates" / "inasafe-realtime" / "0"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def default_answers() -> dict[str, str]:
    questions = yaml.safe_load((CATALOG / "rancher-compose.yml").read_text())["catalog"]["questions"]
    # a required question without a default is what the sysadmin must type: any non-empty value stands in
    return {q["variable"]: str(q["default"]) if q.get("default") not in (None, "") else f"answer-{q['variable'].lower()}"
            for q in questions}


def render(path: Path, answers: dict[str, str]) -> dict:
    text = VARIABLE.sub(lambda m: answers.get(m.group(1) or m.group(2), ""), path.read_text())
    return yaml.safe_load(text)


def deployed(compose: dict, rancher: dict) -> dict[str, dict]:
    """What Rancher deploys per service, without the volume definitions (external vs rancher-nfs differ by design)."""
    services = {}
    for name, service in compose["services"].items():
        settings = rancher.get("services", {}).get(name, {})
        services[name] = {
            "image": service.get("image"),
            "command": service.get("command"),
            "mounts": sorted(service.get("volumes", [])),
            "environment": sorted(service.get("environment", {})),
            "ports": sorted(service.get("ports", [])),
            "labels": service.get("labels", {}),
            "health_check": settings.get("health_check"),
            "scale": settings.get("scale"),
            "upgrade_strategy": settings.get("upgrade_strategy"),
        }
    return services


@pytest.fixture(scope="module")
def both() -> tuple[dict, dict]:
    answers = default_answers()
    production = deployed(render(PRODUCTION / "docker-compose.yml", answers), render(PRODUCTION / "rancher-compose.yml", answers))
    catalog = deployed(render(CATALOG / "docker-compose.yml", answers), render(CATALOG / "rancher-compose.yml", answers))
    return production, catalog


def test_the_same_services(both):
    production, catalog = both
    assert sorted(catalog) == sorted(production)


@pytest.mark.parametrize("aspect", ["image", "command", "mounts", "environment", "ports", "labels", "health_check",
                                    "scale", "upgrade_strategy"])
def test_every_service_is_deployed_alike(both, aspect):
    production, catalog = both
    differences = {name: (production[name][aspect], catalog[name][aspect])
                   for name in production if production[name][aspect] != catalog[name][aspect]}
    assert differences == {}


def test_the_defaults_leave_no_empty_image(both):
    production, _ = both
    for name, service in production.items():
        image = service["image"] or ""
        assert image and not image.startswith("/") and not image.endswith(":"), (name, image)


def test_every_mounted_volume_is_defined_in_both(both):
    answers = default_answers()
    for path in (PRODUCTION / "docker-compose.yml", CATALOG / "docker-compose.yml"):
        compose = render(path, answers)
        defined = set(compose.get("volumes", {}))
        mounted = {mount.split(":")[0] for service in compose["services"].values() for mount in service.get("volumes", [])
                   if not mount.startswith(("/", "."))}
        assert mounted <= defined, (path.name, mounted - defined)
