"""gettext catalogs for reports: `.po` sources live in templates/locale.

`make` compiles them to `.mo`; when a `.mo` is missing or older than its
`.po` (a fresh checkout, an edited translation), the catalog is compiled in
memory, so a report is never silently untranslated.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "realtime"
SOURCE_LOCALE = "en"


class TranslationError(LookupError):
    """A locale was asked for that has no catalog."""


def catalog_paths(templates_dir: Path, locale: str) -> tuple[Path, Path]:
    folder = Path(templates_dir) / "locale" / locale / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


@lru_cache(maxsize=16)
def translations(templates_dir: Path, locale: str) -> gettext.NullTranslations:
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    po, mo = catalog_paths(templates_dir, locale)
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as stream:
            return gettext.GNUTranslations(stream)
    if not po.exists():
        raise TranslationError(f"no translation catalog for locale {locale!r} (looked for {po})")
    with po.open("rb") as stream:
        catalog = read_po(stream, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def available_locales(templates_dir: Path) -> list[str]:
    found = {p.parent.parent.name for p in (Path(templates_dir) / "locale").glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | {SOURCE_LOCALE})
