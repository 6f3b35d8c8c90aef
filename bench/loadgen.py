"""A small HTTP load generator: threads, each with its own http.client connections, in a
closed loop (each thread sends again once answered) or an open one (requests arrive at a rate).

Run as a separate process (``python -m bench.loadgen ...``) so that it does not share a CPU
budget or a GIL with the server it measures. Prints one JSON object: requests, errors, seconds,
and each request's latency in milliseconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import random
import re
import threading
import time
import uuid
from urllib.parse import urlencode

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _request(port: int, method: str, path: str, body: str | None = None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read()
    finally:
        connection.close()


def rsvp_form(days: list[str], **extra: str) -> list[tuple[str, str]]:
    """The RSVP form as a person fills it in, with a new email address each time."""
    return [
        *extra.items(),
        ("full_name", "Bench Person"),
        ("email", f"bench-{uuid.uuid4().hex}@example.org"),
        ("organisation", "Make Mothers Matter"),
        ("country", "Morocco"),
        ("needs", ""),
        ("language", "en"),
        ("consent", "y"),
        *[("days", day) for day in days],
    ]


class RsvpClient:
    """A browser filling the RSVP form: reads the page once (cookie and CSRF token), then
    posts the full form with a new email address each time."""

    def __init__(self, port: int, slug: str, days: list[str]):
        self.port, self.slug, self.days = port, slug, days
        status, cookie, page = _request(port, "GET", f"/events/{slug}")
        if status != 200:
            raise RuntimeError(f"event page answered {status}")
        self.cookie = cookie.split(";", 1)[0]
        self.token = CSRF.search(page.decode()).group(1)

    def __call__(self) -> bool:
        status, _, _ = _request(
            self.port, "POST", f"/events/{self.slug}",
            urlencode(rsvp_form(self.days, csrf_token=self.token)),
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie},
        )
        return status == 303


class PageClient:
    """A reader: GET one page, expecting 200."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path

    def __call__(self) -> bool:
        status, _, _ = _request(self.port, "GET", self.path)
        return status == 200


class BareClient:
    """The same form, to the bare endpoint (no CSRF token, no cookie)."""

    def __init__(self, port: int, path: str, days: list[str]):
        self.port, self.path, self.days = port, path, days

    def __call__(self) -> bool:
        status, _, _ = _request(
            self.port, "POST", self.path, urlencode(rsvp_form(self.days)),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        return status == 200


def _measure(clients, work, started: float) -> dict:
    """Each client's ``work`` in a thread of its own, all at once; what they measured. ``work``
    returns that client's latencies (milliseconds) and how many of its requests failed."""
    done: list[tuple[list[float], int]] = []
    pool = [threading.Thread(target=lambda s=send: done.append(work(s))) for send in clients]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {
        "requests": sum(len(latencies) for latencies, _ in done),
        "errors": sum(failed for _, failed in done),
        "seconds": time.perf_counter() - started,
        "latencies_ms": [ms for latencies, _ in done for ms in latencies],
    }


def run(make_client, threads: int, seconds: float) -> dict:
    """Every client is ready (the RSVP clients have read the form) before the clock starts,
    so that the measured seconds hold only the measured requests."""
    clients = [make_client() for _ in range(threads)]
    started = time.perf_counter()
    deadline = started + seconds

    def work(send) -> tuple[list[float], int]:
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            failed += not send()
            mine.append((time.perf_counter() - sent) * 1000)
        return mine, failed

    return _measure(clients, work, started)


def run_open(make_client, threads: int, seconds: float, rate: float) -> dict:
    """Open loop: requests arrive at random (Poisson) moments, ``rate`` a second on average,
    whether or not earlier ones have been answered, as people arriving on their own do.

    Each latency runs from the moment the request arrived, not from when a client thread was
    free to send it: time spent waiting for a free thread is time the person waits too.
    ``threads`` only bounds how many requests are in flight at once.
    """
    clients = [make_client() for _ in range(threads)]
    arrivals: queue.SimpleQueue = queue.SimpleQueue()
    randomness = random.Random(9)
    started = time.perf_counter()
    moment = started
    while True:
        moment += randomness.expovariate(rate)
        if moment >= started + seconds:
            break
        arrivals.put(moment)
    for _ in clients:
        arrivals.put(None)

    def work(send) -> tuple[list[float], int]:
        mine, failed = [], 0
        while (arrived := arrivals.get()) is not None:
            wait = arrived - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            failed += not send()
            mine.append((time.perf_counter() - arrived) * 1000)
        return mine, failed

    return _measure(clients, work, started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["rsvp", "bare", "get"], required=True)
    parser.add_argument("--slug", default="")
    parser.add_argument("--days", default="")
    parser.add_argument("--path", default="")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument(
        "--rate", type=float, default=0.0,
        help="requests per second arriving in an open loop; 0: each thread sends again as "
        "soon as it is answered (a closed loop)",
    )
    args = parser.parse_args()
    days = [d for d in args.days.split(",") if d]
    if args.mode == "rsvp":

        def make_client():
            return RsvpClient(args.port, args.slug, days)
    elif args.mode == "get":

        def make_client():
            return PageClient(args.port, args.path)
    else:

        def make_client():
            return BareClient(args.port, args.path, days)

    if args.rate > 0:
        print(json.dumps(run_open(make_client, args.threads, args.seconds, args.rate)))
    else:
        print(json.dumps(run(make_client, args.threads, args.seconds)))


if __name__ == "__main__":
    main()
