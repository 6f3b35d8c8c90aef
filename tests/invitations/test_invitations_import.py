"""Importing invitee lists: the report before saving, bad rows, duplicates, file formats."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from mmm_events.addresses import suppression_key
from mmm_events.extensions import db
from mmm_events.invitations import services
from mmm_events.invitations.importing import ImportFileError
from mmm_events.models import Event, Invitation, InvitationStatus, Language, Suppression

HEADER = "email,name,organisation,language,note\n"


def report_for(app, event, filename, data):
    with app.app_context():
        return services.build_import_report(db.session.get(Event, event.id), filename, data)


def test_every_kind_of_bad_row_is_reported_with_its_line(app, create_event, now):
    event = create_event()
    with app.app_context():
        db.session.add(
            Invitation(
                event_id=event.id,
                email="Known@Example.org",
                email_normalised="known@example.org",
                name="Known",
                created_at=now,
            )
        )
        db.session.add(Suppression(email_key=suppression_key("gone@example.org"), reason="test"))
        db.session.commit()
    data = (
        HEADER
        + "amina@example.org,Amina Diallo,UNESCO,fr,speaker\n"  # 2 accepted
        + "not-an-email,Bad Email,Org,en,\n"  # 3 bad email
        + "short@example.org,Short Row\n"  # 4 missing column
        + "de@example.org,Hans,Org,de,\n"  # 5 unknown language
        + ",No Email,Org,en,\n"  # 6 empty email
        + "long@example.org,"
        + "x" * 201
        + ",Org,en,\n"  # 7 name too long
        + "AMINA@example.org,,Other Org,fr,\n"  # 8 duplicate of line 2
        + "known@example.org,Known,Org,en,\n"  # 9 already invited
        + "gone@example.org,Gone,Org,en,\n"  # 10 unsubscribed
        + ",,,,\n"  # 11 blank: ignored
        + "bob@example.org,Bob,,EN,\n"  # 12 accepted, language in capitals
    ).encode()
    report = report_for(app, event, "list.csv", data)
    assert [(r.line, r.email, r.name, r.language) for r in report.accepted] == [
        (2, "amina@example.org", "Amina Diallo", Language.FR),
        (12, "bob@example.org", "Bob", Language.EN),
    ]
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "This is not a valid email address."),
        (4, "A column is missing on this line."),
        (5, "Unknown language “de”: use en, fr or ar."),
        (6, "The email address is empty."),
        (7, "The name is too long."),
    ]
    assert [(d.line, d.email, d.first_line) for d in report.duplicates] == [
        (8, "AMINA@example.org", 2)
    ]
    assert [(d.line, d.email) for d in report.already_invited] == [(9, "known@example.org")]
    assert [(d.line, d.email) for d in report.suppressed] == [(10, "gone@example.org")]
    # Nothing is saved by the report.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1


def test_duplicate_rows_fill_in_what_the_first_left_empty(app, create_event):
    event = create_event()
    data = (HEADER + "a@example.org,A,,en,\na@example.org,Other,Org A,fr,note\n").encode()
    report = report_for(app, event, "l.csv", data)
    assert [(r.name, r.organisation, r.language, r.note) for r in report.accepted] == [
        ("A", "Org A", Language.EN, "note")
    ]


def test_excel_french_csv_with_bom_semicolons_and_crlf(app, create_event):
    event = create_event()
    text = (
        "Courriel;Nom;Organisation;Langue;Note\r\n"
        'chloe@example.fr;Chloé Martin;Commission nationale française;fr;"dit ""oui""; merci"\r\n'
        "sam@example.org;Sam Lee;MMM;en;\r\n"
    )
    data = b"\xef\xbb\xbf" + text.encode("utf-8")
    report = report_for(app, event, "liste.csv", data)
    assert [
        (r.line, r.email, r.name, r.organisation, r.language, r.note) for r in report.accepted
    ] == [
        (
            2,
            "chloe@example.fr",
            "Chloé Martin",
            "Commission nationale française",
            Language.FR,
            'dit "oui"; merci',
        ),
        (3, "sam@example.org", "Sam Lee", "MMM", Language.EN, ""),
    ]
    assert report.rejected == []
    # Windows-1252, as older Excel writes it in French locales.
    legacy = report_for(app, event, "liste.csv", text.encode("cp1252"))
    assert legacy.accepted[0].name == "Chloé Martin"


def test_xlsx(app, create_event):
    event = create_event()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Name", "Organisation", "Language"])
    sheet.append(["zoe@example.org", "Zoé", "UNESCO", "FR"])
    sheet.append(["broken", "B", "", "en"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = report_for(app, event, "list.xlsx", buffer.getvalue())
    assert [(r.line, r.email, r.language) for r in report.accepted] == [
        (2, "zoe@example.org", Language.FR)
    ]
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "This is not a valid email address.")
    ]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("list.csv", b"", "The file is empty."),
        (
            "list.csv",
            b"email,name\na@example.org,A\n",
            "The first line of the file must name the columns email, name, organisation and "
            "language (note is optional). Missing: organisation, language.",
        ),
        ("list.pdf", b"%PDF", "Please choose a .csv or .xlsx file."),
        ("list.xlsx", b"not a zip", "This is not a readable Excel (.xlsx) file."),
    ],
)
def test_unusable_files(app, create_event, filename, data, message):
    event = create_event()
    with pytest.raises(ImportFileError) as error:
        report_for(app, event, filename, data)
    assert str(error.value) == message


# Statements counted as the code sends them: no SAVEPOINTs of the test's transaction among them.
@pytest.mark.real_commits
def test_ten_thousand_rows_in_a_handful_of_statements(app, create_event, now):
    event = create_event()
    rows = "".join(
        f"person{n}@example.org,Person {n},Org {n % 7},{'fr' if n % 2 else 'en'},\n"
        for n in range(10_000)
    )
    data = (HEADER + rows).encode()
    with app.app_context():
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            target = db.session.get(Event, event.id)
            report = services.build_import_report(target, "big.csv", data)
            saved = services.save_import(target, report, now=now)
            db.session.commit()
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        assert saved == 10_000
        # One for the event, one for existing addresses, 12 for the suppression list (900 per
        # query), 10 inserts of 1,000 rows: no query per row.
        assert len(statements) <= 26
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(
                    Invitation.event_id == event.id, Invitation.status == InvitationStatus.IMPORTED
                )
            )
            == 10_000
        )
        tokens = set(db.session.scalars(select(Invitation.token)))
        assert len(tokens) == 10_000
        # A second import of the same file adds nobody.
        again = services.build_import_report(target, "big.csv", data)
        assert (len(again.accepted), len(again.already_invited)) == (0, 10_000)


def test_add_invitee_by_hand_follows_the_same_rules(app, create_event, now):
    event = create_event()
    with app.app_context():
        target = db.session.get(Event, event.id)
        invitation = services.add_invitee(
            target,
            email=" Ada@Example.org ",
            name="Ada",
            organisation="MMM",
            language=Language.FR,
            now=now,
        )
        db.session.commit()
        assert (invitation.email, invitation.email_normalised, invitation.status) == (
            "Ada@Example.org",
            "ada@example.org",
            InvitationStatus.IMPORTED,
        )
        with pytest.raises(services.AlreadyInvited):
            services.add_invitee(target, email="ada@example.org", name="Ada", now=now)
        services.unsubscribe("off@example.org", reason="test")
        with pytest.raises(services.AddressSuppressed):
            services.add_invitee(target, email="OFF@example.org", name="Off", now=now)
