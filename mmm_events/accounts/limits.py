"""Limits on failed sign-ins and reset requests, counted in the database.

Counting in the database (``mmm_events.attempts``), not in each web process's memory, makes
the limits hold under gunicorn's several workers and on several servers.

Per client address: at most N failed sign-ins (of any account) in a period, then refused until
the oldest leaves the period. Per account: after N failures in a row (each within the period of
the one before, or of the end of the wait it caused), every further attempt must first wait
1, 2, 4 … minutes, at most ``SIGN_IN_MAX_WAIT_MINUTES``: an attacker is slowed to a few guesses
an hour, and never locks the owner out for longer than that. At an address the owner signed in
from recently, only that address's own failures count, so an attack from elsewhere does not
make the owner wait at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import attempts
from ..attempts import TooManyAttempts, address_digest, configured_limit, digest
from ..config import COUNTED_LIMITS
from ..extensions import db
from ..models import AccountAttempt, AttemptKind, User, UsualAddress

# Named here too: the sign-in and reset code know them as parts of this module.
__all__ = ["TooManyAttempts", "address_digest"]

# Attempts are kept at least this long, so that a patient attacker's run of failures is
# still seen; longer when a configured period is longer.
MIN_MEMORY = timedelta(days=1)
FIRST_WAIT = timedelta(minutes=1)


def _limit(setting: str) -> tuple[int, timedelta]:
    return configured_limit(setting)


def account_reset_limit() -> tuple[int, timedelta]:
    return _limit("PASSWORD_RESET_LIMIT_PER_ACCOUNT")


def _max_wait() -> timedelta:
    return timedelta(minutes=current_app.config["SIGN_IN_MAX_WAIT_MINUTES"])


def account_digest(normalised_email: str) -> str:
    return digest("account", normalised_email)


@dataclass(frozen=True)
class Run:
    """An account's current run of failures: how many, since when, and the wait it imposes."""

    failures: int
    started_at: datetime | None
    wait_until: datetime | None


def wait_after(failures: int, allowed: int, max_wait: timedelta) -> timedelta:
    if failures < allowed:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - allowed, 20), max_wait)


def current_run(
    times: list[datetime], now: datetime, allowed: int, period: timedelta, max_wait: timedelta
) -> Run:
    """The run of failures (``times``, oldest first) still in force at ``now``."""
    failures, started, last, wait = 0, None, None, timedelta(0)
    for at in times:
        if last is None or at > last + wait + period:
            failures, started = 0, at
        failures += 1
        last, wait = at, wait_after(failures, allowed, max_wait)
    if last is None or now > last + wait + period:
        return Run(0, None, None)
    return Run(failures, started, last + wait if wait else None)


def _memory() -> timedelta:
    # Every limit counted in the database, and the seats held unconfirmed (as long as a hold).
    periods = [_limit(name)[1] for name in COUNTED_LIMITS]
    periods.append(timedelta(minutes=current_app.config["RSVP_HOLD_MINUTES"]))
    return max(MIN_MEMORY, max(periods) + _max_wait())


# Sign-in -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A sign-in being checked, already written down as a failure (see ``reserve_sign_in``)."""

    id: int
    account: str
    address: str
    usual_address: bool


def is_usual_address(user: User | None, address: str, now: datetime) -> bool:
    if user is None:
        return False
    since = now - timedelta(days=current_app.config["SIGN_IN_USUAL_ADDRESS_DAYS"])
    return (
        db.session.scalar(
            select(UsualAddress.id).where(
                UsualAddress.user_id == user.id,
                UsualAddress.address_digest == address,
                UsualAddress.last_signed_in_at > since,
            )
        )
        is not None
    )


def reserve_sign_in(
    normalised_email: str, client_address: str, user: User | None, now: datetime
) -> Attempt:
    """Write the attempt down as a failure before its password is checked, and commit.

    Every process then counts it: N requests sent at once cannot all pass a limit that only
    N of them fit under. A right password withdraws it; a refused attempt too.
    """
    account, address = account_digest(normalised_email), address_digest(client_address)
    usual = is_usual_address(user, address, now)
    row = AccountAttempt(
        kind=AttemptKind.SIGN_IN, at=now, account_digest=account, address_digest=address
    )
    db.session.add(row)
    db.session.commit()
    return Attempt(row.id, account, address, usual)


def check_sign_in(attempt: Attempt, now: datetime) -> None:
    """Raise TooManyAttempts if the address or the account must wait; others' attempts count."""
    until = attempts.refused_until(
        AttemptKind.SIGN_IN,
        now=now,
        limit=_limit("SIGN_IN_LIMIT_PER_IP"),
        address=attempt.address,
        excluding=attempt.id,
    )
    if until is not None:
        raise TooManyAttempts(until)
    only_from = attempt.address if attempt.usual_address else None
    run = account_run(attempt.account, now, address=only_from, excluding=attempt.id)
    if run.wait_until is not None and run.wait_until > now:
        raise TooManyAttempts(run.wait_until)


def account_run(
    account: str, now: datetime, *, address: str | None = None, excluding: int | None = None
) -> Run:
    """The account's run of failures; only those from ``address`` when it is given."""
    query = select(AccountAttempt.at).where(
        AccountAttempt.kind == AttemptKind.SIGN_IN,
        AccountAttempt.account_digest == account,
        AccountAttempt.at > now - _memory(),
    )
    if address is not None:
        query = query.where(AccountAttempt.address_digest == address)
    if excluding is not None:
        query = query.where(AccountAttempt.id != excluding)
    times = list(db.session.scalars(query.order_by(AccountAttempt.at, AccountAttempt.id)))
    amount, period = _limit("SIGN_IN_LIMIT_PER_ACCOUNT")
    return current_run(times, now, amount, period, _max_wait())


def withdraw(attempt: Attempt) -> None:
    attempts.withdraw(attempt.id)


def prune(now: datetime) -> None:
    # Every kind, RSVPs and holds too: their periods are among those _memory() covers.
    attempts.prune(tuple(AttemptKind), now - _memory())


def remember_usual_address(user: User, address: str, now: datetime) -> None:
    """After a successful sign-in (or a reset from the emailed link): this address is the
    owner's. Two processes may insert the same pair at once; the savepoint keeps the loser's
    transaction usable."""
    changed = db.session.execute(
        update(UsualAddress)
        .where(UsualAddress.user_id == user.id, UsualAddress.address_digest == address)
        .values(last_signed_in_at=now)
    ).rowcount
    if changed:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                UsualAddress(
                    user_id=user.id, address_digest=address, last_signed_in_at=now
                )
            )
    except IntegrityError:
        pass


def claim_warning(user: User, run: Run, now: datetime) -> bool:
    """Whether this failure is the one that tells the owner; once per run, whatever the
    number of processes (a conditional UPDATE)."""
    if run.started_at is None:
        return False
    return bool(
        db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                (User.sign_in_warning_at.is_(None))
                | (User.sign_in_warning_at < run.started_at),
            )
            .values(sign_in_warning_at=now)
        ).rowcount
    )


# Reset requests ------------------------------------------------------------------------------


def record_reset_request(normalised_email: str, client_address: str, now: datetime) -> None:
    """Count a request for a reset link against the client; raise if it asked too often."""
    address = address_digest(client_address)
    until = attempts.refused_until(
        AttemptKind.PASSWORD_RESET,
        now=now,
        limit=_limit("PASSWORD_RESET_LIMIT_PER_IP"),
        address=address,
    )
    if until is not None:
        raise TooManyAttempts(until)
    prune(now)
    db.session.add(
        AccountAttempt(
            kind=AttemptKind.PASSWORD_RESET,
            at=now,
            account_digest=account_digest(normalised_email),
            address_digest=address,
        )
    )

