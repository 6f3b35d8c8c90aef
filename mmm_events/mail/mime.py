"""The bytes of an outbox row, written directly for the usual shape of our emails.

The standard library's modern email API (``build_message``) parses and re-folds every
header it is given, which costs about 2 ms a message: more than the SMTP exchange itself. Our
emails almost all have one shape (plain text and HTML alternatives, then attachments, ASCII
headers, short lines), so ``message_bytes`` writes that shape itself, byte for byte as the
standard library would (tests compare the two), and hands anything else to the standard
library. Attachments identical across a batch (the event's calendar file) are encoded once.
"""

from __future__ import annotations

import binascii
import random
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from ..models import OutboxMessage
from .outbox import Attachment

# Lines up to RFC 5322's hard limit: with the usual 78, a long subject is folded before its
# first word, and some mail readers then show it with a leading space.
MAX_LINE = 998
MAIL_POLICY = SMTP.clone(max_line_length=MAX_LINE)
CRLF = b"\r\n"
# Values the standard library writes back unchanged: printable ASCII, no encoded-word that it
# would decode, nothing it would fold.
_PLAIN_VALUE = re.compile(r"[ -~]*\Z")
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")
_TOKEN = re.compile(r"[A-Za-z0-9.+_-]+\Z")
_PARAMETER_NAME = re.compile(r"[a-z0-9_-]+\Z")
_FILENAME = re.compile(r"[A-Za-z0-9 ._()+-]+\Z")
_ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender"}
# Headers the standard library parses into structured values (and may write differently).
_STRUCTURED = _ADDRESS_HEADERS | {
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-disposition",
    "content-transfer-encoding",
}


def build_message(row: OutboxMessage) -> EmailMessage:
    """The MIME message of a row: text and HTML alternatives, then the attachments.

    Built with the standard library's modern email API, which folds headers correctly and
    refuses line breaks in header values.
    """
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = row.subject
    message["From"] = row.sender
    message["To"] = row.recipient
    message["Date"] = formatdate(localtime=False)
    # The row's own Message-ID: a retry is recognisably the same message downstream.
    message["Message-ID"] = row.message_id
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.text_body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    for stored in row.attachments or []:
        attachment = Attachment.from_json(stored)
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


class Unusual(Exception):
    """This row is not of the usual shape: the standard library builds it."""


def _header(name: str, value: str) -> bytes:
    if "\r" in value or "\n" in value:
        # What the standard library says, and the worker treats as a refused message.
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    key = name.lower()
    if (
        not _PLAIN_VALUE.match(value)
        or "=?" in value
        or len(name) + 2 + len(value) > MAX_LINE
        or value != value.strip()
        or "  " in value
        or (key in _ADDRESS_HEADERS and not _BARE_ADDRESS.match(value))
        or (key in _STRUCTURED and key not in _ADDRESS_HEADERS)
    ):
        raise Unusual(name)
    return f"{name}: {value}".encode("ascii") + CRLF


def _text(body: str) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding, payload) of a text part, as the standard library picks."""
    lines = body.encode("utf-8").splitlines()
    if any(len(line) > MAX_LINE for line in lines):
        raise Unusual("long line")
    payload = CRLF.join(lines) + CRLF
    return (b"7bit" if payload.isascii() else b"8bit"), payload


def _boundary(*bodies: bytes) -> bytes:
    # The standard library's form of boundary; it must not occur in what it separates.
    while True:
        boundary = b"===============%019d==" % random.randrange(10**19)
        if not any(boundary in body for body in bodies):
            return boundary


def _attachment(stored: dict[str, str]) -> bytes:
    """An attachment part, from its stored form (base64 without line breaks)."""
    maintype, _, rest = stored["content_type"].partition("/")
    subtype, *parameters = (part.strip() for part in rest.split(";"))
    filename = stored["filename"]
    if not _TOKEN.match(maintype) or not _TOKEN.match(subtype) or not _FILENAME.match(filename):
        raise Unusual("attachment")
    content_type = f"{maintype}/{subtype}"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if not _PARAMETER_NAME.match(name) or not _TOKEN.match(value):
            raise Unusual("attachment")
        # The standard library writes every parameter's value in quotes.
        content_type += f'; {name}="{value}"'
    data = binascii.a2b_base64(stored["data"])
    per_line = MAX_LINE // 4 * 3
    encoded = b"".join(
        binascii.b2a_base64(data[i : i + per_line]) for i in range(0, len(data), per_line)
    )
    return (
        f"Content-Type: {content_type}".encode("ascii")
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + f'Content-Disposition: attachment; filename="{filename}"'.encode("ascii")
        + CRLF
        + b"MIME-Version: 1.0"
        + CRLF
        + CRLF
        + encoded.replace(b"\n", CRLF)
    )


class MessageWriter:
    """Writes the rows of one batch; keeps the encoded attachments they share."""

    def __init__(self) -> None:
        self._attachments: dict[tuple[str, str, str], bytes] = {}
        self._headers: dict[tuple[str, str], bytes] = {}

    def _attachment(self, stored: dict[str, str]) -> bytes:
        key = (stored["filename"], stored["content_type"], stored["data"])
        part = self._attachments.get(key)
        if part is None:
            part = self._attachments[key] = _attachment(stored)
        return part

    def _header(self, name: str, value: str) -> bytes:
        try:
            return _header(name, value)
        except Unusual:
            pass
        key = (name, value)
        folded = self._headers.get(key)
        if folded is None:
            # One header the standard library's way (a sender's display name, a subject in
            # another script), the rest of the message still ours; kept for the batch.
            if name.lower() in _STRUCTURED and name.lower() not in _ADDRESS_HEADERS:
                raise Unusual(name)
            folded = self._headers[key] = MAIL_POLICY.fold_binary(
                name, MAIL_POLICY.header_factory(name, value)
            )
        return folded

    def message_bytes(self, row: OutboxMessage) -> bytes:
        """The message as the SMTP server gets it; the standard library's when unusual."""
        try:
            return self._write(row)
        except Unusual:
            return build_message(row).as_bytes()

    def _write(self, row: OutboxMessage) -> bytes:
        if not row.html_body:
            raise Unusual("no HTML")
        head = [
            self._header("Subject", row.subject),
            self._header("From", row.sender),
            self._header("To", row.recipient),
            b"Date: " + formatdate(localtime=False).encode("ascii") + CRLF,
            _message_id(row.message_id),
        ]
        head.extend(self._header(name, value) for name, value in (row.headers or {}).items())
        text_encoding, text = _text(row.text_body)
        html_encoding, html = _text(row.html_body)
        attachments = [self._attachment(stored) for stored in row.attachments or []]
        inner = _boundary(text, html)
        alternative = (
            b'Content-Type: multipart/alternative; boundary="' + inner + b'"' + CRLF + CRLF
            + b"--" + inner + CRLF
            + b'Content-Type: text/plain; charset="utf-8"' + CRLF
            + b"Content-Transfer-Encoding: " + text_encoding + CRLF + CRLF
            + text
            + CRLF + b"--" + inner + CRLF
            + b'Content-Type: text/html; charset="utf-8"' + CRLF
            + b"Content-Transfer-Encoding: " + html_encoding + CRLF
            + b"MIME-Version: 1.0" + CRLF + CRLF
            + html
            + CRLF + b"--" + inner + b"--" + CRLF
        )  # fmt: skip
        if not attachments:
            return b"".join(head) + b"MIME-Version: 1.0" + CRLF + alternative
        outer = _boundary(alternative, *attachments)
        parts = [b"--" + outer + CRLF + alternative]
        parts.extend(CRLF + b"--" + outer + CRLF + part for part in attachments)
        return (
            b"".join(head)
            + b"MIME-Version: 1.0" + CRLF
            + b'Content-Type: multipart/mixed; boundary="' + outer + b'"' + CRLF + CRLF
            + b"".join(parts)
            + CRLF + b"--" + outer + b"--" + CRLF
        )  # fmt: skip


def _message_id(value: str) -> bytes:
    if not re.fullmatch(r"<[!-;=?-~]+@[A-Za-z0-9.-]+>", value):
        raise Unusual("Message-ID")
    return b"Message-ID: " + value.encode("ascii") + CRLF
