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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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
    # Two minutes: on a machine shared with others' test runs, starting takes a while.
    deadline = time.monotonic() + 120
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
    raise RuntimeError(f"gunicorn did not answer {ready_path} within 120 s")


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


def own_cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process, from /proc; 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and of its children still running (gunicorn's
    workers), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own_cpu_seconds(pid) + sum(own_cpu_seconds(int(child)) for child in children)


def database_cpu_seconds(url: str) -> float:
    """CPU time of the PostgreSQL backends serving database ``url`` (other than the one that
    asks), when they run on this machine; 0 for SQLite, which runs inside the workers. A
    backend that exits between two readings takes its time with it: the servers measured
    keep theirs open (SQLAlchemy's pool)."""
    if not url.startswith("postgresql"):
        return 0.0
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        pids = connection.scalars(text(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).all()
    engine.dispose()
    return sum(own_cpu_seconds(pid) for pid in pids)
