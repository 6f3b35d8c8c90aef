"""The places of a choice with a limit (a workshop of 30): taken and given back by one
conditional statement each, as the event's seats are (``registrations.seats``).

``question_option.places_taken`` counts the registrations not cancelled that chose the
option; the check constraint beneath refuses anything past ``places`` all the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, update

from ..extensions import db
from ..models import QuestionOption

_OPTION = QuestionOption.__table__
# Built once: an RSVP with a limited choice runs it.
_CLAIM_PLACE = (
    update(_OPTION)
    .where(
        _OPTION.c.id == bindparam("option"),
        _OPTION.c.places.is_not(None),
        _OPTION.c.places_taken < _OPTION.c.places,
    )
    .values(places_taken=_OPTION.c.places_taken + 1)
)
_RELEASE_PLACE = (
    update(_OPTION)
    .where(_OPTION.c.id == bindparam("option"), _OPTION.c.places_taken > 0)
    .values(places_taken=_OPTION.c.places_taken - 1)
)


def claim_place(option: QuestionOption) -> bool:
    """Take one place of ``option`` if one is free; always true for an option without a
    limit (it counts nothing). PostgreSQL locks the row until commit and re-checks the
    condition; SQLite's write lock serialises the writers."""
    if option.places is None:
        return True
    claimed = db.session.execute(_CLAIM_PLACE, {"option": option.id}).rowcount == 1
    db.session.expire(option, ["places_taken"])
    return claimed


def release_places(options: Iterable[QuestionOption]) -> None:
    """Give back one place of each limited option in ``options``."""
    for option in options:
        if option.places is not None:
            db.session.execute(_RELEASE_PLACE, {"option": option.id})
            db.session.expire(option, ["places_taken"])
