"""Only the mail package writes outbox rows: every feature sends through ``mail.queue`` and
changes queued emails through the mail package's functions (issue 9, point 1)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mmm_events"
WRITES = {"insert", "update", "delete"}


def _outbox_writes(path: Path, root: Path = PACKAGE) -> list[str]:
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
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


def test_no_module_outside_mail_writes_the_outbox():
    modules = [
        path for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in {"mail", "models"}
    ]
    # The walk reaches the feature packages (a wrong PACKAGE would find nothing to check).
    assert {"events", "registrations", "invitations"} <= {
        path.relative_to(PACKAGE).parts[0] for path in modules
    }
    assert [w for path in modules for w in _outbox_writes(path)] == []


def test_the_check_finds_every_shape_of_write(tmp_path):
    module = tmp_path / "feature.py"
    module.write_text(
        "db.session.add(OutboxMessage(kind='x'))\n"
        "db.session.execute(insert(OutboxMessage).values(kind='x'))\n"
        "db.session.execute(update(OutboxMessage).values(status='sent'))\n"
        "db.session.execute(delete(OutboxMessage.__table__))\n"
        "db.session.execute(update(Registration).values(status='confirmed'))\n"
    )
    assert sorted(w.split(": ")[0] for w in _outbox_writes(module, tmp_path)) == [
        "feature.py:1", "feature.py:2", "feature.py:3", "feature.py:4",
    ]
