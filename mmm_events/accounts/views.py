"""Sign-in and sign-out for organisers."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _, ngettext
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..models import utcnow
from ..organiser.blueprint import refuse_nul_characters
from ..web import local_path
from . import limits, reset, services
from .forms import ForgotPasswordForm, NewPasswordForm, SignInForm

bp = Blueprint("auth", __name__)
bp.before_request(refuse_nul_characters)

SIGNED_IN_AT = "signed_in_at"


def safe_next(target: str | None) -> str:
    return local_path(target, url_for("organiser.dashboard"))


def _client_address() -> str:
    # The visitor's address: ProxyFix has already put the proxy's X-Forwarded-For here when
    # PROXY_COUNT says there is one.
    return request.remote_addr or ""


def too_many_attempts(template: str, form, retry_at: datetime, now: datetime):
    """The form again with a 429: how long to wait, in minutes, and a Retry-After header."""
    seconds = max(1, math.ceil((retry_at - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "Too many attempts. Please try again in %(num)d minute.",
        "Too many attempts. Please try again in %(num)d minutes.",
        minutes,
    )
    response = make_response(render_template(template, form=form, refusal=message), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        now = utcnow()
        outcome = services.sign_in(
            form.email.data, form.password.data, _client_address(), now=now
        )
        db.session.commit()
        if outcome.retry_at is not None:
            return too_many_attempts("accounts/sign_in.html", form, outcome.retry_at, now)
        if outcome.user is not None:
            _start_session(outcome.user, now)
            return redirect(safe_next(form.next.data))
        form.password.errors.append(
            _("That email address and password do not match an account. Please try again.")
        )
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("accounts/sign_in.html", form=form), status


def _start_session(user, now: datetime) -> None:
    # A fresh session on sign-in, so that nothing planted before it survives. The language
    # chosen is not in the session but in its own cookie (mmm_events.i18n), so it stays.
    session.clear()
    session.permanent = True
    login_user(user)
    session[SIGNED_IN_AT] = now.timestamp()


@bp.post("/sign-out")
def sign_out():
    if current_user.is_authenticated:
        # Every session of the account ends, not only this browser's: one sign-out is enough
        # after using a shared or borrowed computer.
        services.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    response = redirect(url_for("public.home"))
    # Only the HTTP cache: "storage" would also delete the check-ins made offline at the door
    # and not yet sent. The check-in page's list (names, organisations, check-in codes), its
    # worker and its cache are deleted by the signed-out page's script (door-sign-out.js),
    # which keeps that queue until the same organiser signs in again.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            reset.request_link(form.email.data, _client_address(), now=now)
        except limits.TooManyAttempts as refused:
            db.session.rollback()
            return too_many_attempts("accounts/forgot_password.html", form, refused.until, now)
        db.session.commit()
        # The same words whether or not the address has an account.
        flash(
            _(
                "If %(email)s belongs to an organiser account, we have sent it a link to "
                "choose a new password. The link works for %(minutes)s minutes.",
                email=services.normalise_email(form.email.data),
                minutes=current_app.config["PASSWORD_RESET_LINK_MINUTES"],
            ),
            "success",
        )
        return redirect(url_for("auth.sign_in"))
    status = 400 if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    now = utcnow()
    user = reset.user_for_link(token, now=now)
    if user is None:
        return render_template("accounts/reset_link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        changed = reset.reset_password(token, form.password.data, _client_address(), now=now)
        if changed is None:
            db.session.rollback()
            return render_template("accounts/reset_link_invalid.html"), 404
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Your password is changed. Please sign in with it."), "success")
        return redirect(url_for("auth.sign_in"))
    status = 400 if form.errors else 200
    return render_template("accounts/reset_password.html", form=form, user=user), status


def expire_old_sessions() -> None:
    """Sign out a session older than the configured lifetime, however active it has been.

    Flask's own expiry is renewed by every request; this caps the time since sign-in.
    """
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    started = session.get(SIGNED_IN_AT)
    lifetime: timedelta = current_app.permanent_session_lifetime
    too_old = (
        not isinstance(started, int | float)
        or utcnow() - datetime.fromtimestamp(started, tz=utcnow().tzinfo) > lifetime
    )
    if too_old:
        logout_user()
        session.clear()
