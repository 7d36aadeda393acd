"""Hands a newly published version to the notification channels without blocking the push (to be completed)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def version_published(kind: str, pk: int) -> None:
    """Called after the commit that published a version ("earthquake" or "flood", its primary key)."""
    logger.info("%s %s published", kind, pk)
