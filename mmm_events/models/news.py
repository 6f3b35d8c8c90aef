"""News posts, published on the site and in the Atom feed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, attribute_keyed_dict, mapped_column, relationship, validates

from ..extensions import db
from ..text import render_markdown
from ._base import UTCDateTime, utcnow
from .events import Event
from .texts import DEFAULT_LANGUAGE, MainLanguageText, WrittenInLanguages, language_check
from .users import User


class NewsPost(WrittenInLanguages, db.Model):
    __tablename__ = "news_post"
    __table_args__ = (language_check("main_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    # The language that must be written, and that readers get where theirs is not.
    main_language: Mapped[str] = mapped_column(
        String(8), default=DEFAULT_LANGUAGE, server_default=DEFAULT_LANGUAGE
    )
    published_on: Mapped[date] = mapped_column(Date, index=True)
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
    texts: Mapped[dict[str, NewsText]] = relationship(
        collection_class=attribute_keyed_dict("language"),
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    title = MainLanguageText()
    summary = MainLanguageText()
    body = MainLanguageText()
    body_html = MainLanguageText()

    def __repr__(self) -> str:
        return f"<NewsPost {self.slug}>"

    def text_in(self, language: str) -> NewsText:
        """The texts in ``language``, created empty when there are none yet."""
        if language not in self.texts:
            self.texts[language] = NewsText(language=language)
        return self.texts[language]


class NewsText(db.Model):
    """A post's texts in one language. Only the main language's title must be written."""

    __tablename__ = "news_text"
    __table_args__ = (
        UniqueConstraint("post_id", "language", name="uq_news_text_post_language"),
        language_check("language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("news_post.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The body as safe HTML, rendered whenever the Markdown is set, not on every view.
    body_html: Mapped[str] = mapped_column(Text, default="")

    @validates("body")
    def _render_body(self, _key: str, source: str) -> str:
        self.body_html = str(render_markdown(source))
        return source
