"""Report machinery every hazard shares: product names, one locale's page, locales in parallel.

A hazard's report module supplies the template context and draws its map once;
this module turns a context into the PDF, PNG page and thumbnail, and runs
the locales side by side, since weasyprint is CPU-bound Python.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jinja2

from realtime.reporting.i18n import translations
from realtime.reporting.map_parts import thumbnail
from realtime.reporting.pages import pdf_to_png, warm_up, write_pdf


def report_names(event_id: str, locale: str) -> dict[str, str]:
    return {"pdf": f"{event_id}-{locale}.pdf", "png": f"{event_id}-{locale}.png", "thumbnail": f"{event_id}-thumb-{locale}.png"}


def render_page(
    templates_dir: Path, folder: Path, hazard: str, context: dict, locale: str, event_id: str, map_png: str
) -> dict[str, str]:
    """`<hazard>/report.html` with `context` to PDF, PNG page and a thumbnail of `map_png`, all in `folder`."""
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
    thumbnail(folder / map_png, folder / names["thumbnail"])
    return names


def render_locales(render: Callable[[str], dict[str, str]], locales: list[str], parallel: bool = True) -> dict[str, dict[str, str]]:
    """`render(locale)` for each locale; `render` must pickle (a functools.partial of a module function)."""
    if not (parallel and len(locales) > 1):
        return {loc: render(loc) for loc in locales}
    # The other locales render in forked children while this process renders the first; children
    # inherit this process's loaded fonts and caches, so a long-running worker stays warm.
    warm_up()
    first, others = locales[0], locales[1:]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(len(others), 2), mp_context=context) as pool:
        futures = {loc: pool.submit(render, loc) for loc in others}
        products = {first: render(first)}
        products.update({loc: future.result() for loc, future in futures.items()})
    return {loc: products[loc] for loc in locales}
