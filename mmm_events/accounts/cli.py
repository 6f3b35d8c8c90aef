"""``flask users create EMAIL [--admin]`` and ``flask users set-password EMAIL``.

At a terminal the password is asked for twice and not shown; from a pipe (a script:
``printf '%s\\n' "$PASSWORD" | flask users create ...``) it is the first line of standard input,
read once, without a prompt or getpass's warning that it cannot hide what is typed.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .. import audit
from ..extensions import db
from . import services

users_cli = AppGroup("users", help="Manage organiser accounts.")


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_password() -> str:
    """The new password, refused when too short before the person is asked to repeat it."""
    if not _stdin_is_terminal():
        password = sys.stdin.readline().rstrip("\r\n")
        _check_rules(password)
        return password
    password = click.prompt("Password", hide_input=True)
    _check_rules(password)
    if click.prompt("Repeat the password", hide_input=True) != password:
        raise click.ClickException("The two entered values do not match.")
    return password


def _check_rules(password: str) -> None:
    try:
        services.check_password_rules(password)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@users_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May manage every event and every account.")
@click.option("--name", default="", help="The person's name, shown in the organiser area.")
def create_command(email: str, admin: bool, name: str) -> None:
    """Create an account; the password is asked for (or read from a pipe), never shown."""
    password = _read_password()
    try:
        user = services.create_user(email, password, admin=admin, name=name)
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    audit.record(audit.ACCOUNT_CREATED, subject=user.email, detail={"admin": admin, "via": "cli"})
    db.session.commit()
    role = "administrator" if admin else "organiser"
    click.echo(f"Created {role} account {user.email}.")


@users_cli.command("set-password")
@click.argument("email")
def set_password_command(email: str) -> None:
    """Change an account's password (its sessions end); the new password is asked for (or read
    from a pipe), never shown."""
    user = services.find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    password = _read_password()
    try:
        services.set_password(user, password)
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    audit.record(audit.PASSWORD_SET, subject=user.email, detail={"user": user.id, "via": "cli"})
    db.session.commit()
    click.echo(f"Password changed for {user.email}. Every session of the account is signed out.")
