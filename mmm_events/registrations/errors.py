"""What the rules of registering refuse, each with its own class: the views tell the person
registering in words of their own."""

from __future__ import annotations


class RegistrationError(Exception):
    """A registration that the rules refuse; the message is for the person registering."""


class RegistrationClosed(RegistrationError):
    """Registration is not possible now. ``reason`` is "draft", "not_open" or "closed"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvitationRequired(RegistrationError):
    """The event is by invitation only and no valid invitation came with the registration."""


class InvitationForSomeoneElse(RegistrationError):
    """The invitation admits only the address it was sent to, and this is another."""


class InvitationUsedUp(RegistrationError):
    """The invitation has already admitted every person it may."""


class InvalidDays(RegistrationError):
    """The chosen days are not days of the event."""


class AlreadyRegistered(RegistrationError):
    """Another registration of the same event already uses that email address."""


class InvalidEmail(RegistrationError):
    """Not an email address (the form checks first; this guards direct callers)."""
