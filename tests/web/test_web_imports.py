"""The web app is a separate deployable: it reaches the processor only through `realtime.ids` (stdlib only),
and neither it nor `pip install .[web]` brings in the geo/report stack (numpy, GDAL, Pango...)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "services" / "web"
WEB_PACKAGES = ("events", "inasafe_web")
TOOLS = WEB / "tools"  # developer scripts, run in the project's .venv: not part of the app
GEO_MODULES = ("numpy", "rasterio", "weasyprint", "geopandas", "shapely", "matplotlib", "exactextract", "pyproj",
               "scipy")
GEO_DISTRIBUTIONS = {"numpy", "scipy", "rasterio", "pyproj", "shapely", "geopandas", "pyogrio", "exactextract",
                     "weasyprint", "matplotlib", "contourpy", "fiona", "gdal", "rasterstats"}

# Runs in a fresh interpreter so nothing the test session already imported (the processor, numpy) counts.
LOAD_EVERY_WEB_MODULE = """
import importlib, pkgutil, sys
import django
django.setup()
from django.urls import get_resolver
for package_name in {packages!r}:
    package = importlib.import_module(package_name)
    for info in pkgutil.walk_packages(package.__path__, package_name + "."):
        importlib.import_module(info.name)
patterns = get_resolver().url_patterns
assert patterns, "the URLconf resolved to no patterns"
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {geo!r})
print("MODULES", len(sys.modules))
print("GEO=" + ",".join(loaded))
"""


def test_loading_the_whole_web_app_imports_no_geo_stack():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "inasafe_web.settings",
           "DJANGO_SECRET_KEY": "test-web-imports-not-a-secret", "PYTHONPATH": str(WEB)}
    script = LOAD_EVERY_WEB_MODULE.format(packages=WEB_PACKAGES, geo=GEO_MODULES)
    result = subprocess.run([sys.executable, "-c", script], cwd=WEB, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    geo_line = next(line for line in result.stdout.splitlines() if line.startswith("GEO="))
    # Guard against a walk that imported nothing: the web app plus Django is hundreds of modules.
    modules = int(next(line for line in result.stdout.splitlines() if line.startswith("MODULES")).split()[1])
    assert modules > 300, result.stdout
    assert geo_line == "GEO=", f"the web app loaded the geo stack: {geo_line[4:]}"


def _web_modules() -> list[str]:
    return sorted(str(path.relative_to(WEB).with_suffix("")).replace(os.sep, ".")
                  for package in WEB_PACKAGES for path in (WEB / package).rglob("*.py"))


def test_the_walk_reaches_commands_tasks_views_and_migrations():
    """The subprocess walk relies on every folder being a package; these are the modules it must reach."""
    modules = set(_web_modules())
    for expected in ("events.management.commands.requestflood", "events.tasks", "events.api_views",
                     "events.page_views", "events.serializers", "events.migrations.0001_initial",
                     "inasafe_web.urls", "inasafe_web.celery"):
        assert expected in modules
    for package_dir in {(WEB / name.replace(".", os.sep)).parent for name in modules}:
        assert (package_dir / "__init__.py").is_file(), f"{package_dir} is not a package: the walk would skip it"


def _distribution(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement ('celery[redis]>=5' -> 'celery')."""
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_base_and_web_dependencies_name_no_geo_or_report_package():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    web_install = {_distribution(item) for item in project.get("dependencies", []) + extras["web"]}
    assert not web_install & GEO_DISTRIBUTIONS, sorted(web_install & GEO_DISTRIBUTIONS)
    # What the web app itself imports must be in the web extra, not only in the processor's.
    for needed in ("django", "djangorestframework", "drf-spectacular", "celery", "pypdfium2", "pillow", "babel",
                   "gunicorn", "whitenoise", "dj-database-url", "psycopg", "tzdata"):
        assert needed in web_install, f"{needed} is missing from the web extra"
    # The processor extra carries the stack the base list no longer does.
    processor = {_distribution(item) for item in extras["processor"]}
    assert {"numpy", "rasterio", "geopandas", "weasyprint", "exactextract", "celery"} <= processor


def _realtime_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from realtime import ids` names the module realtime.ids, not the package.
            names = [f"realtime.{alias.name}" for alias in node.names] if node.module == "realtime" else []
            found |= set(names) or {node.module}
    return {name for name in found if name == "realtime" or name.startswith("realtime.")}


def test_the_web_app_imports_only_realtime_ids_from_the_processor():
    imports = {}
    for path in sorted(WEB.rglob("*.py")):
        if path.is_relative_to(TOOLS):
            continue
        for name in _realtime_imports(path):
            imports.setdefault(name, []).append(str(path.relative_to(WEB)))
    assert set(imports) == {"realtime.ids"}, imports


def test_the_developer_tools_are_outside_the_app_and_the_app_never_imports_them():
    """services/web/tools/ runs in the project's .venv (make_land.py derives the land from realtime.geography);
    the image copies it but nothing loads it, so its processor imports are fine and skipped above."""
    assert not (TOOLS / "__init__.py").exists()
    assert _realtime_imports(TOOLS / "make_land.py") == {"realtime.geography"}
    for path in sorted(WEB.rglob("*.py")):
        if not path.is_relative_to(TOOLS):
            assert "tools" not in re.findall(r"^\s*(?:from|import)\s+(\w+)", path.read_text(encoding="utf-8"), re.M), path


def test_the_web_ids_reuse_the_processor_patterns_instead_of_redefining_them():
    import realtime.ids
    from events import ids

    assert ids.ShakeIdConverter.regex is realtime.ids.SHAKE_ID_PATTERN
    assert ids.FloodIdConverter.regex is realtime.ids.FLOOD_ID_PATTERN
    assert ids.SourceTypeConverter.regex is realtime.ids.SOURCE_TYPE_PATTERN
    source = (WEB / "events" / "ids.py").read_text(encoding="utf-8")
    patterns = [node.value for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and "[0-9]{" in node.value]
    assert patterns == [], f"events/ids.py defines its own id patterns: {patterns}"
