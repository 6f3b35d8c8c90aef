"""Managing news posts: drafts, publication dates, an optional link to an event.

Who may write and manage which post is decided in ``news.services``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms import text_data
from ..models import Event, NewsPost
from ..organiser.access import visible_events
from ..organiser.blueprint import bp
from . import services
from .forms import NewsForm
from .services import NewsError, may_manage_post

PER_PAGE = 50


def post_for_organiser(post_id: int) -> NewsPost:
    """The post, if the signed-in user may manage it; 404 otherwise, as for events."""
    post = db.session.get(NewsPost, post_id)
    if post is None or not may_manage_post(current_user, post):
        abort(404)
    return post


def _event_choices(form: NewsForm) -> None:
    events = db.session.scalars(visible_events(current_user).order_by(Event.starts_at.desc()))
    # Site-wide news is the administrators' (see news.services).
    site_wide = [SelectChoice(0, _("No event"))] if current_user.is_admin else []
    form.event_id.choices = site_wide + [SelectChoice(e.id, e.title) for e in events]


def _save(form: NewsForm, post: NewsPost | None):
    data = {name: f.data for name, f in form._fields.items() if name != "csrf_token"}
    data["texts"] = text_data(form, services.TEXT_FIELDS)
    try:
        saved = services.save_post(post, data, user=current_user)
    except NewsError as exc:
        db.session.rollback()
        form[exc.field].errors.append(exc.message)
        return None
    db.session.commit()
    flash(_("The post is saved."), "success")
    return redirect(url_for("organiser.news_list", _anchor=f"post-{saved.id}"))


@bp.get("/news/")
def news_list():
    page = db.paginate(
        services.manageable_posts(current_user).order_by(
            NewsPost.published_on.desc(), NewsPost.id.desc()
        ),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("news/manage/news_list.html", posts=page.items, page=page)


@bp.route("/news/new", methods=["GET", "POST"])
def new_post():
    form = NewsForm()
    _event_choices(form)
    if form.validate_on_submit() and (response := _save(form, None)):
        return response
    status = 400 if form.errors else 200
    return render_template("news/manage/news_form.html", form=form, post=None), status


@bp.route("/news/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    post = post_for_organiser(post_id)
    form = NewsForm(obj=post) if request.method == "GET" else NewsForm()
    _event_choices(form)
    if request.method == "GET":
        form.event_id.data = post.event_id or 0
        for language, text in post.texts.items():
            for name in services.TEXT_FIELDS:
                form[f"{name}_{language}"].data = getattr(text, name)
    elif form.validate_on_submit() and (response := _save(form, post)):
        return response
    status = 400 if form.errors else 200
    return render_template("news/manage/news_form.html", form=form, post=post), status


@bp.post("/news/<int:post_id>/publish")
def publish_post(post_id: int):
    post = post_for_organiser(post_id)
    services.set_published(post, request.form.get("publish") == "1")
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
        services.delete_post(post)
        db.session.commit()
        flash(_("The post is deleted."), "success")
        return redirect(url_for("organiser.news_list"))
    return render_template("news/manage/news_delete.html", post=post)
