"""The message the mail worker builds from an outbox row, with Flask-Mail: every part of the
row kept, and rows of unusual shapes read back as they were written."""

from __future__ import annotations

import base64
import re
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.policy import compat32

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mmm_events.mail.messages import ASCII_POLICY, OutboxEmail
from mmm_events.models import OutboxMessage, utcnow


def _row(**fields) -> OutboxMessage:
    values = {
        "id": 1,
        "message_id": "<1.2.3@example.org>",
        "kind": "test",
        "sender": "Make Mothers Matter <events@example.org>",
        "recipient": "a@example.org",
        "subject": "Invitation: #Mothers4Peace",
        "text_body": "Dear Amina,\n\nPlease come.\n",
        "html_body": "<p>Dear Amina,</p>\n<p>Please come.</p>",
        "attachments": [],
        "headers": {"List-Unsubscribe": "<http://events.example.org/u/x/one-click>"},
        "created_at": utcnow(),
    }
    values.update(fields)
    return OutboxMessage(**values)


CALENDAR = {
    "filename": "mothers4peace.ics",
    "content_type": "text/calendar; method=PUBLISH; charset=utf-8",
    "data": base64.b64encode(b"BEGIN:VCALENDAR\r\nSUMMARY:x\r\n" * 200).decode(),
}
PNG = {
    "filename": "check-in-code.png",
    "content_type": "image/png",
    "data": base64.b64encode(bytes(range(256)) * 20).decode(),
}


def _parsed(app, row: OutboxMessage):
    with app.app_context():
        data = OutboxEmail(row).as_bytes()
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    return message_from_bytes(data, policy=policy.default)


def test_the_message_keeps_every_part_of_the_row(app):
    row = _row(
        subject="Invitation : été à Casablanca – « bienvenue »",
        text_body="Chère Amina,\n\nVenez à Casablanca.\n",
        html_body="<p>Chère Amina,</p>",
        attachments=[CALENDAR, PNG],
    )
    message = _parsed(app, row)
    assert message["Subject"] == "Invitation : été à Casablanca – « bienvenue »"
    assert message["From"] == "Make Mothers Matter <events@example.org>"
    assert message["To"] == "a@example.org"
    assert message["Message-ID"] == "<1.2.3@example.org>"
    assert message["List-Unsubscribe"] == "<http://events.example.org/u/x/one-click>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n") == "Chère Amina,\n\nVenez à Casablanca.\n"
    assert message.get_body(preferencelist=("html",)).get_content().strip() == "<p>Chère Amina,</p>"
    calendar, png = message.iter_attachments()
    assert (calendar.get_filename(), calendar.get_content_type()) == (
        "mothers4peace.ics",
        "text/calendar",
    )
    assert calendar.get_param("method") == "PUBLISH"
    assert calendar.get_content().encode() == base64.b64decode(CALENDAR["data"])
    assert (png.get_filename(), png.get_content()) == (
        "check-in-code.png",
        base64.b64decode(PNG["data"]),
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "A long subject " * 60},
        {"subject": "A longer subject " * 80},
        {"text_body": "x" * 1200, "html_body": "<p>" + "é" * 1200 + "</p>"},
        {"html_body": ""},
        {"recipient": "Amina Benali <amina@example.org>"},
        {"sender": '"Mothers, Matter" <events@example.org>'},
    ],
)
def test_unusual_rows_give_messages_that_read_back_the_same(app, fields):
    row = _row(**fields)
    message = _parsed(app, row)
    assert message["Subject"] == row.subject
    assert message["To"] == row.recipient
    assert message["From"] == row.sender
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n") == row.text_body
    html = message.get_body(preferencelist=("html",))
    if row.html_body:
        assert html.get_content().replace("\r\n", "\n") == row.html_body
    else:
        assert html is None


def test_a_long_header_is_written_as_it_is(app):
    """A List-Unsubscribe address longer than a folded line stays one address in angle
    brackets, which one-click unsubscribing reads; never encoded words."""
    address = "<http://events.example.org/u/" + "x" * 90 + "/one-click>"
    row = _row(headers={"List-Unsubscribe": address})
    with app.app_context():
        data = OutboxEmail(row).as_bytes()
    assert f"\r\nList-Unsubscribe: {address}\r\n".encode() in data


def test_each_multipart_has_a_random_boundary_that_only_delimits_its_parts(app):
    """Boundaries are drawn, not searched for: 128 random bits, different in every message
    and every multipart, which a body cannot repeat (here it tries, with a boundary's
    shape), so every part reads back whole."""
    lookalike = "--=_" + "0123456789abcdef" * 2
    row = _row(text_body=f"{lookalike}\n{lookalike}--\n", attachments=[CALENDAR])
    with app.app_context():
        first, second = OutboxEmail(row).as_bytes(), OutboxEmail(row).as_bytes()
    message = message_from_bytes(first, policy=policy.default)

    boundaries = [part.get_boundary() for part in message.walk() if part.is_multipart()]
    again = [
        part.get_boundary()
        for part in message_from_bytes(second, policy=policy.default).walk()
        if part.is_multipart()
    ]
    assert len(boundaries) == len(again) == 2
    assert len(set(boundaries + again)) == 4
    assert all(re.fullmatch(r"=_[0-9a-f]{32}", boundary) for boundary in boundaries)
    # The outer multipart: the alternative and the calendar; the alternative: text, HTML.
    assert [first.count(f"\r\n--{b}\r\n".encode()) for b in boundaries] == [2, 2]
    assert [first.count(f"\r\n--{b}--\r\n".encode()) for b in boundaries] == [1, 1]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n") == row.text_body
    (calendar,) = message.iter_attachments()
    assert calendar.get_content().encode() == base64.b64decode(CALENDAR["data"])


REFERENCE_POLICY = compat32.clone(linesep="\r\n", max_line_length=998)


@settings(max_examples=500, deadline=None)
@given(
    name=st.sampled_from(["Subject", "To", "From", "List-Unsubscribe", "Content-Type", "X-A"]),
    value=st.text(alphabet=st.characters(max_codepoint=127), max_size=1100)
    | st.text(max_size=60),
)
# A line as long as the limit, and one that compat32 folds at a space (1,000 characters).
@example(name="Subject", value=("word " * 200)[: 998 - len("Subject: ")])
@example(name="Subject", value=("word " * 200)[: 1000 - len("Subject: ")])
def test_header_lines_are_written_as_compat32_writes_them(name, value):
    def written(policy):
        try:
            return policy.fold_binary(name, value)
        except HeaderParseError as refused:  # a line break that would start another header
            return str(refused)

    assert written(ASCII_POLICY) == written(REFERENCE_POLICY)


@pytest.mark.parametrize(
    "fields",
    [
        {"attachments": [CALENDAR, PNG]},
        {"subject": "A longer subject " * 80, "recipient": "Amina Benali <amina@example.org>"},
        {"subject": "Invitation : été – « bienvenue »", "recipient_name": "Zoé Ağaoğlu"},
        {"headers": {"List-Unsubscribe": "<http://events.example.org/u/" + "x" * 990 + ">"}},
    ],
)
def test_whole_messages_are_written_as_compat32_writes_them(app, fields):
    with app.app_context():
        message = OutboxEmail(_row(**fields))._message()
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"boundary-{number}")

    assert message.as_bytes(policy=ASCII_POLICY) == message.as_bytes(policy=REFERENCE_POLICY)
