"""Rules about news: what the public sees, and who may write and manage which post.

Administrators manage every post. An organiser writes news about the events they are
assigned to, and manages only the posts they wrote about those events: site-wide posts and
other people's posts are the administrators'.
"""

from __future__ import annotations

from typing import Any

from flask_babel import _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select

from ..events.editing import write_texts
from ..extensions import db
from ..models import Event, NewsPost, User, event_organiser
from ..organiser.access import can_manage
from ..slugs import slug_taken, unique_slug
from ..text import slugify

PER_PAGE = 10
# The texts written per language, in ``data["texts"][language]``.
TEXT_FIELDS = ("title", "summary", "body")

_published = select(NewsPost).where(NewsPost.is_published.is_(True))
_newest_first = (NewsPost.published_on.desc(), NewsPost.id.desc())


def latest_posts(limit: int) -> list[NewsPost]:
    return list(db.session.scalars(_published.order_by(*_newest_first).limit(limit)))


def news_page(number: int, per_page: int = PER_PAGE) -> Pagination:
    """One page of published news, newest first; a page that does not exist is a 404."""
    return db.paginate(_published.order_by(*_newest_first), page=number, per_page=per_page)


def published_post(slug: str) -> NewsPost | None:
    return db.session.scalar(_published.where(NewsPost.slug == slug))


class NewsError(ValueError):
    """The post cannot be saved as given: ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def may_manage_post(user: User, post: NewsPost) -> bool:
    if user.is_admin:
        return True
    return post.author_id == user.id and post.event is not None and can_manage(user, post.event)


def manageable_posts(user: User) -> Select[tuple[NewsPost]]:
    """The posts ``user`` may manage, as a query to refine further."""
    query = select(NewsPost)
    if not user.is_admin:
        mine = select(event_organiser.c.event_id).where(event_organiser.c.user_id == user.id)
        query = query.where(NewsPost.author_id == user.id, NewsPost.event_id.in_(mine))
    return query


def _event_for_post(event_id: int | None, user: User) -> int | None:
    """The event a post is about, if ``user`` may write about it (None: site-wide news)."""
    if event_id is None:
        if not user.is_admin:
            raise NewsError("event_id", _("Please choose one of your events."))
        return None
    event = db.session.get(Event, event_id)
    if event is None or not can_manage(user, event):
        raise NewsError("event_id", _("Please choose one of your events."))
    return event.id


def save_post(post: NewsPost | None, data: dict[str, Any], *, user: User) -> NewsPost:
    """Create (``post`` None, written by ``user``) or update a post from validated form data.

    ``data["texts"][language][field]`` holds the texts. Raises NewsError, with nothing
    changed, when a rule is broken.
    """
    main_language = data["main_language"]
    title = (data["texts"].get(main_language) or {}).get("title")
    if not title:
        raise NewsError(f"title_{main_language}", _("Please give the title in the main language."))
    event_id = _event_for_post(data.get("event_id") or None, user)
    own_id = post.id if post is not None else None
    if data.get("slug"):
        if slug_taken(NewsPost, data["slug"], own_id=own_id):
            raise NewsError("slug", _("Another post already uses this web address."))
        slug = data["slug"]
    else:
        slug = unique_slug(NewsPost, slugify(title), own_id=own_id)
    if post is None:
        post = NewsPost(author_id=user.id)
        db.session.add(post)
    post.main_language = main_language
    write_texts(post, data["texts"], TEXT_FIELDS)
    post.slug = slug
    post.published_on = data["published_on"]
    post.event_id = event_id
    post.is_published = bool(data.get("is_published"))
    db.session.flush()
    return post


def set_published(post: NewsPost, published: bool) -> None:
    post.is_published = published


def delete_post(post: NewsPost) -> None:
    db.session.delete(post)
