"""Email addresses: the one way to check one, to compare two, and to know one again without
keeping it (the keyed hash of the suppression list and the audit log)."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app


class InvalidEmail(ValueError):
    """Not an email address; the message says why, in English, for logs and tests."""


@lru_cache(maxsize=1024)
def checked_email(value: str) -> str:
    """The address as we store and show it: its domain in lower case and Unicode normal
    form (email-validator's normalisation). Raises ``InvalidEmail``."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc


def normalise_email(value: str) -> str:
    """The key under which an address is unique: for a registration per event, an invitation
    per event, an account, the suppression list. The local part is folded too, because in
    practice no provider treats ``Ana@`` and ``ana@`` as two people. Text that is not an
    address gets a key too (it then matches nothing that is), so look-ups need no check;
    a NUL in it is replaced, because PostgreSQL refuses NUL in text (an error, not "no row")."""
    try:
        return checked_email(value).casefold()
    except InvalidEmail:
        return value.strip().casefold().replace("\x00", "\ufffd")


def _hash_key(secret: str) -> bytes:
    # A key of its own, derived from SECRET_KEY: a hash made here is useless for signing.
    return hmac.new(secret.encode(), b"mmm-events address key", hashlib.sha256).digest()


def suppression_key(email: str, secret: str | None = None) -> str:
    """The keyed hash (HMAC-SHA256) of an address, under which the suppression list and the
    audit log know a person: it matches the same address again, but does not give it back.
    ``secret`` defaults to the application's SECRET_KEY (a migration passes it)."""
    key = _hash_key(secret if secret is not None else current_app.config["SECRET_KEY"])
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()
