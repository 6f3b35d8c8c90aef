"""``flask events export SLUG`` and ``flask events import FILE``: an event as a JSON file
(``events.transfer``), to copy next year's conference from this year's, or between servers."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import Event
from .transfer import TransferError, create_event, describe

events_cli = AppGroup("events", help="Export an event to a file, or create one from a file.")


def event_file(event: Event) -> str:
    """The file's text: sorted keys and an indent, so that it compares and diffs well."""
    return json.dumps(describe(event), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@events_cli.command("export")
@click.argument("slug")
def export_command(slug: str) -> None:
    """Write the event SLUG as JSON to standard output."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"No event “{slug}”.")
    sys.stdout.write(event_file(event))


@events_cli.command("import")
@click.argument("file", type=click.File("rb"))
def import_command(file) -> None:
    """Create an unpublished event from a JSON FILE written by ``flask events export``."""
    try:
        data = json.loads(file.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"The file is not JSON: {exc}.") from exc
    try:
        event = create_event(data)
    except TransferError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created the event “{event.slug}” (unpublished).")
