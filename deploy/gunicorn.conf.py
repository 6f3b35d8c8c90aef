"""gunicorn settings for mmm-events, used by deploy/systemd/mmm-events-web.service and by
`make cluster`: gunicorn -c deploy/gunicorn.conf.py 'mmm_events:create_app()'."""

import ipaddress
import os

# Loopback (or a Unix socket, "unix:/run/mmm-events-web/gunicorn.sock"): with PROXY_COUNT set
# the app believes X-Forwarded-For, so only the proxy may reach gunicorn (see on_starting).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# Longer than any page takes; nginx waits 65 s (deploy/nginx/mmm-events-proxy-headers.conf).
timeout = 60
# On SIGTERM (systemctl stop/restart, a rolling release) requests in flight are finished,
# for up to this long, before the workers are stopped.
graceful_timeout = 30
keepalive = 5
# Access lines come from the app's own log (with the request id), not from gunicorn.
accesslog = None
errorlog = "-"


def _reachable_from_elsewhere(address) -> bool:
    """Whether other machines can connect to a parsed bind address: a (host, port) pair on
    anything but loopback, or a file descriptor handed over (its address is unknown)."""
    if isinstance(address, str):
        return False  # a Unix socket
    if isinstance(address, int):
        return True
    host = address[0]
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a host name: whatever it resolves to


def on_starting(server):
    """Refuse to start when a proxy is trusted (PROXY_COUNT) and gunicorn listens where
    others can reach it directly: they could send X-Forwarded-For themselves, pass for
    anyone (and for this machine) and so escape every per-address limit. GUNICORN_BIND_PRIVATE=1
    says the address is on a network only the proxy can reach (a firewall's job)."""
    proxies = int(os.environ.get("PROXY_COUNT") or 0)
    if not proxies or os.environ.get("GUNICORN_BIND_PRIVATE") == "1":
        return
    exposed = [
        bound for bound, address in zip(server.cfg.bind, server.cfg.address, strict=True)
        if _reachable_from_elsewhere(address)
    ]
    if exposed:
        raise RuntimeError(
            f"PROXY_COUNT={proxies} trusts X-Forwarded-For, but gunicorn would listen on "
            f"{', '.join(exposed)}, where clients can reach it without the proxy. Bind to "
            "127.0.0.1 or a Unix socket (GUNICORN_BIND), or set GUNICORN_BIND_PRIVATE=1 if "
            "only the proxy can reach that address."
        )


def child_exit(server, worker):
    """A worker process ended: its Prometheus files stop counting as live (multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
