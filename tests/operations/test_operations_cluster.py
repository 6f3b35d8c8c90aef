"""`make cluster` starts nginx, two web servers and two mail workers, and stops them all.

Needs PostgreSQL (TEST_DATABASE_URL; the cluster uses a database of its own beside it) and
nginx; about 15 s. The production site in deploy/nginx/ is checked by `nginx -t` too.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, free_port, postgres_url

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def metric(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def port_closed(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def cluster(tmp_path):
    ports = {"nginx": free_port(), "web": free_port()}
    while not port_closed(ports["web"] + 1):
        ports["web"] = free_port()
    database = make_url(postgres_url("_cluster"))
    env = {
        **os.environ,
        "CLUSTER_PORT": str(ports["nginx"]),
        "CLUSTER_WEB_PORT": str(ports["web"]),
        "CLUSTER_RUN_DIR": str(tmp_path / "cluster"),
        "CLUSTER_DATABASE_URL": database.render_as_string(hide_password=False),
    }
    process = subprocess.Popen(
        [sys.executable, "scripts/cluster.py"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("cluster: ready") or process.poll() is not None:
            break
    try:
        assert output and output[-1].startswith("cluster: ready"), "".join(output)
        yield process, ports, tmp_path / "cluster"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.mark.skipif(not POSTGRES_URL, reason="the cluster runs on PostgreSQL")
def test_cluster_serves_through_nginx_and_stops_cleanly(cluster):
    process, ports, run = cluster
    requests = 12
    for _ in range(requests):
        status, headers, _ = get(ports["nginx"], "/")
        assert status == 200
    request_id = headers["X-Request-ID"]
    # nginx's $request_id reached the app: 32 hex digits, and in the server's JSON log.
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    logs = "".join((run / f"web-{n}" / "server.log").read_text() for n in (1, 2))
    logged = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert [e["path"] for e in logged if e.get("request_id") == request_id] == ["/"]

    # Static files come from nginx, with a year of caching.
    status, headers, _ = get(ports["nginx"], "/static/css/site.css?v=1")
    assert (status, headers["Cache-Control"]) == (200, "public, max-age=31536000, immutable")
    assert "X-Request-ID" not in headers

    # Each server answers for all its gunicorn workers (multiprocess metrics); together
    # they saw every request.
    home = 'mmm_http_requests_total{endpoint="public.home",method="GET",status="200"}'
    served = [metric(get(ports["web"] + n, "/metrics")[2], home) for n in (0, 1)]
    assert sum(served) == requests
    # A visitor's address, as nginx forwards it, is refused.
    assert get(ports["web"], "/metrics", {"X-Forwarded-For": "203.0.113.9"})[0] == 403

    ready = json.loads(get(ports["nginx"], "/readyz")[2])
    assert (ready["ready"], ready["migrations"]) == (True, "current")

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert process.stdout.read().splitlines()[-1] == "cluster: stopped"
    for port in (ports["nginx"], ports["web"], ports["web"] + 1):
        assert port_closed(port)


def test_the_production_nginx_site_is_valid(tmp_path):
    """deploy/nginx/mmm-events.conf as installed, with a certificate of our own."""
    for name in ("mmm-events-proxy.conf", "mmm-events-proxy-headers.conf"):
        shutil.copyfile(ROOT / "deploy" / "nginx" / name, tmp_path / name)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=events.example.org", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )
    site = (ROOT / "deploy" / "nginx" / "mmm-events.conf").read_text()
    site = (
        site.replace("/etc/letsencrypt/live/events.example.org/fullchain.pem",
                     str(tmp_path / "cert.pem"))
        .replace("/etc/letsencrypt/live/events.example.org/privkey.pem", str(tmp_path / "key.pem"))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "mmm-events.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        "http { include /etc/nginx/mime.types; include mmm-events.conf; }\n"
    )
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
