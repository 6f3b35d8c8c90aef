"""The invitation email: queued by the sending rules, written by the mail worker for each
invitee in full, in the invitee's language."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from flask import url_for
from flask_babel import force_locale
from sqlalchemy import and_, select

from .. import mail
from ..content import LocalText, localized
from ..extensions import db
from ..models import Event, Invitation, InvitationStatus, Language, OutboxMessage
from ..models._base import new_token
from ..registrations.calendar import event_ics
from ..transitions import transition
from ..web import event_dates, local_datetime

RENDERER = "invitation"
INVITATION_KIND = "invitation"
REMINDER_KIND = "invitation_reminder"
TEST_KIND = "invitation_test"
PLACEHOLDERS = ("name", "organisation", "event", "dates", "city")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class EventText:
    """The event's dates and times as written in the invitee's language."""

    dates: str
    start: str
    end: str


def substitute(template: str, values: dict[str, str]) -> str:
    """Replace {name}-style placeholders with plain values.

    Not ``str.format``: that would let the organiser's text reach attributes of the values
    ("{name.__class__}"). Unknown placeholders are left as written.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def unknown_placeholders(template: str) -> list[str]:
    return sorted({m for m in _PLACEHOLDER.findall(template) if m not in PLACEHOLDERS})


def placeholder_values(event: Event, invitation: Invitation, dates: str) -> dict[str, str]:
    return {
        "name": invitation.name or invitation.email,
        "organisation": invitation.organisation,
        "event": localized(event, "title", invitation.language.value)[0],
        "dates": dates,
        "city": localized(event, "city", invitation.language.value)[0],
    }


# The calendar file of an event in each language, written once for the event as loaded: the
# worker loads the event once per batch, so a batch of invitations shares one file per
# language instead of writing the same one for every invitee. Gone with the loaded event.
_calendars: WeakKeyDictionary[Event, dict[str, mail.Attachment]] = WeakKeyDictionary()


def calendar_attachment(event: Event, language: str) -> mail.Attachment:
    written = _calendars.setdefault(event, {})
    if language not in written:
        written[language] = _calendar_attachment(event, language)
    return written[language]


def _calendar_attachment(event: Event, language: str) -> mail.Attachment:
    url = url_for("events.detail", slug=event.slug, _external=True)
    return mail.Attachment(
        filename=f"{event.slug}.ics",
        content_type="text/calendar; method=PUBLISH; charset=utf-8",
        data=event_ics(event, url=url, language=language),
    )


def invitation_wording(event: Event) -> dict[str, dict[str, str]]:
    """The organiser's wording in each language it is written in, as queued: each invitee
    gets theirs, or the main language's."""
    return {
        language: {"subject": text.invitation_subject, "message": text.invitation_message}
        for language, text in event.texts.items()
        if text.invitation_subject or text.invitation_message
    }


def _wording_for(
    event: Event, language: str, wording: dict[str, dict[str, str]] | None
) -> tuple[str, str, str]:
    """(subject, message, their language) for an invitee reading ``language``."""
    if wording is None:
        subject, lang = localized(event, "invitation_subject", language)
        message, _lang = localized(event, "invitation_message", lang)
        return subject, message, lang
    lang = language if language in wording else event.main_language
    chosen = wording.get(lang, {})
    return chosen.get("subject", ""), chosen.get("message", ""), lang


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
    wording: dict[str, dict[str, str]] | None = None,
) -> mail.Email:
    """The personalised email, in the invitee's language.

    ``subject`` and ``message`` default to the wording in the invitee's language (from
    ``wording`` as queued, else the event's saved texts), falling back to the main language's;
    the preview passes the organiser's unsaved draft.
    """
    language = invitation.language.value
    saved_subject, saved_message, wording_lang = _wording_for(event, language, wording)
    if subject is not None or message is not None:
        wording_lang = language
    subject = saved_subject if subject is None else subject
    message = saved_message if message is None else message
    with force_locale(language):
        dates = event_dates(event)
        # "medium" writes the month in words: "5/3/27" reads as 5 March in most of the world.
        start = local_datetime(event.starts_at, event.zone, "medium")
        end = local_datetime(event.ends_at, event.zone, "medium")
    values = placeholder_values(event, invitation, dates)
    return mail.render_email(
        "invitation",
        language,
        event=event,
        invitation=invitation,
        event_text=EventText(dates=dates, start=start, end=end),
        custom_subject=substitute(subject.strip(), values),
        custom_message=substitute(message.strip(), values),
        wording=LocalText(text="", lang=wording_lang, page_lang=language),
        reminder=reminder,
        test=test,
        accept_url=url_for("invitations.accept", token=invitation.token, _external=True),
        decline_url=url_for("invitations.decline", token=invitation.token, _external=True),
        unsubscribe_url=url_for(
            "invitations.unsubscribe", token=invitation.unsubscribe_token, _external=True
        ),
        event_url=url_for("events.detail", slug=event.slug, _external=True),
    )


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
        name=name,
        organisation=organisation,
        language=language,
        status=InvitationStatus.IMPORTED,
    )


def preview_invitation(event: Event, language: Language) -> Invitation:
    """A sample for the wording page, with the first invitee's details when there is one, so
    that the organiser sees the placeholders filled with real values."""
    first = db.session.scalar(
        select(Invitation).where(Invitation.event_id == event.id).order_by(Invitation.id).limit(1)
    )
    return sample_invitation(
        event,
        email=first.email if first else "amina@example.org",
        name=first.name if first else "Amina Diallo",
        organisation=first.organisation if first else "UNESCO",
        language=language,
    )


def queue_invitations(
    event: Event, recipients: Sequence[tuple[int, str, str]], *, reminder: bool
) -> int:
    """Queue one email per (invitation id, address, name), with the event's wording as it is
    now."""
    return mail.queue(
        [mail.Recipient(email, invitation_id=id_, name=name) for id_, email, name in recipients],
        kind=REMINDER_KIND if reminder else INVITATION_KIND,
        renderer=RENDERER,
        arguments={"reminder": reminder, "wording": invitation_wording(event)},
        event_id=event.id,
    )


def queue_test(
    event: Event,
    *,
    recipient: str,
    name: str,
    language: Language,
    subject: str | None = None,
    message: str | None = None,
) -> None:
    """The invitation as an invitee would get it, sent to the organiser themself."""
    mail.queue(
        mail.Recipient(recipient),
        kind=TEST_KIND,
        renderer=RENDERER,
        arguments={
            "test": True,
            "name": name,
            "language": language.value,
            # A draft is tried as written; else the saved wording, as invitees get it.
            **(
                {"wording": invitation_wording(event)}
                if subject is None and message is None
                else {"subject": subject or "", "message": message or ""}
            ),
        },
        event_id=event.id,
    )


def render_queued(row: OutboxMessage) -> mail.Email:
    """The worker's renderer: the email for the row's invitee, written now from the wording
    and options recorded when it was queued (a test goes to a sample invitee)."""
    spec = row.render or {}
    event = row.event
    if spec.get("test"):
        if event is None:
            raise mail.RenderError("the event of this invitation no longer exists")
        invitation = sample_invitation(
            event, email=row.recipient, name=spec["name"], language=Language(spec["language"])
        )
    else:
        invitation = row.invitation
        if invitation is None:
            raise mail.RenderError("the invitation of this email no longer exists")
        event = invitation.event
    email = render_invitation(
        event,
        invitation,
        reminder=bool(spec.get("reminder")),
        test=bool(spec.get("test")),
        subject=spec.get("subject"),
        message=spec.get("message"),
        wording=spec.get("wording"),
    )
    return mail.Email(
        subject=email.subject,
        text=email.text,
        html=email.html,
        attachments=(calendar_attachment(event, invitation.language.value),),
        headers={} if spec.get("test") else unsubscribe_headers(invitation),
    )


def invitation_not_delivered(row: OutboxMessage) -> None:
    """The worker gave up on an invitation: the invitee list says it bounced or failed,
    unless the person found the link anyway."""
    if row.kind != INVITATION_KIND or row.invitation_id is None:
        return
    transition(
        Invitation.status,
        and_(Invitation.id == row.invitation_id, Invitation.opened_at.is_(None)),
        [InvitationStatus.INVITED],
        InvitationStatus.FAILED,
    )


INVITATION_EMAIL = mail.Renderer(render=render_queued, gave_up=invitation_not_delivered)
