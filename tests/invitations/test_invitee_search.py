"""The invitee list's search finds Arabic names as people type them (issue 25, point 6): the
same folding as the registrant list and the check-in search, on both engines."""

from __future__ import annotations

import re

import pytest

from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.models import Event, Language
from tests.conftest import sign_in

AMINA = "أمينة بنعلي"
MOHAMED = "مُحَمَّد إدريسي"
LAILA = "ليلى مؤمن"
HASNA = "حسنـاء"


@pytest.fixture
def invited(app, create_event, now):
    event = create_event()
    with app.app_context():
        target = db.session.get(Event, event.id)
        for n, (name, organisation) in enumerate(
            [(AMINA, ""), (MOHAMED, "جمعية الأمهات"), (LAILA, ""), (HASNA, ""),
             ("Élodie Martin", "UNESCO")]
        ):
            services.add_invitee(
                target, email=f"guest{n}@example.org", name=name, organisation=organisation,
                language=Language.AR, now=now,
            )
        db.session.commit()
    return event


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("امينة", [AMINA]),
        ("امينه", [AMINA]),
        ("محمد", [MOHAMED]),
        ("ادريسي", [MOHAMED]),
        ("ليلي مومن", [LAILA]),
        ("حسناء", [HASNA]),
        ("الامهات", [MOHAMED]),
        ("élodie", ["Élodie Martin"]),
        ("unesco", ["Élodie Martin"]),
        ("GUEST2@", [LAILA]),
        ("%", []),
    ],
)
def test_the_invitee_search_folds_arabic_and_case(app, invited, typed, found):
    with app.app_context():
        event = db.session.get(Event, invited.id)
        rows = services.invitees(event, q=typed)
        assert [row.invitation.name for row in rows] == found


def test_the_invitee_page_searches_within_the_chosen_state(app, invited, create_user):
    client = app.test_client()
    sign_in(client, create_user(events=(invited,)))
    url = f"/organiser/events/{invited.id}/invitations"
    page = client.get(url, query_string={"q": "  امينة "}).get_data(as_text=True)
    names = re.findall(r'<label for="inv-\d+">([^<]*)</label>', page)
    assert names == [AMINA]
    assert '<input type="search" id="q" name="q" value="امينة" dir="auto">' in page
    # Nobody imported has been invited yet: the search keeps the state's filter.
    page = client.get(url, query_string={"q": "امينة", "state": "invited"}).get_data(
        as_text=True
    )
    assert re.findall(r'<label for="inv-\d+">([^<]*)</label>', page) == []
    assert "Nobody matches “<bdi>امينة</bdi>”." in page
    assert '<input type="hidden" name="state" value="invited">' in page
