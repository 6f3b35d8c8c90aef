"""Accounts, for administrators: who can sign in, with which role, and on which events."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth import services as accounts
from ..extensions import db
from ..models import User
from ..privacy import audit
from .access import admin_required
from .blueprint import bp
from .forms import UserForm


@bp.route("/users/", methods=["GET", "POST"])
def users():
    admin_required()
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data,
                form.password.data,
                admin=form.is_admin.data,
                name=form.name.data or "",
            )
        except accounts.AccountError:
            db.session.rollback()
            form.email.errors.append(_("There is already an account with this email address."))
        else:
            audit.record(audit.ACCOUNT_CREATED, subject=user.email, detail={"admin": user.is_admin})
            db.session.commit()
            flash(_("The account for %(email)s is created.", email=user.email), "success")
            return redirect(url_for("organiser.users"))
    everyone = db.session.scalars(
        select(User).options(selectinload(User.events)).order_by(User.email)
    )
    status = 400 if form.errors else 200
    return render_template("organiser/users.html", form=form, users=list(everyone)), status


@bp.post("/users/<int:user_id>/active")
def set_user_active(user_id: int):
    admin_required()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash(_("You cannot switch off your own account."), "error")
        return redirect(url_for("organiser.users"))
    user.is_active = request.form.get("active") == "1"
    audit.record(audit.ACCOUNT_SWITCHED, subject=user.email, detail={"active": user.is_active})
    db.session.commit()
    message = (
        _("%(email)s can sign in again.", email=user.email)
        if user.is_active
        else _("%(email)s can no longer sign in.", email=user.email)
    )
    flash(message, "success")
    return redirect(url_for("organiser.users"))
