"""Web addresses of events and news posts: readable, and unique within their table."""

from __future__ import annotations

from sqlalchemy import select

from .extensions import db


def unique_slug(model, wanted: str, *, own_id: int | None = None) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... whichever no other row uses."""
    candidate, n = wanted, 1
    while True:
        query = select(model.id).where(model.slug == candidate)
        if own_id is not None:
            query = query.where(model.id != own_id)
        if db.session.scalar(query) is None:
            return candidate
        n += 1
        suffix = f"-{n}"
        candidate = wanted[: 120 - len(suffix)] + suffix


def slug_taken(model, slug: str, *, own_id: int | None = None) -> bool:
    """Whether another row than ``own_id`` already uses ``slug``."""
    query = select(model.id).where(model.slug == slug)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return db.session.scalar(query) is not None
