"""An event as a file, and an event copied: its texts in each language, its settings and its
questions with their places; never its registrations, invitations or answers.

The file (``flask events export SLUG`` / ``flask events import FILE``, README "Event files") is
JSON: ``{"format": "mmm-events.event", "version": 3, "event": {...}, "questions": [...]}``.
Version 2 added the visa letter settings (``visa_letters``, ``visa_covers_costs``,
``visa_signatory_name``, ``visa_signatory_role``, ``passport_data_days``); version 3 writes
every text the event form has in each language (the city, the country and the signatory's
role too; the event's own ``city``, ``country`` and ``visa_signatory_role`` are the main
language's). Older files still import: the settings they lack at their defaults, the texts
they lack in the main language from the event's own copy. The cover image stays out of the
file (it would be most of it): it is described in each language (``cover_alt``), and uploaded
again after an import. Times are ISO 8601 in UTC; a question's dependency names the question
by its place in the list, and a choice by its place among the options (``"option:0"``) or
"yes" / "no". Export, import, export gives the same file.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Event, InvitationAdmits, QuestionKind, utcnow
from ..models.texts import CONTENT_LANGUAGES
from ..questions.editing import add_question, live_questions
from .covers import copy_cover
from .editing import TEXT_FIELDS

FORMAT, VERSION = "mmm-events.event", 3
READABLE_VERSIONS = (1, 2, 3)
_PLAIN = ("main_language", "hashtag", "city", "country", "timezone", "capacity", "invite_only",
          "contact_email", "invitation_guests", "confirm_email", "sensitive_answer_days")
# Added in version 2, with the value a version 1 file gets.
_VISA = {"visa_letters": False, "visa_covers_costs": False, "visa_signatory_name": "",
         "visa_signatory_role": "", "passport_data_days": 30}
_MOMENTS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at",
            "answers_close_at")
_QUESTION_PLAIN = ("required", "sensitive", "min_number", "max_number")


class TransferError(ValueError):
    """A file that cannot become an event; the message names the field, in one sentence."""


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _texts(owner: Any, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    return {language: {f: getattr(text, f) for f in fields}
            for language, text in sorted(owner.texts.items())}


def _question(question, positions: dict[int, int], options: dict[int, int]) -> dict[str, Any]:
    value = question.depends_on_value
    if question.depends_on_id is not None and value.isdigit():
        value = f"option:{options.get(int(value), 0)}"
    return {
        "kind": question.kind.value,
        **{name: getattr(question, name) for name in _QUESTION_PLAIN},
        "min_date": question.min_date.isoformat() if question.min_date else None,
        "max_date": question.max_date.isoformat() if question.max_date else None,
        "texts": _texts(question, ("label", "help", "purpose")),
        "options": [{"places": o.places, "texts": _texts(o, ("label",))}
                    for o in question.live_options],
        "depends_on": positions.get(question.depends_on_id),
        "depends_on_value": value if question.depends_on_id in positions else "",
    }


def describe(event: Event) -> dict[str, Any]:
    """The event as the file holds it."""
    questions = live_questions(event)
    positions = {q.id: n for n, q in enumerate(questions)}
    options = {o.id: n for q in questions for n, o in enumerate(q.live_options)}
    return {
        "format": FORMAT,
        "version": VERSION,
        "event": {
            "slug": event.slug,
            **{name: getattr(event, name) for name in _PLAIN},
            **{name: getattr(event, name) for name in _VISA},
            "invitation_admits": event.invitation_admits.value,
            **{name: _moment(getattr(event, name)) for name in _MOMENTS},
            "texts": _texts(event, TEXT_FIELDS),
        },
        "questions": [_question(q, positions, options) for q in questions],
    }


def _need(mapping: Any, key: str, kind: type | tuple, where: str, optional: bool = False):
    if not isinstance(mapping, dict):
        raise TransferError(f"“{where}” must be an object.")
    value = mapping.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TransferError(f"“{where}.{key}” is missing or not of the right type.")
    return value


def _parse_moment(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise TransferError(f"“{where}” is not an ISO 8601 time.") from exc
    if moment.tzinfo is None:
        raise TransferError(f"“{where}” has no time zone.")
    return moment


def _event_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"slug": _need(data, "slug", str, "event")}
    for name in _PLAIN:
        kind = bool if name in ("invite_only", "confirm_email") else (
            int if name in ("capacity", "invitation_guests", "sensitive_answer_days") else str)
        fields[name] = _need(data, name, kind, "event")
    for name, default in _VISA.items():
        value = data.get(name, default)
        if type(value) is not type(default):
            raise TransferError(f"“event.{name}” is not of the right type.")
        fields[name] = value
    if not 0 <= fields["passport_data_days"] <= 365:
        raise TransferError("“event.passport_data_days” must be between 0 and 365.")
    if fields["main_language"] not in CONTENT_LANGUAGES:
        raise TransferError("“event.main_language” must be en, fr or ar.")
    try:
        fields["invitation_admits"] = InvitationAdmits(data.get("invitation_admits"))
    except ValueError as exc:
        raise TransferError("“event.invitation_admits” is not a known value.") from exc
    for name in _MOMENTS:
        fields[name] = _parse_moment(data.get(name), f"event.{name}")
    if fields["starts_at"] is None or fields["ends_at"] is None:
        raise TransferError("“event.starts_at” and “event.ends_at” are required.")
    if fields["ends_at"] <= fields["starts_at"]:
        raise TransferError("“event.ends_at” must be after “event.starts_at”.")
    if fields["capacity"] < 0:
        raise TransferError("“event.capacity” cannot be negative.")
    return fields


def _set_event_texts(event: Event, texts: Any) -> None:
    if not isinstance(texts, dict) or not isinstance(texts.get(event.main_language), dict):
        raise TransferError("“event.texts” must hold the main language's texts.")
    if not texts[event.main_language].get("title"):
        raise TransferError("“event.texts” must give the title in the main language.")
    for language, given in texts.items():
        if language not in CONTENT_LANGUAGES or not isinstance(given, dict):
            raise TransferError(f"“event.texts.{language}” is not a language we show.")
        text = event.text_in(language)
        for name in TEXT_FIELDS:
            # An older file lacks some texts: the main language's come from the event's own
            # copy (set before), the others stay empty.
            value = given.get(name, getattr(text, name))
            if not isinstance(value, str):
                raise TransferError(f"“event.texts.{language}.{name}” must be text.")
            setattr(text, name, value)


def _question_description(data: Any, n: int, created: list) -> dict[str, Any]:
    where = f"questions[{n}]"
    kind = _need(data, "kind", str, where)
    if kind not in {k.value for k in QuestionKind}:
        raise TransferError(f"“{where}.kind” is not a known kind of question.")
    options = _need(data, "options", list, where)
    for m, option in enumerate(options):
        _need(option, "texts", dict, f"{where}.options[{m}]")
        _need(option, "places", int, f"{where}.options[{m}]", optional=True)
    description = {
        "kind": kind,
        "required": bool(data.get("required")),
        "sensitive": bool(data.get("sensitive")),
        "min_number": data.get("min_number"),
        "max_number": data.get("max_number"),
        "texts": _need(data, "texts", dict, where),
        "options": options,
    }
    for name in ("min_date", "max_date"):
        try:
            description[name] = date.fromisoformat(data[name]) if data.get(name) else None
        except (TypeError, ValueError) as exc:
            raise TransferError(f"“{where}.{name}” is not an ISO 8601 date.") from exc
    parent = data.get("depends_on")
    if parent is not None:
        if not isinstance(parent, int) or not 0 <= parent < n:
            raise TransferError(f"“{where}.depends_on” must name an earlier question.")
        value = str(data.get("depends_on_value") or "")
        if value.startswith("option:"):
            index = value.removeprefix("option:")
            choices = created[parent].live_options
            if not index.isdigit() or int(index) >= len(choices):
                raise TransferError(f"“{where}.depends_on_value” names no option.")
            value = str(choices[int(index)].id)
        description["depends_on"], description["depends_on_value"] = created[parent].id, value
    return description


def create_event(data: Any, *, slug: str | None = None, shift: timedelta | None = None) -> Event:
    """A new, unpublished event from a description (a file read, or ``describe``); the
    caller commits, or rolls back on ``TransferError``. ``slug`` and ``shift`` (added to
    every time) make a copy with new dates."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TransferError("“format” must be “mmm-events.event”.")
    if data.get("version") not in READABLE_VERSIONS:
        raise TransferError(f"“version” must be 1, 2 or {VERSION}.")
    fields = _event_fields(data.get("event"))
    if slug is not None:
        fields["slug"] = slug
    for name in _MOMENTS:
        if shift is not None and fields[name] is not None:
            fields[name] += shift
    if db.session.scalar(select(Event.id).where(Event.slug == fields["slug"])) is not None:
        raise TransferError(f"“event.slug”: an event “{fields['slug']}” already exists.")
    event = Event(main_language=fields.pop("main_language"), seats_taken=0,
                  is_published=False, **fields)
    db.session.add(event)
    _set_event_texts(event, data["event"].get("texts"))
    db.session.flush()
    created: list = []
    questions = data.get("questions", [])
    if not isinstance(questions, list):
        raise TransferError("“questions” must be a list.")
    for n, question in enumerate(questions):
        try:
            created.append(add_question(event, _question_description(question, n, created),
                                        now=utcnow()))
        except ValueError as exc:
            if isinstance(exc, TransferError):
                raise
            raise TransferError(f"“questions[{n}].{exc}” is missing or wrong.") from exc
    return event


def duplicate(event: Event, *, slug: str, starts_at: datetime) -> Event:
    """A copy of ``event`` under ``slug``, every time moved so that it starts at
    ``starts_at``, with the same cover image; unpublished, with no registrations, invitations
    or answers."""
    copy = create_event(describe(event), slug=slug, shift=starts_at - event.starts_at)
    copy.organisers = list(event.organisers)
    copy_cover(event, copy)
    return copy
