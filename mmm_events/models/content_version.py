"""``Event.content_version``: one number that grows whenever what the public event page shows
of an event changes, so that every process can keep the page rendered per version
(``events/page_cache.py``) and read only that number on a view.

Every flush that adds, changes or deletes an event's shown columns, its texts, its cover, its
questions,
their texts, options or options' texts adds one to the version of the events concerned, in
the same transaction (one UPDATE after the flush). Not counted here: the seats and the
places taken, changed by conditional UPDATEs and read on each view anyway.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from .covers import CoverImage
from .events import Event, EventText
from .questions import OptionText, Question, QuestionOption, QuestionText

# Columns of the event that change without changing what the page shows as kept: the seats
# (put in per request) and the version's own bookkeeping.
NOT_SHOWN = frozenset({"seats_taken", "updated_at", "content_version"})
COUNTED = (Event, EventText, CoverImage, Question, QuestionText, QuestionOption, OptionText)


def _changed(session: Session, row) -> bool:
    if row in session.new or row in session.deleted:
        return True
    if not isinstance(row, Event):
        return session.is_modified(row, include_collections=False)
    state = inspect(row)
    return any(
        state.attrs[column.key].history.has_changes()
        for column in state.mapper.column_attrs
        if column.key not in NOT_SHOWN
    )


@sqlalchemy_event.listens_for(Session, "after_flush")
def _count_content_changes(session: Session, _flush_context) -> None:
    events: set[int] = set()
    questions: set[int] = set()
    options: set[int] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        if not isinstance(row, COUNTED) or not _changed(session, row):
            continue
        # Read from what the row holds, never loaded now: a deleted row cannot be loaded.
        values = inspect(row).dict
        if isinstance(row, Event):
            if row not in session.new:
                events.add(values.get("id"))
        elif isinstance(row, Question):
            events.add(values.get("event_id"))
        elif isinstance(row, QuestionText | QuestionOption):
            questions.add(values.get("question_id"))
        elif isinstance(row, OptionText):
            options.add(values.get("option_id"))
        else:
            events.add(values.get("event_id"))
    events.discard(None)
    questions.discard(None)
    options.discard(None)
    if not (events or questions or options):
        return
    table = Event.__table__
    of_questions = select(Question.event_id).where(
        or_(
            Question.id.in_(questions),
            Question.id.in_(
                select(QuestionOption.question_id).where(QuestionOption.id.in_(options))
            ),
        )
    )
    session.connection().execute(
        table.update()
        .where(or_(table.c.id.in_(events), table.c.id.in_(of_questions)))
        # updated_at stays: it dates the event's own changes (calendar SEQUENCEs use it).
        .values(content_version=table.c.content_version + 1, updated_at=table.c.updated_at)
    )
