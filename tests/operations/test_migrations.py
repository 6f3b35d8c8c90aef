"""The schema comes from the Alembic migrations, on every engine, and matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from mmm_events.database import compared_with_models
from mmm_events.extensions import db
from mmm_events.models import Registration

# Migrations run on connections of their own: each test gets a database that really commits.
pytestmark = pytest.mark.real_commits

def pending_changes(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_object": compared_with_models,
            },
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


def test_down_and_up_again_through_every_table_rebuild_keeps_the_rows(
    app, create_event, create_registration
):
    """SQLite rebuilds a table to alter it; with foreign keys on, dropping the old ``event``
    table would delete every registration (ON DELETE CASCADE). Nothing may be lost."""
    event = create_event(capacity=10)
    people = [create_registration(event, full_name=f"Person {n}") for n in range(3)]
    with app.app_context():
        downgrade(revision="0005_outbox_claim_order")
        upgrade()
        names = db.session.scalars(
            select(Registration.full_name).order_by(Registration.id)
        ).all()
        foreign_keys = db.session.execute(text("PRAGMA foreign_keys")).scalar() if (
            db.engine.dialect.name == "sqlite"
        ) else 1
    assert names == [p.full_name for p in people]
    # The application's connections still enforce foreign keys after a migration.
    assert foreign_keys == 1


def test_the_signatorys_role_moves_into_the_main_languages_texts(app, create_event):
    """0034: each language's texts hold the signatory's role; the one an event had before is
    the main language's."""
    french = create_event(main_language="fr", title="Mères pour la paix")
    english = create_event()
    with app.app_context():
        downgrade(revision="0033_pending_covers")
        for event, role in ((french, "Présidente"), (english, "President")):
            db.session.execute(
                text("UPDATE event SET visa_signatory_role = :role WHERE id = :id"),
                {"role": role, "id": event.id},
            )
        db.session.commit()
        upgrade()
        roles = db.session.execute(
            text("SELECT event_id, language, visa_signatory_role FROM event_text "
                 "WHERE event_id IN (:french, :english) ORDER BY event_id, language"),
            {"french": french.id, "english": english.id},
        ).all()
    assert [tuple(row) for row in roles] == [
        (french.id, "fr", "Présidente"), (english.id, "en", "President")
    ]
