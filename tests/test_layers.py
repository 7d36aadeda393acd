"""The import graph of `realtime/` runs one way: source → impact → products → report → push.

Read from the code itself (every `import`, also inside functions), so a new arrow
that points up, a loop, or a file name spelled twice fails here, not in review.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "realtime"

# Lowest first. A module may import its own layer and those below, never above.
LAYERS = (
    ("base", ("realtime", "realtime.text", "realtime.ids", "realtime.event_folder", "realtime.analysis_data", "realtime.geography",
              "realtime.demo_data", "realtime.population_blocks", "realtime.gazetteer")),
    ("hazards", ("realtime.earthquake", "realtime.flood", "realtime.ash")),
    ("reporting", ("realtime.reporting",)),
    ("pipeline", ("realtime.pipeline",)),
    ("settings", ("realtime.settings",)),
    ("runtime", ("realtime.runtime",)),
    ("entry points", ("realtime.tasks", "realtime.cli", "realtime.__main__")),
)
CORE = ("realtime.earthquake", "realtime.flood", "realtime.ash", "realtime.reporting", "realtime.pipeline")
HAZARD_PACKAGES = ("realtime.earthquake", "realtime.flood", "realtime.ash")
SHELL_LIBRARIES = ("celery", "requests", "pydantic_settings", "typer", "rich", "watchdog")
NETWORK_EDGE = "realtime.flood.source"  # the flood's one module that fetches (URL in, bytes out, no settings)
PRODUCT_NAMES = {  # each product file name is spelled once, by the module that owns it
    "impact.json": "realtime.event_folder",
    "mmi.tif": "realtime.earthquake.products",
    "contours.geojson": "realtime.earthquake.products",
    "places.geojson": "realtime.earthquake.products",
    "population.tif": "realtime.earthquake.products",
    "impact.geojson": "realtime.flood.products",
    "flood_data.json": "realtime.flood.history",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> tuple[set[str], set[str]]:
    """(realtime modules imported, other top-level packages imported) by one module, anywhere in it."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    ours, others = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                       for alias in node.names]
        else:
            continue
        for target in targets:
            (ours if target.split(".")[0] == "realtime" else others).add(target if target.startswith("realtime") else target.split(".")[0])
    return {t for t in ours if t in MODULES} | {".".join(t.split(".")[:-1]) for t in ours if t not in MODULES}, others


GRAPH = {name: imports_of(name)[0] - {name} for name in MODULES}


def layer_of(name: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes if prefix != "realtime"):
            return index
    if name == "realtime":
        return 0
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS")


def test_every_module_has_a_layer():
    for name in MODULES:
        layer_of(name)


def test_no_arrow_points_up():
    upward = [f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
              for name, targets in GRAPH.items() for target in targets if layer_of(target) > layer_of(name)]
    assert upward == []


def test_no_import_loops():
    """Tarjan's strongly connected components: every one must be a single module."""
    index, low, stack, on_stack, loops = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert loops == []


@pytest.mark.parametrize("hazard, other", [(a, b) for a in HAZARD_PACKAGES for b in HAZARD_PACKAGES if a != b])
def test_hazards_never_import_each_other(hazard, other):
    crossing = [(name, target) for name, targets in GRAPH.items() if name.startswith(hazard + ".")
                for target in targets if target == other or target.startswith(other + ".")]
    assert crossing == []


def test_the_core_imports_no_shell_library():
    found = []
    for name in MODULES:
        if not name.startswith(CORE) or name == NETWORK_EDGE:
            continue
        found += [f"{name} imports {library}" for library in imports_of(name)[1] if library in SHELL_LIBRARIES]
    assert found == []


def test_ids_need_only_the_standard_library():
    ours, others = imports_of("realtime.ids")
    assert ours == set()
    assert {library for library in others if library not in sys.stdlib_module_names and library != "__future__"} == set()


def test_command_modules_never_import_the_root_command_back():
    back = [name for name, targets in GRAPH.items() if name.startswith("realtime.cli.") and "realtime.cli.main" in targets]
    assert back == []


def test_tasks_and_cli_do_not_lean_on_each_other():
    crossing = [(name, target) for name, targets in GRAPH.items() for target in targets
                if (name.startswith("realtime.tasks") and target.startswith("realtime.cli"))
                or (name.startswith("realtime.cli") and target.startswith("realtime.tasks"))]
    assert crossing == []


def test_product_file_names_are_spelled_once():
    spelled = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in PRODUCT_NAMES and PRODUCT_NAMES[node.value] != name:
                spelled.append(f"{name}:{node.lineno} spells {node.value!r} (owned by {PRODUCT_NAMES[node.value]})")
    assert spelled == []


def test_every_hazard_is_one_row_of_the_registry():
    from realtime.runtime.hazards import HAZARDS
    from realtime.runtime.celery_app import app

    app.loader.import_default_modules()
    for hazard in HAZARDS.values():
        assert hazard.task in app.tasks, hazard.task
        assert (PACKAGE.parent / "templates" / hazard.template).is_file()
        assert callable(hazard.push)
        for deferred in (hazard.job, hazard.pipeline):  # imported on first call: the names must resolve
            assert callable(getattr(importlib.import_module(deferred.module), deferred.name)), deferred


def test_push_and_status_do_not_import_the_geo_stack():
    """`realtime push` and `status` read the outbox and the hazards table only: no pipeline, so they start fast."""
    import subprocess
    import sys

    probe = ("import sys, realtime.runtime.outbox, realtime.cli.services; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasterio', 'weasyprint', 'geopandas', "
             "'matplotlib') or m.startswith('realtime.pipeline')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", loaded
