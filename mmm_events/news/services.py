"""Rules about news as the public sees them."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import NewsPost
from ..pagination import Page

PER_PAGE = 10

_published = select(NewsPost).where(NewsPost.is_published.is_(True))
_newest_first = (NewsPost.published_on.desc(), NewsPost.id.desc())


def latest_posts(limit: int) -> list[NewsPost]:
    return list(db.session.scalars(_published.order_by(*_newest_first).limit(limit)))


def news_page(number: int, per_page: int = PER_PAGE) -> Page | None:
    """One page of published news, newest first; None when the page does not exist."""
    total = db.session.scalar(
        select(func.count()).select_from(NewsPost).where(NewsPost.is_published.is_(True))
    )
    pages = max((total + per_page - 1) // per_page, 1)
    if number < 1 or number > pages:
        return None
    items = db.session.scalars(
        _published.order_by(*_newest_first).limit(per_page).offset((number - 1) * per_page)
    )
    return Page(items=list(items), number=number, total=total, per_page=per_page)


def published_post(slug: str) -> NewsPost | None:
    return db.session.scalar(_published.where(NewsPost.slug == slug))
