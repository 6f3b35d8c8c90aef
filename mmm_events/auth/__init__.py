"""Organiser accounts: sign-in, sign-out, and the ``flask users`` commands."""
