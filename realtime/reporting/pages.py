"""HTML to a PDF page (weasyprint) and a PDF page to PNG (pdfium), shared by all reports."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pypdfium2
from weasyprint import HTML


def write_pdf(html: str, base: Path, target: Path) -> Path:
    """Vector PDF; relative image paths resolve against `base`."""
    HTML(string=html, base_url=str(base) + "/").write_pdf(target)
    return target


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Load fonts and weasyprint's caches once, so forked renderers start warm."""
    HTML(string='<p style="font-family: Liberation Sans, DejaVu Sans, sans-serif">warm <b>up</b></p>').write_pdf()


def pdf_to_png(pdf: Path, target: Path, dpi: int = 150) -> Path:
    """The first page as a PNG at `dpi`."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[0]
        page.render(scale=dpi / 72).to_pil().convert("RGB").save(target, compress_level=1)
    finally:
        document.close()
    return target


def page_count(pdf: Path) -> int:
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return len(document)
    finally:
        document.close()
