"""Marking text for translation, shared by every hazard and the reports."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for the translation catalog; reports translate it when rendering."""
    return message
