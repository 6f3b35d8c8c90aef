"""Arabic names found as people type them: with or without hamza and short vowels, taa marbuta
or haa, alif maqsura or yaa, with or without tatweel; on both engines, in the registrant list
and the check-in search."""

from __future__ import annotations

import re

import pytest

from mmm_events.extensions import db
from mmm_events.folding import fold
from mmm_events.models import Event
from mmm_events.registrations import management
from tests.conftest import sign_in

AMINA = "أمينة بنعلي"
MOHAMED = "مُحَمَّد إدريسي"
LAILA = "ليلى مؤمن"
HASNA = "حسنـاء"
ALIREZA = "علی\u200cرضا کریمی"  # Persian, with a zero-width non-joiner


@pytest.fixture
def people(create_event, create_registration):
    event = create_event()
    for name in (AMINA, MOHAMED, LAILA, HASNA, ALIREZA, "Élodie Martin"):
        create_registration(event, full_name=name)
    return event


def test_folding_reads_the_spelling_variants_as_one():
    assert fold("أمينة") == fold("امينه") == fold("إمينة") == "امينه"
    assert fold("مُحَمَّد") == "محمد"
    assert fold("ليلى") == fold("ليلي")
    assert fold("مؤمن") == fold("مومن")
    assert fold("حسنـاء") == "حسناء"
    assert fold("علی\u200cرضا") == "علیرضا"
    assert fold("ÉLODIE") == "élodie"


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("امينة", [AMINA]),
        ("امينه", [AMINA]),
        ("محمد", [MOHAMED]),
        ("ادريسي", [MOHAMED]),
        ("ليلي مومن", [LAILA]),
        ("حسناء", [HASNA]),
        ("élodie", ["Élodie Martin"]),
        ("بنعلى", [AMINA]),
        ("علیرضا", [ALIREZA]),
        ("علی\u200cرضا", [ALIREZA]),
    ],
)
def test_the_check_in_search_folds_arabic(app, people, typed, found):
    with app.app_context():
        event = db.session.get(Event, people.id)
        assert [r.full_name for r in management.check_in_search(event, typed, 10)] == found


def test_the_registrant_list_finds_the_arabic_name_typed_without_hamza(
    app, people, create_user
):
    client = app.test_client()
    sign_in(client, create_user(events=(people,)))
    page = client.get(
        f"/organiser/events/{people.id}/registrants", query_string={"q": "امينة"}
    ).get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert re.findall(r'/organiser/registrations/\d+">([^<]+)</a>', body) == [AMINA]
