"""Starting and stopping the processes a benchmark measures: gunicorn and the mail worker.

Their output goes to a file in the benchmark's instance folder, never to an unread pipe: the
app logs every request, and once a pipe's buffer is full each worker blocks on its next log
line, so the benchmark would hang.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The RSVP limits under a benchmark's load, which comes from one client address at hundreds of
# RSVPs a second: still counted in the database on every RSVP, as in production, but over a
# one-second window, so that each count reads about as many rows as the default limits let
# through (500 an event in ten minutes) and nothing is refused.
RSVP_LIMITS_UNDER_LOAD = {
    "RSVP_LIMIT_PER_IP": "1000000 per 1 second",
    "RSVP_LIMIT_PER_EVENT": "1000000 per 1 second",
}

SECRET = "benchmark-secret-key-not-for-production"


def production_env(url: str, instance: Path, **settings: str) -> dict[str, str]:
    """The environment a benchmarked server runs in: production settings on database ``url``,
    its files in ``instance``, and ``settings`` besides."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "MMM_ENV": "production",
        "SERVER_NAME": "127.0.0.1",
        "INSTANCE_PATH": str(instance),
        **settings,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_file(env: dict, name: str):
    return open(Path(env["INSTANCE_PATH"]) / f"{name}.log", "ab")  # noqa: SIM115 - the child's


def start_gunicorn(
    app_spec: str, port: int, env: dict, workers: int, ready_path: str
) -> subprocess.Popen:
    """gunicorn with ``workers`` sync workers, once ``ready_path`` answers."""
    name = f"gunicorn-{port}"
    with _log_file(env, name) as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log_text = (Path(env["INSTANCE_PATH"]) / f"{name}.log").read_text()
            raise RuntimeError(f"gunicorn exited:\n{log_text[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"gunicorn did not answer {ready_path} within 30 s")


def start_mail_worker(env: dict) -> subprocess.Popen:
    with _log_file(env, "mail-worker") as log:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("flask")), "--app", "mmm_events", "mail-worker"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
