"""The organisers' blueprint: everything on it needs sign-in.

Defined apart from the dashboard so that each feature's ``manage`` module can add its routes
to it without importing the others; ``create_app`` imports them all before registering it.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from ..extensions import login_manager

bp = Blueprint("organiser", __name__, url_prefix="/organiser")

MAX_ID = 2**31 - 1


@bp.before_request
def require_sign_in():
    if not current_user.is_authenticated:
        if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
            # A script's request (the door's list and sync, the worker's copy of the page, the
            # sending progress's counts) is refused, not sent to sign in: the redirect would put
            # "Please sign in" in the session, in a cookie that could arrive after the one a
            # sign-out has just set.
            return jsonify(error="sign-in"), 401
        return login_manager.unauthorized()
    refuse_nul_characters()
    # Ids beyond PostgreSQL's integer would be an error there, not "no such row".
    if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        abort(404)
    return None


def refuse_nul_characters() -> None:
    """400 for a NUL character in a submitted form (the address is checked for the whole app).

    PostgreSQL refuses NUL in text with an error, which would otherwise surface as a 500; no
    person types one, so the request is simply bad.
    """
    if any("\x00" in value for values in request.form.listvalues() for value in values):
        abort(400)


@bp.after_request
def never_cache(response):
    # Registrant details must not linger in shared or back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response
