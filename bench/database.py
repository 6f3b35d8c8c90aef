"""The PostgreSQL database a benchmark may use: named by BENCH_DATABASE_URL, wiped before use."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, make_url, text


def postgres_url() -> str | None:
    """BENCH_DATABASE_URL with the psycopg 3 driver, or None when it is not set."""
    raw = os.environ.get("BENCH_DATABASE_URL")
    if not raw:
        return None
    url = make_url(raw)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema: every benchmark starts from an empty database."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def engines() -> list[tuple[str, str]]:
    """The engines a benchmark runs on, as (label, "sqlite" or the PostgreSQL URL): SQLite
    always, PostgreSQL when BENCH_DATABASE_URL names a database it may wipe."""
    found = [("SQLite", "sqlite")]
    postgres = postgres_url()
    if postgres:
        found.append(("PostgreSQL", postgres))
    else:
        print("PostgreSQL: skipped (set BENCH_DATABASE_URL to a database it may wipe)")
    return found
