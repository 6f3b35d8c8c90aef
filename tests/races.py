"""The race harness: actions fired at the same moment, each on its own thread and database
connection, as simultaneous requests (or workers) are.

``fire_at_once`` posts to the real views; ``race`` calls the rules directly, each in its own
app context, and commits what each did, as a view would. Both release every thread together
from one barrier, once each has set itself up. Which of them the database lets through first
is up to it; ``cut_in`` forces the one interleaving that catches a rule which reads, then
writes what it read: the rival's whole change lands just before the action's first write.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text

from mmm_events.extensions import db
from tests.conftest import REGISTRATION_SERVER_NAME


def threaded_app(make_app, database_url, people: int, **overrides):
    """An app whose pool gives each of ``people`` threads its own connection."""
    if database_url.startswith("sqlite"):
        options = {"connect_args": {"timeout": 60}, "pool_size": people, "max_overflow": 0}
    else:
        options = {"pool_size": 15, "max_overflow": 15, "pool_timeout": 120}
    return make_app(
        SERVER_NAME=REGISTRATION_SERVER_NAME, SQLALCHEMY_ENGINE_OPTIONS=options, **overrides
    )


def together(count: int, work: Callable[[int, Callable[[], Any]], Any]) -> list[Any]:
    """Call ``work(rank, go)`` on ``count`` threads: each sets itself up, calls ``go()``,
    and waits there until all have; then they carry on at once. What each returned, by rank.
    An exception in any thread fails the test."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(rank: int) -> None:
        try:
            results[rank] = work(rank, start.wait)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            start.abort()  # the others stop waiting for this one

    threads = [threading.Thread(target=run, args=(rank,)) for rank in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def race(app, *actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at once, each in its own app context (so its own session and
    connection), committing what each did; what each returned, or the exception it raised
    (its work then rolled back), in the order given. A rule's refusal is an outcome, not a
    failure: the test says which outcomes are right."""

    def work(rank: int, go: Callable[[], Any]) -> Any:
        go()
        return _committed(app, actions[rank])

    return together(len(actions), work)


def _committed(app, action: Callable[[], Any]) -> Any:
    """Run ``action`` in an app context of its own and commit, as a view would; what it
    returned, or the exception it raised (its work then rolled back)."""
    with app.app_context():
        try:
            result = action()
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - returned for the test to judge
            db.session.rollback()
            result = exc
        db.session.remove()
    return result


def cut_in(
    app,
    action: Callable[[], Any],
    rival: Callable[[], Any],
    *,
    request: bool = False,
    after_writes: int = 0,
) -> list[Any]:
    """Run ``action`` as ``race`` does; just before it sends its first write (INSERT, UPDATE
    or DELETE, or a SELECT … FOR (NO KEY) UPDATE, which locks rows as they do), run
    ``rival`` to its commit on another thread and connection, then let ``action`` go on.
    What each returned or raised, as ``race``.

    With ``request``, the action is a request through a test client, which pushes its own
    context and commits (or not) as the view does; its response is what it returned. With
    ``after_writes``, the rival waits for that many of the action's writes to go first."""
    with app.app_context():
        engine = db.engine
    acting = threading.get_ident()
    outcome: dict[str, Any] = {}
    writes_left = [after_writes]

    def before_write(_connection, _cursor, statement, *_args) -> None:
        text = statement.lstrip().upper()
        # A SELECT … FOR (NO KEY) UPDATE takes the rows' locks as the write that follows would.
        writes = text.startswith(("INSERT", "UPDATE", "DELETE")) or any(
            lock in text for lock in ("FOR UPDATE", "FOR NO KEY UPDATE")
        )
        if not writes or threading.get_ident() != acting or "rival" in outcome:
            return
        if writes_left[0]:
            writes_left[0] -= 1
            return
        outcome["rival"] = race(app, rival)[0]

    event.listen(engine, "before_cursor_execute", before_write)
    try:
        result = action() if request else _committed(app, action)
    finally:
        event.remove(engine, "before_cursor_execute", before_write)
    assert "rival" in outcome, "the action wrote nothing: the rival never ran"
    return [result, outcome["rival"]]


def fire_at_once(app, paths: list[str], forms: list[dict] | None = None, prepare=None) -> Counter:
    """POST to each path (with the form of the same rank, if any) from its own thread and
    client (first given to ``prepare``, say to sign in), all released together; the response
    codes."""
    forms = forms or [None] * len(paths)
    assert len(forms) == len(paths)

    def post(rank: int, go: Callable[[], Any]) -> int:
        client = app.test_client()
        if prepare is not None:
            prepare(client)
        go()
        return client.post(paths[rank], data=forms[rank]).status_code

    return Counter(together(len(paths), post))


# The plan settings that make a statement read a table in its physical order, or its rows in
# the id index's order, as PostgreSQL chooses for tables of other sizes.
PLANS = {
    "table": ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"),
    "index": ("enable_seqscan", "enable_bitmapscan"),
}
# A row held as an UPDATE holds it (FOR NO KEY UPDATE: rows referring to it may be inserted).
HOLD_ROW = {
    "invitation": text("SELECT id FROM invitation WHERE id = :id FOR NO KEY UPDATE"),
    "registration": text("SELECT id FROM registration WHERE id = :id FOR NO KEY UPDATE"),
}


def caught_halfway(
    app, table: str, held_id: int, by_table: Callable[[], Any], by_index: Callable[[], Any]
) -> list[BaseException]:
    """On PostgreSQL, run ``by_table`` with plans that read ``table`` in its physical order,
    then ``by_index`` with plans that read its id index, each in its own app context and
    committing, while a third transaction holds the row ``held_id`` of ``table`` until both
    wait for a lock: each is caught halfway through the rows it locks. What they raised: a
    deadlock, where they lock rows in opposite orders."""
    with app.app_context():
        engine = db.engine
    errors: list[BaseException] = []

    def start(plan: str, action: Callable[[], Any]) -> threading.Thread:
        def run() -> None:
            with app.app_context():
                try:
                    for setting in PLANS[plan]:
                        db.session.execute(text(f"SET LOCAL {setting} = off"))
                    action()
                    db.session.commit()
                except BaseException as exc:  # noqa: BLE001 - returned to the test
                    errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with engine.connect() as holder, engine.connect() as watcher:
        watcher = watcher.execution_options(isolation_level="AUTOCOMMIT")
        holder.execute(HOLD_ROW[table], {"id": held_id})
        first = start("table", by_table)
        _waiting_for_locks(watcher, 1)
        second = start("index", by_index)
        _waiting_for_locks(watcher, 2)
        holder.rollback()
        first.join(30)
        second.join(30)
    return errors


def _waiting_for_locks(watcher, count: int) -> None:
    """Wait until ``count`` of this database's sessions wait for a lock."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = watcher.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        ))
        if waiting >= count:
            return
        time.sleep(0.02)
    sessions = watcher.execute(text(
        "SELECT state, wait_event_type, left(query, 120) FROM pg_stat_activity "
        "WHERE datname = current_database()"
    )).all()
    raise AssertionError(f"fewer than {count} sessions wait for a lock: {sessions}")
