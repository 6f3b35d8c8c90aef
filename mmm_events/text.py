"""Text as people type it: event descriptions and news in Markdown made safe HTML, slugs, and
people's names without the invisible characters that change how a page reads."""

from __future__ import annotations

import re
import unicodedata

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}


def render_markdown(source: str) -> Markup:
    """Markdown to HTML with everything that could run script removed.

    Called when a text is saved (see the models' validators), not when a page is shown.
    """
    html = markdown.markdown(source or "", extensions=["sane_lists", "tables"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_PROTOCOLS,
        strip_comments=True,
        # Links stay as written, as they did with bleach.
        link_rel=None,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 above


# Zero-width non-joiner and joiner: invisible between Latin letters, but part of how some
# names are spelled (below).
_JOINERS = "\u200c\u200d"
_VIRAMA = 9  # Unicode's canonical combining class of the virama


def clean_name(value: str) -> str:
    """A person's name as it is stored and shown (pages, lists, exports, email display names):
    without Unicode's format characters (category Cf), and stripped.

    Format characters are invisible and change how the text around them is shown: bidi
    overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E,
    U+200F, U+061C) reorder what an organiser reads ("\u202eevil.exe" reads "exe.live");
    zero-width spaces, joiners and the byte order mark (U+200B–U+200D, U+2060, U+FEFF) make
    two names that look alike differ. Letters of every script and their combining marks
    (Arabic vowel signs, accents typed as marks) are not format characters and stay.

    One exception, as Unicode's identifiers allow it (UAX #31): a zero-width non-joiner or
    joiner stays where it is part of the spelling, between two letters of Arabic script (the
    Persian "علی‌رضا" keeps its letters apart) or after a virama (Hindi's half forms); it
    shows there, so two names that differ by it also look different.
    """
    kept = [c for c in value if unicodedata.category(c) != "Cf" or c in _JOINERS]
    name: list[str] = []
    for position, character in enumerate(kept):
        if character in _JOINERS:
            before = name[-1] if name else ""
            after = kept[position + 1] if position + 1 < len(kept) else ""
            if not _spells(before, after):
                continue
        name.append(character)
    return "".join(name).strip()


def _spells(before: str, after: str) -> bool:
    """Whether a joiner between ``before`` and ``after`` is part of a name's spelling."""
    if not (before and after) or unicodedata.category(after)[0] not in "LM":
        return False
    if unicodedata.combining(before) == _VIRAMA:
        return True
    return _arabic_script_letter(before) and _arabic_script_letter(after)


def _arabic_script_letter(character: str) -> bool:
    return unicodedata.category(character)[0] in "LM" and unicodedata.name(
        character, ""
    ).startswith("ARABIC")


def slugify(text: str, max_length: int = 80) -> str:
    """'#Mothers4Peace: Casablanca 2027' -> 'mothers4peace-casablanca-2027'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"
