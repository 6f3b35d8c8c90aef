"""The public event page against a bare Flask "hello" app, under the same gunicorn settings.

Two gunicorn servers run side by side, each with the same workers and options as the
registration benchmark's:

  (a) the real application serving the demo #Mothers4Peace event page
      (GET /events/<slug>, the content of ``flask seed-demo``), with its RSVP form;
  (b) a bare Flask app whose one view returns "hello" (``hello_app``).

The load comes from another process (``bench.loadgen``). Rounds alternate a and b, so that a
burst of other work on the machine weighs on both; each round gives one ratio a/b, and the
median ratio is printed with the spread of the rounds, beside the target: >= 0.07 (it was
0.04-0.06 when the Markdown was rendered and sanitised on every view). On SQLite and, when
BENCH_DATABASE_URL names one, on PostgreSQL (its public schema is dropped and rebuilt).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_registration import WORKERS
from bench.database import engines, reset_postgres
from bench.report import print_failures, print_rows
from bench.servers import SECRET, free_port, production_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
ROUNDS = 6
ROUND_SECONDS = 3.0
TARGET = 0.07


def hello_app():
    """(b): the least a Flask app does to answer a request."""
    from flask import Flask

    app = Flask(__name__)

    @app.get("/")
    def hello():
        return "hello"

    return app


def prepare_database(url: str) -> str:
    """Migrate and load the demo content; return the demo event's page."""
    from flask_migrate import upgrade

    from mmm_events import create_app
    from mmm_events.demo import CONFERENCE_SLUG, seed_demo
    from mmm_events.extensions import db
    from mmm_events.models import utcnow

    if url.startswith("postgresql"):
        reset_postgres(url)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SERVER_NAME": "127.0.0.1"}
    )
    with app.app_context():
        upgrade()
        seed_demo(utcnow().date())
        db.session.remove()
        db.engine.dispose()
    return f"/events/{CONFERENCE_SLUG}"


def load(port: int, path: str, seconds: float) -> dict:
    command = [
        sys.executable, "-m", "bench.loadgen", "--port", str(port), "--mode", "get",
        "--path", path, "--threads", str(CLIENTS), "--seconds", str(seconds),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    return {"per_second": result["requests"] / result["seconds"], "errors": result["errors"]}


def run_engine(label: str, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-event-page-") as folder:
        instance = Path(folder)
        if url == "sqlite":
            url = f"sqlite:///{instance / 'bench.sqlite3'}"
        page = prepare_database(url)
        env = production_env(url, instance)
        event_port, hello_port = free_port(), free_port()
        servers = []
        try:
            for app_spec, port, ready in (
                ("mmm_events:create_app()", event_port, page),
                ("bench.bench_event_page:hello_app()", hello_port, "/"),
            ):
                servers.append(start_gunicorn(app_spec, port, env, WORKERS, ready))
            load(event_port, page, 1)  # warm up every worker of both servers
            load(hello_port, "/", 1)
            rounds = [
                (load(event_port, page, ROUND_SECONDS), load(hello_port, "/", ROUND_SECONDS))
                for _ in range(ROUNDS)
            ]
        finally:
            for server in servers:
                stop(server)
    ratios = sorted(a["per_second"] / b["per_second"] for a, b in rounds)
    return {
        "label": label,
        "a": statistics.median(a["per_second"] for a, _ in rounds),
        "b": statistics.median(b["per_second"] for _, b in rounds),
        "ratio": statistics.median(ratios),
        "spread": (ratios[0], ratios[-1]),
        "errors": sum(a["errors"] + b["errors"] for a, b in rounds),
    }


def report(r: dict) -> None:
    low, high = r["spread"]
    figure = (f"{r['a']:.0f} / {r['b']:.0f} req/s = {r['ratio']:.3f} "
              f"(rounds {low:.3f}-{high:.3f})")
    print_rows(r["label"], [
        ("event page / hello throughput", figure, f">= {TARGET}", r["ratio"] >= TARGET),
    ])
    print_failures(r["label"], r["errors"])


def main() -> None:
    found = engines()
    print(f"gunicorn, {WORKERS} sync workers on {os.cpu_count()} CPUs, for both apps; "
          f"{CLIENTS} clients from another process; {ROUNDS} alternating rounds of "
          f"{ROUND_SECONDS:.0f} s; medians of the rounds")
    for label, url in found:
        report(run_engine(label, url))


if __name__ == "__main__":
    main()
