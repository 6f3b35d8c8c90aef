"""The organiser area's privacy pages: the notice, the audit log, a person's data, the record
of processing. Everything but the record is for administrators.

The audit log has no route that edits or deletes an entry, on purpose.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import _
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Event, User, utcnow
from ..organiser.access import admin_required, visible_events
from ..organiser.blueprint import bp
from . import consent, people
from .forms import PersonErasureForm, PersonForm, notice_bodies, notice_form
from .record import record_of_processing
from .retention import retention_ends

PAGE_SIZE = 50


@bp.route("/privacy/notice", methods=["GET", "POST"])
def privacy_notice():
    admin_required()
    current = consent.current_notice()
    form = notice_form(current.bodies if current is not None else None)
    if form.validate_on_submit():
        bodies = notice_bodies(form)
        if not any(text.strip() for text in bodies.values()):
            form.form_errors.append(_("Please write the notice in at least one language."))
        else:
            notice = consent.publish_notice(bodies, author=current_user, now=utcnow())
            db.session.commit()
            flash(_("Version %(version)d of the privacy notice is now in force.",
                    version=notice.version), "success")
            return redirect(url_for(".privacy_notice"), code=303)
    return render_template(
        "privacy/manage/notice.html", form=form, versions=consent.notice_versions()
    ), (400 if form.errors or form.form_errors else 200)


def _choices() -> tuple[dict[int, str], dict[int, str]]:
    users = {u.id: u.email for u in db.session.scalars(select(User).order_by(User.email))}
    newest_first = select(Event).order_by(Event.starts_at.desc())
    events = {e.id: e.title for e in db.session.scalars(newest_first)}
    return users, events


@bp.get("/privacy/audit")
def audit_log():
    admin_required()
    f = audit.AuditFilter.from_args(request.args)
    entries = audit.page(f, before_id=request.args.get("before", type=int), size=PAGE_SIZE)
    users, events = _choices()
    return render_template(
        "privacy/manage/audit.html",
        entries=entries,
        f=f,
        users=users,
        events=events,
        actions=audit.ACTIONS,
        more=len(entries) == PAGE_SIZE,
    )


def _cell(value) -> str:
    # A spreadsheet runs a cell starting with one of these as a formula.
    text = str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _audit_csv(f: audit.AuditFilter) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Number"), _("When (UTC)"), _("Who"), _("Action"), _("Event"),
                     _("Person (keyed hash)"), _("Detail")])
    yield "\ufeff".encode() + buffer.getvalue().encode()
    for batch in audit.rows(f):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([[_cell(v) for v in row] for row in batch])
        yield buffer.getvalue().encode()


@bp.get("/privacy/audit.csv")
def audit_export():
    admin_required()
    f = audit.AuditFilter.from_args(request.args)
    # The filter's address is personal data: the entry says only that there was one.
    audit.record_at_once(audit.AUDIT_EXPORTED, event_id=f.event_id, detail=f.to_args() | {
        "subject": "yes" if f.subject else "no"})
    return Response(
        stream_with_context(_audit_csv(f)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@bp.get("/privacy/people")
def people_search():
    """Everything held about one address, counted table by table, with the two actions."""
    admin_required()
    form = PersonForm(request.args, meta={"csrf": False})
    found = None
    if request.args.get("email") is not None and form.validate():
        found = people.counts(people.find_person(form.email.data))
    return render_template(
        "privacy/manage/people.html",
        form=form,
        found=found,
        export_form=PersonForm(email=form.email.data),
        erase_form=PersonErasureForm(email=form.email.data),
    ), (400 if form.errors else 200)


@bp.post("/privacy/people/export")
def people_export():
    admin_required()
    form = PersonForm()
    if not form.validate_on_submit():
        flash(_("Please enter a valid email address, like name@example.org."), "error")
        return redirect(url_for(".people_search"))
    person = people.find_person(form.email.data)
    data = people.export(person, now=utcnow())
    audit.record(audit.PERSON_EXPORTED, subject=form.email.data)
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="personal-data.json"'},
    )


@bp.post("/privacy/people/erase")
def people_erase():
    admin_required()
    form = PersonErasureForm()
    if not form.validate_on_submit():
        flash(_("Nothing was erased: please tick the box to confirm."), "error")
        return redirect(url_for(".people_search", email=form.email.data or ""))
    if form.email.data.strip().casefold() == current_user.email.casefold():
        flash(_("You cannot erase your own account."), "error")
        return redirect(url_for(".people_search", email=form.email.data))
    report = people.erase(people.find_person(form.email.data), reason="admin", now=utcnow())
    audit.record(audit.PERSON_ERASED, subject=form.email.data,
                 detail={"cancelled": report.cancelled, **report.erased})
    db.session.commit()
    flash(_("Everything held about this address is erased."), "success")
    return redirect(url_for(".people_search"), code=303)


@bp.get("/privacy/record")
def processing_record():
    """Open to every organiser: what the service keeps, why, how long, who sees it."""
    events = db.session.scalars(
        visible_events(current_user).order_by(Event.ends_at.desc()).limit(50)
    )
    return render_template(
        "privacy/manage/record.html",
        processings=record_of_processing(),
        purges=[(event, retention_ends(event)) for event in events],
    )
