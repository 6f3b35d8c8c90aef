"""The home page, the privacy notice and the language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from ..database import database_is_readable
from ..events.covers import cover_file
from ..events.services import upcoming_events
from ..i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_AGE
from ..models import utcnow
from ..news.services import latest_posts
from ..web import local_path

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template(
        "public/home.html",
        events=upcoming_events(utcnow(), limit=3),
        posts=latest_posts(limit=3),
    )


@bp.get("/covers/<name>")
def cover(name: str):
    """A size of an event's cover image. Its name is the hash of its bytes, so it never
    changes: browsers and proxies keep it for a year, and ask again only when the page names
    another file."""
    found = cover_file(name)
    if found is None:
        abort(404)
    data, media_type = found
    response = Response(data, mimetype=media_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.set_etag(name.partition("-")[0])
    return response.make_conditional(request)


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html")


@bp.get("/healthz")
def health():
    """For load balancers and monitoring: 200 when the database can be read, 503 when it
    cannot or does not answer within HEALTH_CHECK_TIMEOUT seconds."""
    if not database_is_readable(current_app):
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


@bp.get("/language/<code>")
def set_language(code: str):
    response = redirect(local_path(request.args.get("next"), url_for("public.home")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=LANGUAGE_COOKIE_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response
