"""Organiser accounts: sign-in within limits, sessions, password reset by email (``views``),
the accounts page and one's own password (``manage``), and the ``flask users`` commands."""
