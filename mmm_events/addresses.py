"""Email addresses: the one way to check one and to compare two."""

from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email


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
