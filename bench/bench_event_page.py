"""The public event page against a bare Flask page of the same size, under the same gunicorn
settings (issue 24, point 4).

Two gunicorn servers run side by side, each with the same workers and options as the
registration benchmark's:

  (a) the real application serving the demo #Mothers4Peace event page
      (GET /events/<slug>, the content of ``flask seed-demo``), with its RSVP form;
  (b) a bare Flask app whose one view renders, from memory, a Jinja template as large as
      that page: the page itself, read once from (a) at start-up, with a fresh token where
      the page has its CSRF token (``template_app``). No database, no session, no form.

The load comes from another process (``bench.loadgen``). Rounds alternate a and b, so that a
burst of other work on the machine weighs on both; each round gives one ratio a/b, and the
median ratio is printed with the spread of the rounds, beside the target: >= 0.25. The CPU
time of (a)'s web workers per view (from the kernel's accounting of the gunicorn processes,
over the same rounds) is printed beside its target, at most 4 ms; the database's backends'
CPU per view beside it, on PostgreSQL. On SQLite and, when BENCH_DATABASE_URL names one, on
PostgreSQL (its public schema is dropped and rebuilt).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.bench_registration import WORKERS
from bench.database import engines, reset_postgres
from bench.loadgen import CSRF
from bench.report import print_failures, print_rows
from bench.servers import (
    SECRET,
    cpu_seconds,
    database_cpu_seconds,
    free_port,
    production_env,
    start_gunicorn,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
ROUNDS = 6
ROUND_SECONDS = 3.0
TARGET = 0.25
CPU_TARGET_MS = 4.0


def template_app():
    """(b): a Flask view rendering a template as large as the event page, from memory."""
    import secrets

    from flask import Flask

    app = Flask(__name__)
    page = Path(os.environ["BENCH_TEMPLATE"]).read_text()
    token = CSRF.search(page).group(1)
    before, after = page.split(token, 1)
    template = app.jinja_env.from_string(
        "{% raw %}" + before + "{% endraw %}{{ token }}{% raw %}" + after + "{% endraw %}"
    )

    @app.get("/")
    def same_size_page():
        return template.render(token=secrets.token_urlsafe(64))

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


def load(port: int, path: str, seconds: float, server=None, url: str = "") -> dict:
    command = [
        sys.executable, "-m", "bench.loadgen", "--port", str(port), "--mode", "get",
        "--path", path, "--threads", str(CLIENTS), "--seconds", str(seconds),
    ]
    before = (cpu_seconds(server.pid), database_cpu_seconds(url)) if server else (0, 0)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    after = (cpu_seconds(server.pid), database_cpu_seconds(url)) if server else (0, 0)
    result = json.loads(done.stdout)
    return {
        "per_second": result["requests"] / result["seconds"],
        "errors": result["errors"],
        "requests": result["requests"],
        "cpu": after[0] - before[0],
        "db_cpu": after[1] - before[1],
    }


def run_engine(label: str, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-event-page-") as folder:
        instance = Path(folder)
        if url == "sqlite":
            url = f"sqlite:///{instance / 'bench.sqlite3'}"
        page = prepare_database(url)
        env = production_env(url, instance, BENCH_TEMPLATE=str(instance / "page.html"))
        event_port, bare_port = free_port(), free_port()
        servers = []
        try:
            servers.append(
                start_gunicorn("mmm_events:create_app()", event_port, env, WORKERS, page)
            )
            with urllib.request.urlopen(f"http://127.0.0.1:{event_port}{page}") as response:
                html = response.read().decode()
            (instance / "page.html").write_text(html)
            servers.append(start_gunicorn("bench.bench_event_page:template_app()", bare_port, env,
                                          WORKERS, "/"))
            load(event_port, page, 1)  # warm up every worker of both servers
            load(bare_port, "/", 1)
            rounds = [
                (load(event_port, page, ROUND_SECONDS, servers[0], url),
                 load(bare_port, "/", ROUND_SECONDS, servers[1]))
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
        "size": len(html.encode()),
        "cpu_ms": _per_view([a for a, _ in rounds], "cpu"),
        "db_cpu_ms": _per_view([a for a, _ in rounds], "db_cpu"),
        "bare_cpu_ms": _per_view([b for _, b in rounds], "cpu"),
    }


def _per_view(results: list[dict], key: str) -> float:
    return sum(r[key] for r in results) * 1000 / sum(r["requests"] for r in results)


def report(r: dict) -> None:
    low, high = r["spread"]
    figure = (f"{r['a']:.0f} / {r['b']:.0f} req/s = {r['ratio']:.3f} "
              f"(rounds {low:.3f}-{high:.3f})")
    print_rows(r["label"], [
        (f"event page / same-size template ({r['size'] // 1000} kB)", figure, f">= {TARGET}",
         r["ratio"] >= TARGET),
        ("event page: web workers' CPU per view",
         f"{r['cpu_ms']:.2f} ms (bare page {r['bare_cpu_ms']:.2f} ms)",
         f"<= {CPU_TARGET_MS} ms", r["cpu_ms"] <= CPU_TARGET_MS),
    ])
    if r["db_cpu_ms"]:
        print(f"{r['label']}: (and the database's backends: {r['db_cpu_ms']:.2f} ms per view)")
    print_failures(r["label"], r["errors"])


def kept_against_plain(url: str, page: str, rounds: int = 6, views: int = 100) -> tuple:
    """CPU milliseconds per view in this process (Flask's test client, no server), the page
    kept rendered (``events/page_cache.py``) and the plain rendering (EVENT_PAGE_CACHE off),
    in alternating rounds: what the kept page buys on its own path."""
    from mmm_events import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                      "SERVER_NAME": "127.0.0.1"})
    app.test_client().get(page)
    measured: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for kept in (True, False):
            app.config["EVENT_PAGE_CACHE"] = kept
            started = time.process_time()
            for _ in range(views):
                app.test_client().get(page)
            measured[kept].append((time.process_time() - started) * 1000 / views)
    with app.app_context():
        from mmm_events.extensions import db

        db.engine.dispose()
    return statistics.median(measured[True]), statistics.median(measured[False])


def main() -> None:
    found = engines()
    print(f"gunicorn, {WORKERS} sync workers on {os.cpu_count()} CPUs, for both apps; "
          f"{CLIENTS} clients from another process; {ROUNDS} alternating rounds of "
          f"{ROUND_SECONDS:.0f} s; medians of the rounds")
    for label, url in found:
        report(run_engine(label, url))
    with tempfile.TemporaryDirectory(prefix="bench-event-page-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        kept, plain = kept_against_plain(url, prepare_database(url))
    print(f"SQLite, in-process: CPU per view, kept page {kept:.2f} ms, plain rendering "
          f"{plain:.2f} ms: {plain / kept:.1f} x (the kept page's own path; >= 2 to keep it)")


if __name__ == "__main__":
    main()
