"""gunicorn settings for mmm-events, used by deploy/systemd/mmm-events-web.service and by
`make cluster`: gunicorn -c deploy/gunicorn.conf.py 'mmm_events:create_app()'."""

import os

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


def child_exit(server, worker):
    """A worker process ended: its Prometheus files stop counting as live (multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
