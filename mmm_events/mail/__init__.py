"""Email through the outbox.

``queue`` is the one way to send an email: it adds rows to the caller's transaction, and the
mail worker (``worker.py``) writes each with the renderer the row names (each feature hands
its renderers over with ``register_renderers`` when the app is created; mail knows no
feature) and delivers it with Flask-Mail. What else changes the outbox is here too:
``retry_failed`` (the organiser's retry), ``drop_unsent``, ``drop_attachments`` and
``empty_old_bodies`` (personal data erased, or kept no longer).
"""

from .outbox import (
    Attachment,
    Email,
    Recipient,
    Renderer,
    RenderError,
    drop_attachments,
    drop_unsent,
    empty_old_bodies,
    fill,
    queue,
    render_email,
    retry_failed,
)
from .renderers import register_renderers

__all__ = [
    "Attachment",
    "Email",
    "Recipient",
    "RenderError",
    "Renderer",
    "drop_attachments",
    "drop_unsent",
    "empty_old_bodies",
    "fill",
    "queue",
    "register_renderers",
    "render_email",
    "retry_failed",
]
