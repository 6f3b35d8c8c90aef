"""Managing events: create, edit, publish, delete, and (admins) who organises them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _, ngettext
from flask_login import current_user
from sqlalchemy import delete, insert, select, update
from wtforms.fields.choices import SelectChoice

from ..events import services as registration_services
from ..extensions import db
from ..models import Event, User, event_organiser, utcnow
from ..privacy import audit
from ..text import slugify
from .access import admin_required, event_for_organiser
from .blueprint import bp
from .forms import EventForm, OrganisersForm

# Form fields copied onto the model as they are; the datetimes are converted first.
_PLAIN_FIELDS = (
    "title", "hashtag", "summary", "description", "venue", "city", "country", "timezone",
    "contact_email", "invite_only", "invitation_subject", "invitation_message", "is_published",
)
_LOCAL_DATETIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


class EventError(ValueError):
    """The event cannot be saved as given: ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed by an organiser, read in the event's time zone."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def to_local(moment: datetime | None, zone: str) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def unique_slug(model, wanted: str, *, own_id: int | None = None) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... whichever no other row uses."""
    candidate, n = wanted, 1
    while True:
        query = select(model.id).where(model.slug == candidate)
        if own_id is not None:
            query = query.where(model.id != own_id)
        if db.session.scalar(query) is None:
            return candidate
        n += 1
        suffix = f"-{n}"
        candidate = wanted[: 120 - len(suffix)] + suffix


def save_event(event: Event | None, data: dict[str, Any], *, creator: User) -> Event:
    """Create (``event`` None) or update an event from validated form data.

    ``data`` holds the form's values, datetimes as naive wall-clock times in
    ``data["timezone"]``. Raises EventError, with nothing changed, when a rule is broken.
    """
    zone = data["timezone"]
    moments = {name: to_utc(data.get(name), zone) for name in _LOCAL_DATETIMES}
    if moments["ends_at"] <= moments["starts_at"]:
        raise EventError("ends_at", _("The end must be after the start."))
    opens, closes = moments["registration_opens_at"], moments["registration_closes_at"]
    if opens and closes and closes <= opens:
        raise EventError(
            "registration_closes_at", _("Registration must close after it opens.")
        )
    capacity = data["capacity"]
    if capacity < 0:
        raise EventError("capacity", _("The number of seats cannot be negative."))
    slug_wanted = data.get("slug") or slugify(data["title"])
    if data.get("slug"):
        clash = select(Event.id).where(Event.slug == slug_wanted)
        if event is not None:
            clash = clash.where(Event.id != event.id)
        if db.session.scalar(clash) is not None:
            raise EventError("slug", _("Another event already uses this web address."))
        slug = slug_wanted
    else:
        slug = unique_slug(Event, slug_wanted, own_id=event.id if event else None)

    if event is None:
        event = Event(capacity=capacity, seats_taken=0)
        if not creator.is_admin:
            event.organisers.append(creator)
        db.session.add(event)
    else:
        # Checked and written in one statement, so that a registration arriving meanwhile
        # cannot leave more confirmed people than seats.
        changed = db.session.execute(
            update(Event)
            .where(Event.id == event.id, Event.seats_taken <= capacity)
            .values(capacity=capacity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            db.session.refresh(event)
            raise EventError(
                "capacity",
                _(
                    "%(confirmed)d people are already confirmed, so the event needs at least "
                    "%(confirmed)d seats. Cancel registrations first to reduce it.",
                    confirmed=event.seats_taken,
                ),
            )
        db.session.refresh(event, ["capacity"])
    for name in _PLAIN_FIELDS:
        setattr(event, name, data[name] if data[name] is not None else "")
    for name, value in moments.items():
        setattr(event, name, value)
    event.slug = slug
    db.session.flush()
    return event


def set_published(event: Event, published: bool) -> None:
    event.is_published = published


def delete_event(event: Event) -> None:
    """Remove the event with its registrations (the database cascades)."""
    db.session.delete(event)


def assign_organisers(event: Event, user_ids: list[int]) -> None:
    wanted = set(
        db.session.scalars(select(User.id).where(User.id.in_(user_ids))) if user_ids else []
    )
    db.session.execute(delete(event_organiser).where(event_organiser.c.event_id == event.id))
    if wanted:
        db.session.execute(
            insert(event_organiser), [{"event_id": event.id, "user_id": u} for u in wanted]
        )
    db.session.expire(event, ["organisers"])


def _form_data(form: EventForm) -> dict[str, Any]:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def _fill_form(form: EventForm, event: Event) -> None:
    for name in (*_PLAIN_FIELDS, "slug", "capacity"):
        form[name].data = getattr(event, name)
    for name in _LOCAL_DATETIMES:
        form[name].data = to_local(getattr(event, name), event.timezone)


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    return _event_form(None)


@bp.get("/events/<int:event_id>")
def event_overview(event_id: int):
    from .registrants import registration_counts

    event = event_for_organiser(event_id)
    return render_template(
        "organiser/event_overview.html", event=event, counts=registration_counts(event)
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    return _event_form(event_for_organiser(event_id))


def _event_form(event: Event | None):
    """The one form that creates (``event`` None) or edits an event."""
    form = EventForm()
    if event is not None and request.method == "GET":
        _fill_form(form, event)
    elif form.validate_on_submit():
        try:
            event = save_event(event, _form_data(form), creator=current_user)
        except EventError as exc:
            db.session.rollback()
            form[exc.field].errors.append(exc.message)
        else:
            # Seats added while people wait: they get them, as when someone cancels.
            promoted = registration_services.fill_free_seats(event, now=utcnow())
            db.session.commit()
            flash(_("The event is saved."), "success")
            if promoted:
                flash(
                    ngettext(
                        "%(num)d person moved from the waiting list to a seat, and is told "
                        "by email.",
                        "%(num)d people moved from the waiting list to a seat, and are told "
                        "by email.",
                        len(promoted),
                    ),
                    "success",
                )
            return redirect(url_for("organiser.event_overview", event_id=event.id))
    status = 400 if form.errors else 200
    return render_template("organiser/event_form.html", form=form, event=event), status


@bp.post("/events/<int:event_id>/publish")
def publish_event(event_id: int):
    event = event_for_organiser(event_id)
    publish = request.form.get("publish") == "1"
    set_published(event, publish)
    db.session.commit()
    flash(
        _("The event is published.") if publish else _("The event is no longer public."),
        "success",
    )
    return redirect(url_for("organiser.event_overview", event_id=event.id))


@bp.route("/events/<int:event_id>/delete", methods=["GET", "POST"])
def delete_event_view(event_id: int):
    event = event_for_organiser(event_id)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            abort(400)
        title = event.title
        delete_event(event)
        db.session.commit()
        flash(_("The event “%(title)s” is deleted.", title=title), "success")
        return redirect(url_for("organiser.dashboard"))
    from .registrants import registration_counts

    return render_template(
        "organiser/event_delete.html", event=event, counts=registration_counts(event)
    )


@bp.route("/events/<int:event_id>/organisers", methods=["GET", "POST"])
def event_organisers(event_id: int):
    admin_required()
    event = event_for_organiser(event_id)
    form = OrganisersForm()
    users = list(db.session.scalars(select(User).order_by(User.email)))
    form.organisers.choices = [
        SelectChoice(u.id, f"{u.name} <{u.email}>" if u.name else u.email)
        for u in users
        if not u.is_admin
    ]
    if request.method == "GET":
        form.organisers.data = [u.id for u in event.organisers]
    elif form.validate_on_submit():
        assign_organisers(event, form.organisers.data or [])
        audit.record(audit.ORGANISERS_ASSIGNED, event_id=event.id,
                     detail={"users": sorted(form.organisers.data or [])})
        db.session.commit()
        flash(_("The organisers of this event are saved."), "success")
        return redirect(url_for("organiser.event_overview", event_id=event.id))
    return render_template("organiser/event_organisers.html", form=form, event=event)
