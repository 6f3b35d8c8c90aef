"""The schema comes from the Alembic migrations, on every engine, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from mmm_events.extensions import db


def pending_changes(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_migrations_build_the_schema_the_models_describe(app):
    # The database fixture was built by `upgrade` from nothing; nothing is left to autogenerate.
    assert pending_changes(app) == []


def test_downgrade_to_nothing_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {"event", "news_post", "registration", "outbox_message", "invitation"} <= tables
    assert pending_changes(app) == []
