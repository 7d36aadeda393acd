"""What Rancher 1.6 does with our files, emulated from its documentation and its catalog and compose-executor sources,
because no Rancher server can run here. Each function names the rule it follows.

- Catalog traversal (catalog-service, docs "Creating Private Catalogs"): the catalog is a git repository cloned at a
  branch; `templates/` at its root holds one folder per entry with config.yml, a catalogIcon-* file and numbered
  version folders, each with docker-compose.yml and rancher-compose.yml whose `catalog:` section holds the questions.
- Substitution (docs "environment-interpolation", libcompose): every `${VAR}` or `$VAR` in both files becomes the
  answer; a variable nobody answered becomes the empty string (a warning, not an error); `$$` is a literal `$`.
- Scheduling (cattle's allocator): two containers publishing the same host port never share a host; a container
  using a named volume with the local driver goes where that volume already is; host-label affinity needs the label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

QUESTION_TYPES = {"string", "int", "boolean", "password", "service", "enum", "multiline", "certificate"}
VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


@dataclass
class Entry:
    """One catalog entry as the catalog service reads it."""
    folder: Path
    config: dict
    icon: Path | None
    versions: dict[int, Path]


def traverse(root: Path) -> tuple[list[Entry], list[str]]:
    """The entries under root/templates, and one line per thing the catalog service would reject or skip."""
    problems: list[str] = []
    base = root / "templates"
    if not base.is_dir():
        return [], [f"{root}: no templates/ folder at the repository root"]
    entries = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        config_file = folder / "config.yml"
        if not config_file.is_file():
            problems.append(f"templates/{folder.name}: no config.yml (not a catalog entry)")
            continue
        config = yaml.safe_load(config_file.read_text()) or {}
        for key in ("name", "version", "description"):
            if not config.get(key):
                problems.append(f"templates/{folder.name}/config.yml: no {key}")
        icons = sorted(folder.glob("catalogIcon-*"))
        versions = {int(p.name): p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()}
        if not versions:
            problems.append(f"templates/{folder.name}: no version folder (0, 1, ...)")
        for number, path in versions.items():
            for name in ("docker-compose.yml", "rancher-compose.yml"):
                if not (path / name).is_file():
                    problems.append(f"templates/{folder.name}/{number}: no {name}")
        entries.append(Entry(folder, config, icons[0] if icons else None, versions))
    return entries, problems


def version_tuple(text: str) -> tuple[int, int, int]:
    match = VERSION.match(str(text))
    if not match:
        raise ValueError(f"not a Rancher version: {text!r}")
    return tuple(int(part) for part in match.groups())  # type: ignore[return-value]


def questions(rancher_compose: Path) -> list[dict]:
    return (yaml.safe_load(rancher_compose.read_text()).get("catalog") or {}).get("questions") or []


def question_problems(items: list[dict]) -> list[str]:
    """What the UI would refuse or mis-render in the questions."""
    problems = []
    seen = set()
    for q in items:
        name = q.get("variable", "?")
        if name in seen:
            problems.append(f"{name}: asked twice")
        seen.add(name)
        if not q.get("label"):
            problems.append(f"{name}: no label")
        if q.get("type") not in QUESTION_TYPES:
            problems.append(f"{name}: type {q.get('type')!r} is not one Rancher 1.6 knows")
        if q.get("type") == "enum" and q.get("default") not in (q.get("options") or []):
            problems.append(f"{name}: default {q.get('default')!r} not among its options")
        if q.get("type") == "int" and "default" in q and not str(q["default"]).lstrip("-").isdigit():
            problems.append(f"{name}: int question with default {q['default']!r}")
    return problems


def answers_for(items: list[dict], typed: dict[str, str]) -> dict[str, str]:
    """The answers the UI submits: what the sysadmin typed, else the default; booleans as true/false text."""
    answers = {}
    for q in items:
        value = typed.get(q["variable"], q.get("default", ""))
        answers[q["variable"]] = str(value).lower() if isinstance(value, bool) else str(value)
    return answers


def variables(text: str) -> set[str]:
    return {m.group(1) or m.group(2) for m in VARIABLE.finditer(text) if m.group(0) != "$$"}


def substitute(text: str, answers: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return answers.get(match.group(1) or match.group(2), "")
    return VARIABLE.sub(one, text)


def empty_values(compose: dict, rancher: dict) -> list[str]:
    """Images and ports that the substitution left empty or half-empty: Rancher would fail to create them."""
    problems = []
    for name, service in compose["services"].items():
        image = str(service.get("image") or "")
        if not image or image.startswith(("/", ":")) or image.endswith((":", "/")):
            problems.append(f"{name}: image {image!r}")
        for port in service.get("ports", []) + service.get("expose", []):
            parts = str(port).split(":")
            if any(part == "" for part in parts) or not parts[-1].split("/")[0].isdigit():
                problems.append(f"{name}: port {port!r}")
    for name, settings in (rancher.get("services") or {}).items():
        for rule in (settings.get("lb_config") or {}).get("port_rules", []):
            for key in ("source_port", "target_port"):
                if not str(rule.get(key, "")).isdigit():
                    problems.append(f"{name}: lb {key} {rule.get(key)!r}")
    return problems


# scheduling ---------------------------------------------------------------------------------------------------------
@dataclass
class Container:
    service: str
    host_ports: tuple[str, ...]
    local_volumes: tuple[str, ...]
    host_label: str | None


@dataclass
class Host:
    name: str
    labels: set[str] = field(default_factory=set)
    containers: list[Container] = field(default_factory=list)


def host_ports(service: dict) -> tuple[str, ...]:
    """The host side of each published port ("8000:8000" and "8000" both take host port 8000; expose takes none)."""
    published = []
    for port in service.get("ports", []):
        parts = str(port).split(":")
        published.append(parts[-2] if len(parts) > 1 else parts[0].split("/")[0])
    return tuple(published)


def local_volumes(service: dict, volumes: dict) -> tuple[str, ...]:
    """Named volumes on the local driver. Not external and no driver means a stack-scoped local volume in Rancher;
    an external volume already exists with the driver it was created with (the compose file names it)."""
    names = []
    for mount in service.get("volumes", []):
        name = str(mount).split(":")[0]
        if name.startswith(("/", ".", "~")):
            continue  # a bind mount: on every host alike
        definition = volumes.get(name) or {}
        if (definition.get("driver") or ("as-created" if definition.get("external") else "local")) == "local":
            names.append(name)
    return tuple(names)


def containers(compose: dict, rancher: dict, upgrading: str | None = None) -> list[Container]:
    """Every container the stack runs; during a start-first upgrade of `upgrading`, one more of it."""
    result = []
    volumes = compose.get("volumes") or {}
    for name, service in compose["services"].items():
        settings = (rancher.get("services") or {}).get(name, {})
        count = int(settings.get("scale", 1))
        if name == upgrading and (settings.get("upgrade_strategy") or {}).get("start_first"):
            count += 1
        label = (service.get("labels") or {}).get("io.rancher.scheduler.affinity:host_label")
        for _ in range(count):
            result.append(Container(name, host_ports(service), local_volumes(service, volumes), label or None))
    return result


class Unschedulable(Exception):
    pass


def place(items: list[Container], hosts: list[Host], volume_home: dict[str, str]) -> None:
    """Put each container on the first host that takes it, as Cattle's allocator filters hosts; raise when none does."""
    for container in items:
        for host in hosts:
            taken = {port for other in host.containers for port in other.host_ports}
            if taken & set(container.host_ports):
                continue
            if any(volume_home.get(v, host.name) != host.name for v in container.local_volumes):
                continue
            if container.host_label and container.host_label not in host.labels:
                continue
            host.containers.append(container)
            for volume in container.local_volumes:
                volume_home.setdefault(volume, host.name)
            break
        else:
            raise Unschedulable(f"{container.service}: no host takes it (ports {container.host_ports}, local volumes "
                                f"{container.local_volumes}, label {container.host_label})")


# health checks ------------------------------------------------------------------------------------------------------
def haproxy_check_bytes(request_line: str) -> bytes:
    """What Rancher's HAProxy check sends for a `request_line`: the line as written, then an empty line. No Host."""
    return request_line.encode() + b"\r\n\r\n"


def raw_status(port: int, request: bytes) -> int:
    """The status code answered to `request`, sent byte for byte to 127.0.0.1:port (HTTP/1.0: the server closes)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])
