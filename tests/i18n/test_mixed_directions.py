"""Latin inside Arabic and Arabic inside Latin, in plain-text emails and pages: each piece that
may run the other way is isolated (U+2068 ... U+2069 in text, <bdi> in HTML), and no
invisible character ever touches a link."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from mmm_events import bidi
from mmm_events.extensions import db
from mmm_events.models import Registration
from tests.conftest import drain_outbox, rsvp_form
from tests.invitations.test_invitations_sending import import_people, send_all

FSI, PDI = "\u2068", "\u2069"
CONTROLS = re.compile(f"[{bidi.DIRECTION_CONTROLS}]")
ARABIC_TITLE = "المؤتمر الدولي #Mothers4Peace"


@pytest.fixture
def app(make_mail_app):
    return make_mail_app()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_isolation_wraps_only_what_runs_against_the_line():
    assert bidi.isolate("Amina Benali", "ltr") == "Amina Benali"
    assert bidi.isolate("أمينة بنعلي", "rtl") == "أمينة بنعلي"
    assert bidi.isolate("أمينة بنعلي", "ltr") == f"{FSI}أمينة بنعلي{PDI}"
    assert bidi.isolate("We would be honoured to have you.", "rtl") == (
        f"{FSI}We would be honoured to have you.{PDI}"
    )
    # The hashtag of a mixed title is isolated inside the isolated title.
    assert bidi.isolate(ARABIC_TITLE, "rtl") == (
        f"{FSI}المؤتمر الدولي {FSI}#Mothers4Peace{PDI}{PDI}"
    )
    assert bidi.bdi(ARABIC_TITLE, "rtl") == (
        "<bdi>المؤتمر الدولي <bdi>#Mothers4Peace</bdi></bdi>"
    )
    assert bidi.bdi("Amina <b>", "ltr") == "Amina &lt;b&gt;"


def test_an_arabic_email_isolates_the_english_texts_and_joins_the_place_the_arabic_way(
    app, client, smtp_server, create_event
):
    event = create_event(
        title="Peace Conference",
        summary="We would be honoured to have you.",
        venue="Conference centre",
    )
    response = client.post(
        f"/events/{event.slug}",
        data=rsvp_form(event, language="ar", full_name="Amina Benali"),
    )
    assert response.status_code == 303
    drain_outbox(app)
    [message] = smtp_server.messages
    lines = text_of(message).splitlines()
    assert f"الفعالية: {FSI}Peace Conference{PDI}" in lines
    assert f"المكان: {FSI}Conference centre{PDI}، {FSI}Casablanca{PDI}، {FSI}Morocco{PDI}" in lines
    assert f"الاسم: {FSI}Amina Benali{PDI}" in lines
    html = message.get_body(preferencelist=("html",)).get_content()
    # Not written in Arabic: each piece marked as English, and apart from the others.
    assert (
        '<span lang="en" dir="ltr">Conference centre</span>، '
        '<span lang="en" dir="ltr">Casablanca</span>، <span lang="en" dir="ltr">Morocco</span>'
    ) in html


def test_the_arabic_title_keeps_its_hashtag_isolated_in_the_text_email(
    app, client, smtp_server, create_event
):
    event = create_event(title="Peace Conference")
    with app.app_context():
        from mmm_events.models import Event

        db.session.get(Event, event.id).text_in("ar").title = ARABIC_TITLE
        db.session.commit()
    client.post(f"/events/{event.slug}", data=rsvp_form(event, language="ar"))
    drain_outbox(app)
    [message] = smtp_server.messages
    assert f"الفعالية: {FSI}المؤتمر الدولي {FSI}#Mothers4Peace{PDI}{PDI}" in (
        text_of(message).splitlines()
    )


def test_links_in_arabic_text_emails_stand_alone_without_direction_marks(
    app, client, smtp_server, create_event, now
):
    event = create_event()
    import_people(app, event, "amina@example.org,Amina Benali,,ar,\n", now)
    send_all(app, event, now)
    client.post(f"/events/{event.slug}", data=rsvp_form(event, language="ar"))
    drain_outbox(app)
    assert len(smtp_server.messages) == 2
    for message in smtp_server.messages:
        text = text_of(message)
        links = [line for line in text.splitlines() if "http" in line]
        assert links
        for line in links:
            assert re.fullmatch(r"https?://\S+", line), line
        # Every automatic email says so: no out-of-office reply answers it (RFC 3834).
        assert message["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize("mark", ["\u200f", "\u200e", "\u2069", "\u200f\u2069"])
def test_a_link_that_brings_back_a_direction_mark_still_opens(app, client, create_event, mark):
    event = create_event()
    assert client.post(f"/events/{event.slug}", data=rsvp_form(event)).status_code == 303
    with app.app_context():
        token = db.session.scalar(select(Registration.token))
    response = client.get(f"/events/manage/{token}{quote(mark)}")
    assert (response.status_code, response.location) == (308, f"/events/manage/{token}")
    assert client.get(response.location).status_code == 200
    # A POST stays a POST, with its query string.
    response = client.post(f"/events/manage/{token}/cancel{quote(mark)}?x=1")
    assert (response.status_code, response.location) == (
        308,
        f"/events/manage/{token}/cancel?x=1",
    )
