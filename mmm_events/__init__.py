"""mmm-events: invitations, registrations, email and news for Make Mothers Matter's events."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as configuration
from .extensions import babel, csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, error handlers."""
    _keep_files_private()
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
        LANGUAGES=["en", "fr", "ar"],
        WTF_CSRF_TIME_LIMIT=None,
        SQLALCHEMY_RECORD_QUERIES=False,
    )
    app.config.update(configuration.from_environment(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if config:
        app.config.update(config)
    configuration.finish(app)
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)
    _hand_renderers_to_mail()
    _register_cli(app)

    from . import content, errors, operations, web
    from .documents import certificates, papers
    from .questions import shown as questions_shown

    errors.register(app)
    web.register(app)
    content.register(app)
    questions_shown.register(app)
    certificates.register(app)
    papers.register(app)
    operations.register(app)
    return app


def _keep_files_private() -> None:
    """Files this process creates are readable by the service's user only (0600, folders
    0700): the SQLite database and the WAL and journal files SQLite makes beside it, stored
    uploads, the mailbox folder, the instance folder and the generated secret hold personal
    data or keys. A umask covers them all, including the files SQLite creates itself."""
    os.umask(0o077)


def _init_extensions(app: Flask) -> None:
    from . import database, extensions, i18n

    db.init_app(app)
    database.configure_engines(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    # Not the global "mail": importing the subpackage mmm_events.mail rebinds that name.
    extensions.mail.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "warning"
    # The message is a lazy string; the session can only store a plain one.
    login_manager.localize_callback = str


def _register_blueprints(app: Flask) -> None:
    # Each feature's organiser pages (its ``manage`` module) add their routes to the organiser
    # blueprint when imported, so they are all imported before it is registered.
    from .accounts import manage as _accounts_manage  # noqa: F401
    from .accounts.views import bp as accounts_bp
    from .accounts.views import expire_old_sessions
    from .documents import letter_views as _letter_views  # noqa: F401
    from .documents import letters_manage as _letters_manage  # noqa: F401
    from .documents import manage as _documents_manage  # noqa: F401
    from .documents.views import bp as documents_bp
    from .events import manage as _events_manage  # noqa: F401
    from .events.views import bp as events_bp
    from .invitations import manage as _invitations_manage  # noqa: F401
    from .invitations.views import bp as invitations_bp
    from .news import manage as _news_manage  # noqa: F401
    from .news.views import bp as news_bp
    from .organiser import outbox as _outbox  # noqa: F401
    from .organiser.views import bp as organiser_bp
    from .privacy import manage as _privacy_manage  # noqa: F401
    from .privacy.views import bp as privacy_bp
    from .public.views import bp as public_bp
    from .questions import manage as _questions_manage  # noqa: F401
    from .registrations import manage as _registrations_manage  # noqa: F401
    from .registrations.views import bp as registrations_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(registrations_bp)
    app.register_blueprint(news_bp)
    app.register_blueprint(organiser_bp)
    app.register_blueprint(accounts_bp)
    app.before_request(expire_old_sessions)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(documents_bp)
    if app.config["MMM_ENV"] == "development":
        from .mail.mailbox import bp as mailbox_bp

        app.register_blueprint(mailbox_bp)


def _hand_renderers_to_mail() -> None:
    """Mail knows no feature: each feature's kinds of email, under the names rows give them."""
    from .accounts.emails import ACCOUNT_EMAIL
    from .documents.certificates import CERTIFICATE_EMAIL
    from .documents.emails import VISA_LETTER_EMAIL
    from .invitations.emails import INVITATION_EMAIL
    from .mail import register_renderers
    from .registrations.emails import REGISTRATION_EMAIL
    from .registrations.messages import ORGANISER_MESSAGE

    register_renderers(
        {
            "registration": REGISTRATION_EMAIL,
            "invitation": INVITATION_EMAIL,
            "organiser_message": ORGANISER_MESSAGE,
            "account": ACCOUNT_EMAIL,
            "visa_letter": VISA_LETTER_EMAIL,
            "certificate": CERTIFICATE_EMAIL,
        }
    )


def _register_cli(app: Flask) -> None:
    from .demo import seed_demo_command
    from .mail.worker import mail_worker_command
    from .registrations.cli import doctor_command, release_holds_command

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(mail_worker_command)
    app.cli.add_command(doctor_command)
    app.cli.add_command(release_holds_command)
    from .accounts.cli import users_cli

    app.cli.add_command(users_cli)
    from .privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)
    from .events.cli import events_cli

    app.cli.add_command(events_cli)
