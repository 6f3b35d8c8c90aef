"""Sign-in and sign-out for organisers."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..models import utcnow
from ..organiser.blueprint import refuse_nul_characters
from ..web import local_path
from . import services
from .forms import SignInForm

bp = Blueprint("auth", __name__)
bp.before_request(refuse_nul_characters)

SIGNED_IN_AT = "signed_in_at"


def safe_next(target: str | None) -> str:
    return local_path(target, url_for("organiser.dashboard"))


def _account_key() -> str:
    return "sign-in-account:" + services.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # Only failed attempts count: an organiser who signs in and out all day is not blocked.
    return response.status_code != 302


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_IP"],
    methods=["POST"],
    deduct_when=_failed,
    scope="sign-in-ip",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="sign-in-account",
)
def sign_in():
    form = SignInForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        now = utcnow()
        user = services.authenticate(form.email.data, form.password.data, now=now)
        if user is not None:
            db.session.commit()
            # A fresh session on sign-in, so that nothing planted before it survives.
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            session.permanent = True
            login_user(user)
            session[SIGNED_IN_AT] = now.timestamp()
            return redirect(safe_next(form.next.data))
        form.password.errors.append(
            _("That email address and password do not match an account. Please try again.")
        )
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/sign-out")
def sign_out():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("public.home"))


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
