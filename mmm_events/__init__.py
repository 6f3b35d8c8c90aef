"""mmm-events: invitations, registrations, email and news for Make Mothers Matter's events."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as configuration
from .extensions import babel, csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, error handlers."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_DEFAULT_TIMEZONE="UTC",
        LANGUAGES=["en", "fr"],
        WTF_CSRF_TIME_LIMIT=None,
        SQLALCHEMY_RECORD_QUERIES=False,
    )
    app.config.update(configuration.from_environment(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if config:
        app.config.update(config)
    configuration.finish(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)

    from . import errors, web

    errors.register(app)
    web.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import database, i18n

    # Imported here: once the subpackage mmm_events.mail is imported, the package attribute
    # "mail" names that module, not the Flask-Mail extension.
    from .extensions import mail

    db.init_app(app)
    database.configure_engines(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .events.views import bp as events_bp
    from .invitations.views import bp as invitations_bp
    from .news.views import bp as news_bp
    from .organiser.views import bp as organiser_bp
    from .public.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(news_bp)
    app.register_blueprint(organiser_bp)
    app.register_blueprint(invitations_bp)


def _register_cli(app: Flask) -> None:
    from .demo import seed_demo_command

    app.cli.add_command(seed_demo_command)
