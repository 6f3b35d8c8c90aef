"""``flask doctor``: find, and put right, what the database's constraints cannot see;
``flask release-holds``: free the seats held for addresses nobody confirmed in time."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..models import Event, utcnow
from .holds import release_expired_holds
from .seats import repair_seat_drift, seat_drift
from .status import fill_free_seats


@click.command("doctor")
@click.option("--repair", is_flag=True, help="Put right what is found, instead of only reporting.")
@with_appcontext
def doctor_command(repair: bool) -> None:
    """Check that each event's seat count equals its registrations holding a seat (confirmed,
    or pending the confirmation of their address).

    With --repair, set each drifted count to those registrations, then give the seats
    that frees to the people waiting, in order, who are emailed. Exits with status 1 when
    something was found, so that a scheduler can alert.
    """
    drifts = repair_seat_drift() if repair else seat_drift()
    for drift in drifts:
        click.echo(
            f"{drift.slug}: seats_taken {drift.seats_taken}, holding {drift.holding}, "
            f"capacity {drift.capacity}"
            + (" (more people holding seats than seats: cancel someone or add seats)"
               if drift.holding > drift.capacity else "")
        )
    if repair:
        for drift in drifts:
            promoted = fill_free_seats(db.session.get(Event, drift.event_id), now=utcnow())
            if promoted:
                click.echo(f"{drift.slug}: {len(promoted)} moved up from the waiting list")
        db.session.commit()
    if not drifts:
        click.echo("Seat counts match the registrations holding a seat.")
    elif not repair:
        click.echo("Run `flask doctor --repair` to put this right.")
    raise SystemExit(1 if drifts else 0)


@click.command("release-holds")
@with_appcontext
def release_holds_command() -> None:
    """Cancel the registrations whose address was not confirmed in time (double opt-in), and
    give the seats they held to the people waiting, who are emailed. Run it every few minutes
    (a registration for the same event does it too, for that event)."""
    released = release_expired_holds(utcnow())
    db.session.commit()
    click.echo(f"{released} unconfirmed registrations released.")
