"""Behind a proxy (PROXY_COUNT=1) only the proxy is believed: real gunicorn servers, reached
the way an attacker would reach them, directly from another address of the network."""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.processes import gunicorn  # noqa: F401 - the fixture, used by name

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture
def network_address() -> str:
    """An address of this machine that is not loopback, from which a client connects as
    another machine would."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            # A UDP "connection" sends nothing; it only picks the outgoing address.
            probe.connect(("203.0.113.1", 9))
        except OSError:
            pytest.skip("this machine has no network address besides loopback")
        address = probe.getsockname()[0]
    if ipaddress.ip_address(address).is_loopback:
        pytest.skip("this machine has no network address besides loopback")
    return address


def get(host: str, port: int, path: str, headers: dict[str, str], source: str) -> int:
    """The status of GET ``path`` sent from the address ``source``."""
    connection = http.client.HTTPConnection(host, port, timeout=30, source_address=(source, 0))
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_client_reaching_gunicorn_directly_cannot_pass_for_this_machine(
    gunicorn, network_address  # noqa: F811
):
    server = gunicorn(host="0.0.0.0")  # noqa: S104 - reachable from another address on purpose
    claims_loopback = {"X-Forwarded-For": "127.0.0.1"}
    for path in ("/metrics", "/readyz"):
        # Straight to gunicorn from the network, claiming to be this machine.
        assert get(network_address, server.port, path, claims_loopback, network_address) == 403
        # nginx on this machine forwarding a visitor.
        visitor = {"X-Forwarded-For": "198.51.100.4"}
        assert get("127.0.0.1", server.port, path, visitor, "127.0.0.1") == 403
        # nginx on this machine forwarding the operator's own scraper.
        assert get("127.0.0.1", server.port, path, claims_loopback, "127.0.0.1") == 200


def shipped_environment(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "MMM_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "SERVER_NAME": "events.example.org",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "GUNICORN_WORKERS": "1",
        "PROXY_COUNT": "1",
        **settings,
    }


def start_shipped(env: dict[str, str]) -> subprocess.Popen:
    """gunicorn with deploy/gunicorn.conf.py, as the systemd unit and `make cluster` run it."""
    return subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "mmm_events:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.fixture
def shipped(database_url, tmp_path, app) -> Iterator:
    # ``app`` is only there to have the test's database ready before the start.
    processes: list[subprocess.Popen] = []

    def start(**settings: str) -> subprocess.Popen:
        process = start_shipped(shipped_environment(database_url, tmp_path, **settings))
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(30)
        process.stdout.close()


def test_the_shipped_configuration_refuses_to_listen_beyond_the_proxy(shipped):
    port = free_port()
    exposed = shipped(GUNICORN_BIND=f"0.0.0.0:{port}")
    assert exposed.wait(timeout=60) == 1
    assert (
        f"PROXY_COUNT=1 trusts X-Forwarded-For, but gunicorn would listen on 0.0.0.0:{port}, "
        "where clients can reach it without the proxy." in exposed.stdout.read()
    )
    named = shipped(GUNICORN_BIND=f"events.example.org:{port}")
    assert named.wait(timeout=60) == 1
    # Said to be on a network only the proxy reaches, it starts.
    private = shipped(GUNICORN_BIND=f"0.0.0.0:{port}", GUNICORN_BIND_PRIVATE="1")
    wait_for_tcp(port, private)


def wait_for_tcp(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, process.stdout.read()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.1)


def test_on_loopback_the_network_cannot_reach_gunicorn(shipped, network_address):
    port = free_port()
    wait_for_tcp(port, shipped(GUNICORN_BIND=f"127.0.0.1:{port}"))
    assert get("127.0.0.1", port, "/healthz", {}, "127.0.0.1") == 200
    with pytest.raises(ConnectionRefusedError):
        get(network_address, port, "/healthz", {"X-Forwarded-For": "127.0.0.1"}, network_address)


def get_over_unix_socket(path: Path, target: str, headers: dict[str, str]) -> int:
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(30)
        client.connect(str(path))
        lines = [f"GET {target} HTTP/1.0", "Host: events.example.org"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        client.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = client.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_on_a_unix_socket_the_operator_is_answered_and_visitors_are_not(shipped, tmp_path):
    sock = tmp_path / "gunicorn.sock"
    process = shipped(GUNICORN_BIND=f"unix:{sock}")
    deadline = time.monotonic() + 120
    while not sock.exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.1)
    # Only processes of this machine can open the socket: the operator's check, directly.
    for target in ("/metrics", "/readyz"):
        assert get_over_unix_socket(sock, target, {}) == 200
        # nginx forwarding a visitor over the socket.
        assert get_over_unix_socket(sock, target, {"X-Forwarded-For": "198.51.100.4"}) == 403
