"""The news listing, each post, and the Atom feed."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, make_response, render_template, request

from . import services

bp = Blueprint("news", __name__, url_prefix="/news")

FEED_LENGTH = 20


@bp.get("/")
def index():
    page = services.news_page(request.args.get("page", 1, type=int))
    return render_template("news/index.html", page=page)


@bp.get("/<slug>")
def detail(slug: str):
    post = services.published_post(slug)
    if post is None:
        abort(404)
    return render_template("news/detail.html", post=post)


@bp.get("/feed.atom")
def feed():
    posts = services.latest_posts(limit=FEED_LENGTH)
    # A feed with no entries still needs an <updated>; the epoch says "never".
    updated = max((post.updated_at for post in posts), default=datetime(1970, 1, 1, tzinfo=UTC))
    response = make_response(render_template("news/feed.xml", posts=posts, updated=updated))
    response.mimetype = "application/atom+xml"
    return response
