"""The organiser's invitation pages: import with a confirm step, add, wording, revoke, funnel,
export, and who may see them."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from mmm_events.extensions import db
from mmm_events.invitations import services, uploads
from mmm_events.models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    PendingImport,
    RegistrationStatus,
    Role,
    User,
)

HEADER = "email,name,organisation,language,note\n"


PASSWORD = "a long enough password"


def make_user(app, email="org@example.org", role=Role.ORGANISER, events=()):
    with app.app_context():
        user = User(email=email, name="Olga Organiser", role=role)
        user.set_password(PASSWORD)
        user.events = [db.session.get(Event, e.id) for e in events]
        db.session.add(user)
        db.session.commit()
        return user.email


def sign_in(client, email):
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def organiser(app, client, create_event):
    """A signed-in organiser of one event; returns the event."""
    event = create_event()
    sign_in(client, make_user(app, events=[event]))
    return event


def count_invitations(app, event):
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.event_id == event.id)
        )


def test_pages_need_sign_in_and_the_event(app, client, create_event):
    mine, other = create_event(), create_event()
    base = f"/organiser/events/{mine.id}/invitations"
    assert client.get(base).headers["Location"].startswith("/sign-in?next=")
    sign_in(client, make_user(app, events=[mine]))
    assert client.get(base).status_code == 200
    for path in ("", "/import", "/new", "/message", "/progress", "/preview.html"):
        assert client.get(f"/organiser/events/{other.id}/invitations{path}").status_code == 404
    assert client.get(f"/organiser/events/{other.id}/invitations.csv").status_code == 404


def test_import_shows_report_then_saves_on_confirm(app, client, organiser):
    data = HEADER + "a@example.org,Ann,UNESCO,en,\nbad,Bad,X,en,\nb@example.org,Ben,MMM,fr,\n"
    url = f"/organiser/events/{organiser.id}/invitations/import"
    response = client.post(
        url,
        data={"file": (io.BytesIO(data.encode()), "list.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 rows will be added." in page
    assert "1 row was rejected." in page
    assert "This is not a valid email address." in page
    assert count_invitations(app, organiser) == 0
    action = re.search(r'action="(/organiser/events/\d+/invitations/import/[^"]+)"', page).group(1)
    # Another organiser cannot confirm it, nor can a made-up id.
    assert client.post(url + "/" + "x" * 32).status_code == 302
    response = client.post(action)
    assert response.status_code == 302
    assert count_invitations(app, organiser) == 2
    # The stored file is gone: confirming twice adds nothing.
    client.post(action)
    assert count_invitations(app, organiser) == 2


def test_import_confirm_is_bound_to_the_uploader(app, client, organiser, make_app):
    data = (HEADER + "a@example.org,Ann,UNESCO,en,\n").encode()
    url = f"/organiser/events/{organiser.id}/invitations/import"
    page = client.post(
        url, data={"file": (io.BytesIO(data), "list.csv")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    action = re.search(r'action="(/organiser/events/\d+/invitations/import/[^"]+)"', page).group(1)
    other = app.test_client()
    sign_in(other, make_user(app, email="admin@example.org", role=Role.ADMIN))
    response = other.post(action, follow_redirects=True)
    assert "This import is no longer available." in response.get_data(as_text=True)
    assert count_invitations(app, organiser) == 0


def test_unusable_file_shows_the_form_again(client, organiser):
    response = client.post(
        f"/organiser/events/{organiser.id}/invitations/import",
        data={"file": (io.BytesIO(b"email\nx@example.org\n"), "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Missing: name, organisation, language." in response.get_data(as_text=True)


def test_add_one_by_hand(app, client, organiser):
    url = f"/organiser/events/{organiser.id}/invitations/new"
    form = {"email": "zoe@example.org", "name": "Zoé", "organisation": "", "language": "fr"}
    assert client.post(url, data=form).status_code == 302
    response = client.post(url, data={**form, "email": "ZOE@example.org"})
    assert response.status_code == 400
    assert "This person is already on the list for this event." in response.get_data(as_text=True)
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        assert (invitation.email, invitation.language) == ("zoe@example.org", Language.FR)


def test_wording_preview_substitutes_placeholders_safely(app, client, organiser, now):
    with app.app_context():
        services.add_invitee(
            db.session.get(Event, organiser.id),
            email="amina@example.org",
            name="<Amina>",
            organisation="UNESCO",
            language=Language.FR,
            now=now,
        )
        db.session.commit()
    url = f"/organiser/events/{organiser.id}/invitations/message"
    form = {
        "subject": "For {name} of {organisation}",
        "message": "Dear friends of {organisation},\n\n{event} awaits {nom}.",
        "language": "en",
        "action": "preview",
    }
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert (
        "Unknown placeholder: {nom}. You can use {name}, {organisation}, {event}, {dates}, {city}."
        in response.get_data(as_text=True)
    )
    # Only plain names are placeholders: nothing reaches an attribute of a value.
    form["message"] = "Dear friends of {organisation},\n\n{event} awaits {name} {name.__class__}."
    page = client.post(url, data=form).get_data(as_text=True)
    assert "{name.__class__}" in page
    assert "For &lt;Amina&gt; of UNESCO" in page
    assert "Event 1 awaits &lt;Amina&gt; {name.__class__}." in page
    with app.app_context():
        assert db.session.get(Event, organiser.id).invitation_subject == ""
    assert client.post(url, data={**form, "action": "save"}).status_code == 302
    with app.app_context():
        saved = db.session.get(Event, organiser.id)
        assert saved.invitation_subject == "For {name} of {organisation}"
    html = client.get(f"/organiser/events/{organiser.id}/invitations/preview.html?lang=fr")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "Dear friends of UNESCO," in html.get_data(as_text=True)
    assert "&lt;Amina&gt;" in html.get_data(as_text=True)


def test_revoke_selected_but_not_the_registered(app, client, organiser, now):
    with app.app_context():
        event = db.session.get(Event, organiser.id)
        first = services.add_invitee(event, email="a@example.org", name="A", now=now)
        second = services.add_invitee(event, email="b@example.org", name="B", now=now)
        second.status = InvitationStatus.ACCEPTED
        db.session.commit()
        ids = [first.id, second.id]
    response = client.post(
        f"/organiser/events/{organiser.id}/invitations/revoke",
        data={"ids": [str(i) for i in ids]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 invitation revoked." in page
    assert "1 invitee has already registered: cancel the registration instead." in page
    with app.app_context():
        statuses = [db.session.get(Invitation, i).status for i in ids]
    assert statuses == [InvitationStatus.REVOKED, InvitationStatus.ACCEPTED]
    assert (
        client.post(
            f"/organiser/events/{organiser.id}/invitations/revoke", data={"ids": "x"}
        ).status_code
        == 400
    )


def test_funnel_counts_and_chart(app, client, organiser, now):
    with app.app_context():
        event = db.session.get(Event, organiser.id)
        people = [
            services.add_invitee(event, email=f"p{n}@example.org", name=f"P{n}", now=now)
            for n in range(5)
        ]
        for person in people[:4]:
            person.status, person.invited_at = InvitationStatus.INVITED, now
        people[1].opened_at = now
        people[2].status, people[2].opened_at, people[2].answered_at = (
            InvitationStatus.DECLINED,
            now,
            now,
        )
        people[3].status = InvitationStatus.REVOKED
        db.session.commit()
        assert services.funnel(event) == {
            "imported": 4,
            "invited": 3,
            "failed": 0,
            "opened": 2,
            "accepted": 0,
            "waiting": 0,
            "declined": 1,
            "checked_in": 0,
            "revoked": 1,
        }
    page = client.get(f"/organiser/events/{organiser.id}/invitations").get_data(as_text=True)
    assert '<svg role="img"' in page
    assert 'class="funnel-bar funnel-invited" x="0" y="58" width="202.5"' in page
    assert 'data-stage="opened">2<' in page
    assert "Send the invitation to the 1 person not yet invited" in page
    declined = client.get(f"/organiser/events/{organiser.id}/invitations?state=declined")
    assert declined.get_data(as_text=True).count('name="ids"') == 1


@pytest.mark.real_commits  # a download commits its audit entry on a connection of its own
def test_export_csv_with_bom_and_formula_escaping(app, client, organiser, now):
    with app.app_context():
        event = db.session.get(Event, organiser.id)
        services.add_invitee(
            event, email="eve@example.org", name="=HYPERLINK(1)", organisation="@org", now=now
        )
        db.session.commit()
    response = client.get(f"/organiser/events/{organiser.id}/invitations.csv")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Email", "Name", "Organisation"]
    assert rows[1][:6] == ["eve@example.org", "'=HYPERLINK(1)", "'@org", "English", "", "Imported"]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{organiser.slug}-invitees.csv"'
    )


@pytest.mark.real_commits  # a download commits its audit entry on a connection of its own
def test_the_export_speaks_the_organisers_language(app, client, organiser, now):
    with app.app_context():
        event = db.session.get(Event, organiser.id)
        services.add_invitee(
            event, email="sara@example.org", name="Sara", language=Language.FR, now=now
        )
        db.session.commit()
    body = client.get(
        f"/organiser/events/{organiser.id}/invitations.csv", query_string={"lang": "ar"}
    ).get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:6] == ["البريد الإلكتروني", "الاسم", "المنظمة", "اللغة", "ملاحظة", "الحالة"]
    assert rows[1][:6] == ["sara@example.org", "Sara", "", "الفرنسية", "", "مستوردة"]
    page = client.get(f"/organiser/events/{organiser.id}/invitations").get_data(as_text=True)
    assert "<td>French</td>" in page


def test_ids_beyond_the_database_integer_are_refused(client, organiser):
    base = f"/organiser/events/{organiser.id}/invitations"
    huge = str(2**40)
    assert client.post(base + "/revoke", data={"ids": huge}).status_code == 400
    assert client.post(base + "/send", data={"scope": "selected", "ids": huge}).status_code == 400
    assert client.get(base + f"?after={huge}").status_code == 404
    assert client.get(f"/organiser/events/{huge}/invitations").status_code == 404


def test_control_characters_in_a_file_become_spaces(app, client, organiser):
    data = HEADER + 'a@example.org,"Ann\x01\nLee",Org\x00X,en,"line one\nline two"\n'
    response = client.post(
        f"/organiser/events/{organiser.id}/invitations/import",
        data={"file": (io.BytesIO(data.encode()), "list.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    action = re.search(r'action="(/organiser/events/\d+/invitations/import/[^"]+)"', page)
    client.post(action.group(1))
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        assert (invitation.name, invitation.organisation, invitation.note) == (
            "Ann Lee",
            "Org X",
            "line one\nline two",
        )


# The mail worker claims its rows on a connection of its own (mail.lease).
@pytest.mark.real_commits
def test_an_acceptance_on_the_waiting_list_shows_as_such(
    app, client, organiser, create_registration, now
):
    with app.app_context():
        event = db.session.get(Event, organiser.id)
        invitation = services.add_invitee(event, email="w@example.org", name="Wanda", now=now)
        invitation.status, invitation.invited_at, invitation.answered_at = (
            InvitationStatus.ACCEPTED,
            now,
            now,
        )
        invitation_id = invitation.id
        db.session.commit()
    create_registration(
        organiser,
        email="w@example.org",
        status=RegistrationStatus.WAITING,
        invitation_id=invitation_id,
    )
    page = client.get(f"/organiser/events/{organiser.id}/invitations").get_data(as_text=True)
    assert 'data-stage="accepted">0<' in page
    assert 'data-stage="waiting">1<' in page
    assert '<span class="badge badge-invitation-waiting">Waiting list</span>' in page
    assert "badge-invitation-accepted" not in page
    listed = client.get(f"/organiser/events/{organiser.id}/invitations?state=waiting")
    assert listed.get_data(as_text=True).count('name="ids"') == 1
    assert "Invitees: Accepted, on the waiting list" in listed.get_data(as_text=True)
    body = client.get(f"/organiser/events/{organiser.id}/invitations.csv").get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert (rows[1][0], rows[1][5], rows[1][11]) == (
        "w@example.org", "Waiting list", "Waiting list"
    )


def test_import_confirmed_on_another_web_server(make_app, create_event, tmp_path):
    """Two app instances on one database, each with its own instance folder, as two web
    servers behind a load balancer: the report comes from one, the confirmation goes to the
    other."""
    first, second = make_app(), make_app()
    first.instance_path, second.instance_path = str(tmp_path / "one"), str(tmp_path / "two")
    event = create_event()
    email = make_user(first, events=[event])
    on_first, on_second = first.test_client(), second.test_client()
    sign_in(on_first, email)
    sign_in(on_second, email)
    data = (HEADER + "a@example.org,Ann,UNESCO,en,\nb@example.org,Ben,MMM,fr,\n").encode()
    page = on_first.post(
        f"/organiser/events/{event.id}/invitations/import",
        data={"file": (io.BytesIO(data), "list.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    action = re.search(r'action="(/organiser/events/\d+/invitations/import/[^"]+)"', page).group(1)
    with second.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingImport)) == 1
    response = on_second.post(action, follow_redirects=True)
    assert "2 invitees added to the list." in response.get_data(as_text=True)
    assert count_invitations(second, event) == 2
    with first.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingImport)) == 0
    # The first server has no copy of its own to confirm again.
    on_first.post(action)
    assert count_invitations(first, event) == 2


def test_expired_uploads_are_removed_as_new_ones_are_stored(app, create_event, now):
    event = create_event()
    make_user(app, events=[event])
    with app.app_context():
        user_id = db.session.scalar(select(User.id))
        old = uploads.store(
            event_id=event.id, user_id=user_id, filename="old.csv", data=b"x", now=now
        )
        db.session.commit()
        later = now + uploads.LIFETIME
        # Expired: it can no longer be confirmed, and the next upload removes it.
        assert uploads.take(old, event_id=event.id, user_id=user_id, now=later) is None
        new = uploads.store(
            event_id=event.id, user_id=user_id, filename="new.csv", data=b"y", now=later
        )
        db.session.commit()
        assert db.session.scalars(select(PendingImport.id)).all() == [new]
        assert uploads.take(new, event_id=event.id, user_id=user_id, now=later) == (
            "new.csv",
            b"y",
        )
        assert uploads.take(new, event_id=event.id, user_id=user_id, now=later) is None
