"""Sign-in, sign-out, sessions, rate limits and the ``flask users`` commands."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mmm_events.extensions import db
from mmm_events.models import Role, User, utcnow
from tests.conftest import ORGANISER_PASSWORD, sign_in

WRONG = "That email address and password do not match an account. Please try again."


def test_sign_in_then_organiser_area(client, create_user):
    user = create_user()
    response = sign_in(client, user)
    assert response.status_code == 302
    assert response.location == "/organiser/"
    page = client.get("/organiser/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/organiser/"' in html
    assert 'action="/sign-out"' in html
    assert "Organiser sign-in" not in html


def test_anonymous_sees_sign_in_link_in_footer(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/sign-in">Organiser sign-in</a>' in html
    assert "Sign out" not in html


@pytest.mark.parametrize(
    ("email", "password"),
    [("organiser1@example.org", "wrong password"), ("nobody@example.org", ORGANISER_PASSWORD)],
)
def test_failures_say_nothing_about_which_part_was_wrong(client, create_user, email, password):
    create_user()
    response = client.post("/sign-in", data={"email": email, "password": password})
    assert response.status_code == 400
    assert WRONG in response.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 302


def test_inactive_account_cannot_sign_in(client, create_user):
    user = create_user(is_active=False)
    response = sign_in(client, user)
    assert response.status_code == 400
    assert WRONG in response.get_data(as_text=True)


def test_email_is_case_insensitive_and_sign_in_recorded(app, client, create_user):
    user = create_user(email="amina@example.org")
    response = client.post(
        "/sign-in", data={"email": "  Amina@Example.ORG ", "password": ORGANISER_PASSWORD}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).last_signed_in_at is not None


def test_anonymous_is_sent_to_sign_in_and_back(client, create_user):
    response = client.get("/organiser/news/?page=2")
    assert response.status_code == 302
    assert response.location == "/sign-in?next=%2Forganiser%2Fnews%2F%3Fpage%3D2"
    form = client.get(response.location).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/organiser/news/?page=2"' in form
    user = create_user()
    response = client.post(
        "/sign-in",
        data={
            "email": user.email,
            "password": ORGANISER_PASSWORD,
            "next": "/organiser/news/?page=2",
        },
    )
    assert response.location == "/organiser/news/?page=2"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "javascript:alert(1)",
        "organiser",
        "/\t/evil.example.com",
        "/\n/evil.example.com",
        " //evil.example.com",
    ],
)
def test_next_never_leaves_the_site(client, create_user, target):
    user = create_user()
    response = client.post(
        "/sign-in", data={"email": user.email, "password": ORGANISER_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.location == "/organiser/"


def test_sign_out_is_a_post_and_ends_the_session(client, create_user):
    sign_in(client, create_user())
    assert client.get("/sign-out").status_code == 405
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert response.location == "/"
    assert client.get("/organiser/").status_code == 302


def test_sign_out_needs_the_csrf_token(make_app, create_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = create_user()
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": ORGANISER_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert client.post("/sign-out").status_code == 400
    assert client.get("/organiser/").status_code == 200
    header = client.get("/organiser/").get_data(as_text=True)
    token = header.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/organiser/").status_code == 302


def test_session_cookie_flags_and_lifetime(make_app, create_user):
    app = make_app(SESSION_LIFETIME_HOURS=2)
    assert app.permanent_session_lifetime == timedelta(hours=2)
    client = app.test_client()
    response = sign_in(client, create_user())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(make_app, create_user):
    app = make_app(PREFERRED_URL_SCHEME="https")
    client = app.test_client()
    response = client.post(
        "/sign-in",
        data={"email": create_user().email, "password": ORGANISER_PASSWORD},
        base_url="https://localhost",
    )
    assert "; Secure" in response.headers["Set-Cookie"]


def test_session_expires_after_its_lifetime_even_when_active(make_app, create_user):
    app = make_app(SESSION_LIFETIME_HOURS=8)
    client = app.test_client()
    sign_in(client, create_user())
    assert client.get("/organiser/").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] = (utcnow() - timedelta(hours=8, minutes=1)).timestamp()
    response = client.get("/organiser/")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")


def _limited_app(make_app, **config):
    return make_app(
        SIGN_IN_LIMIT_PER_IP="4 per minute",
        SIGN_IN_LIMIT_PER_ACCOUNT="2 per minute",
        **config,
    )


def _attempt(client, email, password="wrong password", ip="203.0.113.1"):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    ).status_code


def test_failures_are_limited_per_account_whatever_the_address(make_app, create_user):
    app = _limited_app(make_app)
    client = app.test_client()
    user = create_user()
    assert _attempt(client, user.email, ip="203.0.113.1") == 400
    assert _attempt(client, user.email.upper(), ip="203.0.113.2") == 400
    assert _attempt(client, user.email, ip="203.0.113.3") == 429
    # Even the right password waits: otherwise the limit would not slow a guesser down.
    assert _attempt(client, user.email, ORGANISER_PASSWORD, ip="203.0.113.4") == 429
    other = create_user()
    assert _attempt(client, other.email, ORGANISER_PASSWORD, ip="203.0.113.5") == 302


def test_failures_are_limited_per_address(make_app, create_user):
    app = _limited_app(make_app)
    client = app.test_client()
    for n in range(4):
        assert _attempt(client, f"guess{n}@example.org") == 400
    assert _attempt(client, "guess5@example.org") == 429
    assert _attempt(client, "guess5@example.org", ip="198.51.100.7") == 400
    page = client.post(
        "/sign-in",
        data={"email": "x@example.org", "password": "x"},
        environ_base={"REMOTE_ADDR": "203.0.113.1"},
    )
    assert "Too many attempts" in page.get_data(as_text=True)


def test_successful_sign_ins_do_not_count(make_app, create_user):
    app = _limited_app(make_app)
    client = app.test_client()
    user = create_user()
    for _ in range(6):
        assert _attempt(client, user.email, ORGANISER_PASSWORD) == 302
        client.post("/sign-out")


def test_cli_creates_admin_and_organiser(app, runner):
    result = runner.invoke(
        args=["users", "create", "Amina@Example.org", "--admin", "--name", "Amina"],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long password" not in result.output
    assert "Created administrator account amina@example.org." in result.output
    result = runner.invoke(
        args=["users", "create", "sara@example.org"], input="another password\nanother password\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        assert users["amina@example.org"].role is Role.ADMIN
        assert users["amina@example.org"].name == "Amina"
        assert users["sara@example.org"].role is Role.ORGANISER
        # Production's work factor (werkzeug's scrypt default), whatever the test factory's.
        assert users["sara@example.org"].password_hash.startswith("scrypt:32768:8:1$")
        assert users["sara@example.org"].check_password("another password")


@pytest.mark.parametrize(
    ("typed", "output"),
    [
        ("short\n", "Password: \nError: The password must have at least 10 characters.\n"),
        (
            "a long password\nnot the same one\n",
            "Password: \nRepeat the password: \nError: The two entered values do not match.\n",
        ),
    ],
)
@pytest.mark.real_commits  # the command runs in a process of its own
def test_cli_at_a_terminal_refuses_bad_passwords(app, database_url, tmp_path, typed, output):
    """A too-short password is refused before the person is asked to type it again: the
    command runs at a real terminal (a pseudo-terminal), where it prompts and hides what is
    typed."""
    assert at_a_terminal(
        ["users", "create", "sara@example.org"], typed.splitlines(), database_url, tmp_path
    ) == (1, output)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def at_a_terminal(args, lines, database_url, folder) -> tuple[int, str]:
    """Run ``flask <args>`` with a pseudo-terminal as its stdin and output, typing each line
    once the command prompts for it; its exit status and all it wrote (newlines as "\\n")."""
    controller, terminal = pty.openpty()
    env = {
        **os.environ, "MMM_ENV": "production", "SECRET_KEY": "terminal-test-secret",
        "SERVER_NAME": "events.example.org", "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(folder),
    }
    flask = Path(sys.executable).with_name("flask")
    process = subprocess.Popen(
        [str(flask), "--app", "mmm_events", *args],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    written = b""
    typed = iter(lines)
    while True:
        try:
            chunk = os.read(controller, 1024)
        except OSError:  # the command has ended and closed the terminal
            break
        if not chunk:
            break
        written += chunk
        # Typed only once the prompt is shown: a prompt that hides input discards what was
        # typed before it.
        if written.endswith(b": "):
            os.write(controller, (next(typed, "") + "\n").encode())
    os.close(controller)
    return process.wait(timeout=60), written.decode().replace("\r\n", "\n")


def test_cli_reads_a_piped_password_once_without_prompt(app, runner):
    result = runner.invoke(
        args=["users", "create", "sara@example.org"], input="a long password\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created organiser account sara@example.org.\n"
    result = runner.invoke(args=["users", "set-password", "sara@example.org"], input="short\n")
    assert result.exit_code == 1
    assert result.output == "Error: The password must have at least 10 characters.\n"
    with app.app_context():
        assert db.session.scalar(select(User)).check_password("a long password")


def test_cli_refuses_a_duplicate(runner, create_user):
    user = create_user()
    result = runner.invoke(
        args=["users", "create", user.email.upper()], input="a long password\na long password\n"
    )
    assert result.exit_code == 1
    assert f"An account for {user.email} already exists." in result.output


def test_cli_sets_password(app, runner, create_user):
    user = create_user()
    result = runner.invoke(
        args=["users", "set-password", user.email], input="brand new secret\nbrand new secret\n"
    )
    assert result.exit_code == 0, result.output
    assert f"Password changed for {user.email}." in result.output
    with app.app_context():
        assert db.session.get(User, user.id).check_password("brand new secret")
    result = runner.invoke(args=["users", "set-password", "nobody@example.org"], input="x\nx\n")
    assert result.exit_code == 1
    assert "There is no account for nobody@example.org." in result.output


def test_admin_creates_and_switches_off_accounts(app, client, create_user):
    admin = create_user(admin=True)
    sign_in(client, admin)
    response = client.post(
        "/organiser/users/",
        data={"email": "Sara@Example.org", "name": "Sara", "password": "a long password"},
    )
    assert response.status_code == 302
    with app.app_context():
        sara = db.session.scalar(select(User).where(User.email == "sara@example.org"))
        assert (sara.name, sara.role, sara.is_active) == ("Sara", Role.ORGANISER, True)
        sara_id = sara.id
    response = client.post(
        "/organiser/users/",
        data={"email": "sara@example.org", "password": "another password"},
    )
    assert response.status_code == 400
    assert "There is already an account with this email address." in response.get_data(
        as_text=True
    )
    response = client.post(
        "/organiser/users/", data={"email": "short@example.org", "password": "short"}
    )
    assert response.status_code == 400
    assert "Field must be between 10 and 1000 characters long." in response.get_data(
        as_text=True
    )

    sara_client = app.test_client()
    assert (
        sara_client.post(
            "/sign-in", data={"email": "sara@example.org", "password": "a long password"}
        ).status_code
        == 302
    )
    client.post(f"/organiser/users/{sara_id}/active", data={"active": "0"})
    # Switched off: the open session ends at the next request, and signing in fails.
    assert sara_client.get("/organiser/").status_code == 302
    response = sara_client.post(
        "/sign-in", data={"email": "sara@example.org", "password": "a long password"}
    )
    assert response.status_code == 400
    client.post(f"/organiser/users/{sara_id}/active", data={"active": "1"})
    with app.app_context():
        assert db.session.get(User, sara_id).is_active is True

    page = client.post(
        f"/organiser/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "You cannot switch off your own account." in page.get_data(as_text=True)
    assert client.get("/organiser/users/").status_code == 200
