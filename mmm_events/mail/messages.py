"""The message of an outbox row, built with Flask-Mail, and the ways it travels.

Flask-Mail writes every address for a 7-bit transport (``sanitize_address``), which is
right for nearly every row; it refuses a mailbox whose local part is not ASCII
(``josé@example.org``). Such a row is written as it is (RFC 6532) and sent with SMTPUTF8,
which the server must offer: ``OutboxEmail`` says which a row needs, and ``SmtpTransport``
sends it the matching way. A domain alone in another script is IDNA-encoded instead, which
every server accepts.
"""

from __future__ import annotations

import contextlib
import secrets
import smtplib
from email.charset import QP, Charset
from email.header import Header
from email.policy import SMTPUTF8, Compat32
from email.utils import parseaddr
from pathlib import Path

import idna
from flask import current_app
from flask_mail import BadHeaderError, Connection, Message

from ..models import OutboxMessage
from .outbox import Attachment

# RFC 5322's limit on a line, in octets, without its CRLF: a relay refuses a longer one.
MAX_LINE = 998
# Flask-Mail writes UTF-8 bodies unencoded (8-bit); a body with a line over MAX_LINE is
# written quoted-printable instead, through the charset Flask-Mail's Message takes.
LONG_LINES = Charset("utf-8")
LONG_LINES.body_encoding = QP


class AsciiHeaders(Compat32):
    """compat32, writing a header line that needs no folding or encoding as it is.

    compat32 passes every header of every part through ``email.header.Header`` (about 22 an
    invitation), which measures each for quoted-printable and splits it: a quarter of
    writing a message, to return nearly all of them unchanged. A line of printable ASCII
    within the length limit is exactly what ``Header`` returns for it (the tests compare
    both on any ASCII text); anything else goes through ``Header`` as before.
    """

    def fold_binary(self, name, value):
        if isinstance(value, str) and value.isascii() and value.isprintable():
            line = f"{name}: {value}"
            if len(line) <= self.max_line_length:
                return f"{line}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# Flask-Mail has written every header for 7-bit transport already: the policy of its MIME
# classes writes them out as they are, folded at MAX_LINE, not at the usual 78 (the modern
# policy would parse each again, which costs more than the rest of the message, and folds a
# long subject before its first word, which some mail readers show with a leading space).
# A mailbox in UTF-8 (RFC 6532) needs the modern one.
ASCII_POLICY = AsciiHeaders(linesep="\r\n", max_line_length=MAX_LINE)
UTF8_POLICY = SMTPUTF8.clone(max_line_length=MAX_LINE)


class UnsupportedAddress(smtplib.SMTPException):
    """The address needs SMTPUTF8 and the server does not offer it: this row can never go
    through this server."""


def ascii_address(address: str) -> str | None:
    """``address`` with its domain IDNA-encoded when only the domain is not ASCII; None when
    the local part is not ASCII (then only SMTPUTF8 can carry it)."""
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return None
    if domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return None


def utf8_mailbox(name: str, address: str) -> str:
    """The To: header of a mailbox only SMTPUTF8 carries, which Flask-Mail and
    ``formataddr`` refuse; the name as an RFC 2047 encoded word, which needs no quoting."""
    if not name:
        return address
    return f"{Header(name, 'utf-8', maxlinelen=MAX_LINE).encode()} <{address}>"


class OutboxEmail(Message):
    """Flask-Mail's message for one row, with the row's Message-ID, and bodies
    quoted-printable when a line is too long for a relay (over 998 octets).

    Written to bytes when built, so that whatever makes a row unsendable (a line break in a
    header) shows there, and the sender has only the sending to do.
    """

    def __init__(self, row: OutboxMessage):
        written_name, address = parseaddr(row.recipient)
        name = row.recipient_name or written_name
        ascii_form = ascii_address(address)
        #: The mailbox needs SMTPUTF8: Flask-Mail cannot write it.
        self.smtputf8 = ascii_form is None
        self.envelope_to = address if ascii_form is None else ascii_form
        bodies = (row.text_body or "") + (row.html_body or "")
        # The display name goes into To: only; the envelope (RCPT TO) gets the bare address.
        super().__init__(
            subject=row.subject,
            recipients=[] if self.smtputf8 else [(name, ascii_form)],
            body=row.text_body,
            html=row.html_body or None,
            sender=row.sender,
            # RFC 3834: every email from here is automatic, and no out-of-office reply
            # should answer it.
            extra_headers={"Auto-Submitted": "auto-generated", **(row.headers or {})},
            charset=LONG_LINES if _has_long_line(bodies) else None,
        )
        for stored in row.attachments or []:
            _attach(self, Attachment.from_json(stored))
        # The row's own Message-ID: a retry is recognisably the same message downstream.
        self.msgId = row.message_id
        if self.has_bad_headers() or (self.smtputf8 and _has_newline(name)):
            raise BadHeaderError("a line break in the subject, sender or recipient")
        # Flask-Mail's public as_bytes() writes with policy.SMTP, which folds every header
        # over 78 characters again: a long List-Unsubscribe address becomes encoded words
        # (which one-click unsubscribing cannot read), and building costs 2.5 times as much.
        # Only its private _message() gives the MIME object to write with a policy of ours.
        message = self._message()
        for part in message.walk():
            if part.is_multipart():
                # Python's writer draws a boundary and compiles a regular expression for each
                # multipart to check that no line of the body repeats it: a fifth of writing the
                # message. 128 random bits cannot be in a body unless someone knew them first.
                part.set_boundary(f"=_{secrets.token_hex(16)}")
        if self.smtputf8:
            # Flask-Mail writes every address for 7-bit transport and cannot write this one.
            message.replace_header("To", utf8_mailbox(name, address))
        self.data = message.as_bytes(policy=UTF8_POLICY if self.smtputf8 else ASCII_POLICY)

    def as_bytes(self) -> bytes:
        return self.data


def _has_long_line(text: str) -> bool:
    return any(len(line) > MAX_LINE for line in text.encode("utf-8").splitlines())


def _has_newline(text: str) -> bool:
    return "\n" in text or "\r" in text


def _attach(message: Message, attachment: Attachment) -> None:
    if attachment.content_id is None:
        message.attach(attachment.filename, attachment.content_type, attachment.data)
        return
    message.attach(
        attachment.filename,
        attachment.content_type,
        attachment.data,
        disposition="inline",
        headers={"Content-ID": f"<{attachment.content_id}>"},
    )


class _TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a stalled server must not hang the
    worker forever."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class SmtpTransport:
    """One SMTP connection, for one batch."""

    def __enter__(self):
        self.connection = _TimedConnection(current_app.extensions["mail"]).__enter__()
        return self

    def __exit__(self, *exc_info):
        # The messages were accepted already; a failed QUIT changes nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.__exit__(*exc_info)

    @property
    def connected(self) -> bool:
        host = self.connection.host
        return host is None or host.sock is not None

    def send(self, row: OutboxMessage, message: OutboxEmail) -> None:
        sender = parseaddr(row.sender)[1]
        if not message.smtputf8:
            self.connection.send(message, envelope_from=sender)
            return
        host = self.connection.host
        if host is None:
            # MAIL_SUPPRESS_SEND (Flask-Mail's switch, on by default under TESTING).
            return
        host.ehlo_or_helo_if_needed()
        if not host.has_extn("smtputf8"):
            raise UnsupportedAddress(
                f"the mail server does not offer SMTPUTF8, which the address "
                f"{message.envelope_to} needs"
            )
        # Flask-Mail's send would write the address for 7-bit transport, and cannot.
        host.sendmail(sender, [message.envelope_to], message.as_bytes(), ["SMTPUTF8"])


class MailboxTransport:
    """Development delivery without a mail server: each message's bytes as an .eml file."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.connected = True

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info):
        return None

    def send(self, row: OutboxMessage, message: OutboxEmail) -> None:
        stamp = row.created_at.strftime("%Y%m%dT%H%M%S")
        (self.folder / f"{stamp}-{row.id:06d}-{row.kind}.eml").write_bytes(message.as_bytes())


def transport():
    """Where this worker delivers: the SMTP server, or the development mailbox."""
    if not current_app.config["MAIL_SERVER"]:
        return MailboxTransport(Path(current_app.config["MAILBOX_DIR"]))
    return SmtpTransport()
