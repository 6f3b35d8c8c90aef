"""Language choice: an explicit choice kept in the session, else the browser's preference."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session


def select_locale() -> str | None:
    # Outside a request (the mail worker, the CLI) the caller sets the language with
    # flask_babel.force_locale; None means the default.
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"
