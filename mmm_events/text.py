"""Organisers write event descriptions and news in Markdown; visitors get safe HTML."""

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


def slugify(text: str, max_length: int = 80) -> str:
    """'#Mothers4Peace: Casablanca 2027' -> 'mothers4peace-casablanca-2027'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"
