"""Every address the application answers stays the same: bookmarks, links in emails already
sent and the README keep working whichever package a view lives in.

tests/url_map.txt is the list of rules and methods captured before the organiser pages moved
into their features; a change to it is a change people notice, made on purpose.
"""

from __future__ import annotations

from pathlib import Path

from mmm_events import create_app
from tests.conftest import BASE_CONFIG

COMMITTED = Path(__file__).with_name("url_map.txt")


def url_map(app) -> list[str]:
    """Each rule with the methods it answers (HEAD and OPTIONS follow GET), one per line."""
    return sorted(
        f"{' '.join(sorted(rule.methods - {'HEAD', 'OPTIONS'}))} {rule.rule}"
        for rule in app.url_map.iter_rules()
    )


def test_every_url_and_method_is_the_committed_one(tmp_path):
    # Development, so that the development mailbox's routes are counted too.
    app = create_app(
        {
            **BASE_CONFIG,
            "MMM_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        }
    )
    assert url_map(app) == COMMITTED.read_text().splitlines()
