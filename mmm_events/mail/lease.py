"""Claiming outbox rows for one batch, and keeping the claim while the batch is in progress.

A claim is a lease (``claimed_until``), MAIL_LEASE_SECONDS long. While the worker holds the
batch, a heartbeat thread renews the lease every third of it, so a slow but live worker never
has its rows taken; a worker that dies stops renewing, and its rows are due again within one
lease. Should the heartbeat fail to renew (the database away), the worker stops sending the
batch before the lease runs out, so that another worker never sends the same rows again.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus
from ..transitions import transition


def lease_length() -> timedelta:
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def _queued(now: datetime):
    return and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)


def _lease_ran_out(now: datetime):
    # Claimed by a worker that stopped renewing its lease: it died.
    return and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now)


def claim_due(limit: int, now: datetime) -> list[int]:
    """Mark up to ``limit`` due rows as ours until the lease ends, and commit the claim."""
    lease = now + lease_length()
    # Locked until this transaction ends; other workers skip them (PostgreSQL). SQLite has no
    # row locks: there the UPDATE re-checks that each row is still due, and RETURNING says
    # which ones this worker really took; if another took them all meanwhile, look again.
    while candidates := due_ids(limit, now):
        claimed = transition(
            OutboxMessage.status,
            and_(OutboxMessage.id.in_(candidates), or_(_lease_ran_out(now), _queued(now))),
            [OutboxStatus.QUEUED, OutboxStatus.SENDING],
            OutboxStatus.SENDING,
            claimed_until=lease,
        )
        db.session.commit()
        if claimed:
            return [id_ for id_, in claimed]
    db.session.commit()
    return []


def due_ids(limit: int, now: datetime) -> list[int]:
    """Up to ``limit`` due rows: abandoned by a dead worker first, then the queue in order.

    Two queries, because each reads its rows straight from the index on (status,
    next_attempt_at, id), where one query with both would sort the whole queue.
    """
    found: list[int] = []
    for due in (_lease_ran_out(now), _queued(now)):
        found += db.session.scalars(
            select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit - len(found))
            .with_for_update(skip_locked=True)
        ).all()
        if len(found) == limit:
            break
    return found


class Lease:
    """The claim on one batch, renewed by a heartbeat thread until the batch is recorded.

    ``now`` is the time the rows were claimed at, as the worker counts it (tests move it);
    renewals count on from it with the monotonic clock. The lease's end, as written in
    ``claimed_until``, is what marks the rows as this worker's: a worker that takes them once
    the lease ran out writes its own.
    """

    def __init__(self, ids: list[int], now: datetime):
        self.ids = ids
        self.claimed_at = now
        self.length = lease_length()
        # The ends this lease may have written: the claim's, then the last renewal known to
        # have reached the database, and any renewal since that may or may not have.
        self._ends = [now + self.length]
        self.engine: Engine = db.engine
        self._started = time.monotonic()
        self._held_until = self._started + self.length.total_seconds()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="mail-lease", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()

    def holds(self) -> bool:
        """Whether the rows are still surely ours for one more message: a third of the lease
        to spare, as much as a heartbeat's interval."""
        return time.monotonic() < self._held_until - self.length.total_seconds() / 3

    def kept(self) -> set[int]:
        """The rows of the batch still claimed by this lease, which the caller's transaction
        then holds (row locks, or SQLite's write lock) until it records them. Call it once
        the lease has ended: a row another worker took meanwhile is its to record."""
        return {
            id_
            for id_, in transition(
                OutboxMessage.status,
                and_(OutboxMessage.id.in_(self.ids), OutboxMessage.claimed_until.in_(self._ends)),
                [OutboxStatus.SENDING],
                OutboxStatus.SENDING,
            )
        }

    def _beat(self) -> None:
        interval = self.length.total_seconds() / 3
        while not self._done.wait(interval):
            started = time.monotonic()
            until = self.claimed_at + timedelta(seconds=started - self._started) + self.length
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id.in_(self.ids),
                            OutboxMessage.status == OutboxStatus.SENDING,
                            OutboxMessage.claimed_until.in_(self._ends),
                        )
                        .values(claimed_until=until)
                    )
            except SQLAlchemyError:
                # Tried again at the next beat; holds() says when it is too late. Whether
                # this renewal was written is unknown: its end may be the rows' now.
                self._ends.append(until)
                continue
            self._ends = [until]
            self._held_until = started + self.length.total_seconds()
