"""Sign-in limits counted in the database: per address, and per account with growing waits
that never lock the owner out where they usually sign in; the owner is told once per run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from mmm_events.accounts import limits, services
from mmm_events.extensions import db
from mmm_events.models import AccountAttempt, OutboxMessage, User, UsualAddress
from tests.conftest import ORGANISER_PASSWORD, sign_in

USUAL = "192.0.2.10"
WRONG = "wrong password"


def _app(make_app, **config):
    return make_app(
        **{
            "SIGN_IN_LIMIT_PER_IP": "100 per 15 minutes",
            "SIGN_IN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
            "SIGN_IN_MAX_WAIT_MINUTES": 15,
            **config,
        }
    )


def attempt(app, email, password, address, at):
    """One sign-in through the service at ``at``: (signed in, the moment to retry or None)."""
    with app.app_context():
        outcome = services.sign_in(email, password, address, now=at)
        db.session.commit()
        return outcome.user is not None, outcome.retry_at


def warnings_sent(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "sign_in_warning", OutboxMessage.recipient == email)
        )


def test_account_waits_grow_to_the_maximum_and_spare_the_usual_address(
    make_app, create_user, now
):
    app = _app(make_app)
    user = create_user()
    assert attempt(app, user.email, ORGANISER_PASSWORD, USUAL, now) == (True, None)
    at = now
    for n in range(3):
        at = now + timedelta(seconds=n + 1)
        assert attempt(app, user.email, WRONG, f"203.0.113.{n}", at) == (False, None)
    waits = []
    for n in range(6):
        refused = attempt(app, user.email, ORGANISER_PASSWORD, "198.51.100.1", at)
        assert refused[0] is False
        waits.append(refused[1] - at)
        # The owner where they usually sign in is not made to wait.
        assert attempt(app, user.email, ORGANISER_PASSWORD, USUAL, at) == (True, None)
        at = refused[1]
        # The moment the wait ends, the attacker has one more guess, which fails.
        assert attempt(app, user.email, WRONG, f"203.0.113.{10 + n}", at) == (False, None)
    assert [w // timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 15, 15]
    # Nobody is made to wait forever: after the last wait, the right password gets in.
    last_wait = timedelta(minutes=15)
    assert attempt(app, user.email, ORGANISER_PASSWORD, "198.51.100.1", at + last_wait) == (
        True,
        None,
    )


def test_a_run_of_failures_is_forgotten_after_a_quiet_period(make_app, create_user, now):
    app = _app(make_app)
    user = create_user()
    for n in range(3):
        assert attempt(app, user.email, WRONG, "203.0.113.1", now + timedelta(seconds=n)) == (
            False,
            None,
        )
    waiting = attempt(app, user.email, WRONG, "203.0.113.1", now + timedelta(seconds=3))
    assert waiting == (False, now + timedelta(seconds=2, minutes=1))
    # The wait (1 minute) and then the period (15 minutes) pass without a failure.
    later = now + timedelta(seconds=3, minutes=16)
    for n in range(3):
        at = later + timedelta(seconds=n)
        assert attempt(app, user.email, WRONG, "203.0.113.1", at) == (False, None)


def test_failures_at_the_usual_address_count_there(make_app, create_user, now):
    app = _app(make_app)
    user = create_user()
    assert attempt(app, user.email, ORGANISER_PASSWORD, USUAL, now)[0] is True
    for n in range(3):
        assert attempt(app, user.email, WRONG, USUAL, now + timedelta(seconds=n + 1)) == (
            False,
            None,
        )
    at = now + timedelta(seconds=4)
    assert attempt(app, user.email, ORGANISER_PASSWORD, USUAL, at) == (
        False,
        now + timedelta(seconds=3, minutes=1),
    )


def test_a_usual_address_is_forgotten_after_the_configured_days(make_app, create_user, now):
    app = _app(make_app, SIGN_IN_USUAL_ADDRESS_DAYS=30)
    user = create_user()
    long_ago = now - timedelta(days=30, seconds=1)
    assert attempt(app, user.email, ORGANISER_PASSWORD, USUAL, long_ago)[0] is True
    for n in range(3):
        attempt(app, user.email, WRONG, "203.0.113.1", now + timedelta(seconds=n))
    refused = attempt(app, user.email, ORGANISER_PASSWORD, USUAL, now + timedelta(seconds=3))
    assert refused == (False, now + timedelta(seconds=2, minutes=1))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UsualAddress)) == 1


def test_the_owner_is_told_once_per_run(make_app, create_user, now):
    app = _app(make_app)
    user = create_user()
    for n in range(2):
        attempt(app, user.email, WRONG, "203.0.113.1", now + timedelta(seconds=n))
    assert warnings_sent(app, user.email) == 0
    attempt(app, user.email, WRONG, "203.0.113.2", now + timedelta(seconds=2))
    assert warnings_sent(app, user.email) == 1
    at = now + timedelta(seconds=2, minutes=1)
    attempt(app, user.email, WRONG, "203.0.113.3", at)
    assert warnings_sent(app, user.email) == 1
    # A new run, after the last wait (2 minutes) and a quiet period: told again.
    later = at + timedelta(minutes=2 + 15, seconds=1)
    for n in range(3):
        attempt(app, user.email, WRONG, "203.0.113.4", later + timedelta(seconds=n))
    assert warnings_sent(app, user.email) == 2
    # Guessing at an address with no account emails nobody, and is limited the same way.
    for n in range(3):
        attempt(app, "nobody@example.org", WRONG, "203.0.113.5", now + timedelta(seconds=n))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    refused = attempt(app, "nobody@example.org", WRONG, "203.0.113.6", now + timedelta(seconds=3))
    assert refused == (False, now + timedelta(seconds=2, minutes=1))


def test_failures_are_limited_per_address(make_app, create_user, now):
    app = _app(make_app, SIGN_IN_LIMIT_PER_IP="3 per 15 minutes")
    user = create_user()
    for n in range(3):
        at = now + timedelta(seconds=n)
        assert attempt(app, f"guess{n}@example.org", WRONG, "203.0.113.1", at) == (False, None)
    at = now + timedelta(minutes=14)
    assert attempt(app, user.email, ORGANISER_PASSWORD, "203.0.113.1", at) == (
        False,
        now + timedelta(minutes=15),
    )
    assert attempt(app, user.email, ORGANISER_PASSWORD, "198.51.100.1", at)[0] is True
    # The first failure leaves the period: one more attempt from there.
    later = now + timedelta(minutes=15)
    assert attempt(app, user.email, ORGANISER_PASSWORD, "203.0.113.1", later)[0] is True


def test_an_attempt_being_checked_already_counts(make_app, create_user, now):
    # Two requests at once from one address with one failure left: the second to be written
    # down is refused even though the first has not finished checking its password.
    app = _app(make_app, SIGN_IN_LIMIT_PER_IP="1 per 15 minutes")
    user = create_user()
    with app.app_context():
        in_flight = limits.reserve_sign_in("guess@example.org", "203.0.113.1", None, now)
    assert attempt(app, user.email, ORGANISER_PASSWORD, "203.0.113.1", now) == (
        False,
        now + timedelta(minutes=15),
    )
    with app.app_context():
        limits.withdraw(in_flight)
        db.session.commit()
        # Refused attempts are not counted: only the one in flight was.
        assert db.session.scalar(select(func.count()).select_from(AccountAttempt)) == 0
    assert attempt(app, user.email, ORGANISER_PASSWORD, "203.0.113.1", now)[0] is True


def test_old_attempts_are_pruned_and_addresses_are_not_stored(make_app, create_user, now):
    app = _app(make_app)
    user = create_user()
    attempt(app, user.email, WRONG, "203.0.113.1", now - timedelta(days=1, minutes=31))
    attempt(app, user.email, WRONG, "203.0.113.1", now)
    with app.app_context():
        rows = db.session.scalars(select(AccountAttempt)).all()
        assert [row.at for row in rows] == [now]
        assert rows[0].address_digest == limits.address_digest("203.0.113.1")
        assert "203.0.113.1" not in rows[0].address_digest
        assert rows[0].account_digest == limits.account_digest(user.email)


def test_through_the_page_a_refusal_says_how_long_to_wait(make_app, create_user):
    app = _app(make_app)
    client = app.test_client()
    user = create_user()
    for n in range(3):
        response = client.post(
            "/sign-in",
            data={"email": user.email, "password": WRONG},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        )
        assert response.status_code == 400
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": ORGANISER_PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert "Too many attempts. Please try again in 1 minute." in response.get_data(as_text=True)
    assert 'href="/forgot-password"' in response.get_data(as_text=True)


def test_a_bad_limit_refuses_to_start(make_app):
    import pytest

    from mmm_events.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="SIGN_IN_LIMIT_PER_ACCOUNT must read like"):
        make_app(SIGN_IN_LIMIT_PER_ACCOUNT="five a minute")


def test_sign_out_ends_the_accounts_other_sessions(app, create_user):
    user = create_user()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user)
    sign_in(phone, user)
    assert phone.get("/organiser/").status_code == 200
    laptop.post("/sign-out")
    assert phone.get("/organiser/").status_code == 302
    assert laptop.get("/organiser/").status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).session_version == 2


def test_changing_the_password_ends_every_session(app, create_user, runner):
    user = create_user()
    browser = app.test_client()
    sign_in(browser, user)
    result = runner.invoke(
        args=["users", "set-password", user.email], input="brand new secret\nbrand new secret\n"
    )
    assert result.exit_code == 0, result.output
    assert browser.get("/organiser/").status_code == 302


def test_a_session_from_before_session_versions_is_signed_out(app, create_user):
    user = create_user()
    browser = app.test_client()
    sign_in(browser, user)
    with browser.session_transaction() as session:
        assert session["_user_id"] == f"{user.id}:1"
        session["_user_id"] = str(user.id)
    assert browser.get("/organiser/").status_code == 302


def test_an_organiser_changes_their_password_and_their_other_sessions_end(app, create_user):
    user = create_user()
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, user)
    sign_in(elsewhere, user)
    assert 'href="/organiser/password"' in here.get("/organiser/").get_data(as_text=True)
    wrong = here.post(
        "/organiser/password",
        data={"current_password": "no", "password": "new password!", "confirm": "new password!"},
    )
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.get_data(as_text=True)
    response = here.post(
        "/organiser/password",
        data={
            "current_password": ORGANISER_PASSWORD,
            "password": "new password!",
            "confirm": "new password!",
        },
    )
    assert response.status_code == 302
    assert response.location == "/organiser/"
    page = here.get("/organiser/").get_data(as_text=True)
    assert "Your password is changed. You are signed out everywhere else." in page
    assert elsewhere.get("/organiser/").status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).check_password("new password!")
