"""Organiser accounts: sign-in within limits, sessions, password reset by email, and the
``flask users`` commands."""
