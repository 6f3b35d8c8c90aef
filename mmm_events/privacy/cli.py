"""``flask privacy purge [--dry-run]`` and ``flask privacy record``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import utcnow
from .record import as_markdown, record_of_processing
from .retention import purge

privacy_cli = AppGroup("privacy", help="Personal data: retention, record of processing.")


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Print what would be done, and change nothing.")
def purge_command(dry_run: bool) -> None:
    """Anonymise data past its retention period, delete old email bodies and abandoned
    uploads. Safe to run as often as you like (daily, from cron or a systemd timer)."""
    report = purge(now=utcnow(), dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.lines(dry_run):
        click.echo(line)


@privacy_cli.command("record")
def record_command() -> None:
    """Print the record of processing as a Markdown table (the README's section)."""
    click.echo(as_markdown(record_of_processing()))
