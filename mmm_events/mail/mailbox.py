"""The development mailbox: with no MAIL_SERVER, the worker writes each email as an .eml file
in MAILBOX_DIR (instance/mailbox/), and these pages list and show them.

Registered only when MMM_ENV=development (``make run``), never in production.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_file

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")


def _folder() -> Path:
    return Path(current_app.config["MAILBOX_DIR"])


def _read(path: Path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _file(name: str) -> Path:
    path = _folder() / name
    # Only a file of the mailbox itself, never a path elsewhere.
    if path.suffix != ".eml" or path.parent != _folder() or not path.is_file():
        abort(404)
    return path


@bp.get("/")
def index():
    folder = _folder()
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.is_dir() else []
    messages = [(path.name, _read(path)) for path in files]
    return render_template("mail/mailbox_index.html", messages=messages, folder=folder)


@bp.get("/<name>")
def show(name: str):
    message = _read(_file(name))
    body = message.get_body(preferencelist=("plain",))
    attachments = [part.get_filename() for part in message.iter_attachments()]
    return render_template(
        "mail/mailbox_message.html",
        name=name,
        message=message,
        text=body.get_content() if body is not None else "",
        attachments=attachments,
    )


@bp.get("/<name>/raw")
def raw(name: str):
    return send_file(_file(name), mimetype="message/rfc822", as_attachment=True)
