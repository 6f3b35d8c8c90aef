"""Texts written in several languages: what events and news posts share.

Each content type keeps its texts in a table of its own, one row per language, and names a
main language: the one that must be written, and that visitors get where their own is not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint

CONTENT_LANGUAGES = ("en", "fr", "ar")
DEFAULT_LANGUAGE = "en"


def language_check(column: str) -> CheckConstraint:
    """The database refuses a language we cannot show."""
    allowed = ", ".join(f"'{code}'" for code in CONTENT_LANGUAGES)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_known")


class WrittenInLanguages:
    """A model whose texts live per language (events, news): its main language is set before
    the texts given to the constructor, which are written in it."""

    def __init__(self, **fields) -> None:
        self.main_language = fields.pop("main_language", DEFAULT_LANGUAGE)
        super().__init__(**fields)


class MainLanguageText:
    """A text attribute of the main language, read and written through the owner's ``texts``.

    Code that does not care about languages (organiser lists, exports, the feed) reads
    ``event.title`` as before and gets the main-language title.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, owner: Any, owner_type: type | None = None) -> Any:
        if owner is None:
            return self
        text = owner.texts.get(owner.main_language or DEFAULT_LANGUAGE)
        return getattr(text, self.name) if text is not None else ""

    def __set__(self, owner: Any, value: str) -> None:
        setattr(owner.text_in(owner.main_language or DEFAULT_LANGUAGE), self.name, value)
