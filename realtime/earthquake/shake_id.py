"""Shake ids are folder names built from hostile input: validate them strictly."""

from __future__ import annotations

import re
from datetime import datetime

INITIAL_ID = re.compile(r"^\d{14}$")
# <origin>_<mag*10>_<lat*1000>_<lon*1000>_<stamp>, e.g. 20180220162928_50_01400_124450_20180220162928
CORRECTED_ID = re.compile(r"^(\d{14})_(\d{1,3})_(-?\d{1,6})_(-?\d{1,7})_(\d{14})$")

SOURCE_TYPES = ("initial", "corrected")


def _is_timestamp(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def is_initial_id(shake_id: str) -> bool:
    return bool(INITIAL_ID.match(shake_id)) and _is_timestamp(shake_id)


def is_corrected_id(shake_id: str) -> bool:
    match = CORRECTED_ID.match(shake_id)
    return bool(match) and _is_timestamp(match.group(1)) and _is_timestamp(match.group(5))


def is_shake_id(shake_id: str) -> bool:
    return is_initial_id(shake_id) or is_corrected_id(shake_id)


def source_type_of(shake_id: str) -> str:
    """'corrected' for the long corrected form, otherwise 'initial'."""
    return "corrected" if is_corrected_id(shake_id) else "initial"
