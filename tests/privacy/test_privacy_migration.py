"""Migration 0013_privacy turns the addresses of the suppression list into keyed hashes, and
gives invitations theirs, so that an address unsubscribed before the upgrade stays so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from mmm_events.addresses import suppression_key
from mmm_events.extensions import db
from mmm_events.invitations import services as invitations
from mmm_events.models import Event, Invitation, Suppression

# Migrations run on connections of their own: each test gets a database that really commits.
pytestmark = pytest.mark.real_commits

def test_upgrade_hashes_existing_suppressions_and_invitations(app, create_event):
    event = create_event()
    moment = datetime(2026, 1, 1, tzinfo=UTC).isoformat(sep=" ")
    with app.app_context():
        downgrade(revision="0013_privacy-1")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO suppression (email_normalised, reason, created_at) "
                "VALUES ('gone@example.org', 'unsubscribe link', :at)"), {"at": moment})
            connection.execute(text(
                "INSERT INTO invitation (event_id, token, unsubscribe_token, email, "
                "email_normalised, name, organisation, language, note, status, "
                "decline_message, created_at) VALUES (:event, 't1', 'u1', 'Gone@example.org', "
                "'gone@example.org', 'Gone', '', 'en', '', 'imported', '', :at)"),
                {"event": event.id, "at": moment})
        upgrade()
        assert db.session.scalar(db.select(Suppression.email_key)) == suppression_key(
            "gone@example.org")
        assert db.session.scalar(db.select(Invitation.email_key)) == suppression_key(
            "gone@example.org")
        assert invitations.is_suppressed("GONE@example.org")
        assert invitations.count_sendable(db.session.get(Event, event.id)) == 0
