"""The one way a row changes state: one conditional UPDATE, and the rows it returned.

``UPDATE … SET status = :to WHERE <which rows> AND status IN (:expected) RETURNING …`` is
serialised by the database (PostgreSQL's row locks, re-checking the condition on the row as
it stands once the lock is free; SQLite's write lock), so of two requests making the same
change at once (a double click, two organisers, two workers) only one gets each row back.
What follows from the change (an email queued, a seat freed) is done for the returned rows
only. RETURNING needs SQLite 3.35 or later; PostgreSQL has always had it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import InstrumentedAttribute

from .extensions import db


def transition(
    state: InstrumentedAttribute,
    where: ColumnElement[bool],
    expected: Iterable[Any],
    to: Any,
    *,
    returning: tuple[Any, ...] = (),
    **values: Any,
) -> list[Row]:
    """Move the rows that ``where`` picks, and whose ``state`` column (``Invitation.status``,
    ``User.is_active``) holds one of ``expected``, to ``to``, setting ``values`` too; the
    caller commits.

    Returns one row per row changed, in id order: its id, then the ``returning`` columns.
    The session's objects for those rows are brought up to date.
    """
    model = state.class_
    changed = db.session.execute(
        update(model)
        .where(where, state.in_(list(expected)))
        .values({state.key: to, **values})
        .returning(model.id, *returning)
        .execution_options(synchronize_session="fetch")
    )
    return sorted(changed, key=lambda row: row[0])


def lock_in_order(model: type, where: ColumnElement[bool], *order_by: Any) -> None:
    """Lock the rows of ``model`` that ``where`` picks, in ``order_by`` order, before a change
    of several of them; the caller commits.

    An UPDATE locks rows in the order its plan reads them: a table's physical order (which a
    changed row leaves, its new version written after the others) or an index's. Two changes
    of overlapping rows meeting them in opposite orders would each hold a row the other waits
    for, and PostgreSQL would abort one (a deadlock). So every change of several rows of a
    table locks them in that table's one order first: invitations by id, registrations in the
    order people registered (``registrations.status.REGISTRATION_ORDER``). SQLite locks the
    whole database, never a row: nothing to do there.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE, the lock an UPDATE takes: it lets rows that refer to these (a
        # check-in's receipt, a registration's invitation) be inserted meanwhile.
        db.session.execute(
            select(model.id).where(where).order_by(*order_by).with_for_update(key_share=True)
        )
