"""Who may read ``/metrics`` and ``/readyz``: the operator's scraper and checks, never the public.

With ``METRICS_TOKEN`` set, the request must carry it as a bearer token, from wherever it
comes. Without one, only this machine is answered, and "this machine" is decided by every
address the request names: the connection's own (``REMOTE_ADDR`` as the WSGI server saw it,
before ProxyFix rewrote it) and the one a proxy forwarded. A client that reaches gunicorn
directly and sends ``X-Forwarded-For: 127.0.0.1`` is refused on the first; a visitor that
nginx, on this machine, forwards is refused on the second.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request

# Where werkzeug's ProxyFix keeps the environ values it replaced.
PROXY_FIX_ORIGINAL = "werkzeug.proxy_fix.orig"


def connection_address() -> str:
    """The address of the peer of this connection, whatever ``X-Forwarded-For`` says."""
    original = request.environ.get(PROXY_FIX_ORIGINAL)
    if original is not None:
        return original.get("REMOTE_ADDR") or ""
    return request.environ.get("REMOTE_ADDR") or ""


def _is_this_machine(address: str) -> bool:
    if address == "":
        # gunicorn names no address for a connection on a Unix socket, which only processes
        # of this machine can open.
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def operator_request() -> bool:
    """Whether this request may read what only the operator sees."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), token.encode())
    return _is_this_machine(connection_address()) and _is_this_machine(
        request.remote_addr or ""
    )
