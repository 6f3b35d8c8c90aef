"""Email: the outbox. ``enqueue`` is the one way to send a message; the worker delivers it."""

from .outbox import Attachment, RenderedEmail, enqueue, render_email

__all__ = ["Attachment", "RenderedEmail", "enqueue", "render_email"]
