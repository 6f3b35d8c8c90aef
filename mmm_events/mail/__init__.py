"""Email through the outbox.

``queue`` is the one way to send an email: it adds rows to the caller's transaction, and the
mail worker (``worker.py``) writes each with the renderer the row names (the one list is in
``renderers.py``) and delivers it with Flask-Mail.
"""

from .outbox import (
    Attachment,
    Email,
    Recipient,
    Renderer,
    RenderError,
    fill,
    queue,
    render_email,
    retry_failed,
)

__all__ = [
    "Attachment",
    "Email",
    "Recipient",
    "RenderError",
    "Renderer",
    "fill",
    "queue",
    "render_email",
    "retry_failed",
]
