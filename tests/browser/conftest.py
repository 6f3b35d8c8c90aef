"""Real-browser fixtures: the app on a live HTTP server, driven by Debian's Chromium.

Where Chromium is not installed the browser tests are skipped, and the reason is printed in the
summary; under CI (CI=true) a missing browser is a failure, because a green run that skipped them
would prove nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            # The live server answers the browser from threads of its own.
            item.add_marker(pytest.mark.real_commits)


class LiveServer:
    """The app served by a threaded werkzeug server on a free loopback port."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: browser tests need Debian's chromium package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context per test: no cookies carried between tests."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    """A 360 px wide phone screen."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def accessibility_violations(page) -> list[str]:
    """WCAG 2.x A and AA violations that axe-core finds on the current page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "resultTypes": ["violations"],
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        },
    )
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


_ANSWER_REQUIRED_QUESTIONS = """() => {
  const radios = document.querySelectorAll('input[type=radio][name^=q]');
  const groups = new Set([...radios].map(i => i.name));
  for (const name of groups) {
    const choices = [...document.querySelectorAll(`input[type=radio][name="${name}"]`)];
    if (choices.some(c => c.checked)) continue;
    const pick = choices.find(c => c.value === 'no') || choices.find(c => !c.disabled);
    pick.checked = true;
    pick.dispatchEvent(new Event('change', {bubbles: true}));
  }
  for (const select of document.querySelectorAll('select[name^=q][required]')) {
    if (!select.value) select.value = [...select.options].find(o => o.value && !o.disabled).value;
  }
}"""


def answer_required_questions(page) -> None:
    """Answer the organiser's required questions of the form on ``page`` (the demo event asks
    some): the first free choice of each, and "no" where that is a choice, so that dependent
    questions stay unasked."""
    page.evaluate(_ANSWER_REQUIRED_QUESTIONS)
