"""Two web servers behind a load balancer: each request of one visitor may reach either.

Two applications on one database with one SECRET_KEY, each with its own instance folder,
answer a visitor's requests in turn. Whatever a server remembers only on its own disk or in
its own memory shows up here: the sign-in, the CSRF token, flashed messages and the chosen
language must all hold from one request to the next.
"""

from __future__ import annotations

import re

from werkzeug.test import Client

from .conftest import ORGANISER_PASSWORD

# The sign-in form (WTForms) and the sign-out button (base.html) write it differently.
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class Alternating:
    """A load balancer in turn: request n goes to server n mod 2."""

    def __init__(self, *apps):
        self.apps, self.count = apps, 0

    def __call__(self, environ, start_response):
        app = self.apps[self.count % len(self.apps)]
        self.count += 1
        return app(environ, start_response)


def token(page: str) -> str:
    return CSRF.search(page).group(1)


def test_a_visitor_moves_between_two_servers_unnoticed(make_app, create_user, tmp_path):
    servers = []
    for n in (1, 2):
        app = make_app(WTF_CSRF_ENABLED=True)
        app.instance_path = str(tmp_path / f"server-{n}")
        servers.append(app)
    user = create_user()
    browser = Client(Alternating(*servers))

    chosen = browser.get("/language/fr?next=/sign-in")  # server 1
    assert (chosen.status_code, chosen.headers["Location"]) == (302, "/sign-in")
    page = browser.get("/sign-in").get_data(as_text=True)  # server 2
    assert '<html lang="fr">' in page
    signed_in = browser.post(  # server 1
        "/sign-in",
        data={"csrf_token": token(page), "email": user.email, "password": ORGANISER_PASSWORD},
    )
    assert signed_in.status_code == 302
    area = browser.get("/organiser/")  # server 2
    assert area.status_code == 200
    page = area.get_data(as_text=True)
    assert '<html lang="fr">' in page
    signed_out = browser.post("/sign-out", data={"csrf_token": token(page)})  # server 1
    assert signed_out.status_code == 302
    home = browser.get("/").get_data(as_text=True)  # server 2
    assert len(re.findall(r'class="flash flash-success"', home)) == 1
    again = browser.get("/").get_data(as_text=True)  # server 1: the message was shown once
    assert 'class="flash' not in again
    assert browser.get("/organiser/").status_code == 302  # server 2: signed out
