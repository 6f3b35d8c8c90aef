"""``flask backup``: a consistent copy of the SQLite database while the site runs.

SQLite's online backup API copies the database page by page under its own locking, so the
copy is one committed state even while registrations are being written (a plain ``cp`` of a
WAL database may not be). On PostgreSQL use ``pg_dump`` instead (see the README).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url


def backup_sqlite(database: Path, destination: Path) -> None:
    """Copy ``database`` to ``destination`` (which must not exist yet), then check the copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target, pages=1024)
        # The copy is a plain database file, not WAL, so that it is one file to restore.
        target.execute("PRAGMA journal_mode=DELETE")
        verdict = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if verdict != "ok":
        raise click.ClickException(f"the copy {destination} failed its integrity check: {verdict}")


@click.command("backup")
@click.argument("destination", required=False, type=click.Path(path_type=Path))
@with_appcontext
def backup_command(destination: Path | None) -> None:
    """Copy the SQLite database, consistently, while the site runs (default: into
    instance/backups/, named by the time)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "flask backup copies the SQLite database; for PostgreSQL use pg_dump, e.g. "
            "pg_dump --format=custom --file=mmm.dump \"$DATABASE_URL\" (see the README)"
        )
    database = Path(url.database or "")
    if not database.is_file():
        raise click.ClickException(f"no database file at {database}")
    if destination is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        destination = Path(current_app.instance_path) / "backups" / f"mmm_events-{stamp}.sqlite3"
    if destination.exists():
        raise click.ClickException(f"{destination} exists already; name a new file")
    backup_sqlite(database, destination)
    click.echo(f"Backed up {database} to {destination}")
