"""Search text folded the way people type it, in one place for every search and both engines.

Case is folded for every script ("élodie" finds "Élodie"). Arabic names are written with or
without hamza and short vowels, and their endings vary with the writer: "امينة" must find
"أمينة". So the alef forms (أ إ آ ٱ) read as ا, the hamza seats ؤ and ئ as و and ي, taa
marbuta (ة) as haa (ه), alif maqsura (ى) as yaa (ي), and the diacritics and the tatweel (ـ)
are dropped, as are the zero-width non-joiner and joiner that Persian names may hold
("علیرضا" finds "علی‌رضا", see text.clean_name).
"""

from __future__ import annotations

import re

from sqlalchemy import and_, func

ARABIC_VARIANTS = "أإآٱؤئةى"
ARABIC_BASES = "ااااويهي"
# Tatweel, the harakat (fathatan ... sukun), the superscript alef and the two joiners.
ARABIC_DROPPED = "\u0640" + "".join(map(chr, range(0x064B, 0x0653))) + "\u0670\u200c\u200d"
_ARABIC_TABLE = str.maketrans(ARABIC_VARIANTS, ARABIC_BASES, ARABIC_DROPPED)
_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")


def fold(text: str) -> str:
    """``text`` as searches compare it."""
    return text.casefold().translate(_ARABIC_TABLE)


def folds_arabic(text: str) -> bool:
    """Whether ``text`` holds Arabic letters: a search for it compares folded columns, where
    a name written with short vowels or hamza matches too."""
    return _ARABIC_LETTER.search(text) is not None


def folded_column(column, dialect: str):
    """``column`` folded in SQL like ``fold`` in Python: SQLite calls ``fold`` itself (see
    ``database.configure_engines``); PostgreSQL lowers and translates, dropping what has no
    counterpart."""
    if dialect == "sqlite":
        return func.fold_search(column)
    return func.translate(func.lower(column), ARABIC_VARIANTS + ARABIC_DROPPED, ARABIC_BASES)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column, text: str, dialect: str):
    """``column`` contains ``text``, ignoring case, and Arabic spelling variants where the
    text holds Arabic letters, on the engine named by ``dialect``: every search box (the
    registrant list, the check-in search, the invitee list) compares this way."""
    if folds_arabic(text):
        # Latin searches keep the plain comparison below, which PostgreSQL's trigram index
        # answers; folding changes Arabic letters only.
        return folded_column(column, dialect).like(_like_pattern(fold(text)), escape="\\")
    if dialect != "sqlite":
        # lower() LIKE reads 100,000 rows about twice as fast as ILIKE on PostgreSQL.
        return func.lower(column).like(_like_pattern(text.lower()), escape="\\")
    if text.isascii():
        # SQLite's LIKE already ignores the case of ASCII letters, and is fastest alone.
        return column.like(_like_pattern(text), escape="\\")
    folded = func.casefold(column).like(_like_pattern(text.casefold()), escape="\\")
    # Python's casefold runs per row; the query's longest ASCII stretch, which any match
    # contains too, lets SQLite's own LIKE discard most rows before it is called.
    stretch = max(re.findall(r"[\x20-\x7e]+", text), key=len, default="")
    if len(stretch.strip()) < 2:
        return folded
    return and_(column.like(_like_pattern(stretch), escape="\\"), folded)
