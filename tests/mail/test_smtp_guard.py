"""The suite's guard against SMTP connections a test did not ask for (tests/conftest.py:
``smtp_guard``): refused at the socket, and the test fails at its end."""

from __future__ import annotations

import smtplib

import pytest

from tests.conftest import SmtpServer


def expect_refusal(smtp_guard, port: int) -> None:
    with pytest.raises(ConnectionRefusedError, match="unexpected SMTP connection"):
        smtplib.SMTP("127.0.0.1", port, timeout=5)
    assert smtp_guard.attempts == [("127.0.0.1", port)]
    smtp_guard.attempts.clear()  # expected here: the test must not fail for it


def test_a_standard_smtp_port_is_refused(smtp_guard):
    expect_refusal(smtp_guard, 25)


def test_the_test_talks_to_its_own_smtp_server(smtp_server, smtp_guard):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        assert client.noop()[0] == 250
    assert smtp_guard.attempts == []


def test_the_server_of_an_earlier_test_is_refused(smtp_guard):
    earlier = SmtpServer()
    smtp_guard.owned_ports.clear()  # as when the test that started it has ended
    expect_refusal(smtp_guard, earlier.port)
