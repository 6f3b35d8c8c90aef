"""`make cluster`: the production layout on one machine, on loopback only.

nginx (configured with deploy/nginx/mmm-events-proxy.conf, as in production) balances two
gunicorn web servers, each with its own instance folder, so that any state one keeps on its
disk shows up as a bug; two mail workers deliver the outbox; PostgreSQL is the one already
running (started if absent). Every process gets the same SECRET_KEY. Ctrl-C (or
SIGTERM) stops them all, web servers finishing their requests first.

Usable as a library too (bench/bench_cluster.py kills and restarts its processes):

    with Cluster(Settings()) as cluster:
        cluster.kill_web(0); cluster.start_web(0)
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = """\
# Written by scripts/cluster.py for `make cluster`; the shared part is the production one.
{user}worker_processes 2;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {run}/access.log;
    client_body_temp_path {run}/tmp/body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    upstream mmm_events {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        set $mmm_root {root};
        include mmm-events-proxy.conf;
    }}
}}
"""


@dataclass
class Settings:
    port: int = int(os.environ.get("CLUSTER_PORT", "8080"))
    # Web server i listens on web_port + i.
    web_port: int = int(os.environ.get("CLUSTER_WEB_PORT", "8101"))
    web_servers: int = 2
    gunicorn_workers: int = int(os.environ.get("CLUSTER_GUNICORN_WORKERS", "2"))
    mail_workers: int = 2
    database_url: str = os.environ.get(
        "CLUSTER_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/mmm_cluster"
    )
    run_dir: Path = Path(os.environ.get("CLUSTER_RUN_DIR") or ROOT / "instance" / "cluster")
    # Extra environment for every app process (e.g. MAIL_SERVER for the benchmark's sink).
    environment: dict[str, str] = field(default_factory=dict)
    seed_demo: bool = True


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class Cluster:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.run = settings.run_dir
        self.webs: dict[int, subprocess.Popen] = {}
        self.workers: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None

    # Start and stop --------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        self.run.mkdir(parents=True, exist_ok=True)
        self._ensure_postgres()
        self.ensure_database()
        self._flask("db", "upgrade")
        if self.settings.seed_demo:
            self._flask("seed-demo", "--if-empty")
        for index in range(self.settings.web_servers):
            self.start_web(index)
        for index in range(self.settings.mail_workers):
            self.start_worker(index)
        self._start_nginx()
        for index in range(self.settings.web_servers):
            self.wait_for(f"http://127.0.0.1:{self.settings.web_port + index}/readyz")
        self.wait_for(f"{self.url}/healthz")

    def stop(self) -> None:
        """SIGTERM to everything (gunicorn finishes requests in flight, workers their batch),
        then SIGKILL what is still there after 40 s."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # nginx's graceful shutdown
        processes = [*self.webs.values(), *self.workers.values()]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        if self.nginx is not None:
            processes.append(self.nginx)
        deadline = time.monotonic() + 40
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.webs.clear()
        self.workers.clear()
        self.nginx = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    def wait_for(self, url: str, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while http_status(url) != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer 200 within {seconds:.0f} s")
            time.sleep(0.2)

    # The processes ---------------------------------------------------------------------------

    def secret_key(self) -> str:
        path = self.run / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def environment(self, instance: Path) -> dict[str, str]:
        instance.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "MMM_ENV": "production",
            "SECRET_KEY": self.secret_key(),
            "DATABASE_URL": self.settings.database_url,
            "SERVER_NAME": f"127.0.0.1:{self.settings.port}",
            "PROXY_COUNT": "1",
            "INSTANCE_PATH": str(instance),
            "MAILBOX_DIR": str(self.run / "mailbox"),
            "LOG_FORMAT": "json",
            **self.settings.environment,
        }

    def start_web(self, index: int) -> subprocess.Popen:
        folder = self.run / f"web-{index + 1}"
        metrics = folder / "prometheus"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        env = self.environment(folder / "instance")
        env |= {
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "GUNICORN_BIND": f"127.0.0.1:{self.settings.web_port + index}",
            "GUNICORN_WORKERS": str(self.settings.gunicorn_workers),
        }
        command = [
            str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "mmm_events:create_app()"
        ]
        self.webs[index] = self._spawn(command, env, folder / "server.log")
        return self.webs[index]

    def start_worker(self, index: int) -> subprocess.Popen:
        folder = self.run / f"mail-worker-{index + 1}"
        env = self.environment(folder / "instance")
        command = [str(BIN / "flask"), "--app", "mmm_events", "mail-worker"]
        self.workers[index] = self._spawn(command, env, folder / "worker.log")
        return self.workers[index]

    def kill_web(self, index: int) -> None:
        """SIGKILL the whole web server (the arbiter and its workers), as a machine dying."""
        _kill_group(self.webs.pop(index))

    def kill_worker(self, index: int) -> None:
        _kill_group(self.workers.pop(index))

    def _spawn(self, command: list[str], env: dict, log: Path) -> subprocess.Popen:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            # Its own process group, so that a SIGKILL takes its children with it.
            return subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _flask(self, *args: str) -> None:
        env = self.environment(self.run / "admin" / "instance")
        subprocess.run(
            [str(BIN / "flask"), "--app", "mmm_events", *args], cwd=ROOT, env=env, check=True,
            stdout=subprocess.DEVNULL,
        )

    def _start_nginx(self) -> None:
        folder = self.run / "nginx"
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / "tmp" / name).mkdir(parents=True, exist_ok=True)
        for name in ("mmm-events-proxy.conf", "mmm-events-proxy-headers.conf"):
            shutil.copyfile(ROOT / "deploy" / "nginx" / name, folder / name)
        servers = "\n".join(
            f"        server 127.0.0.1:{self.settings.web_port + i} max_fails=1 fail_timeout=2s;"
            for i in range(self.settings.web_servers)
        )
        # As root, nginx's workers would run as "nobody", who may not read the checkout.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = folder / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user=user, run=folder, servers=servers, port=self.settings.port, root=ROOT
            )
        )
        command = [NGINX, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"]
        self.nginx = self._spawn(command, dict(os.environ), folder / "nginx.log")

    def _ensure_postgres(self) -> None:
        if port_open("127.0.0.1", 5432):
            return
        versions = sorted(os.listdir("/etc/postgresql"))
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=True,
        )

    def ensure_database(self) -> None:
        from sqlalchemy import create_engine, make_url, text

        url = make_url(self.settings.database_url)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()


def _kill_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    stop = False

    def request_stop(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    cluster = Cluster(Settings())
    with cluster:
        print(
            f"cluster: ready on {cluster.url}/ (nginx -> web servers on ports "
            f"{cluster.settings.web_port}-{cluster.settings.web_port + 1}, 2 mail workers); "
            f"logs and instance folders in {cluster.run}; stop with Ctrl-C",
            flush=True,
        )
        while not stop:
            time.sleep(0.2)
            running = [
                *(("web server", i, p) for i, p in cluster.webs.items()),
                *(("mail worker", i, p) for i, p in cluster.workers.items()),
            ]
            for kind, index, process in running:
                if process.poll() is not None:
                    print(f"cluster: {kind} {index + 1} exited; stopping the rest", flush=True)
                    stop = True
        print("cluster: stopping", flush=True)
    print("cluster: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
