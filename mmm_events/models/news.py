"""News posts, published on the site and in the Atom feed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..text import render_markdown
from ._base import UTCDateTime, utcnow
from .events import Event
from .users import User


class NewsPost(db.Model):
    __tablename__ = "news_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date, index=True)
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The body as safe HTML, rendered whenever the Markdown is set, not on every view.
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    # Who wrote the post: an organiser manages only their own posts. None for posts written
    # before authors were recorded, and for authors since removed: those are the admins'.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    is_published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    event: Mapped[Event | None] = relationship()
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<NewsPost {self.slug}>"

    @validates("body")
    def _render_body(self, _key: str, source: str) -> str:
        self.body_html = str(render_markdown(source))
        return source
