"""The RSVP's statements and commits through psycopg directly: the baseline the RSVP POST is
measured against (bench_registration.py, issue 24 point 4). No ORM, no form, no template: the
same eleven statements and two commits the RSVP sends for a new registration with a seat
(read the event with the notice in force, its texts and questions; count the attempt and
commit; check both limits in one read; look for the address; insert the registration, its
days; claim the seat; insert the email and the consent; commit), on PostgreSQL only."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta

EVENT = """
SELECT event.id, event.*, (SELECT max(version) FROM privacy_notice) FROM event
WHERE event.slug = %(slug)s AND event.is_published"""
TEXTS = "SELECT * FROM event_text WHERE event_id = %(event_id)s"
QUESTIONS = """
SELECT question.*, question_text.* FROM question
LEFT OUTER JOIN question_text ON question_text.question_id = question.id
WHERE question.event_id = %(event_id)s AND question.removed_at IS NULL
ORDER BY question.position, question.id"""
ATTEMPT = """
INSERT INTO account_attempt (kind, at, account_digest, address_digest)
VALUES ('rsvp', %(now)s, %(account)s, %(address)s) RETURNING id"""
LIMITS = """
SELECT
  (SELECT at FROM account_attempt WHERE kind = 'rsvp' AND at > %(since)s
   AND address_digest = %(address)s AND id <> %(attempt)s ORDER BY at DESC
   LIMIT 1 OFFSET %(per_address)s),
  (SELECT at FROM account_attempt WHERE kind = 'rsvp' AND at > %(since)s
   AND account_digest = %(account)s AND id <> %(attempt)s ORDER BY at DESC
   LIMIT 1 OFFSET %(per_event)s)"""
EXISTING = """
SELECT * FROM registration WHERE event_id = %(event_id)s AND email_normalised = %(email)s"""
REGISTRATION = """
INSERT INTO registration (event_id, token, check_in_token, legacy_ticket, full_name, email,
  email_normalised, organisation, country, needs, language, status, consented_at,
  created_at, updated_at)
VALUES (%(event_id)s, %(token)s, %(check_in_token)s, false, %(full_name)s, %(email)s,
  %(email)s, %(organisation)s, %(country)s, '', 'en', 'confirmed', %(now)s, %(now)s, %(now)s)
RETURNING id"""
DAYS = "INSERT INTO registration_day (registration_id, day) VALUES {}"
SEAT = """
UPDATE event SET seats_taken = seats_taken + 1, updated_at = %(now)s
WHERE id = %(event_id)s AND seats_taken < capacity"""
OUTBOX = """
INSERT INTO outbox_message (message_id, kind, sender, recipient, recipient_name, subject,
  text_body, html_body, attachments, headers, render, status, attempts, next_attempt_at,
  last_error, created_at, event_id, registration_id)
VALUES (%(message_id)s, 'registration', 'events@example.org', %(email)s, %(full_name)s,
  '', '', '', '[]', '{}', '{"template": "registration_confirmation", "status": "confirmed"}',
  'queued', 0, %(now)s, '', %(now)s, %(event_id)s, %(registration_id)s)
RETURNING id"""
CONSENT = """
INSERT INTO consent (registration_id, notice_id, given_at, special_category)
VALUES (%(registration_id)s,
  (SELECT id FROM privacy_notice ORDER BY version DESC LIMIT 1), %(now)s, false)
RETURNING id"""


def _digest(purpose: str, value: str) -> str:
    key = os.environ["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def rsvp(connection, slug: str, form, client_address: str) -> bool:
    """One RSVP's statements and commits on ``connection`` (psycopg, not in autocommit)."""
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(EVENT, {"slug": slug})
        event = cursor.fetchone()
        event_id = event[0]
        cursor.execute(TEXTS, {"event_id": event_id})
        cursor.fetchall()
        cursor.execute(QUESTIONS, {"event_id": event_id})
        cursor.fetchall()
        values = {
            "now": now, "event_id": event_id, "account": _digest("event", str(event_id)),
            "address": _digest("address", client_address),
            "email": form["email"].lower(), "full_name": form["full_name"],
            "organisation": form.get("organisation", ""), "country": form.get("country", ""),
        }
        cursor.execute(ATTEMPT, values)
        values["attempt"] = cursor.fetchone()[0]
        connection.commit()
        cursor.execute(LIMITS, {
            **values, "since": now - timedelta(seconds=1),
            "per_address": 1_000_000 - 1, "per_event": 1_000_000 - 1,
        })
        if any(cursor.fetchone()):
            connection.rollback()
            return False
        cursor.execute(EXISTING, values)
        if cursor.fetchone() is not None:
            connection.rollback()
            return False
        cursor.execute(REGISTRATION, {
            **values, "token": secrets.token_urlsafe(32),
            "check_in_token": secrets.token_urlsafe(32),
        })
        values["registration_id"] = cursor.fetchone()[0]
        days = form.getlist("days")
        cursor.execute(
            DAYS.format(", ".join(["(%s, %s)"] * len(days))),
            [v for day in days for v in (values["registration_id"], day)],
        )
        cursor.execute(SEAT, values)
        cursor.execute(OUTBOX, {**values, "message_id": f"<{secrets.token_hex(16)}@bench>"})
        cursor.execute(CONSENT, values)
    connection.commit()
    return True
