"""Organisers write event descriptions and news in Markdown; visitors get safe HTML."""

from __future__ import annotations

import re
import unicodedata

import bleach
import markdown
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "th": ["scope"]}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}


def render_markdown(source: str) -> Markup:
    """Markdown to HTML with everything that could run script removed."""
    html = markdown.markdown(source or "", extensions=["sane_lists", "tables"])
    clean = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by bleach above


def slugify(text: str, max_length: int = 80) -> str:
    """'#Mothers4Peace: Casablanca 2027' -> 'mothers4peace-casablanca-2027'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"
