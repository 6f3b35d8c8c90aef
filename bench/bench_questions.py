"""The RSVP with ten organiser's questions against the same RSVP without any, in one run.

Two published events on one database, identical but for their questions:

  (a) an event whose form asks ten questions of every kind (choices with places, a dependent
      pair, a date, a number, a country list...), all answered;
  (b) the same event with no question.

One complete RSVP is the form page (GET) and its POST with the CSRF token, validation, the
seat and place claims, the insert of the registration (and of its answers) and the outbox row.
They run in this process through Flask's test client, so that the web server's own cost,
the same for both, does not hide the difference. Rounds alternate a and b; each gives a/b,
and the median is printed beside the target, <= 1.3. On SQLite and, when BENCH_DATABASE_URL
names one, on PostgreSQL (its public schema is dropped and rebuilt).
"""

from __future__ import annotations

import logging
import re
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.database import engines, reset_postgres
from bench.report import print_rows
from bench.servers import RSVP_LIMITS_UNDER_LOAD, SECRET

ROUNDS = 5
PER_ROUND = 40
TARGET = 1.3
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _texts(label: str) -> dict:
    return {"en": {"label": label, "purpose": "To organise the event."},
            "fr": {"label": label + " (fr)"}, "ar": {"label": label + " (ar)"}}


def ten_questions(event, now) -> dict[str, str]:
    """Add ten questions to ``event``; the answers a person gives, as the form sends them."""
    from mmm_events.questions.editing import add_question

    def add(kind, label, **more):
        return add_question(event, {"kind": kind, "texts": _texts(label), "required": True,
                                    **more}, now=now)

    def options(*labels, places=None):
        return [{"texts": _texts(label), "places": places} for label in labels]

    workshop = add("radio", "Workshop", options=options("A", "B", "C", places=100_000))
    role = add("select", "Role", options=options("Member", "Partner", "Press"))
    diet = add("checkboxes", "Diet", options=options("Vegetarian", "Halal", "Vegan"))
    visa = add("yes_no", "Visa letter")
    nationality = add("country", "Nationality", depends_on=visa.id, depends_on_value="yes")
    passport = add("text", "Passport", sensitive=True, depends_on=visa.id,
                   depends_on_value="yes")
    arrival = add("date", "Arrival", min_date=date(2000, 1, 1))
    guests = add("number", "Guests", min_number=0, max_number=5)
    phone = add("phone", "Phone")
    notes = add("paragraph", "Notes")
    first = [str(workshop.live_options[0].id)]
    return {
        f"q{workshop.id}": first, f"q{role.id}": str(role.live_options[1].id),
        f"q{diet.id}": [str(o.id) for o in diet.live_options[:2]], f"q{visa.id}": "yes",
        f"q{nationality.id}": "MA", f"q{passport.id}": "X1234567",
        f"q{arrival.id}": "2027-05-01", f"q{guests.id}": "2",
        f"q{phone.id}": "+212 600 000 000", f"q{notes.id}": "Arriving late on the first day.",
    }


def prepare(url: str):
    from flask_migrate import upgrade

    from mmm_events import create_app
    from mmm_events.extensions import db
    from mmm_events.models import Event, utcnow

    if url.startswith("postgresql"):
        reset_postgres(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                      "SERVER_NAME": "127.0.0.1", **RSVP_LIMITS_UNDER_LOAD})
    with app.app_context():
        upgrade()
        now = utcnow()
        # One day (10:00-12:00 UTC, within one day in Casablanca): no day to choose.
        start = (now + timedelta(days=60)).replace(hour=10, minute=0, second=0, microsecond=0)
        events = {}
        for slug in ("with-questions", "without-questions"):
            event = Event(slug=slug, title="Bench", timezone="Africa/Casablanca",
                          starts_at=start, ends_at=start + timedelta(hours=2),
                          capacity=1_000_000,
                          is_published=True)
            db.session.add(event)
            db.session.flush()
            events[slug] = event
        answers = ten_questions(events["with-questions"], now)
        db.session.commit()
        db.session.remove()
    return app, answers


def complete_rsvps(client, slug: str, answers: dict, start: int) -> float:
    """Seconds taken by PER_ROUND complete RSVPs to ``slug``."""
    began = time.perf_counter()
    for n in range(start, start + PER_ROUND):
        page = client.get(f"/events/{slug}").get_data(as_text=True)
        form = {"csrf_token": _TOKEN.search(page).group(1), "full_name": f"Person {n}",
                "email": f"person{n}@example.org", "country": "Morocco", "language": "en",
                "consent": "y", **answers}
        response = client.post(f"/events/{slug}", data=form)
        assert response.status_code == 303, re.findall(
            r"class=\"error\"[^<]*<", response.get_data(as_text=True))
    return time.perf_counter() - began


def run_engine(label: str, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-questions-") as folder:
        if url == "sqlite":
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app, answers = prepare(url)
        client = app.test_client()
        complete_rsvps(client, "with-questions", answers, 10**6)  # warm up both paths
        complete_rsvps(client, "without-questions", {}, 10**6)
        ratios = []
        for n in range(ROUNDS):
            with_questions = complete_rsvps(client, "with-questions", answers, n * PER_ROUND)
            without = complete_rsvps(client, "without-questions", {}, n * PER_ROUND)
            ratios.append(with_questions / without)
    ratios.sort()
    return {"label": label, "ratio": statistics.median(ratios), "spread": (ratios[0], ratios[-1])}


def main() -> None:
    # The app logs every request; the same for both sides, and not what is measured.
    logging.getLogger("mmm_events").setLevel(logging.WARNING)
    print(f"Flask test client in this process; {ROUNDS} alternating rounds of {PER_ROUND} "
          "complete RSVPs (GET + POST) each; median of the rounds")
    for label, url in engines():
        r = run_engine(label, url)
        low, high = r["spread"]
        print_rows(r["label"], [(
            "RSVP with ten questions / without",
            f"{r['ratio']:.2f} (rounds {low:.2f}-{high:.2f})",
            f"<= {TARGET}", r["ratio"] <= TARGET,
        )])


if __name__ == "__main__":
    main()
