"""Whatever is typed into the RSVP form: never a 500, never a partial registration."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.models import (
    Event,
    OutboxMessage,
    Registration,
    RegistrationDay,
    RegistrationStatus,
)
from tests.conftest import REGISTRATION_SERVER_NAME

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
long_text = st.one_of(text, st.builds(lambda c, n: c * n, st.characters(exclude_categories=("Cs",)),
                                      st.integers(150, 2100)))
maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731


@st.composite
def submissions(draw, valid_days):
    """A valid form with some fields (often none, sometimes all) replaced by anything."""
    valid = {
        "full_name": "Amina Benali",
        "email": f"person{draw(st.integers(0, 10**9))}@example.org",
        "organisation": "MMM",
        "country": "Morocco",
        "needs": "",
        "language": "en",
        "consent": "y",
        "days": valid_days,
        "invitation": "",
    }
    anything = {
        "full_name": long_text,
        "email": st.one_of(st.emails(), text),
        "organisation": long_text,
        "country": text,
        "needs": long_text,
        "language": text,
        "consent": text,
        "days": st.lists(st.one_of(st.sampled_from(valid_days), text), max_size=4),
        "invitation": text,
    }
    changed = draw(st.sets(st.sampled_from(sorted(valid)), max_size=len(valid)))
    pairs = []
    for name in valid:
        value = draw(maybe(anything[name])) if name in changed else valid[name]
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name.encode(), item.encode("utf-8")))
    # Some bodies are not UTF-8 at all.
    pairs.extend(draw(st.lists(st.tuples(st.sampled_from([b"full_name", b"country", b"x"]),
                                         st.binary(max_size=40)), max_size=2)))
    return b"&".join(quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode()
                     for k, v in pairs)


def snapshot(app, event_id):
    with app.app_context():
        registrations = db.session.scalar(select(func.count(Registration.id)))
        orphans = db.session.scalar(
            select(func.count(Registration.id)).where(
                ~Registration.id.in_(select(RegistrationDay.registration_id))
                | ~Registration.id.in_(
                    select(OutboxMessage.registration_id).where(
                        OutboxMessage.kind == "registration_confirmation"
                    )
                )
            )
        )
        confirmed = db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.status == RegistrationStatus.CONFIRMED
            )
        )
        seats = db.session.get(Event, event_id).seats_taken
        messages = db.session.scalar(select(func.count(OutboxMessage.id)))
    return registrations, orphans, confirmed, seats, messages


def test_arbitrary_form_values_never_break_anything(make_app, create_event):
    # Every example comes from one address to one event: the RSVP limits are set above them.
    app = make_app(
        SERVER_NAME=REGISTRATION_SERVER_NAME,
        RSVP_LIMIT_PER_IP="100000 per 10 minutes",
        RSVP_LIMIT_PER_EVENT="100000 per 10 minutes",
    )
    event = create_event(capacity=3)
    client = app.test_client()
    valid_days = [d.isoformat() for d in event.days]

    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=submissions(valid_days))
    def check(body):
        before = snapshot(app, event.id)
        response = client.post(
            f"/events/{event.slug}", data=body,
            content_type="application/x-www-form-urlencoded",
        )
        # Registered (303), refused (422), or already registered with that address (200).
        assert response.status_code in {200, 303, 422}
        registrations, orphans, confirmed, seats, messages = snapshot(app, event.id)
        assert orphans == 0
        assert seats == confirmed == min(registrations, 3)
        if response.status_code == 303:
            assert (registrations, messages) == (before[0] + 1, before[4] + 1)
        else:
            assert (registrations, messages) == (before[0], before[4])

    check()


def test_arbitrary_values_on_the_manage_page_never_break_anything(make_app, create_event):
    app = make_app(SERVER_NAME=REGISTRATION_SERVER_NAME)
    event = create_event(capacity=3)
    client = app.test_client()
    valid_days = [d.isoformat() for d in event.days]
    client.post(f"/events/{event.slug}", data={
        "full_name": "Amina", "email": "amina@example.org", "country": "Morocco",
        "language": "en", "consent": "y", "days": valid_days,
    })
    with app.app_context():
        token = db.session.scalar(select(Registration.token))

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=submissions(valid_days))
    def check(body):
        response = client.post(
            f"/events/manage/{token}/edit", data=body,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code in {303, 422}
        with app.app_context():
            registration = db.session.scalar(select(Registration))
            assert 1 <= len(registration.days) <= len(valid_days)
            assert registration.full_name.strip() != ""

    check()
