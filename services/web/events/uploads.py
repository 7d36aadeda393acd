"""Uploaded files are hostile: check size and magic bytes before anything is stored or parsed.

Each validator raises a DRF ValidationError, so a bad file becomes a 400 with a field error
(never a 500), and nothing is written to MEDIA_ROOT before every file of a request passed.
"""

from __future__ import annotations

import json
import logging
import math
import zipfile
import zlib
from pathlib import PurePosixPath

import pypdfium2
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.conf import settings
from PIL import Image
from rest_framework.exceptions import ValidationError

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
JSON_SUFFIXES = (".json", ".geojson")
SNAPSHOT_NAMES = ("flood_data.json", "flood_data.geojson")
FLOODED_STATE = 2  # realtime.flood.classes.MIN_AFFECTED_STATE: the web app imports only realtime.ids
MAX_JSON_DEPTH = 32  # a GeoJSON MultiPolygon FeatureCollection is 8 deep, impact.json 4
PDF_TRAILER_WINDOW = 1024  # the %%EOF marker sits in the last kilobyte of a complete PDF
# What zipfile raises on a hostile archive besides BadZipFile: encrypted members (RuntimeError), compression
# methods it lacks (NotImplementedError), broken deflate data (zlib.error), truncated headers (EOFError, OSError).
ZIP_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, zlib.error,
                   EOFError, OSError, ValueError)


def _check_size(upload) -> None:
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(f"{upload.name!r} is {upload.size} bytes; the limit is {limit} "
                              "(REALTIME_WEB_MAX_UPLOAD_MB)")


def _head(upload, count: int) -> bytes:
    upload.seek(0)
    data = upload.read(count)
    upload.seek(0)
    return data


def _check_magic(upload, magic: bytes, kind: str) -> None:
    _check_size(upload)
    if _head(upload, len(magic)) != magic:
        raise ValidationError(f"{upload.name!r} is not a {kind} file")


def _read_all(upload) -> bytes:
    upload.seek(0)
    try:
        return upload.read()
    finally:
        upload.seek(0)


def pdf_file(upload):
    """A PDF that pdfium opens, with at least one page and the %%EOF trailer (a truncated upload has none)."""
    _check_magic(upload, PDF_MAGIC, "PDF")
    data = _read_all(upload)
    if b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]:
        raise ValidationError(f"{upload.name!r} is not a readable PDF: no %%EOF trailer (truncated?)")
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        raise ValidationError(f"{upload.name!r} is not a readable PDF: pdfium cannot open it") from None
    try:
        pages = len(document)
    finally:
        document.close()
    if pages < 1:
        raise ValidationError(f"{upload.name!r} is not a readable PDF: it has no pages")
    return upload


def png_file(upload):
    """A PNG whose chunks all check out (Pillow's verify: chunk CRCs up to IEND)."""
    _check_magic(upload, PNG_MAGIC, "PNG")
    upload.seek(0)
    try:
        with Image.open(upload, formats=["PNG"]) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        logger.info("refused PNG upload %r: %s", upload.name, exc)
        raise ValidationError(f"{upload.name!r} is not a readable PNG: a chunk is broken or missing") from None
    finally:
        upload.seek(0)
    return upload


def zip_file(upload):
    _check_magic(upload, ZIP_MAGIC, "zip")
    try:
        with zipfile.ZipFile(upload) as archive:
            archive.infolist()
    except ZIP_READ_ERRORS:
        raise ValidationError(f"{upload.name!r} is not a readable zip file") from None
    finally:
        upload.seek(0)
    return upload


GRID_ROOT = "shakemap_grid"


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def grid_file(upload):
    """BMKG's grid.xml, as the processor reads it: parsed to the end with defusedxml, which refuses entity
    declarations and external references (billion laughs, XXE), and rooted at <shakemap_grid>. A refusal is
    one line naming the file and the problem."""
    _check_size(upload)
    upload.seek(0)
    root = None
    try:
        for _event, element in SafeET.iterparse(upload, events=("start",)):
            if root is None:
                root = _local_name(element.tag)
                if root != GRID_ROOT:
                    break
    except DefusedXmlException as exc:
        raise ValidationError(f"{upload.name!r} is refused: unsafe XML ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        raise ValidationError(f"{upload.name!r} is not well-formed XML ({exc})") from None
    finally:
        upload.seek(0)
    if root != GRID_ROOT:
        found = f"<{root}>" if root else "no element"
        raise ValidationError(f"{upload.name!r} is not a ShakeMap grid.xml: its root is {found}, "
                              f"expected <{GRID_ROOT}>")
    return upload


def too_deep(name: str) -> str:
    return f"{name} is nested too deeply (more than {MAX_JSON_DEPTH} levels of arrays and objects)"


def check_json_depth(value, name: str) -> None:
    """Refuses a parsed document nested beyond MAX_JSON_DEPTH, so no later json.dumps or walk recurses too far."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_JSON_DEPTH:
                    raise ValidationError(too_deep(name))
                pending.append((child, depth + 1))


def loads_json(data: bytes | str, name: str):
    """json.loads for hostile text: refuses NaN/Infinity and deep nesting, each with one line naming `name`."""

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    try:
        document = json.loads(data, parse_constant=refuse)
    except RecursionError:
        raise ValidationError(too_deep(name)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{name} is not valid JSON: {str(exc)[:120]}") from None
    check_json_depth(document, name)
    return document


def parse_json_bytes(data: bytes, name: str):
    """An uploaded JSON file's document (see loads_json)."""
    return loads_json(data, repr(name))


def json_file(upload):
    _check_size(upload)
    upload.seek(0)
    parse_json_bytes(upload.read(), upload.name)
    upload.seek(0)
    return upload


def layer_file(upload):
    """A hazard or impact layer: a zip, or a GeoJSON/JSON document."""
    if PurePosixPath(upload.name or "").suffix.lower() in JSON_SUFFIXES:
        return json_file(upload)
    if _head(upload, len(ZIP_MAGIC)) == ZIP_MAGIC:
        return zip_file(upload)
    raise ValidationError(f"{upload.name!r} is neither a zip nor a .json/.geojson file")


def read_flood_snapshot(upload) -> bytes | None:
    """The flood_data GeoJSON inside a validated hazard layer (the file itself, or a zip member), if any.

    Reads at most MAX_UPLOAD_BYTES + 1 bytes from a zip member, so a zip bomb cannot fill memory.
    """
    limit = settings.MAX_UPLOAD_BYTES
    upload.seek(0)
    try:
        if PurePosixPath(upload.name or "").suffix.lower() in JSON_SUFFIXES:
            return upload.read()
        with zipfile.ZipFile(upload) as archive:
            members = [info for info in archive.infolist() if PurePosixPath(info.filename).name in SNAPSHOT_NAMES]
            if not members:
                return None
            with archive.open(members[0]) as member:
                data = member.read(limit + 1)
    except ZIP_READ_ERRORS:
        raise ValidationError("the hazard layer zip cannot be read (broken, encrypted or compressed in an "
                              "unknown way)") from None
    finally:
        upload.seek(0)
    if len(data) > limit:
        raise ValidationError(f"flood_data in the hazard layer is larger than {limit} bytes")
    return data


def snapshot_features(document) -> list:
    """The features of a flood snapshot, bare or in PetaBencana's {"result": ...}; a 400 for anything else."""
    if isinstance(document, dict) and isinstance(document.get("result"), dict):
        document = document["result"]
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ValidationError("the hazard layer's flood data is not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise ValidationError("the hazard layer's FeatureCollection has no features list")
    return features


def count_flooded(document) -> int:
    """RWs flooded as the report counts them: state 2 or more (realtime.flood.classes.MIN_AFFECTED_STATE).

    State 1 is "use caution": the report shows those RWs apart ("+ 3 to watch") and counts nobody in them;
    None, 0 and non-numbers are not flooded. The legacy Django counted state > 0 (161 for the 2017 fixture
    where the report says 158 + 3); see README, "Floods: one RW count".
    """
    return sum(1 for feature in snapshot_features(document) if flood_state(feature) >= FLOODED_STATE)


def flood_state(feature) -> float:
    """A snapshot feature's PetaBencana state (0 to 4); 0 for a missing, boolean or non-numeric one."""
    properties = feature.get("properties") if isinstance(feature, dict) else None
    state = properties.get("state") if isinstance(properties, dict) else None
    if isinstance(state, bool):
        return 0.0
    try:
        value = float(state)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0
