"""Email: the outbox. ``enqueue`` is the one way to send a message (``queue_for_rendering``
for many at once, rendered by the worker); the worker delivers it."""

from .outbox import (
    Attachment,
    Pending,
    RenderedEmail,
    RenderError,
    enqueue,
    queue_for_rendering,
    render_email,
    renderer,
)

__all__ = [
    "Attachment",
    "Pending",
    "RenderError",
    "RenderedEmail",
    "enqueue",
    "queue_for_rendering",
    "render_email",
    "renderer",
]
