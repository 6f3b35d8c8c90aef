"""Email: the outbox. ``enqueue`` is the one way to send a message (``queue_for_rendering``
for many at once, rendered by the worker); the worker delivers it."""

from .outbox import (
    Attachment,
    Pending,
    RenderedEmail,
    RenderError,
    enqueue,
    insert_rows,
    queue_for_rendering,
    render_email,
    renderer,
    rows_for_rendering,
)

__all__ = [
    "Attachment",
    "Pending",
    "RenderError",
    "RenderedEmail",
    "enqueue",
    "insert_rows",
    "queue_for_rendering",
    "render_email",
    "renderer",
    "rows_for_rendering",
]
