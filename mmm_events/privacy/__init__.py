"""Personal data: consent, self-service and administrator export and erasure, retention,
the audit log and the record of processing.

This module itself holds only the keyed hash of an address, which the models use: importing
it loads nothing else.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from ..addresses import normalise_email


def _hash_key(secret: str) -> bytes:
    # A key of its own, derived from SECRET_KEY: a hash made here is useless for signing.
    return hmac.new(secret.encode(), b"mmm-events address key", hashlib.sha256).digest()


def suppression_key(email: str, secret: str | None = None) -> str:
    """The keyed hash (HMAC-SHA256) of an address, under which the suppression list and the
    audit log know a person: it matches the same address again, but does not give it back.
    ``secret`` defaults to the application's SECRET_KEY (a migration passes it)."""
    key = _hash_key(secret if secret is not None else current_app.config["SECRET_KEY"])
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()
