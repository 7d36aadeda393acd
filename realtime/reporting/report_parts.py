"""Report machinery every hazard shares: product names, one locale's page, locales in parallel.

A hazard's report module supplies the template context and draws its map once;
this module turns a context into the PDF, PNG page and thumbnail, and runs
the locales side by side, since weasyprint is CPU-bound Python.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import jinja2

from realtime.reporting.i18n import translations
from realtime.reporting.pages import pdf_to_png, warm_up, write_pdf


def default_templates_dir() -> Path:
    """The checkout's templates/ folder; an installed image sets REALTIME_TEMPLATES_DIR instead."""
    return Path(__file__).resolve().parents[2] / "templates"


def report_names(event_id: str, locale: str) -> dict[str, str]:
    return {"pdf": f"{event_id}-{locale}.pdf", "png": f"{event_id}-{locale}.png", "thumbnail": f"{event_id}-thumb-{locale}.png"}


def render_page(
    templates_dir: Path, folder: Path, hazard: str, context: dict, locale: str, event_id: str, thumbnail_png: bytes
) -> dict[str, str]:
    """`<hazard>/report.html` with `context` to PDF and PNG page, and the map's thumbnail (made once), all in `folder`."""
    templates_dir, folder = Path(templates_dir), Path(folder)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_translations(translations(templates_dir, locale), newstyle=True)
    context = {**context, "css": (templates_dir / hazard / "report.css").read_text(encoding="utf-8")}
    html = env.get_template(f"{hazard}/report.html").render(**context)
    names = report_names(event_id, locale)
    write_pdf(html, folder, folder / names["pdf"])
    pdf_to_png(folder / names["pdf"], folder / names["png"], dpi=150)
    (folder / names["thumbnail"]).write_bytes(thumbnail_png)
    return names


def render_locales(render: Callable[[str], dict[str, str]], locales: list[str], parallel: bool = True) -> dict[str, dict[str, str]]:
    """`render(locale)` for each locale: the first here, the others at the same time in forked children."""
    if not (parallel and len(locales) > 1):
        return {loc: render(loc) for loc in locales}
    # A bare fork, not multiprocessing: Celery's pool processes are daemonic and may not start
    # multiprocessing children. Children inherit this process's loaded fonts and caches.
    warm_up()
    first, others = locales[0], locales[1:]
    children = {loc: _fork(render, loc) for loc in others}
    products = {first: render(first)}
    products.update({loc: _join(*child, loc) for loc, child in children.items()})
    return {loc: products[loc] for loc in locales}


def _fork(render: Callable[[str], dict[str, str]], locale: str) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, report through the pipe, leave without running the parent's cleanup
        os.close(read_end)
        code = 0
        try:
            answer = json.dumps({"ok": render(locale)})
        except BaseException as exc:  # noqa: BLE001 (reported to the parent, which raises)
            answer, code = json.dumps({"error": f"{type(exc).__name__}: {exc}"}), 1
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(answer)
        os._exit(code)
    os.close(write_end)
    return pid, read_end


def _join(pid: int, read_end: int, locale: str) -> dict[str, str]:
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    answer = json.loads(text) if text else {}
    if os.waitstatus_to_exitcode(status) != 0 or "ok" not in answer:
        raise RuntimeError(f"rendering the {locale} report failed: {answer.get('error') or f'exit status {status}'}")
    return answer["ok"]
