"""Text of one direction inside text of the other: Latin inside Arabic, Arabic inside Latin.

A browser or a mail client lays out a line by the Unicode bidirectional algorithm, which
attaches punctuation to the direction around it: in "المؤتمر الدولي #Mothers4Peace" the "#"
belongs to the Arabic and lands after "Mothers4Peace", and an English sentence inside an
Arabic email ends with its full stop on the left. Isolating each piece that may run the other
way (a title, a name, a hashtag) keeps it in one piece: ``<bdi>`` in HTML, the Unicode first
strong isolate (U+2068 ... U+2069) in plain text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
# Every invisible character that steers direction: the marks (LRM, RLM, ALM), the embeddings
# and overrides, and the isolates.
DIRECTION_CONTROLS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# A hashtag or a handle: "#Mothers4Peace", "@MMM_org". Its "#" or "@" belongs to its word.
# One already isolated is left as it is.
_TAG = re.compile(r"(?<![\w\u2068])[#@]\w+")
_LEFT_TO_RIGHT = frozenset({"L"})
_RIGHT_TO_LEFT = frozenset({"R", "AL"})


@lru_cache(maxsize=4096)
def directions(text: str) -> frozenset[str]:
    """The directions of the letters in ``text``: {"ltr"}, {"rtl"}, both, or none (digits and
    punctuation only)."""
    found = set()
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in _LEFT_TO_RIGHT:
            found.add("ltr")
        elif kind in _RIGHT_TO_LEFT:
            found.add("rtl")
    return frozenset(found)


def runs_against(text: str, direction: str) -> bool:
    """Whether any letter of ``text`` runs against ``direction`` ("ltr" or "rtl")."""
    return ("ltr" if direction == "rtl" else "rtl") in directions(text)


def isolate_tags(text: str) -> str:
    """``text`` with each hashtag isolated, where it mixes both directions (plain text)."""
    if len(directions(text)) < 2:
        return text
    return _TAG.sub(lambda m: FIRST_STRONG_ISOLATE + m.group() + POP_DIRECTIONAL_ISOLATE, text)


def isolate(text: object, direction: str) -> str:
    """``text`` as a plain-text line in ``direction`` shows it: isolated when any of its
    letters run the other way, and its hashtags isolated inside it."""
    text = "" if text is None else str(text)
    if not runs_against(text, direction):
        return text
    return FIRST_STRONG_ISOLATE + isolate_tags(text) + POP_DIRECTIONAL_ISOLATE


def tags_in_bdi(text: str) -> Markup:
    """``text`` escaped for HTML, each hashtag in its own ``<bdi>`` where it mixes both
    directions."""
    if len(directions(text)) < 2:
        return escape(text)
    parts, last = [], 0
    for match in _TAG.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup("<bdi>{}</bdi>").format(match.group()))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def bdi(text: object, direction: str) -> Markup:
    """``text`` in HTML, isolated from the sentence around it in a page written in
    ``direction`` when any of its letters run the other way."""
    if hasattr(text, "__html__"):
        return escape(text)  # a text that isolates itself (content.LocalText)
    text = "" if text is None else str(text)
    if not runs_against(text, direction):
        return escape(text)
    return Markup("<bdi>{}</bdi>").format(tags_in_bdi(text))


def strip_direction_controls(value: str) -> str:
    """``value`` without the direction marks and isolates at its end: what a mail client that
    kept one after a link sends back in the link."""
    return value.rstrip(DIRECTION_CONTROLS)
