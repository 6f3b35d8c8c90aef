"""People's names keep no invisible characters that change how they read (bidi overrides,
embeddings, isolates and marks; zero-width spaces and joiners; the byte order mark), wherever
they enter: the RSVP form, the manage page, invitee lists and the organiser's form, accounts;
in the database and in the display names of emails. Letters and their marks stay, and so do
the joiners that are part of a name's spelling (Persian, Hindi)."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from flask_migrate import downgrade, upgrade
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from mmm_events.extensions import db
from mmm_events.models import Invitation, Registration, User
from mmm_events.text import clean_name
from tests.conftest import drain_outbox, rsvp_form, sign_in

# Reads "Amina Benali" on a page, but each invisible character is a trap: U+202E turns what
# follows around, U+2066 opens an isolate, U+200B and U+FEFF are zero-width.
SPOOFED = "\u202bAmina\u202e\u2066 Benali\u2069\u200b\ufeff"
CLEAN = "Amina Benali"
# Arabic letters with their vowel marks (combining marks), an accent typed as a mark.
ARABIC = "مَرْيَم العَلَوِي"
DECOMPOSED = "Zoe\u0308 Benali"
# Persian keeps the two parts of Alireza apart with a zero-width non-joiner; Hindi writes the
# half form of ka with a virama and a zero-width joiner.
PERSIAN = "علی\u200cرضا محمدی"
HINDI = "लक्\u200dष्मी"
HEADER = "email,name,organisation,language,note\n"

visible_words = st.text(
    st.characters(categories=["L", "M", "N", "P", "S"]), min_size=1, max_size=12
)
visible_names = st.lists(visible_words, min_size=1, max_size=4).map(" ".join)
format_characters = st.characters(categories=["Cf"])
JOINERS = "\u200c\u200d"


def test_bidi_controls_and_zero_width_characters_go_and_letters_stay():
    assert clean_name(SPOOFED) == CLEAN
    assert clean_name("\u200e\u200f\u061c\u200c\u200d\u2060x\u2067\u2068") == "x"
    assert clean_name(ARABIC) == ARABIC
    assert clean_name(DECOMPOSED) == DECOMPOSED


def test_joiners_stay_where_they_spell_the_name_and_go_elsewhere():
    assert clean_name(PERSIAN) == PERSIAN
    assert clean_name(HINDI) == HINDI
    # Between Latin letters, at either end, beside a space or doubled, they only hide.
    assert clean_name("A\u200dli \u200cBen\u200cali") == "Ali Benali"
    assert clean_name("\u200cعلی\u200c") == "علی"
    assert clean_name("علی\u200c رضا") == "علی رضا"
    assert clean_name("علی\u200c\u200c\u202eرضا محمدی") == PERSIAN


@given(st.text())
def test_a_clean_name_holds_only_joiners_that_spell_and_stays_as_it_is(text):
    cleaned = clean_name(text)
    for position, character in enumerate(cleaned):
        if unicodedata.category(character) == "Cf":
            assert character in JOINERS and 0 < position < len(cleaned) - 1
            assert unicodedata.category(cleaned[position + 1])[0] in "LM"
    assert clean_name(cleaned) == cleaned


latin_names = st.lists(
    st.text(st.characters(codec="latin-1", categories=["L"]), min_size=1, max_size=12),
    min_size=1, max_size=4,
).map(" ".join)


@given(latin_names, st.lists(st.tuples(st.integers(min_value=0), format_characters)))
def test_format_characters_in_a_latin_name_all_go(name, insertions):
    spoofed = list(name)
    for position, character in insertions:
        spoofed.insert(position % (len(spoofed) + 1), character)
    assert clean_name("".join(spoofed)) == name


@given(
    visible_names,
    st.lists(st.tuples(st.integers(min_value=0), format_characters.filter(
        lambda c: c not in JOINERS
    ))),
)
def test_format_characters_anywhere_leave_exactly_the_visible_name(name, insertions):
    assert clean_name(name) == name
    spoofed = list(name)
    for position, character in insertions:
        spoofed.insert(position % (len(spoofed) + 1), character)
    assert clean_name("".join(spoofed)) == name


def delivered_to(app, smtp_server) -> list[str]:
    drain_outbox(app)
    return [message["To"] for message in smtp_server.messages]


def test_an_rsvp_and_its_email_carry_the_name_without_them(
    make_mail_app, create_event, smtp_server
):
    app = make_mail_app()
    client = app.test_client()
    event = create_event()
    response = client.post(f"/events/{event.slug}", data=rsvp_form(event, full_name=SPOOFED))
    assert response.status_code == 303
    arabic = client.post(
        f"/events/{event.slug}",
        data=rsvp_form(event, full_name=ARABIC, email="mariam@example.org"),
    )
    assert arabic.status_code == 303
    persian = client.post(
        f"/events/{event.slug}",
        data=rsvp_form(event, full_name=f"\u202e{PERSIAN}", email="alireza@example.org"),
    )
    assert persian.status_code == 303
    with app.app_context():
        names = db.session.scalars(select(Registration.full_name).order_by(Registration.id))
        assert list(names) == [CLEAN, ARABIC, PERSIAN]
    assert delivered_to(app, smtp_server) == [
        f"{CLEAN} <amina@example.org>",
        f"{ARABIC} <mariam@example.org>",
        f"{PERSIAN} <alireza@example.org>",
    ]


def test_a_name_of_invisible_characters_only_is_no_name(client, create_event):
    event = create_event()
    response = client.post(
        f"/events/{event.slug}", data=rsvp_form(event, full_name="\u202e\u200b\u2066")
    )
    assert response.status_code == 422
    assert 'id="full_name-error">Please enter your name.</p>' in response.text


def test_the_manage_page_stores_a_changed_name_without_them(app, client, create_event):
    event = create_event()
    client.post(f"/events/{event.slug}", data=rsvp_form(event))
    with app.app_context():
        token = db.session.scalar(select(Registration.token))
    edited = client.post(
        f"/events/manage/{token}/edit",
        data=rsvp_form(event, full_name=SPOOFED, consent=None),
    )
    assert edited.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Registration.full_name)) == CLEAN


def test_a_name_stored_before_is_cleaned_in_the_email(make_mail_app, create_event, smtp_server):
    """Rows written before names were cleaned on the way in still hold them: the outbox
    cleans the display name of every email."""
    app = make_mail_app()
    client = app.test_client()
    event = create_event()
    client.post(f"/events/{event.slug}", data=rsvp_form(event))
    drain_outbox(app)
    with app.app_context():
        db.session.execute(update(Registration).values(full_name=SPOOFED))
        db.session.commit()
        token = db.session.scalar(select(Registration.token))
    assert client.post(f"/events/manage/{token}/cancel").status_code in (302, 303)
    assert delivered_to(app, smtp_server)[-1] == f"{CLEAN} <amina@example.org>"


def test_invitee_names_are_stored_without_them(app, client, create_event, create_user):
    event = create_event()
    sign_in(client, create_user(admin=True))
    url = f"/organiser/events/{event.id}/invitations"
    data = HEADER + "ann@example.org,\u202eAnn\u200b Lee\u2069,UNESCO,en,\n"
    data += f"mariam@example.org,{ARABIC},,ar,\n"
    preview = client.post(
        f"{url}/import",
        data={"file": (io.BytesIO(data.encode()), "list.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert "\u202e" not in preview.text and "Ann Lee" in preview.text
    action = re.search(rf'action="({url}/import/[^"]+)"', preview.text).group(1)
    assert client.post(action).status_code == 302
    by_hand = {"email": "zoe@example.org", "name": SPOOFED, "organisation": "", "language": "fr"}
    assert client.post(f"{url}/new", data=by_hand).status_code == 302
    with app.app_context():
        names = db.session.scalars(select(Invitation.name).order_by(Invitation.id))
        assert list(names) == ["Ann Lee", ARABIC, CLEAN]


def test_account_names_are_stored_without_them(app, client, runner, create_user):
    sign_in(client, create_user(admin=True))
    created = client.post(
        "/organiser/users/",
        data={"email": "sara@example.org", "name": SPOOFED, "password": "a long password"},
    )
    assert created.status_code == 302
    result = runner.invoke(
        args=["users", "create", "lina@example.org", "--name", f"\u202e{ARABIC}"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = db.session.execute(
            select(User.email, User.name).where(User.email.in_(["sara@example.org",
                                                                "lina@example.org"]))
            .order_by(User.email)
        ).all()
    assert [tuple(row) for row in names] == [
        ("lina@example.org", ARABIC),
        ("sara@example.org", CLEAN),
    ]


# Migrations run on connections of their own.
@pytest.mark.real_commits
def test_names_stored_before_are_cleaned_by_the_migration(app, create_event, create_user):
    event = create_event()
    client = app.test_client()
    client.post(f"/events/{event.slug}", data=rsvp_form(event, full_name=ARABIC))
    create_user(email="sara@example.org")
    with app.app_context():
        db.session.add(
            Invitation(
                event_id=event.id,
                email="ann@example.org",
                email_normalised="ann@example.org",
                name="Ann",
            )
        )
        db.session.commit()
        downgrade(revision="0020_reset_link_sessions")
        # As a release that did not clean names stored them.
        for model, column in ((Registration, "full_name"), (Invitation, "name"), (User, "name")):
            db.session.execute(
                update(model).values({column: getattr(model, column) + "\u202e\u200b"})
            )
        db.session.commit()
        upgrade()
        assert db.session.scalar(select(Registration.full_name)) == ARABIC
        assert db.session.scalar(select(Invitation.name)) == "Ann"
        assert db.session.scalar(
            select(User.name).where(User.email == "sara@example.org")
        ) == "Organiser 1"
