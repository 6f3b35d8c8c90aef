"""A real gunicorn with two sync workers, as the README's production command runs it, for the
tests that limits hold across processes (sign-in, RSVP)."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port


class Gunicorn:
    """gunicorn with two sync workers on a free loopback port (or on ``host``, e.g. 0.0.0.0 to
    be reached from another address); each response's worker pid is read back from the access
    log."""

    def __init__(
        self, database_url: str, folder: Path, host: str = "127.0.0.1", **settings: str
    ) -> None:
        self.port = free_port()
        self.log = folder / "access.log"
        env = {
            **os.environ,
            "MMM_ENV": "production",
            "SECRET_KEY": "gunicorn-test-secret",
            "SERVER_NAME": f"127.0.0.1:{self.port}",
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(folder),
            # The client address comes from X-Forwarded-For, so one test can be many people.
            "PROXY_COUNT": "1",
            **settings,
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn), "-w", "2", "-b", f"{host}:{self.port}",
                "--access-logfile", str(self.log), "--access-logformat", "%(p)s %(s)s %(m)s %(U)s",
                "mmm_events:create_app()",
            ],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=30):
                    return
            except OSError:  # refused while the workers start, or slow on a busy machine
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def post_form(
        self, path: str, fields: dict, address: str, page: str | None = None
    ) -> tuple[int, str]:
        """Send the form at ``path`` (read first, or the ``page`` that shows it, for its CSRF
        token and cookie) with ``fields`` from client ``address``; the status of the POST and
        the pid of the worker that answered it."""
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        url = f"http://127.0.0.1:{self.port}{path}"
        with opener.open(f"http://127.0.0.1:{self.port}{page or path}", timeout=30) as form:
            page = form.read().decode()
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        before = len(self._log_lines()) + 1  # the GET's line may not be written yet
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode({**fields, "csrf_token": token}, doseq=True).encode(),
            headers={"X-Forwarded-For": address},
        )
        try:
            with opener.open(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, self._pid_of_post(before, status)

    def _log_lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def _pid_of_post(self, skip: int, status: int) -> str:
        # gunicorn writes the access line after the response; wait for it.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            posts = [
                line.split() for line in self._log_lines()[skip - 1 :] if "POST" in line
            ]
            if posts:
                pid, logged = posts[-1][:2]
                assert int(logged) == status
                return pid
            time.sleep(0.01)
        raise RuntimeError("no access log line")

    def workers(self) -> list[str]:
        """The pids of the workers, written as the access log writes them ("<1702>")."""
        master = str(self.process.pid)
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # "pid (name) state ppid ...": the name may hold spaces, so split after it.
                if stat.read_text().rsplit(")", 1)[1].split()[1] == master:
                    found.append(f"<{stat.parent.name}>")
        return sorted(found)

    @contextlib.contextmanager
    def only_worker(self, pid: str) -> Iterator[None]:
        """Every request sent meanwhile is served by worker ``pid``: the others are stopped
        (SIGSTOP) until the block ends, so the kernel cannot hand a connection to them."""
        others = [int(other.strip("<>")) for other in self.workers() if other != pid]
        assert len(others) == 1, f"{pid} is not one of two workers"
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            yield
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def gunicorn(database_url, tmp_path, app) -> Iterator:
    # ``app`` is only there to have the test's database ready (and emptied) before the start.
    servers: list[Gunicorn] = []

    def start(host: str = "127.0.0.1", **settings: str) -> Gunicorn:
        server = Gunicorn(database_url, tmp_path, host, **settings)
        servers.append(server)
        server.wait_until_ready()
        return server

    yield start
    for server in servers:
        server.stop()


def refused_in_a_worker_that_did_not_count(server, failures, attempt, limit: int) -> str:
    """Send a refused attempt to a worker that served fewer than ``limit`` of the ``failures``
    (status, pid) itself, the other being stopped: only a shared count can make it refuse.
    The pid of that worker."""
    counted = Counter(pid for _, pid in failures)
    uncounting = next(pid for pid in server.workers() if counted[pid] < limit)
    with server.only_worker(uncounting):
        status, pid = attempt()
    assert (status, pid) == (429, uncounting)
    return pid
