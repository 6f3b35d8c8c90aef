"""The registrant list: counts, search, filters, sorting, pages, and the CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from mmm_events.extensions import db
from mmm_events.models import Registration, RegistrationStatus
from mmm_events.registrations.spreadsheet import neutralise
from tests.conftest import sign_in

CONFIRMED, WAITING, CANCELLED = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.CANCELLED,
)


@pytest.fixture
def event(create_event, now):
    # Two days in Casablanca (UTC+1 outside Ramadan): 3 and 4 May 2027.
    return create_event(
        title="Mothers4Peace",
        slug="mothers4peace",
        timezone="Africa/Casablanca",
        starts_at=datetime(2027, 5, 3, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 5, 4, 16, 0, tzinfo=UTC),
        capacity=10,
    )


@pytest.fixture
def people(event, create_registration):
    day1, day2 = event.days
    return {
        "fatima": create_registration(
            event,
            full_name="Fatima Zahra",
            email="fatima@example.org",
            organisation="Mothers of Casablanca",
            country="Morocco",
            days=(day1, day2),
            created_at=datetime(2027, 4, 1, 9, 0, tzinfo=UTC),
            checked_in_at=datetime(2027, 5, 3, 8, 5, tzinfo=UTC),
        ),
        "elodie": create_registration(
            event,
            full_name="Élodie Martin",
            email="Elodie.Martin@Example.org",
            organisation="=HYPERLINK(\"http://evil\")",
            country="France",
            language="fr",
            needs="+33 wheelchair",
            days=(day2,),
            created_at=datetime(2027, 4, 2, 9, 0, tzinfo=UTC),
        ),
        "waiting": create_registration(
            event,
            full_name="Wanjiru 100%_sure",
            email="wanjiru@example.org",
            organisation="@Kenya Mothers",
            status=WAITING,
            days=(day1,),
            created_at=datetime(2027, 4, 3, 9, 0, tzinfo=UTC),
        ),
        "cancelled": create_registration(
            event,
            full_name="Carla Cancelled",
            email="carla@example.org",
            organisation="-minus",
            status=CANCELLED,
            needs="\tTabbed",
            days=(day1,),
            created_at=datetime(2027, 4, 4, 9, 0, tzinfo=UTC),
            cancelled_at=datetime(2027, 4, 5, 10, 30, tzinfo=UTC),
        ),
    }


@pytest.fixture
def organiser_client(app, event, create_user):
    client = app.test_client()
    sign_in(client, create_user(events=(event,)))
    return client


def names(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'/organiser/registrations/\d+">([^<]+)</a>', body)


def listing(client, event, **args) -> str:
    response = client.get(f"/organiser/events/{event.id}/registrants", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_counts_at_the_top(organiser_client, event, people):
    page = listing(organiser_client, event)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {
        "confirmed": "2",
        "waiting": "1",
        "cancelled": "1",
        "checked_in": "1",
        "seats_left": "8",
    }


def test_default_order_is_arrival(organiser_client, event, people):
    assert names(listing(organiser_client, event)) == [
        "Fatima Zahra",
        "Élodie Martin",
        "Wanjiru 100%_sure",
        "Carla Cancelled",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("FATIMA zahra", ["Fatima Zahra"]),
        ("elodie.martin@EXAMPLE", ["Élodie Martin"]),
        ("élodie", ["Élodie Martin"]),
        ("ÉLODIE MARTIN", ["Élodie Martin"]),
        ("é", ["Élodie Martin"]),
        ("casablanca", ["Fatima Zahra"]),
        ("kenya", ["Wanjiru 100%_sure"]),
        ("100%_", ["Wanjiru 100%_sure"]),
        ("%", ["Wanjiru 100%_sure"]),
        ("_", ["Wanjiru 100%_sure"]),
        ("example.org", ["Fatima Zahra", "Élodie Martin", "Wanjiru 100%_sure", "Carla Cancelled"]),
        ("nobody", []),
    ],
)
def test_search_name_email_organisation(organiser_client, event, people, query, expected):
    assert names(listing(organiser_client, event, q=query)) == expected


def test_filters_by_status_and_day(organiser_client, event, people):
    day1, day2 = event.days
    assert names(listing(organiser_client, event, status="waiting")) == ["Wanjiru 100%_sure"]
    assert names(listing(organiser_client, event, day=day2.isoformat())) == [
        "Fatima Zahra",
        "Élodie Martin",
    ]
    assert names(
        listing(organiser_client, event, day=day1.isoformat(), status="confirmed")
    ) == ["Fatima Zahra"]
    page = listing(organiser_client, event, status="cancelled", q="carla")
    assert names(page) == ["Carla Cancelled"]
    assert "1 registration match." in " ".join(page.split())


F, E, W, C = "Fatima Zahra", "Élodie Martin", "Wanjiru 100%_sure", "Carla Cancelled"


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("name", "", [C, F, W, E]),
        ("name", "desc", [E, W, F, C]),
        ("email", "", [C, E, F, W]),
        ("organisation", "", [C, E, W, F]),
        ("country", "desc", [F, E, C, W]),
        ("status", "", [C, F, E, W]),
        ("registered", "desc", [C, W, E, F]),
        ("checked_in", "", [F, E, W, C]),
        ("checked_in", "desc", [F, C, W, E]),
        # Anything else is ignored, never passed to SQL.
        ("id; DROP TABLE registration", "", [F, E, W, C]),
    ],
)
def test_sort_by_any_column(organiser_client, event, people, sort, order, expected):
    assert names(listing(organiser_client, event, sort=sort, order=order)) == expected


def test_bad_query_values_are_ignored(organiser_client, event, people):
    page = listing(organiser_client, event, status="bogus", day="2027-13-45", page="x")
    assert len(names(page)) == 4
    assert len(names(listing(organiser_client, event, day="2020-01-01"))) == 4


def bulk_registrations(app, event, count: int, **fields) -> None:
    start = datetime(2027, 1, 1, tzinfo=UTC)
    rows = [
        {
            "event_id": event.id,
            "token": f"bulk-token-{event.id}-{n}",
            "full_name": f"Bulk {n:04d}",
            "email": f"bulk{n}@example.org",
            "email_normalised": f"bulk{n}@example.org",
            "status": RegistrationStatus.WAITING,
            "consented_at": start,
            "created_at": start + timedelta(minutes=n),
            "updated_at": start,
            **fields,
        }
        for n in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(Registration), rows)
        db.session.commit()


def test_pages_keep_the_filters(app, organiser_client, event):
    bulk_registrations(app, event, 120)
    first = listing(organiser_client, event, q="bulk", sort="name", order="desc")
    assert names(first)[:2] == ["Bulk 0119", "Bulk 0118"]
    assert len(names(first)) == 50
    assert "Page 1 of 3" in first
    assert (
        f'href="/organiser/events/{event.id}/registrants?page=2&amp;q=bulk&amp;sort=name&amp;order=desc"'
        in first
    )
    third = listing(organiser_client, event, q="bulk", sort="name", order="desc", page=3)
    assert names(third) == [f"Bulk {n:04d}" for n in range(19, -1, -1)]
    # Past the end: the last page, not an error.
    assert names(listing(organiser_client, event, q="bulk", page=99)) == names(
        listing(organiser_client, event, q="bulk", page=3)
    )


def read_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


HEADER = [
    "Registration number",
    "Name",
    "Email",
    "Organisation",
    "Country",
    "Language",
    "Status",
    "Registered at",
    "Checked in at",
    "Cancelled at",
    "Needs",
    "Attends 2027-05-03",
    "Attends 2027-05-04",
]


@pytest.mark.real_commits  # a download commits its audit entry on a connection of its own
def test_csv_export_cell_by_cell(organiser_client, event, people):
    response = organiser_client.get(f"/organiser/events/{event.id}/registrants.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mothers4peace-registrants.csv"'
    )
    rows = read_csv(response)
    p = people
    assert rows == [
        HEADER,
        [str(p["fatima"].id), "Fatima Zahra", "fatima@example.org", "Mothers of Casablanca",
         "Morocco", "English", "Confirmed", "2027-04-01 10:00", "2027-05-03 09:05", "", "", "yes",
         "yes"],
        [str(p["elodie"].id), "Élodie Martin", "Elodie.Martin@Example.org",
         "'=HYPERLINK(\"http://evil\")", "France", "French", "Confirmed", "2027-04-02 10:00", "",
         "", "'+33 wheelchair", "no", "yes"],
        [str(p["waiting"].id), "Wanjiru 100%_sure", "wanjiru@example.org", "'@Kenya Mothers",
         "", "English", "Waiting list", "2027-04-03 10:00", "", "", "", "yes", "no"],
        [str(p["cancelled"].id), "Carla Cancelled", "carla@example.org", "'-minus", "", "English",
         "Cancelled", "2027-04-04 10:00", "", "2027-04-05 11:30", "'\tTabbed", "yes", "no"],
    ]


@pytest.mark.real_commits  # a download commits its audit entry on a connection of its own
def test_csv_export_applies_the_filters_and_sort(organiser_client, event, people):
    response = organiser_client.get(
        f"/organiser/events/{event.id}/registrants.csv",
        query_string={"status": "confirmed", "sort": "name", "order": "desc"},
    )
    assert [row[1] for row in read_csv(response)[1:]] == ["Élodie Martin", "Fatima Zahra"]
    response = organiser_client.get(
        f"/organiser/events/{event.id}/registrants.csv", query_string={"q": "nobody"}
    )
    assert read_csv(response) == [HEADER]


@pytest.mark.real_commits  # a download commits its audit entry on a connection of its own
def test_csv_export_of_many_rows_streams_in_chunks(app, organiser_client, event):
    bulk_registrations(app, event, 4500)
    response = organiser_client.get(f"/organiser/events/{event.id}/registrants.csv")
    chunks = list(response.response)
    # The header, then one piece per batch of rows, then the tail.
    assert len(chunks) == 4
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert len(rows) == 4501
    assert rows[1][1] == "Bulk 0000"
    assert rows[-1][1] == "Bulk 4499"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def local(*args) -> datetime:
    """A wall-clock time as a spreadsheet holds it: no time zone."""
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)


@pytest.mark.real_commits  # a download commits its audit entry on a connection of its own
def test_xlsx_export(organiser_client, event, people):
    response = organiser_client.get(
        f"/organiser/events/{event.id}/registrants.xlsx", query_string={"day": "2027-05-04"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mothers4peace-registrants.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1] == [
        people["fatima"].id, "Fatima Zahra", "fatima@example.org", "Mothers of Casablanca",
        "Morocco", "English", "Confirmed", local(2027, 4, 1, 10, 0), local(2027, 5, 3, 9, 5),
        None, None, "yes", "yes",
    ]
    assert rows[2][3] == "'=HYPERLINK(\"http://evil\")"
    assert rows[2][10] == "'+33 wheelchair"
    assert len(rows) == 3


def test_detail_page_shows_the_person_and_their_emails(app, organiser_client, people):
    from mmm_events.models import OutboxMessage, OutboxStatus

    fatima = people["fatima"]
    with app.app_context():
        db.session.add(
            OutboxMessage(
                message_id="<x@example.org>",
                kind="confirmation",
                sender="events@example.org",
                recipient=fatima.email,
                subject="You are registered",
                text_body="...",
                status=OutboxStatus.FAILED,
                last_error="550 mailbox unavailable",
                registration_id=fatima.id,
            )
        )
        db.session.commit()
    page = organiser_client.get(f"/organiser/registrations/{fatima.id}").get_data(as_text=True)
    assert "<h1>Fatima Zahra</h1>" in page
    assert "Mothers of Casablanca" in page
    assert "You are registered" in page
    assert "550 mailbox unavailable" in page
    assert 'class="badge badge-outbox-failed">Failed<' in page


def test_empty_list_and_no_match(organiser_client, event):
    page = listing(organiser_client, event, page=7)
    assert "Nobody has registered yet." in page
    assert "Page 1 of" not in page
    page = listing(organiser_client, event, q="zzz", page=3)
    assert "Nobody matches." in page


def test_sorted_column_is_announced(organiser_client, event, people):
    page = listing(organiser_client, event, sort="name", order="desc")
    assert page.count("aria-sort=") == 1
    assert '<th scope="col" aria-sort="descending">' in page
    assert (
        f'href="/organiser/events/{event.id}/registrants?sort=name">Name' in page
    )
