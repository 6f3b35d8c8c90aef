"""Countries by name in the reader's language, from Babel's data, sorted for that language."""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale

# Babel's territories include regions ("001", "150") and groupings that are no country.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


def _sort_key(name: str) -> str:
    """Accents and case ignored, as a dictionary orders ("Égypte" among the E's); enough
    for the three languages we show (Arabic letters sort in their code point order, which
    is the alphabet's)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """(ISO code, name in ``language``), sorted by name for that language."""
    names = Locale.parse(language).territories
    pairs = [
        (code, name) for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


def country_name(code: str, language: str) -> str:
    return Locale.parse(language).territories.get(code, code)
