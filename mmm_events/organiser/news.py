"""Managing news posts: drafts, publication dates, an optional link to an event.

Any organiser may write news; a post about an event is managed only by those who may
manage that event.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..models import Event, NewsPost, User, event_organiser
from ..text import slugify
from .access import can_manage, visible_events
from .blueprint import bp
from .events import unique_slug
from .forms import NewsForm

PER_PAGE = 50


class NewsError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def visible_posts(user: User):
    query = select(NewsPost)
    if not user.is_admin:
        mine = select(event_organiser.c.event_id).where(event_organiser.c.user_id == user.id)
        query = query.where(or_(NewsPost.event_id.is_(None), NewsPost.event_id.in_(mine)))
    return query


def post_for_organiser(post_id: int) -> NewsPost:
    post = db.session.get(NewsPost, post_id)
    if post is None or (post.event is not None and not can_manage(current_user, post.event)):
        abort(404)
    return post


def save_post(post: NewsPost | None, data: dict[str, Any], *, user: User) -> NewsPost:
    """Create or update a post; raises NewsError, with nothing changed, on a broken rule."""
    event_id = data.get("event_id") or None
    if event_id is not None:
        event = db.session.get(Event, event_id)
        if event is None or not can_manage(user, event):
            raise NewsError("event_id", _("Please choose one of your events."))
    own_id = post.id if post is not None else None
    if data.get("slug"):
        clash = select(NewsPost.id).where(NewsPost.slug == data["slug"])
        if own_id is not None:
            clash = clash.where(NewsPost.id != own_id)
        if db.session.scalar(clash) is not None:
            raise NewsError("slug", _("Another post already uses this web address."))
        slug = data["slug"]
    else:
        slug = unique_slug(NewsPost, slugify(data["title"]), own_id=own_id)
    if post is None:
        post = NewsPost()
        db.session.add(post)
    post.title = data["title"]
    post.slug = slug
    post.published_on = data["published_on"]
    post.summary = data.get("summary") or ""
    post.body = data.get("body") or ""
    post.event_id = event_id
    post.is_published = bool(data.get("is_published"))
    db.session.flush()
    return post


def _event_choices(form: NewsForm) -> None:
    events = db.session.scalars(visible_events(current_user).order_by(Event.starts_at.desc()))
    form.event_id.choices = [SelectChoice(0, _("No event"))] + [
        SelectChoice(e.id, e.title) for e in events
    ]


def _save(form: NewsForm, post: NewsPost | None):
    data = {name: f.data for name, f in form._fields.items() if name != "csrf_token"}
    try:
        saved = save_post(post, data, user=current_user)
    except NewsError as exc:
        db.session.rollback()
        form[exc.field].errors.append(exc.message)
        return None
    db.session.commit()
    flash(_("The post is saved."), "success")
    return redirect(url_for("organiser.news_list", _anchor=f"post-{saved.id}"))


@bp.get("/news/")
def news_list():
    page = max(request.args.get("page", 1, type=int), 1)
    posts = list(
        db.session.scalars(
            visible_posts(current_user)
            .order_by(NewsPost.published_on.desc(), NewsPost.id.desc())
            .limit(PER_PAGE + 1)
            .offset((page - 1) * PER_PAGE)
        )
    )
    return render_template(
        "organiser/news_list.html",
        posts=posts[:PER_PAGE],
        page=page,
        has_next=len(posts) > PER_PAGE,
    )


@bp.route("/news/new", methods=["GET", "POST"])
def new_post():
    form = NewsForm()
    _event_choices(form)
    if form.validate_on_submit() and (response := _save(form, None)):
        return response
    status = 400 if form.errors else 200
    return render_template("organiser/news_form.html", form=form, post=None), status


@bp.route("/news/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    post = post_for_organiser(post_id)
    form = NewsForm(obj=post) if request.method == "GET" else NewsForm()
    _event_choices(form)
    if request.method == "GET":
        form.event_id.data = post.event_id or 0
    elif form.validate_on_submit() and (response := _save(form, post)):
        return response
    status = 400 if form.errors else 200
    return render_template("organiser/news_form.html", form=form, post=post), status


@bp.post("/news/<int:post_id>/publish")
def publish_post(post_id: int):
    post = post_for_organiser(post_id)
    post.is_published = request.form.get("publish") == "1"
    db.session.commit()
    flash(
        _("The post is published.") if post.is_published else _("The post is now a draft."),
        "success",
    )
    return redirect(url_for("organiser.news_list"))


@bp.route("/news/<int:post_id>/delete", methods=["GET", "POST"])
def delete_post(post_id: int):
    post = post_for_organiser(post_id)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            abort(400)
        db.session.delete(post)
        db.session.commit()
        flash(_("The post is deleted."), "success")
        return redirect(url_for("organiser.news_list"))
    return render_template("organiser/news_delete.html", post=post)
