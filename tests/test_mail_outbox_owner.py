"""Only the mail package writes outbox rows: every feature sends through ``mail.queue`` and
changes queued emails through the mail package's functions (issue 9, point 1)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mmm_events"
WRITES = {"insert", "update", "delete"}


def _outbox_writes(path: Path) -> list[str]:
    """``insert/update/delete(OutboxMessage...)`` and ``OutboxMessage(...)`` in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        arguments = [ast.unparse(a) for a in node.args]
        if name == "OutboxMessage" or (
            name in WRITES and any(a.startswith("OutboxMessage") for a in arguments)
        ):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


def test_no_module_outside_mail_writes_the_outbox():
    modules = [
        path for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in {"mail", "models"}
    ]
    assert len(modules) > 50
    assert [w for path in modules for w in _outbox_writes(path)] == []


def test_the_check_finds_a_write_where_there_is_one():
    assert len(_outbox_writes(PACKAGE / "mail" / "outbox.py")) == 4
