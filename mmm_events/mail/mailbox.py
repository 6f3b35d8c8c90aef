"""The development mailbox: with no MAIL_SERVER, the worker writes each email as an .eml file
in MAILBOX_DIR (instance/mailbox/), and these pages list and show them as people see them:
the HTML part rendered, the text part, and the attachments, which open.

The HTML part is shown in a sandboxed frame whose own response allows the email's inline
styles and nothing else (no script, nothing fetched): images it refers to by ``cid:`` are
written into it as ``data:`` addresses, as a mail reader would show them.

Registered only when MMM_ENV=development (``make run``), never in production.
"""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_file
from flask import Response as FlaskResponse

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


# The email's HTML: its inline styles, its own images and the event's cover image from this
# site, nothing else, no script.
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; sandbox"
)
# Attachments shown in the browser; any other type is downloaded, never rendered as a page.
SHOWN_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "text/plain"})


def _attachments(message) -> list:
    return list(message.iter_attachments())


@bp.get("/<name>")
def show(name: str):
    message = _read(_file(name))
    body = message.get_body(preferencelist=("plain",))
    return render_template(
        "mail/mailbox_message.html",
        name=name,
        message=message,
        text=body.get_content() if body is not None else "",
        has_html=message.get_body(preferencelist=("html",)) is not None,
        attachments=[
            (part.get_filename() or f"part-{n}", part.get_content_type())
            for n, part in enumerate(_attachments(message))
        ],
    )


@bp.get("/<name>/html")
def html(name: str):
    """The HTML part, for the sandboxed frame of the message page."""
    message = _read(_file(name))
    part = message.get_body(preferencelist=("html",))
    if part is None:
        abort(404)
    text = part.get_content()
    for attachment in _attachments(message):
        content_id = (attachment["Content-ID"] or "").strip("<> ")
        if content_id and attachment.get_content_maintype() == "image":
            data = base64.b64encode(attachment.get_content()).decode("ascii")
            text = text.replace(
                f"cid:{content_id}", f"data:{attachment.get_content_type()};base64,{data}"
            )
    response = FlaskResponse(text, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_POLICY
    return response


@bp.get("/<name>/attachments/<int:number>")
def attachment(name: str, number: int):
    """One attachment, opened in the browser when it is an image, else downloaded (the
    calendar file opens in the calendar program)."""
    attachments = _attachments(_read(_file(name)))
    if number >= len(attachments):
        abort(404)
    part = attachments[number]
    content_type = part.get_content_type()
    data = part.get_content()
    response = FlaskResponse(
        data.encode() if isinstance(data, str) else data, mimetype=content_type
    )
    disposition = "inline" if content_type in SHOWN_TYPES else "attachment"
    filename = part.get_filename() or f"part-{number}"
    response.headers.set("Content-Disposition", disposition, filename=filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<name>/raw")
def raw(name: str):
    return send_file(_file(name), mimetype="message/rfc822", as_attachment=True)
