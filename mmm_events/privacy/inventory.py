"""Which columns of which tables hold personal data: the one place that says so.

The export, the erasure, the search by address, the retention purge and the record of
processing are all derived from this mapping, and a test walks every table of the schema and
fails on a text column that is not listed here: a new column with personal data cannot slip
past the export and the erasure unnoticed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, String, Table, Text, cast, literal


class Kind(enum.Enum):
    PERSONAL = "personal"  # about a person: exported, erased, searched
    SECRET = "secret"  # noqa: S105 - a credential (a link token, a hash): never exported
    OTHER = "other"  # not about a person (a state, a setting, the organisation's own text)


class Retention(enum.Enum):
    EVENT = "event"  # until the event's retention period ends (PRIVACY_RETENTION_MONTHS)
    OUTBOX = "outbox"  # bodies: PRIVACY_OUTBOX_BODY_DAYS after sending; the rest as EVENT
    KEPT = "kept"  # as long as the service runs, because the person asked (unsubscribing)
    ACCOUNT = "account"  # as long as the organiser's account exists
    LOG = "log"  # the audit log, kept for accountability
    SECURITY = "security"  # sign-in protection: deleted by the auth code once it has served
    UPLOAD = "upload"  # an invitee list between its report and its confirmation: one day
    # Passport details: the event's ``passport_data_days`` after it (the letter issued stays
    # verifiable as an issued document).
    PASSPORT = "passport"
    # Issued documents: as long as the paper may be shown, past the event's retention period
    # (withdrawn, the name emptied, when the person has their data erased).
    DOCUMENT = "document"


def erased_marker(table: Table) -> Any:
    """A value unique to the row, for columns that must stay unique once emptied."""
    return literal("erased:") + cast(table.c.id, String)


KEEP = object()  # erasure leaves the column as it is (it holds no readable personal data)


@dataclass(frozen=True)
class Column:
    kind: Kind
    what: Any  # a lazy string: what it is, or why it is not personal
    # The value erasure writes: a constant, KEEP, or a function of the table (SQL).
    erased: Any = ""
    special_category: bool = False
    # Whether a person's own export, downloaded from a link in their email, holds it. A link
    # can be forwarded, so what the organisers wrote about the person, and the texts of emails
    # (which carry links), go only into the export an administrator makes on request.
    by_link: bool = True


def personal(what: Any, erased: Any = "", **more: Any) -> Column:
    return Column(Kind.PERSONAL, what, erased, **more)


def not_by_link(what: Any, erased: Any = "") -> Column:
    return Column(Kind.PERSONAL, what, erased, by_link=False)


def secret(what: Any) -> Column:
    return Column(Kind.SECRET, what, KEEP)


def other(what: Any) -> Column:
    return Column(Kind.OTHER, what, KEEP)


@dataclass(frozen=True)
class TableUse:
    title: Any
    purpose: Any
    who: Any
    retention: Retention
    columns: dict[str, Column] = field(default_factory=dict)
    # Whether rows of this table belong to a person (found, exported, erased by address).
    about_people: bool = True

    def personal_columns(self) -> list[str]:
        return [n for n, c in self.columns.items() if c.kind is Kind.PERSONAL]


_STATE = _l("a state or a setting, not about who the person is")
_ORGANISERS = _l("The organisers of the event, and administrators.")
_ADMINS = _l("Administrators.")

TABLES: dict[str, TableUse] = {
    "registration": TableUse(
        _l("Registrations"),
        _l("To confirm a place, keep the waiting list, send practical information, prepare "
           "badges, catering and access, and check people in."),
        _ORGANISERS,
        Retention.EVENT,
        {
            "full_name": personal(_l("name")),
            "email": personal(_l("email address")),
            "email_normalised": personal(_l("email address (for comparison)"), erased_marker),
            "organisation": personal(_l("organisation")),
            "country": personal(_l("country")),
            "needs": personal(
                _l("accessibility or dietary needs, only with their explicit consent"),
                special_category=True,
            ),
            "language": other(_STATE),
            "status": other(_STATE),
            "token": secret(_l("the secret of the manage link")),
            "check_in_token": secret(_l("the secret of the check-in code")),
            "confirm_token": secret(_l("the secret of the link that confirms the address")),
            "new_email": personal(
                _l("a new email address, until its owner follows the link sent to it (one "
                   "day at most)"),
                None,
            ),
            "new_email_token": Column(
                Kind.SECRET, _l("the secret of the link that confirms a new address"), None
            ),
        },
    ),
    "registration_day": TableUse(
        _l("Days attended"), _l("To plan each day of a multi-day event."), _ORGANISERS,
        Retention.EVENT,
        # Kept at erasure: without the registration's details, a day is only a count.
        {"day": personal(_l("the days they attend"), KEEP)},
    ),
    "answer": TableUse(
        _l("Answers to the event's questions"),
        _l("What the organisers asked on the registration form, each question with its own "
           "purpose, shown beside it: workshops, meals, visa letters, and the like."),
        _ORGANISERS,
        Retention.EVENT,
        # Erasure deletes the answers (questions.answers); this empties what is left.
        {"value": personal(_l("answers to the event's questions; those marked sensitive are "
                              "deleted soon after the event"), special_category=True)},
    ),
    "invitation": TableUse(
        _l("Invitations"),
        _l("To invite people, remind those who have not answered, and know who answered."),
        _ORGANISERS,
        Retention.EVENT,
        {
            "email": personal(_l("email address")),
            "email_normalised": personal(_l("email address (for comparison)"), erased_marker),
            "email_key": personal(_l("keyed hash of the email address"), erased_marker),
            "name": personal(_l("name")),
            "organisation": personal(_l("organisation")),
            "note": not_by_link(_l("the organisers' note about the invitee")),
            "decline_message": personal(_l("the message sent when declining")),
            "language": other(_STATE),
            "status": other(_STATE),
            "token": secret(_l("the secret of the answer links")),
            "unsubscribe_token": secret(_l("the secret of the unsubscribe link")),
        },
    ),
    "consent": TableUse(
        _l("Consents"),
        _l("To prove which version of the privacy notice a person agreed to, and when."),
        _ORGANISERS,
        Retention.EVENT,
        {"given_at": personal(_l("when they agreed, to which version, and whether to keeping "
                                 "their needs"), KEEP)},
    ),
    "erasure": TableUse(
        _l("Erasures"),
        _l("To tell a person whose data was erased why their link no longer works."),
        _ADMINS,
        Retention.EVENT,
        {"reason": other(_STATE)},
    ),
    "outbox_message": TableUse(
        _l("Emails sent"),
        _l("To deliver emails, retry them, and show organisers what was sent."),
        _l("Administrators; the organisers of an event, for the emails about its "
           "registrations."),
        Retention.OUTBOX,
        {
            "recipient": personal(_l("email address")),
            "recipient_name": personal(_l("name")),
            "subject": personal(_l("subject")),
            "text_body": not_by_link(_l("text of the email, with personal links")),
            "html_body": not_by_link(_l("HTML of the email, with personal links")),
            "attachments": not_by_link(_l("attachments (calendar file, check-in code)"), []),
            "headers": not_by_link(_l("headers, with the unsubscribe link"), {}),
            "last_error": not_by_link(_l("the mail server's last answer, which may quote the "
                                         "address")),
            "render": not_by_link(_l("what the email is written from"), None),
            "message_id": other(_l("a random identifier")),
            "request_id": other(_l("a random identifier")),
            "kind": other(_STATE),
            "sender": other(_l("the organisation's own address")),
            "status": other(_STATE),
        },
    ),
    "suppression": TableUse(
        _l("Unsubscribed addresses"),
        _l("So that a person who asked for no more invitations never gets one, even after "
           "their data is erased."),
        _ADMINS,
        Retention.KEPT,
        {
            "email_key": personal(_l("keyed hash of the email address (not the address)"), KEEP),
            "reason": other(_STATE),
        },
    ),
    "audit_entry": TableUse(
        _l("Audit log"),
        _l("To account for every bulk access to personal data and every change of access."),
        _ADMINS,
        Retention.LOG,
        {
            "action": other(_STATE),
            "subject_key": personal(_l("keyed hash of the address concerned (not the address)"),
                                    KEEP),
            "detail": other(_l("counts, filters and ids, never addresses or names")),
        },
    ),
    "user": TableUse(
        _l("Organiser accounts"),
        _l("To let staff sign in, and to know who did what."),
        _ADMINS,
        Retention.ACCOUNT,
        {
            "email": personal(_l("email address"), erased_marker),
            "name": personal(_l("name")),
            "password_hash": Column(Kind.SECRET, _l("the hashed password"), "!"),
            # Erasure switches the account off as well as emptying it.
            "is_active": Column(Kind.OTHER, _STATE, False),
            "role": other(_STATE),
        },
    ),
}

TABLES["visa_letter"] = TableUse(
    _l("Visa invitation letters"),
    _l("To write the letter of invitation a person asks for, for their visa application "
       "only, and to let the consulate check the letter by its reference. Asked for by the "
       "person; never shown in lists, exports or other emails."),
    _ORGANISERS,
    Retention.PASSPORT,
    {
        "passport_name": personal(_l("name as written in the passport")),
        "nationality": personal(_l("nationality")),
        "birth_date": personal(_l("date of birth"), None),
        "passport_number": personal(_l("passport number")),
        "passport_expires_on": personal(_l("passport expiry date"), None),
        "decline_message": personal(_l("the message sent when declining")),
        "status": other(_STATE),
    },
)

TABLES["issued_document"] = TableUse(
    _l("Issued documents (certificates of attendance, visa invitation letters)"),
    _l("So that whoever is shown a document we issued (an employer, a consulate) can check it "
       "on its verification page: its reference, the name printed on it, the event and the "
       "date of issue."),
    _l("The organisers of the event; anyone holding the document, on its verification page: "
       "the reference, the name, the event and the date of issue only."),
    Retention.DOCUMENT,
    {
        "holder_name": personal(_l("the name printed on the document")),
        "reference": other(_l("a random reference printed on the document")),
        "token": secret(_l("the secret of the verification link")),
        "kind": other(_STATE),
        "language": other(_STATE),
        # Erasure withdraws the document as well as emptying the name.
        "withdrawn": Column(Kind.OTHER, _STATE, True),
    },
)

_SIGN_IN = _l("To protect accounts: limit sign-in attempts and reset links.")
# Which phone's check-in was recorded, and what the server answered it: ids and times only,
# so it holds nothing that tells who the person is; deleted with the registration.
TABLES["check_in_receipt"] = TableUse(
    _l("Check-ins at the door"),
    _l("To record each check-in made on a phone once, even when it is sent again."),
    _ORGANISERS,
    Retention.EVENT,
    {"key": other(_l("a random identifier")), "outcome": other(_STATE)},
    about_people=False,
)
TABLES["account_attempt"] = TableUse(
    _l("Sign-in attempts"), _SIGN_IN, _l("Nobody: the service only counts them."),
    Retention.SECURITY,
    {
        "account_digest": personal(_l("keyed hash of the address tried (not the address)"),
                                   KEEP),
        "address_digest": personal(_l("keyed hash of the IP address (not the address)"), KEEP),
        "kind": other(_STATE),
    },
)
TABLES["usual_address"] = TableUse(
    _l("Usual sign-in addresses"), _SIGN_IN, _l("Nobody: the service only compares them."),
    Retention.ACCOUNT,
    {"address_digest": personal(_l("keyed hash of the IP address (not the address)"), KEEP)},
)
TABLES["password_reset"] = TableUse(
    _l("Password reset links"), _SIGN_IN, _l("Nobody: only a hash of each link is kept."),
    Retention.SECURITY,
    {"token_hash": secret(_l("the hash of the reset link"))},
)
TABLES["pending_import"] = TableUse(
    _l("Invitee lists being imported"),
    _l("To show the organiser a report of the list before it is saved."),
    _l("The organiser who uploaded it."),
    Retention.UPLOAD,
    {
        "id": secret(_l("the random name of the upload")),
        "filename": other(_l("the name of the uploaded file")),
        "data": personal(_l("the uploaded list: names, addresses, organisations"), KEEP),
    },
    about_people=False,
)
TABLES["pending_cover"] = TableUse(
    _l("Cover images waiting for their event form"),
    _l("To keep the image an organiser chose while they correct a mistake in the event's "
       "form, so that they need not choose it again."),
    _l("The organiser who uploaded it."),
    Retention.UPLOAD,
    {
        "token": secret(_l("the random name of the upload")),
        # Written from the pixels only, as a saved cover is (events.covers): no EXIF, no place.
        "data": personal(_l("the image, which may show people"), KEEP),
    },
    about_people=False,
)
TABLES["mail_worker_heartbeat"] = TableUse(
    "", "", "", Retention.KEPT, {"worker": other(_l("the name of a mail worker process"))},
    about_people=False,
)

# Tables that hold nothing about people; every text column is still named, with why.
_PUBLIC = _l("published content written by the organisation")
for _name, _columns in {
    "event": ("slug", "main_language", "hashtag", "city", "country", "timezone"),
    "event_text": (
        "language", "title", "summary", "description", "description_html", "venue", "city",
        "country", "invitation_subject", "invitation_message", "cover_alt",
        "visa_signatory_role",
    ),
    # The cover's sizes are written from its pixels only: no EXIF, no place (events.covers).
    "cover_image": ("name", "media_type"),
    "news_post": ("slug", "main_language"),
    "news_text": ("language", "title", "summary", "body", "body_html"),
    "privacy_notice": ("bodies",),
    "question": ("kind", "depends_on_value"),
    "question_text": ("language", "label", "help", "purpose"),
    "question_option": (),
    "option_text": ("language", "label"),
}.items():
    TABLES[_name] = TableUse(
        "", "", "", Retention.KEPT, {c: other(_PUBLIC) for c in _columns}, about_people=False
    )
TABLES["event"].columns["contact_email"] = other(
    _l("the organisation's contact address, published on the event page")
)
TABLES["event"].columns["invitation_admits"] = other(_STATE)
# The organisation's own signatory, printed on every visa letter of the event.
TABLES["event"].columns["visa_signatory_name"] = other(
    _l("the name of the organisation's signatory of visa letters, printed on them")
)
TABLES["event"].columns["visa_signatory_role"] = other(_PUBLIC)
TABLES["event_organiser"] = TableUse("", "", "", Retention.KEPT, about_people=False)

TEXT_TYPES = (String, Text, JSON)


def is_text(column) -> bool:
    return isinstance(column.type, TEXT_TYPES)
