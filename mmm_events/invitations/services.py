"""The rules of invitations, as plain functions that the views and the tests call.

Nothing here commits: the caller commits once, so that an invitation's change of state and the
email it causes (an outbox row) are saved together or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import and_, case, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..mail import (
    Attachment,
    Pending,
    RenderedEmail,
    RenderError,
    enqueue,
    queue_for_rendering,
    render_email,
    renderer,
)
from ..models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    OutboxMessage,
    OutboxStatus,
    Registration,
    Suppression,
)
from ..models._base import new_token, worth_looking_up
from .importing import (
    ImportReport,
    InviteeRow,
    MergedRow,
    normalise_email,
    parse_rows,
    read_rows,
)

INVITATION_KIND = "invitation"
REMINDER_KIND = "invitation_reminder"
TEST_KIND = "invitation_test"
INVITATION_RENDERER = "invitation"
# Ids per IN (...) list: well under every engine's limit on bound parameters.
CHUNK = 900
PLACEHOLDERS = ("name", "organisation", "event", "dates", "city")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class InvitationError(Exception):
    """A rule stops this action; the message is for the person who tried."""


class AlreadyInvited(InvitationError):
    pass


class AddressSuppressed(InvitationError):
    pass


class AlreadyAccepted(InvitationError):
    pass


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _not_suppressed():
    return ~exists().where(Suppression.email_normalised == Invitation.email_normalised)


def suppressed_among(emails: Sequence[str]) -> set[str]:
    """Which of these normalised addresses asked to receive no more invitations."""
    found: set[str] = set()
    for chunk in _chunks(list(emails)):
        found.update(
            db.session.scalars(
                select(Suppression.email_normalised).where(Suppression.email_normalised.in_(chunk))
            )
        )
    return found


def is_suppressed(email: str) -> bool:
    return bool(suppressed_among([normalise_email(email)]))


# Importing ---------------------------------------------------------------------------------


def check_import(event: Event, report: ImportReport) -> ImportReport:
    """Move rows already invited to this event, or unsubscribed, out of ``accepted``.

    Two queries in all (plus one per 900 addresses for the suppression list), however long
    the file: an import of ten thousand rows must take seconds.
    """
    existing = set(
        db.session.scalars(
            select(Invitation.email_normalised).where(Invitation.event_id == event.id)
        )
    )
    suppressed = suppressed_among([row.email_normalised for row in report.accepted])
    kept: list[InviteeRow] = []
    for row in report.accepted:
        if row.email_normalised in suppressed:
            report.suppressed.append(MergedRow(row.line, row.email, None))
        elif row.email_normalised in existing:
            report.already_invited.append(MergedRow(row.line, row.email, None))
        else:
            kept.append(row)
    report.accepted = kept
    return report


def build_import_report(event: Event, filename: str, data: bytes) -> ImportReport:
    """Read the file and check it against the database; saves nothing.

    Raises ``importing.ImportFileError`` when the file as a whole cannot be used.
    """
    return check_import(event, parse_rows(read_rows(filename, data)))


def save_import(event: Event, report: ImportReport, *, now: datetime) -> int:
    """Insert the accepted rows in one statement per thousand rows; returns how many."""
    rows = [
        {
            "event_id": event.id,
            "token": new_token(),
            "unsubscribe_token": new_token(),
            "email": row.email,
            "email_normalised": row.email_normalised,
            "name": row.name,
            "organisation": row.organisation,
            "language": row.language,
            "note": row.note,
            "status": InvitationStatus.IMPORTED,
            "decline_message": "",
            "created_at": now,
        }
        for row in report.accepted
    ]
    for chunk in _chunks(rows, 1000):
        db.session.execute(insert(Invitation), list(chunk))
    return len(rows)


def add_invitee(
    event: Event,
    *,
    email: str,
    name: str,
    organisation: str = "",
    language: Language = Language.EN,
    note: str = "",
    now: datetime,
) -> Invitation:
    """One invitee added by hand, with the same rules as an import."""
    key = normalise_email(email)
    if is_suppressed(key):
        raise AddressSuppressed(email)
    duplicate = db.session.scalar(
        select(Invitation.id).where(
            Invitation.event_id == event.id, Invitation.email_normalised == key
        )
    )
    if duplicate is not None:
        raise AlreadyInvited(email)
    invitation = Invitation(
        event_id=event.id,
        email=email.strip(),
        email_normalised=key,
        name=name.strip(),
        organisation=organisation.strip(),
        language=language,
        note=note.strip(),
        status=InvitationStatus.IMPORTED,
        created_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


# The email ---------------------------------------------------------------------------------


def substitute(template: str, values: dict[str, str]) -> str:
    """Replace {name}-style placeholders with plain values.

    Not ``str.format``: that would let the organiser's text reach attributes of the values
    ("{name.__class__}"). Unknown placeholders are left as written.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def unknown_placeholders(template: str) -> list[str]:
    return sorted({m for m in _PLACEHOLDER.findall(template) if m not in PLACEHOLDERS})


@dataclass(frozen=True)
class EventText:
    """The event's dates and times as written in one language.

    The same for every invitee of that language: a bulk send formats them once per language
    instead of once per email (Babel's interval formatting is slow).
    """

    dates: str
    start: str
    end: str


def event_text(event: Event, language: str) -> EventText:
    from ..web import event_dates, local_datetime

    with force_locale(language):
        return EventText(
            dates=event_dates(event),
            start=local_datetime(event.starts_at, event.zone, "short"),
            end=local_datetime(event.ends_at, event.zone, "short"),
        )


def placeholder_values(event: Event, invitation: Invitation, text: EventText) -> dict[str, str]:
    return {
        "name": invitation.name or invitation.email,
        "organisation": invitation.organisation,
        "event": event.title,
        "dates": text.dates,
        "city": event.city,
    }


def calendar_attachment(event: Event) -> Attachment:
    from ..events.calendar import event_ics

    return Attachment(
        filename=f"{event.slug}.ics",
        content_type="text/calendar; method=PUBLISH; charset=utf-8",
        data=event_ics(event, url=url_for("events.detail", slug=event.slug, _external=True)),
    )


def unsubscribe_headers(invitation: Invitation) -> dict[str, str]:
    one_click = url_for(
        "invitations.unsubscribe_one_click", token=invitation.unsubscribe_token, _external=True
    )
    return {
        "List-Unsubscribe": f"<{one_click}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def render_invitation(
    event: Event,
    invitation: Invitation,
    *,
    reminder: bool = False,
    test: bool = False,
    subject: str | None = None,
    message: str | None = None,
    texts: dict[str, EventText] | None = None,
) -> RenderedEmail:
    """The personalised email, in the invitee's language.

    ``subject`` and ``message`` default to the event's saved wording; the preview passes the
    organiser's unsaved draft. ``texts`` caches ``event_text`` by language across a bulk send.
    """
    subject = event.invitation_subject if subject is None else subject
    message = event.invitation_message if message is None else message
    language = invitation.language.value
    texts = {} if texts is None else texts
    if language not in texts:
        texts[language] = event_text(event, language)
    values = placeholder_values(event, invitation, texts[language])
    return render_email(
        "invitation",
        invitation.language.value,
        event=event,
        invitation=invitation,
        event_text=texts[language],
        custom_subject=substitute(subject.strip(), values),
        custom_message=substitute(message.strip(), values),
        reminder=reminder,
        test=test,
        accept_url=url_for("invitations.accept", token=invitation.token, _external=True),
        decline_url=url_for("invitations.decline", token=invitation.token, _external=True),
        unsubscribe_url=url_for(
            "invitations.unsubscribe", token=invitation.unsubscribe_token, _external=True
        ),
        event_url=url_for("events.detail", slug=event.slug, _external=True),
    )


def _queue_invitations(
    event: Event, recipients: Sequence[tuple[int, str]], *, reminder: bool
) -> int:
    """Queue one email per (invitation id, address), for the mail worker to render.

    The wording is the event's as it is now: editing it afterwards changes nothing for the
    emails already queued.
    """
    return queue_for_rendering(
        (Pending(recipient=email, invitation_id=id_) for id_, email in recipients),
        renderer=INVITATION_RENDERER,
        kind=REMINDER_KIND if reminder else INVITATION_KIND,
        arguments={
            "reminder": reminder,
            "subject": event.invitation_subject,
            "message": event.invitation_message,
        },
        event_id=event.id,
    )


# Stand-ins for what differs between invitees: letters and digits only, which neither
# escaping, nor URL building, nor whitespace folding changes.
_STAND_INS = {
    "name": "mmmStandInName7q",
    "organisation": "mmmStandInOrganisation7q",
    "email": "mmmStandInEmail7q@example.org",
    "token": "mmmStandInToken7q",
    "unsubscribe_token": "mmmStandInUnsubscribe7q",
}
# Values a stand-in may take the place of: one line, no placeholder braces, spaces single.
_ORDINARY = re.compile(r"[^\x00-\x1f\x7f-\x9f{}\u2028\u2029]+\Z")


def _ordinary(value: str) -> bool:
    return (
        bool(_ORDINARY.match(value))
        and value == " ".join(value.split())
        and "mmmStandIn" not in value
    )


class _Stencils:
    """Invitations rendered once per kind of invitee, then filled in for each one.

    A bulk send renders thousands of emails that differ only in the invitee's name,
    organisation, address and tokens. The templates are rendered once per language, wording
    and shape (with or without a name, an organisation) with stand-ins for those values;
    each email is then the stencil with the invitee's values put in (escaped in the HTML).
    The first invitee of each stencil is also rendered in full and compared: a template
    that uses a value any other way (a filter, a condition on its content) shows a
    difference, and that stencil is not used. Unusual values are always rendered in full.
    """

    def __init__(self) -> None:
        self._stencils: dict[tuple, RenderedEmail | None] = {}

    def render(self, event: Event, invitation: Invitation, **options: Any) -> RenderedEmail:
        values = {
            "name": invitation.name,
            "organisation": invitation.organisation,
            "email": invitation.email,
            "token": invitation.token,
            "unsubscribe_token": invitation.unsubscribe_token,
        }
        if not all(_ordinary(v) for v in values.values() if v):
            return render_invitation(event, invitation, **options)
        key = (
            event.id,
            invitation.language,
            bool(invitation.name),
            bool(invitation.organisation),
            options["reminder"],
            options["subject"],
            options["message"],
        )
        if key not in self._stencils:
            stand_in = Invitation(
                event_id=event.id,
                language=invitation.language,
                **{
                    field: _STAND_INS[field] if value else value
                    for field, value in values.items()
                },
            )
            stencil = render_invitation(event, stand_in, **options)
            full = render_invitation(event, invitation, **options)
            self._stencils[key] = stencil if _fill(stencil, values) == full else None
            return full
        stencil = self._stencils[key]
        if stencil is None:
            return render_invitation(event, invitation, **options)
        return _fill(stencil, values)


def _fill(stencil: RenderedEmail, values: dict[str, str]) -> RenderedEmail:
    subject, text, html = stencil.subject, stencil.text, stencil.html
    for field, value in values.items():
        if value:
            stand_in = _STAND_INS[field]
            subject = subject.replace(stand_in, value)
            text = text.replace(stand_in, value)
            html = html.replace(stand_in, str(escape(value)))
    return RenderedEmail(subject=subject, text=text, html=html)


@renderer(INVITATION_RENDERER)
def render_queued(
    rows: Sequence[OutboxMessage],
) -> Iterator[tuple[OutboxMessage, RenderError | None]]:
    """The mail worker's side of ``_queue_invitations``: each row's personalised email.

    Invitations and events are loaded once for the batch, the calendar file and the dates
    once per event and language, and the email itself once per kind of invitee (see
    ``_Stencils``).
    """
    invitations: dict[int, Invitation] = {}
    wanted = sorted({row.invitation_id for row in rows if row.invitation_id is not None})
    for chunk in _chunks(wanted):
        invitations.update(
            (invitation.id, invitation)
            for invitation in db.session.scalars(
                select(Invitation).where(Invitation.id.in_(chunk))
            )
        )
    events: dict[int, Event | None] = {}
    calendars: dict[int, dict[str, str]] = {}
    texts: dict[int, dict[str, EventText]] = {}
    stencils = _Stencils()
    for row in rows:
        invitation = invitations.get(row.invitation_id) if row.invitation_id else None
        if invitation is None:
            yield row, RenderError("the invitation of this email no longer exists")
            continue
        if invitation.event_id not in events:
            event = events[invitation.event_id] = db.session.get(Event, invitation.event_id)
            if event is not None:
                calendars[event.id] = calendar_attachment(event).to_json()
                texts[event.id] = {}
        event = events[invitation.event_id]
        if event is None:
            yield row, RenderError("the event of this invitation no longer exists")
            continue
        spec = row.render or {}
        email = stencils.render(
            event,
            invitation,
            reminder=bool(spec.get("reminder")),
            subject=spec.get("subject"),
            message=spec.get("message"),
            texts=texts[event.id],
        )
        row.subject = email.subject
        row.text_body = email.text
        row.html_body = email.html
        row.attachments = [calendars[event.id]]
        row.headers = unsubscribe_headers(invitation)
        row.render = None
        yield row, None


def sample_invitation(
    event: Event,
    *,
    email: str,
    name: str,
    language: Language,
    organisation: str = "Make Mothers Matter",
) -> Invitation:
    """An invitation that is never saved, for previews and tests: its links lead nowhere."""
    return Invitation(
        event_id=event.id,
        token=new_token(),
        unsubscribe_token=new_token(),
        email=email,
        email_normalised=normalise_email(email),
        name=name,
        organisation=organisation,
        language=language,
        status=InvitationStatus.IMPORTED,
    )


def send_test(
    event: Event,
    *,
    recipient: str,
    name: str,
    language: Language,
    subject: str | None = None,
    message: str | None = None,
) -> OutboxMessage:
    """The invitation as an invitee would get it, sent to the organiser themself."""
    sample = sample_invitation(event, email=recipient, name=name, language=language)
    return enqueue(
        recipient=recipient,
        email=render_invitation(event, sample, test=True, subject=subject, message=message),
        kind=TEST_KIND,
        attachments=[calendar_attachment(event)],
        event_id=event.id,
    )


@dataclass(frozen=True)
class SendResult:
    queued: int
    skipped: int


def count_sendable(event: Event) -> int:
    """How many invitees a "send to all not yet invited" would reach now."""
    return db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.IMPORTED,
            _not_suppressed(),
        )
    )


def _recipients(query, chosen: Sequence[int] | None) -> list[tuple[int, str]]:
    """(id, address) of the invitations ``query`` finds, among ``chosen`` if given."""
    if chosen is None:
        return [(id_, email) for id_, email in db.session.execute(query)]
    found: list[tuple[int, str]] = []
    for chunk in _chunks(chosen):
        found.extend(
            (id_, email) for id_, email in db.session.execute(query.where(Invitation.id.in_(chunk)))
        )
    return found


def send_invitations(
    event: Event, *, now: datetime, ids: Sequence[int] | None = None
) -> SendResult:
    """Queue the invitation for everyone not yet invited, or for the chosen ``ids``.

    A choice may also retry invitations whose sending failed. Unsubscribed addresses, and
    anyone chosen who was already invited, answered or revoked, are skipped and counted.
    """
    statuses = [InvitationStatus.IMPORTED]
    if ids is not None:
        statuses.append(InvitationStatus.FAILED)
    sendable = and_(
        Invitation.event_id == event.id,
        Invitation.status.in_(statuses),
        _not_suppressed(),
    )
    query = select(Invitation.id, Invitation.email).where(sendable).order_by(Invitation.id)
    chosen = sorted(set(ids)) if ids is not None else None
    recipients = _recipients(query, chosen)
    if not recipients:
        return SendResult(0, len(chosen or []))
    _queue_invitations(event, recipients, reminder=False)
    sent_ids = [id_ for id_, _ in recipients]
    for chunk in _chunks(sent_ids):
        db.session.execute(
            update(Invitation)
            .where(Invitation.id.in_(chunk))
            .values(status=InvitationStatus.INVITED, invited_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()
    skipped = len(chosen) - len(sent_ids) if chosen is not None else 0
    return SendResult(len(sent_ids), skipped)


def send_reminders(
    event: Event, *, now: datetime, interval: timedelta, ids: Sequence[int] | None = None
) -> SendResult:
    """Remind those who have not answered, at most once per ``interval`` per person.

    The interval runs from the last email the person had from us, invitation or reminder.
    """
    last_contact = func.coalesce(Invitation.last_reminded_at, Invitation.invited_at)
    query = (
        select(Invitation.id, Invitation.email)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.INVITED,
            Invitation.answered_at.is_(None),
            last_contact <= now - interval,
            _not_suppressed(),
        )
        .order_by(Invitation.id)
    )
    chosen = sorted(set(ids)) if ids is not None else None
    recipients = _recipients(query, chosen)
    if recipients:
        _queue_invitations(event, recipients, reminder=True)
        for chunk in _chunks([id_ for id_, _ in recipients]):
            db.session.execute(
                update(Invitation)
                .where(Invitation.id.in_(chunk))
                .values(last_reminded_at=now)
                .execution_options(synchronize_session=False)
            )
        db.session.expire_all()
    skipped = len(chosen) - len(recipients) if chosen is not None else 0
    return SendResult(len(recipients), skipped)


def record_failures(event: Event) -> None:
    """Mark as failed the invitations whose email the worker gave up on.

    The worker knows outbox rows, not invitations; this brings the two together when an
    organiser looks, in one statement.
    """
    failed = (
        select(OutboxMessage.invitation_id)
        .where(
            OutboxMessage.event_id == event.id,
            OutboxMessage.kind == INVITATION_KIND,
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.invitation_id.is_not(None),
        )
        .scalar_subquery()
    )
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.event_id == event.id,
            Invitation.status == InvitationStatus.INVITED,
            Invitation.opened_at.is_(None),
            Invitation.id.in_(failed),
        )
        .values(status=InvitationStatus.FAILED)
        .execution_options(synchronize_session=False)
    )


def outbox_progress(event: Event) -> dict[str, int]:
    """Invitation and reminder emails of this event by outbox state: queued, sent, failed."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(
            OutboxMessage.event_id == event.id,
            OutboxMessage.kind.in_([INVITATION_KIND, REMINDER_KIND]),
        )
        .group_by(OutboxMessage.status)
    )
    counts = {status: count for status, count in rows}
    return {
        "queued": counts.get(OutboxStatus.QUEUED, 0) + counts.get(OutboxStatus.SENDING, 0),
        "sent": counts.get(OutboxStatus.SENT, 0),
        "failed": counts.get(OutboxStatus.FAILED, 0),
    }


# Answering ---------------------------------------------------------------------------------


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation this answer token belongs to, unless it was revoked."""
    if not worth_looking_up(token):
        return None
    return db.session.scalar(
        select(Invitation).where(
            Invitation.token == token, Invitation.status != InvitationStatus.REVOKED
        )
    )


def invitation_by_unsubscribe_token(token: str) -> Invitation | None:
    # Revoked invitations still let their address unsubscribe: that wish outlives them.
    if not worth_looking_up(token):
        return None
    return db.session.scalar(select(Invitation).where(Invitation.unsubscribe_token == token))


def mark_opened(invitation: Invitation, *, now: datetime) -> None:
    if invitation.opened_at is None:
        invitation.opened_at = now


def decline(invitation: Invitation, *, message: str, now: datetime) -> None:
    if invitation.status is InvitationStatus.REVOKED:
        raise InvitationError("revoked")
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyAccepted(invitation.email)
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_at = now
    invitation.decline_message = message.strip()
    if invitation.opened_at is None:
        invitation.opened_at = now


def unsubscribe(email: str, *, reason: str) -> None:
    """Add the address to the suppression list; doing it twice is harmless."""
    key = normalise_email(email)
    if is_suppressed(key):
        return
    try:
        with db.session.begin_nested():
            db.session.add(Suppression(email_normalised=key, reason=reason))
    except IntegrityError:
        # The same address unsubscribed at the same moment from another message: done.
        return


def revoke(invitation: Invitation) -> None:
    if invitation.status is InvitationStatus.ACCEPTED:
        raise AlreadyAccepted(invitation.email)
    invitation.status = InvitationStatus.REVOKED


# The funnel --------------------------------------------------------------------------------

FUNNEL_STAGES = ("imported", "invited", "failed", "opened", "accepted", "declined", "checked_in")


def funnel(event: Event) -> dict[str, int]:
    """How many invitees reached each stage, in one query. Revoked invitations are left out
    of every stage and counted apart; "invited" counts the emails not known to have failed."""
    live = Invitation.status != InvitationStatus.REVOKED
    delivered = Invitation.status.not_in([InvitationStatus.REVOKED, InvitationStatus.FAILED])

    def count(condition) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            count(live),
            count(and_(delivered, Invitation.invited_at.is_not(None))),
            count(Invitation.status == InvitationStatus.FAILED),
            count(and_(live, Invitation.opened_at.is_not(None))),
            count(Invitation.status == InvitationStatus.ACCEPTED),
            count(Invitation.status == InvitationStatus.DECLINED),
            count(and_(live, Registration.checked_in_at.is_not(None))),
            count(Invitation.status == InvitationStatus.REVOKED),
        )
        .select_from(Invitation)
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .where(Invitation.event_id == event.id)
    ).one()
    counts = dict(zip((*FUNNEL_STAGES, "revoked"), (int(v) for v in row), strict=True))
    return counts


def invitees(
    event: Event, *, state: str | None = None, after_id: int | None = None, limit: int = 100
) -> list[tuple[Invitation, Registration | None, bool]]:
    """One page of invitees (keyset by id) with their registration and whether they
    unsubscribed; ``state`` is a funnel stage or "revoked"."""
    unsubscribed = exists().where(Suppression.email_normalised == Invitation.email_normalised)
    query = (
        select(Invitation, Registration, unsubscribed)
        .outerjoin(Registration, Registration.invitation_id == Invitation.id)
        .where(Invitation.event_id == event.id)
        .order_by(Invitation.id)
        .limit(limit)
    )
    live = Invitation.status != InvitationStatus.REVOKED
    filters = {
        "imported": live,
        "invited": and_(
            Invitation.status.not_in([InvitationStatus.REVOKED, InvitationStatus.FAILED]),
            Invitation.invited_at.is_not(None),
        ),
        "failed": Invitation.status == InvitationStatus.FAILED,
        "opened": and_(live, Invitation.opened_at.is_not(None)),
        "accepted": Invitation.status == InvitationStatus.ACCEPTED,
        "declined": Invitation.status == InvitationStatus.DECLINED,
        "checked_in": and_(live, Registration.checked_in_at.is_not(None)),
        "revoked": Invitation.status == InvitationStatus.REVOKED,
    }
    if state in filters:
        query = query.where(filters[state])
    if after_id is not None:
        query = query.where(Invitation.id > after_id)
    return [tuple(row) for row in db.session.execute(query)]


def invitation_of_event(event: Event, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.event_id == event.id)
    )
