"""Errors go to Sentry when SENTRY_DSN is set, and nowhere otherwise.

Each case runs in its own process: sentry-sdk is set up once per process, for good.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APP_WITH_AN_ERROR = """
import json, sys
import sentry_sdk
from mmm_events import create_app

app = create_app({
    "MMM_ENV": "production", "SERVER_NAME": "localhost", "SECRET_KEY": "test",
    "SENTRY_DSN": sys.argv[1],
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
})

@app.get("/boom")
def boom():
    raise RuntimeError("broken on purpose for Sentry")

status = app.test_client().get("/boom").status_code
sentry_sdk.flush(10)
print(json.dumps({"status": status, "active": sentry_sdk.get_client().is_active()}))
"""


class Collector(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.bodies.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        return None


def run_app(dsn: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", APP_WITH_AN_ERROR, dsn],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_an_error_is_reported_to_sentry_when_a_dsn_is_set():
    Collector.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        outcome = run_app(f"http://publickey@127.0.0.1:{server.server_port}/42")
    finally:
        server.shutdown()
        server.server_close()
    assert outcome == {"status": 500, "active": True}
    events = [
        json.loads(line)
        for body in Collector.bodies
        for line in body.splitlines()
        if b'"exception"' in line
    ]
    assert [e["exception"]["values"][-1]["value"] for e in events] == [
        "broken on purpose for Sentry"
    ]


def test_nothing_is_reported_without_a_dsn():
    assert run_app("") == {"status": 500, "active": False}
