"""The organiser's question editor, under an event: add, change, move (buttons, no script),
remove (confirmed when answers exist), the settings for answers, and the summary."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _

from ..extensions import db
from ..models import CHOICE_KINDS, Event, Question, QuestionKind, utcnow
from ..organiser.access import event_for_organiser
from ..organiser.blueprint import bp
from . import editing
from .forms import FIELD_NAMES, KIND_NAMES, AnswerSettingsForm, QuestionForm
from .summary import choice_counts


def _local(moment: datetime | None, zone: str) -> datetime | None:
    """As the organiser types it: a wall-clock time in the event's zone."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None) if moment else None


def _utc(local: datetime | None, zone: str) -> datetime | None:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC")) if local else None


def _missing_words(question: Question) -> dict[str, str]:
    """Per language, the texts not written in it, as the editor says them."""
    return {language: ", ".join(str(FIELD_NAMES[name]) for name in fields)
            for language, fields in editing.missing_translations(question).items()}


def _question(event: Event, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.event_id != event.id or question.removed_at is not None:
        abort(404)
    return question


@bp.get("/events/<int:event_id>/questions")
def questions(event_id: int):
    event = event_for_organiser(event_id)
    settings = AnswerSettingsForm(
        answers_close_at=_local(event.answers_close_at, event.timezone),
        sensitive_answer_days=event.sensitive_answer_days,
    )
    listed = editing.live_questions(event)
    return render_template(
        "questions/manage/questions.html", event=event, questions=listed, settings=settings,
        missing={q.id: _missing_words(q) for q in listed},
        kind_names=KIND_NAMES,
    )


@bp.post("/events/<int:event_id>/questions/settings")
def question_settings(event_id: int):
    event = event_for_organiser(event_id)
    settings = AnswerSettingsForm()
    if not settings.validate_on_submit():
        return render_template(
            "questions/manage/questions.html", event=event, settings=settings,
            questions=editing.live_questions(event), missing={},
            kind_names=KIND_NAMES,
        ), 422
    event.answers_close_at = _utc(settings.answers_close_at.data, event.timezone)
    event.sensitive_answer_days = settings.sensitive_answer_days.data
    db.session.commit()
    flash(_("The settings for answers are saved."), "success")
    return redirect(url_for("organiser.questions", event_id=event.id), code=303)


def _conditions(event: Event, editing_id: int | None) -> list[tuple[str, str]]:
    """What a question may depend on: a yes-or-no answer, or one choice, of another."""
    conditions = []
    for other in editing.live_questions(event):
        if other.id == editing_id:
            continue
        label = other.texts.get(event.main_language)
        label = label.label if label is not None else ""
        if other.kind is QuestionKind.YES_NO:
            conditions += [(f"{other.id}:yes", _("“%(q)s” is answered Yes", q=label)),
                           (f"{other.id}:no", _("“%(q)s” is answered No", q=label))]
        elif other.kind in CHOICE_KINDS:
            for option in other.live_options:
                text = option.texts.get(event.main_language)
                conditions.append((f"{other.id}:{option.id}", _(
                    "“%(q)s” is answered “%(a)s”", q=label, a=text.label if text else "")))
    return conditions


def _fill(form: QuestionForm, question: Question) -> None:
    form.kind.data = question.kind.value
    for name in ("required", "sensitive", "min_number", "max_number", "min_date", "max_date"):
        form[name].data = getattr(question, name)
    for language, text in question.texts.items():
        for name in editing.QUESTION_TEXTS:
            form[f"{name}_{language}"].data = getattr(text, name)
    options = question.live_options
    for language in ("en", "fr", "ar"):
        form[f"options_{language}"].data = "\n".join(
            o.texts[language].label if language in o.texts else "" for o in options)
    form.places.data = "\n".join("" if o.places is None else str(o.places) for o in options)
    if question.depends_on_id:
        form.depends_on.data = f"{question.depends_on_id}:{question.depends_on_value}"


@bp.route("/events/<int:event_id>/questions/new", methods=["GET", "POST"])
def question_new(event_id: int):
    return _question_form(event_for_organiser(event_id), None)


@bp.route("/events/<int:event_id>/questions/<int:question_id>", methods=["GET", "POST"])
def question_edit(event_id: int, question_id: int):
    event = event_for_organiser(event_id)
    return _question_form(event, _question(event, question_id))


def _question_form(event: Event, question: Question | None):
    form = QuestionForm()
    form.set_conditions(_conditions(event, question.id if question else None))
    if request.method == "GET" and question is not None:
        _fill(form, question)
    if form.validate_on_submit():
        try:
            if question is None:
                editing.add_question(event, form.description(), now=utcnow())
            else:
                editing.change_question(question, form.description(), now=utcnow())
        except editing.QuestionError as error:
            db.session.rollback()
            _refused(form, event, str(error))
        else:
            db.session.commit()
            flash(_("The question is saved."), "success")
            return redirect(url_for("organiser.questions", event_id=event.id), code=303)
    return render_template(
        "questions/manage/question_form.html", event=event, question=question, form=form,
        missing=_missing_words(question) if question else {},
    ), (422 if request.method == "POST" else 200)


def _refused(form: QuestionForm, event: Event, field: str) -> None:
    main = event.main_language
    if field == "options":
        form[f"options_{main}"].errors = [_("Please write at least one choice.")]
    else:
        form[f"label_{main}"].errors = [_("Please write the question in the main language.")]


@bp.post("/events/<int:event_id>/questions/<int:question_id>/move")
def question_move(event_id: int, question_id: int):
    event = event_for_organiser(event_id)
    question = _question(event, question_id)
    if editing.move_question(question, -1 if request.form.get("direction") == "up" else 1):
        db.session.commit()
    return redirect(url_for("organiser.questions", event_id=event.id) + f"#question-{question.id}",
                    code=303)


@bp.route("/events/<int:event_id>/questions/<int:question_id>/remove", methods=["GET", "POST"])
def question_remove(event_id: int, question_id: int):
    event = event_for_organiser(event_id)
    question = _question(event, question_id)
    answers = editing.answer_count(question)
    if request.method == "POST" and (not answers or request.form.get("confirm") == "yes"):
        editing.remove_question(question, now=utcnow())
        db.session.commit()
        flash(_("The question is removed from the form."), "success")
        return redirect(url_for("organiser.questions", event_id=event.id), code=303)
    return render_template(
        "questions/manage/question_remove.html", event=event, question=question, answers=answers
    )


@bp.get("/events/<int:event_id>/questions/summary")
def question_summary(event_id: int):
    event = event_for_organiser(event_id)
    return render_template(
        "questions/manage/summary.html", event=event, counts=choice_counts(event)
    )
