"""An uploaded ash-fall forecast is hostile until checked: a readable single-band GeoTIFF, placed on the
Earth, holding plausible thicknesses in cm. Checked here, before any row is saved or any task is queued.

The web image has no geo stack (no numpy, no GDAL: tests/web/test_web_imports.py), so the TIFF header is
read with the standard library (so a refusal can say what the file is) and the pixels are decoded by
Pillow (deflate, LZW, ZSTD, PackBits, tiles, predictors, through its libtiff). Every refusal is one line
naming the file and the problem, in the request's language.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _, gettext_noop
from PIL import Image, ImageMath, UnidentifiedImageError
from rest_framework.exceptions import ValidationError

MAX_THICKNESS_CM = 5000.0  # 50 m: deeper than any deposit a forecast gives; mm or kg/m² files exceed it
NEGATIVE_NOISE_CM = 0.001  # interpolation can leave -1e-5 around zero; a real negative is an error
NODATA_FLOOR = 1e30  # |v| at or above: NoData, e.g. netCDF's fill 9.96921e36 (declared or not) or -3.4e38
CLAMP = 1e36
MAX_IFD_ENTRIES = 4096
TIFF_MAGICS = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")  # classic and BigTIFF, either byte order
CHUNK_PIXELS = 1 << 20  # pixels checked at a time, so the scan holds little besides the decoded image
# TIFF field types: bytes per value
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
WIDTH, HEIGHT, BITS, SAMPLES, SAMPLE_FORMAT = 256, 257, 258, 277, 339
MODEL_TYPE_KEY = 1024  # GTModelTypeGeoKey
PIXEL_SCALE, TIEPOINT, TRANSFORMATION, GEOKEYS, GDAL_NODATA = 33550, 33922, 34264, 34735, 42113
SAMPLE_FORMATS = {1: "UInt", 2: "Int", 3: "Float", 4: "untyped", 5: "complex Int", 6: "complex Float"}
DECODABLE_MODES = ("F", "I", "L", "I;16", "I;16B", "I;16S", "I;16L", "I;16BS")
HOW_TO_FIX = gettext_noop("save band 1 as Float32, e.g. gdal_translate -b 1 -ot Float32")


class AshRasterError(ValueError):
    """The upload is not an ash-fall forecast the processor can use; the message is one line."""


@dataclass(frozen=True)
class RasterFacts:
    width: int
    height: int
    data_type: str  # e.g. Float32
    nodata: float | None  # as declared (GDAL_NODATA); the netCDF fill is NoData whether declared or not
    cells_with_data: int
    max_thickness_cm: float


@dataclass(frozen=True)
class _Header:
    width: int
    height: int
    bands: int
    bits: int
    sample_format: int
    tags: frozenset
    nodata: float | None
    model_type: int | None  # GTModelTypeGeoKey: 1 projected, 2 geographic, 3 geocentric


def _refuse(name: str, problem: str) -> AshRasterError:
    return AshRasterError(f"{name!r} {problem}")


def _read_header(data: bytes, name: str) -> _Header:
    """The first image's tags from the TIFF structure itself (classic and BigTIFF); bounds-checked throughout."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    version = struct.unpack(order + "H", data[2:4])[0] if order and len(data) >= 16 else None
    if version not in (42, 43):
        raise _refuse(name, _("is not a TIFF file (a GeoTIFF starts with II*/MM*; this is something else)"))
    big = version == 43
    count_format, entry_size, value_size = ("Q", 20, 8) if big else ("H", 12, 4)
    offset = struct.unpack(order + ("Q" if big else "I"), data[8:16] if big else data[4:8])[0]
    head = struct.calcsize(order + count_format)
    if offset + head > len(data):
        raise _refuse(name, _("is not a readable TIFF: its first image directory lies outside the file (truncated?)"))
    entries = struct.unpack(order + count_format, data[offset:offset + head])[0]
    if not 0 < entries <= MAX_IFD_ENTRIES or offset + head + entries * entry_size > len(data):
        raise _refuse(name, _("is not a readable TIFF: its image directory is broken or truncated"))
    values: dict[int, tuple] = {}
    for index in range(entries):
        start = offset + head + index * entry_size
        tag, kind = struct.unpack(order + "HH", data[start:start + 4])
        count = struct.unpack(order + ("Q" if big else "I"), data[start + 4:start + 4 + value_size])[0]
        field = data[start + 4 + value_size:start + entry_size]
        size = TYPE_SIZES.get(kind, 1) * count
        if size <= value_size:
            raw = field[:size]
        else:
            where = struct.unpack(order + ("Q" if big else "I"), field)[0]
            wanted = tag in (BITS, SAMPLE_FORMAT, GDAL_NODATA, GEOKEYS) and size <= 8192
            raw = data[where:where + size] if wanted else b""
        values[tag] = _decode(order, kind, count, raw)
    return _header_from(values, name)


def _decode(order: str, kind: int, count: int, raw: bytes) -> tuple:
    if kind == 2:
        return (raw.split(b"\0", 1)[0].decode("ascii", "replace"),)
    code = {1: "B", 3: "H", 4: "I", 8: "h", 9: "i", 16: "Q"}.get(kind)
    if code is None or len(raw) != struct.calcsize(f"{order}{count}{code}"):
        return ()
    return struct.unpack(f"{order}{count}{code}", raw)


def _header_from(values: dict[int, tuple], name: str) -> _Header:
    def first(tag: int, default: int | None = None):
        found = values.get(tag) or ()
        return found[0] if found else default

    width, height = first(WIDTH), first(HEIGHT)
    if not width or not height:
        raise _refuse(name, _("is not a readable TIFF: it gives no image width or height"))
    nodata_text = first(GDAL_NODATA)
    try:
        nodata = float(nodata_text) if nodata_text not in (None, "") else None
    except (TypeError, ValueError):
        nodata = None
    return _Header(width=int(width), height=int(height), bands=int(first(SAMPLES, 1)), bits=int(first(BITS, 1)),
                   sample_format=int(first(SAMPLE_FORMAT, 1)), tags=frozenset(values), nodata=nodata,
                   model_type=_geokey(values.get(GEOKEYS) or (), MODEL_TYPE_KEY))


def _geokey(directory: tuple, key: int) -> int | None:
    """A GeoKey stored in the directory itself (location 0): header of 4 SHORTs, then 4 per key."""
    for start in range(4, len(directory) - 3, 4):
        if directory[start] == key and directory[start + 1] == 0:
            return directory[start + 3]
    return None


def _check_header(header: _Header, name: str, max_pixels: int) -> None:
    if GEOKEYS not in header.tags:
        raise _refuse(name, _("has no CRS (no GeoKeyDirectory tag): it is a plain TIFF, not a GeoTIFF; "
                              "assign one, e.g. gdal_translate -a_srs EPSG:4326"))
    if header.model_type not in (1, 2, 3):
        raise _refuse(name, _("has no CRS (its GeoKeyDirectory names no projected or geographic model); "
                              "assign one, e.g. gdal_translate -a_srs EPSG:4326"))
    if TRANSFORMATION not in header.tags and not {PIXEL_SCALE, TIEPOINT} <= header.tags:
        raise _refuse(name, _("is not georeferenced (no tie point and pixel scale, no transformation matrix)"))
    pixels = header.width * header.height
    if pixels > max_pixels:
        raise _refuse(name, _("is too large: %(width)s x %(height)s = %(cells)s cells; the limit is %(limit)s "
                              "(REALTIME_ASH_MAX_PIXELS)") % {"width": header.width, "height": header.height,
                                                              "cells": f"{pixels:,}", "limit": f"{max_pixels:,}"})
    if header.bands != 1:
        raise _refuse(name, _("has %(bands)s bands; upload the thickness as one band (%(fix)s)")
                      % {"bands": header.bands, "fix": _(HOW_TO_FIX)})
    if header.sample_format not in (1, 2, 3) or (header.sample_format == 3 and header.bits != 32) or \
            header.bits not in (8, 16, 32):
        kind = f"{SAMPLE_FORMATS.get(header.sample_format, 'unknown')}{header.bits}"
        raise _refuse(name, _("holds %(kind)s cells, which the upload cannot check; %(fix)s")
                      % {"kind": kind, "fix": _(HOW_TO_FIX)})


def _data_type(header: _Header) -> str:
    return f"{SAMPLE_FORMATS[header.sample_format]}{header.bits}"


def _decode_pixels(data: bytes, name: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=["TIFF"])
        if image.mode not in DECODABLE_MODES:
            raise _refuse(name, _("has %(mode)s pixels, not one band of numbers; %(fix)s")
                          % {"mode": image.mode, "fix": _(HOW_TO_FIX)})
        image.load()
    except AshRasterError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error,
            Image.DecompressionBombError) as exc:
        raise _refuse(name, _("is not a readable GeoTIFF: its pixels cannot be decoded (%(error)s)")
                      % {"error": str(exc)[:80]}) from None
    return image


def _math(expression, **images) -> Image.Image:
    return ImageMath.lambda_eval(expression, **images)


def _count(mask: Image.Image) -> int:
    """Cells where a 0/1 mask is 1."""
    return mask.convert("L").histogram()[1]


def _scan(image: Image.Image, nodata: float | None) -> tuple[int, int, float, float]:
    """(cells with data, infinite cells, min, max) over the cells that are not NoData, band by band.

    Pillow's C image math, never a Python loop per cell (25 M cells in about 2 s). NaN never compares true,
    so min(v, BIG) maps NaN to BIG: after clamping to [-BIG, BIG] every NoData cell is at the bound.
    """
    rows = max(1, CHUNK_PIXELS // image.width)
    count = infinite = 0
    low, high = math.inf, -math.inf
    for top in range(0, image.height, rows):
        chunk = image.crop((0, top, image.width, min(image.height, top + rows)))
        chunk = chunk if chunk.mode == "F" else chunk.convert("F")
        infinite += _count(_math(lambda a: abs(a["v"]) == math.inf, v=chunk))
        clamped = _math(lambda a: a["max"](a["min"](a["v"], CLAMP), -CLAMP), v=chunk)
        valid = _math(lambda a: abs(a["c"]) < NODATA_FLOOR, c=clamped)
        if nodata is not None and abs(nodata) < NODATA_FLOOR:
            valid = _math(lambda a: a["ok"] * (a["v"] != nodata), ok=valid, v=chunk)
        cells = _count(valid)
        if cells:
            # NoData cells become 0 here, which cannot change the checks: min < 0 and max > 5000 cm.
            chunk_low, chunk_high = _math(lambda a: a["c"] * a["ok"], c=clamped, ok=valid).getextrema()
            count += cells
            low, high = min(low, chunk_low), max(high, chunk_high)
    return count, infinite, low, high


def tiff_file(upload):
    """The API's light check (the processor pushes its own tiled product): size and a TIFF header."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(f"{upload.name!r} is {upload.size} bytes; the limit is {limit} "
                              "(REALTIME_WEB_MAX_UPLOAD_MB)")
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head not in TIFF_MAGICS:
        raise ValidationError(f"{upload.name!r} is not a TIFF file")
    return upload


def check_ash_raster(data: bytes, name: str, max_pixels: int | None = None) -> RasterFacts:
    """The facts of a usable forecast raster; AshRasterError (one line naming `name`) for anything else."""
    limit = settings.MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise _refuse(name, _("is %(size)s bytes; the limit is %(limit)s (REALTIME_WEB_MAX_UPLOAD_MB)")
                      % {"size": f"{len(data):,}", "limit": f"{limit:,}"})
    header = _read_header(data, name)
    _check_header(header, name, max_pixels if max_pixels is not None else settings.ASH_MAX_PIXELS)
    count, infinite, low, high = _scan(_decode_pixels(data, name), header.nodata)
    if infinite:
        raise _refuse(name, _("holds %(count)s infinite cells; thickness must be finite (NoData may be NaN, "
                              "9.96921e36 or the declared NoData)") % {"count": f"{infinite:,}"})
    if count == 0:
        declared = ""
        if header.nodata is not None and abs(header.nodata) < NODATA_FLOOR:
            declared = _(", or the declared %(nodata)s") % {"nodata": f"{header.nodata:g}"}
        raise _refuse(name, _("holds no data: every cell is NoData (NaN, 9.96921e36 or beyond%(declared)s)")
                      % {"declared": declared})
    if low < -NEGATIVE_NOISE_CM:
        raise _refuse(name, _("holds negative thickness (down to %(low)s cm); ash fall is 0 cm or more")
                      % {"low": f"{low:g}"})
    if high > MAX_THICKNESS_CM:
        raise _refuse(name, _("holds %(high)s cm, more than %(max)s cm: not an ash-fall thickness in cm (convert mm "
                              "or kg/m² first)") % {"high": f"{high:g}", "max": f"{MAX_THICKNESS_CM:g}"})
    return RasterFacts(width=header.width, height=header.height, data_type=_data_type(header), nodata=header.nodata,
                       cells_with_data=count, max_thickness_cm=max(0.0, high))
