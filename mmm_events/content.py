"""Showing content in the reader's language: the one fallback rule, for pages and emails.

An event or a post holds its texts per language (``models.texts``). A reader gets each text
in their language when it is written, otherwise in the content's main language; a block shown
in another language than the page's is marked with its own ``lang`` (and ``dir``), so that
screen readers pronounce it, and Arabic runs right to left, inside a French or English page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from .i18n import current_language, text_direction
from .models.texts import CONTENT_LANGUAGES

# What the organiser pages list as missing, per content type: the texts a reader sees.
EVENT_TEXTS = ("title", "summary", "description", "venue")
NEWS_TEXTS = ("title", "summary", "body")


def localized(content: Any, field: str, language: str) -> tuple[str, str]:
    """``field`` of ``content`` in ``language`` if written, else in the main language; with
    the language of the text returned. ``description_html`` and ``body_html`` follow their
    Markdown source."""
    source = field.removesuffix("_html")
    own = content.texts.get(language)
    if own is not None and getattr(own, source):
        return getattr(own, field), language
    main = content.texts.get(content.main_language)
    return (getattr(main, field) if main is not None else ""), content.main_language


def missing_languages(content: Any, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """For each language, the ``fields`` not written in it (readers get the main language's)."""
    missing = {}
    for language in CONTENT_LANGUAGES:
        text = content.texts.get(language) if content is not None else None
        missing[language] = [f for f in fields if text is None or not getattr(text, f)]
    return missing


@dataclass(frozen=True)
class LocalText:
    """A text as a template shows it: plain in text emails (``str``), and in HTML marked with
    its language where that is not the page's."""

    text: str
    lang: str
    page_lang: str
    is_html: bool = False

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def foreign(self) -> bool:
        return self.lang != self.page_lang

    @property
    def attrs(self) -> Markup:
        """` lang="en" dir="ltr"` for the element holding the text when it is foreign; else
        ` dir="auto"`, for a name or a quotation written in another script."""
        if not self.foreign:
            return Markup(' dir="auto"')
        return Markup(' lang="{}" dir="{}"').format(self.lang, text_direction(self.lang))

    def __html__(self) -> str:
        content = Markup(self.text) if self.is_html else escape(self.text)  # noqa: S704 - sanitised at save
        if not self.foreign:
            return str(content)
        return str(Markup("<span{}>{}</span>").format(self.attrs, content))


def local_text(content: Any, field: str, language: str | None = None) -> LocalText:
    """The template helper: ``{{ local_text(event, 'title') }}`` in the page's language, or
    ``<div{{ text.attrs }}>`` around a block."""
    page = current_language()
    text, lang = localized(content, field, language or page)
    return LocalText(text=text, lang=lang, page_lang=page, is_html=field.endswith("_html"))


def register(app: Flask) -> None:
    app.add_template_global(local_text)
    app.add_template_global(missing_languages)
