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
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .bidi import isolate_tags, runs_against, tags_in_bdi
from .i18n import current_language, text_direction
from .models.texts import CONTENT_LANGUAGES

# A note beside a text shown in another language than the reader's: it says which.
WRITTEN_IN = {"en": _l("In English"), "fr": _l("In French"), "ar": _l("In Arabic")}

# What the organiser pages list as missing, per content type: the texts a reader sees.
EVENT_TEXTS = ("title", "summary", "description", "venue", "city", "country")
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


def untranslated(content: Any, fields: tuple[str, ...], languages) -> dict[str, list[str]]:
    """For each of ``languages`` other than the main one, the ``fields`` written in the main
    language but not in it: what its readers will get in the main language."""
    main = content.texts.get(content.main_language)
    written = [f for f in fields if main is not None and getattr(main, f)]
    found = {}
    for language in languages:
        if language == content.main_language:
            continue
        own = content.texts.get(language)
        missing = [f for f in written if own is None or not getattr(own, f)]
        if missing:
            found[language] = missing
    return found


@dataclass(frozen=True)
class LocalText:
    """A text as a template shows it: plain in text emails (``str``), and in HTML marked with
    its language where that is not the page's."""

    text: str
    lang: str
    page_lang: str
    is_html: bool = False

    def __str__(self) -> str:
        # Plain text: the catalogue isolates the placeholder a title fills, and the ``isolate``
        # filter a text standing on its own; a hashtag inside a mixed title is isolated here.
        return self.text if self.is_html else isolate_tags(self.text)

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

    @property
    def inner(self) -> Markup:
        """The text for an element that carries ``attrs`` itself: escaped, with a hashtag
        inside a mixed title in its own ``<bdi>``."""
        if self.is_html:
            return Markup(self.text)  # noqa: S704 - sanitised when saved
        return tags_in_bdi(self.text)

    def __html__(self) -> str:
        # Inside a sentence the text is isolated from the words around it: a Latin title in
        # an Arabic sentence keeps its punctuation at its own ends.
        if self.foreign:
            return str(Markup("<span{}>{}</span>").format(self.attrs, self.inner))
        if self.is_html or not runs_against(self.text, text_direction(self.page_lang)):
            # A block (the element around it carries ``attrs``), or a text whose letters all
            # run the page's way: nothing to isolate it from.
            return str(self.inner)
        return str(Markup("<bdi>{}</bdi>").format(self.inner))


def local_text(content: Any, field: str, language: str | None = None) -> LocalText:
    """The template helper: ``{{ local_text(event, 'title') }}`` in the page's language, or
    ``<div{{ text.attrs }}>`` around a block."""
    page = current_language()
    text, lang = localized(content, field, language or page)
    return LocalText(text=text, lang=lang, page_lang=page, is_html=field.endswith("_html"))


def register(app: Flask) -> None:
    app.add_template_global(local_text)
    app.add_template_global(missing_languages)
    app.add_template_global(WRITTEN_IN, "written_in")
