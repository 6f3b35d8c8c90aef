"""Every kind of email the mail worker writes, by the name a row gives it.

Mail knows no feature: each feature hands its renderers over when the application is created
(``create_app`` calls ``register_renderers`` with each feature's ``emails`` module's). A row
names its renderer when it is queued; a worker that does not know the name (an older release
still running during a rolling deploy) leaves the row for a worker that does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .outbox import Renderer

RENDERERS: dict[str, Renderer] = {}


def register_renderers(renderers: Mapping[str, Renderer]) -> None:
    """Make the worker and ``queue`` know these kinds of email. The same name handed over
    again (an application created twice in one process) must be the same renderer."""
    for name, renderer in renderers.items():
        known = RENDERERS.setdefault(name, renderer)
        if known is not renderer:
            raise ValueError(f"two renderers registered as {name!r}")
