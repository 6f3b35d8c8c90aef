"""Accounts: for administrators, who can sign in, with which role, and on which events; for
everyone, their own password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user, login_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import User, utcnow
from ..organiser.access import admin_required
from ..organiser.blueprint import bp
from . import reset
from . import services as accounts
from .forms import ChangePasswordForm, UserForm


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
    return render_template("accounts/manage/users.html", form=form, users=list(everyone)), status


def _account(user_id: int) -> User:
    admin_required()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/active")
def set_user_active(user_id: int):
    user = _account(user_id)
    if user.id == current_user.id:
        flash(_("You cannot switch off your own account."), "error")
        return redirect(url_for("organiser.users"))
    if request.form.get("active") == "1":
        accounts.enable(user)
        message = _("%(email)s can sign in again.", email=user.email)
    else:
        # Signed out everywhere at once, and any reset link sent before stops working.
        accounts.disable(user)
        message = _("%(email)s can no longer sign in.", email=user.email)
    audit.record(audit.ACCOUNT_SWITCHED, subject=user.email, detail={"active": user.is_active})
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("organiser.users"))


@bp.post("/users/<int:user_id>/reset-link")
def send_reset_link(user_id: int):
    user = _account(user_id)
    if not user.is_active:
        flash(_("Switch the account on before sending it a reset link."), "error")
        return redirect(url_for("organiser.users"))
    reset.send_link(user, now=utcnow())
    audit.record(audit.RESET_LINK_SENT, subject=user.email, detail={"user": user.id})
    db.session.commit()
    flash(
        _("A link to choose a new password is on its way to %(email)s.", email=user.email),
        "success",
    )
    return redirect(url_for("organiser.users"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Any organiser changes their own password; their other sessions end, this one goes on."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if user.check_password(form.current_password.data):
            accounts.set_password(user, form.password.data)
            audit.record(audit.PASSWORD_SET, subject=user.email, detail={"user": user.id})
            db.session.commit()
            login_user(user)
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("organiser.dashboard"))
        form.current_password.errors.append(_("That is not your current password."))
    status = 400 if form.errors else 200
    return render_template("accounts/manage/password.html", form=form), status
