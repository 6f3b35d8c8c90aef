"""The organisers' blueprint: everything on it needs sign-in.

Defined apart from the views so that each area module (events, news, registrants, ...) can
add its routes to it without importing the others.
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ..extensions import login_manager

bp = Blueprint("organiser", __name__, url_prefix="/organiser")


@bp.before_request
def require_sign_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def never_cache(response):
    # Registrant details must not linger in shared or back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response
