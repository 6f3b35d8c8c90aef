"""The organiser's invitation pages: import, add, wording and preview, sending, reminders,
revoking, progress, the funnel and the invitee list. Routes and form handling only: the rules
are in ``invitations.services``."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..content import untranslated
from ..extensions import db
from ..models import Event, Language, utcnow
from ..organiser.access import event_for_organiser
from ..organiser.blueprint import MAX_ID, bp
from ..registrations.spreadsheet import csv_stream, neutralise
from . import emails, services
from .forms import (
    ActionForm,
    ConfirmImportForm,
    ImportForm,
    InviteeForm,
    MessageForm,
    ReminderForm,
)
from .importing import ImportFileError

PAGE_SIZE = 100


def _overview_url(event: Event, **args) -> str:
    return url_for("organiser.invitations", event_id=event.id, **args)


@bp.get("/events/<int:event_id>/invitations")
def invitations(event_id: int):
    event = event_for_organiser(event_id)
    state = request.args.get("state")
    if state not in services.FILTERS:
        state = None
    q = " ".join(request.args.get("q", "").split())[:200]
    after = request.args.get("after", type=int)
    if after is not None and not 0 <= after <= MAX_ID:
        abort(404)
    rows = services.invitees(event, state=state, q=q, after_id=after, limit=PAGE_SIZE + 1)
    next_after = rows[PAGE_SIZE - 1].invitation.id if len(rows) > PAGE_SIZE else None
    counts = services.funnel(event)
    return render_template(
        "invitations/manage/overview.html",
        event=event,
        counts=counts,
        chart=services.funnel_chart(counts),
        filters=services.FILTERS,
        state=state,
        q=q,
        rows=rows[:PAGE_SIZE],
        next_after=next_after,
        sendable=services.count_sendable(event),
        progress=services.outbox_progress(event),
        action_form=ActionForm(),
        reminder_form=ReminderForm(),
    )


@bp.route("/events/<int:event_id>/invitations/import", methods=["GET", "POST"])
def import_invitees(event_id: int):
    event = event_for_organiser(event_id)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report, upload_id = services.stage_import(
                event,
                user_id=current_user.id,
                filename=upload.filename or "",
                data=upload.read(),
                now=utcnow(),
            )
            db.session.commit()
        except ImportFileError as error:
            form.file.errors.append(str(error))
        else:
            return render_template(
                "invitations/manage/import_report.html",
                event=event,
                report=report,
                upload_id=upload_id,
                form=ConfirmImportForm(),
            )
    status = 400 if form.errors else 200
    return render_template("invitations/manage/import.html", event=event, form=form), status


@bp.post("/events/<int:event_id>/invitations/import/<upload_id>")
def confirm_import(event_id: int, upload_id: str):
    event = event_for_organiser(event_id)
    if not ConfirmImportForm().validate_on_submit():
        abort(400)
    try:
        saved = services.confirm_import(
            event, user_id=current_user.id, upload_id=upload_id, now=utcnow()
        )
        audit.record(audit.INVITEES_IMPORTED, event_id=event.id, detail={"added": saved})
        db.session.commit()
    except (ImportFileError, IntegrityError):
        db.session.rollback()
        flash(
            _("The list changed while you were importing. Please upload the file again."),
            "error",
        )
        return redirect(url_for(".import_invitees", event_id=event.id))
    if saved is None:
        flash(_("This import is no longer available. Please upload the file again."), "error")
        return redirect(url_for(".import_invitees", event_id=event.id))
    flash(
        ngettext(
            "%(num)d invitee added to the list.", "%(num)d invitees added to the list.", saved
        ),
        "success",
    )
    return redirect(_overview_url(event))


@bp.route("/events/<int:event_id>/invitations/new", methods=["GET", "POST"])
def add_invitee(event_id: int):
    event = event_for_organiser(event_id)
    form = InviteeForm()
    if form.validate_on_submit():
        try:
            services.add_invitee(
                event,
                email=form.email.data,
                name=form.name.data,
                organisation=form.organisation.data or "",
                language=Language(form.language.data),
                note=form.note.data or "",
                now=utcnow(),
            )
            db.session.commit()
        except services.AlreadyInvited:
            form.email.errors.append(_("This person is already on the list for this event."))
        except services.AddressSuppressed:
            form.email.errors.append(
                _("This address asked to receive no more invitations from us.")
            )
        except IntegrityError:
            db.session.rollback()
            form.email.errors.append(_("This person is already on the list for this event."))
        else:
            flash(_("%(name)s was added to the list.", name=form.name.data), "success")
            return redirect(_overview_url(event))
    status = 400 if form.errors else 200
    return render_template("invitations/manage/add.html", event=event, form=form), status


@bp.route("/events/<int:event_id>/invitations/message", methods=["GET", "POST"])
def edit_message(event_id: int):
    """The wording, with three buttons: preview the draft, save it, send it to myself."""
    event = event_for_organiser(event_id)
    form = MessageForm()
    if request.method == "GET":
        form.subject.data = event.invitation_subject
        form.message.data = event.invitation_message
    action = request.form.get("action", "preview")
    if form.validate_on_submit():
        if action == "save":
            event.invitation_subject = (form.subject.data or "").strip()
            event.invitation_message = (form.message.data or "").strip()
            db.session.commit()
            flash(_("The invitation's wording is saved."), "success")
            return redirect(url_for(".edit_message", event_id=event.id))
        if action == "test":
            emails.queue_test(
                event,
                recipient=current_user.email,
                name=current_user.name or current_user.email,
                language=Language(form.language.data),
                subject=form.subject.data or "",
                message=form.message.data or "",
            )
            db.session.commit()
            flash(
                _("A test invitation is on its way to %(email)s.", email=current_user.email),
                "success",
            )
            return redirect(url_for(".edit_message", event_id=event.id))
    preview = None
    if not form.errors:
        preview = emails.render_invitation(
            event,
            emails.preview_invitation(event, Language(form.language.data or "en")),
            subject=form.subject.data or "",
            message=form.message.data or "",
        )
    status = 400 if form.errors else 200
    return render_template(
        "invitations/manage/message.html",
        event=event,
        form=form,
        preview=preview,
        placeholders=emails.PLACEHOLDERS,
    ), status


@bp.get("/events/<int:event_id>/invitations/preview.html")
def preview_html(event_id: int):
    """The saved invitation as HTML, shown in a frame on the wording page.

    The email's own inline styles need 'unsafe-inline', which the site's pages refuse: this
    response alone allows them, runs no script (sandbox) and loads nothing else.
    """
    event = event_for_organiser(event_id)
    language = request.args.get("lang", "en")
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    email = emails.render_invitation(event, emails.preview_invitation(event, Language(language)))
    response = current_app.response_class(email.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'self'; sandbox"
    )
    return response


def _chosen_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("ids"):
        try:
            number = int(value)
        except ValueError:
            abort(400)
        # Beyond PostgreSQL's integer, a query would be an error rather than "no such row".
        if not 0 < number <= MAX_ID:
            abort(400)
        ids.append(number)
    return ids


@bp.post("/events/<int:event_id>/invitations/send")
def send(event_id: int):
    event = event_for_organiser(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ids = None
    if request.form.get("scope") == "selected":
        ids = _chosen_ids()
        if not ids:
            flash(_("Please tick the invitees to send the invitation to."), "error")
            return redirect(_overview_url(event))
    if request.form.get("confirmed") != "1":
        by_language = services.recipients_by_language(event, ids)
        missing = _untranslated(event, by_language)
        if sum(by_language.values()) > 1 or missing:
            return _confirm_sending(event, by_language, ids, missing)
    result = services.send_invitations(event, now=utcnow(), ids=ids)
    audit.record(audit.INVITATIONS_SENT, event_id=event.id, detail={"queued": result.queued})
    db.session.commit()
    _flash_result(
        result,
        ngettext("%(num)d invitation queued.", "%(num)d invitations queued.", result.queued),
    )
    return redirect(url_for(".progress", event_id=event.id))


# The texts an invitation shows, named as in the event editor.
INVITATION_TEXTS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "venue": _l("Venue"),
    "city": _l("City"),
    "country": _l("Country"),
    "invitation_subject": _l("Invitation subject"),
    "invitation_message": _l("Invitation message"),
}


def _untranslated(event: Event, by_language: dict[Language, int]) -> dict[str, list[str]]:
    """Per invitees' language, the names of the texts they will read in the main language."""
    missing = untranslated(event, tuple(INVITATION_TEXTS), [lang.value for lang in by_language])
    return {lang: [str(INVITATION_TEXTS[f]) for f in fields] for lang, fields in missing.items()}


def _confirm_sending(
    event: Event,
    by_language: dict[Language, int],
    ids: list[int] | None,
    untranslated_texts: dict[str, list[str]],
):
    """Before emailing several people, or anyone whose language lacks some of the texts: how
    many get the invitation in which language, which texts they get in the main language,
    and what one of them reads in each."""
    previews = {
        language: emails.render_invitation(event, emails.preview_invitation(event, language))
        for language in by_language
    }
    return render_template(
        "invitations/manage/confirm_send.html",
        event=event,
        by_language=by_language,
        total=sum(by_language.values()),
        previews=previews,
        untranslated=untranslated_texts,
        ids=ids,
        action_form=ActionForm(),
    )


@bp.post("/events/<int:event_id>/invitations/remind")
def remind(event_id: int):
    event = event_for_organiser(event_id)
    form = ReminderForm()
    if not form.validate_on_submit():
        flash(_("Please give a number of days between 1 and 60."), "error")
        return redirect(_overview_url(event))
    result = services.send_reminders(
        event, now=utcnow(), interval=timedelta(days=form.interval_days.data)
    )
    audit.record(audit.REMINDERS_SENT, event_id=event.id, detail={"queued": result.queued})
    db.session.commit()
    _flash_result(
        result, ngettext("%(num)d reminder queued.", "%(num)d reminders queued.", result.queued)
    )
    return redirect(url_for(".progress", event_id=event.id))


def _flash_result(result: services.SendResult, message: str) -> None:
    flash(message, "success" if result.queued else "warning")
    if result.skipped:
        flash(
            ngettext(
                "%(num)d chosen invitee was skipped: already invited, answered, revoked or "
                "unsubscribed.",
                "%(num)d chosen invitees were skipped: already invited, answered, revoked or "
                "unsubscribed.",
                result.skipped,
            ),
            "warning",
        )


@bp.post("/events/<int:event_id>/invitations/revoke")
def revoke(event_id: int):
    event = event_for_organiser(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    result = services.revoke_chosen(event, _chosen_ids())
    db.session.commit()
    flash(
        ngettext("%(num)d invitation revoked.", "%(num)d invitations revoked.", result.revoked),
        "success" if result.revoked else "warning",
    )
    if result.kept:
        flash(
            ngettext(
                "%(num)d invitee has already registered: cancel the registration instead.",
                "%(num)d invitees have already registered: cancel their registrations instead.",
                result.kept,
            ),
            "warning",
        )
    return redirect(_overview_url(event))


@bp.get("/events/<int:event_id>/invitations/progress")
def progress(event_id: int):
    event = event_for_organiser(event_id)
    return render_template(
        "invitations/manage/progress.html",
        event=event,
        progress=services.outbox_progress(event),
    )


def _export_chunks(event: Event):
    header = [str(column) for column in services.EXPORT_COLUMNS]
    batches = (
        [[neutralise(cell) for cell in row] for row in rows] for rows in services.export_rows(event)
    )
    return csv_stream(header, batches)


@bp.get("/events/<int:event_id>/invitations.csv")
def export_invitees(event_id: int):
    event = event_for_organiser(event_id)
    audit.record_at_once(audit.INVITEES_EXPORTED, event_id=event.id, detail={"format": "csv"})
    return Response(
        stream_with_context(_export_chunks(event)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-invitees.csv"'},
    )
