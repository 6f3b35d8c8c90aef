"""The README's commands work exactly as written, in a fresh terminal of a development checkout.

Each command is taken as text from the fenced ``sh`` blocks of README.md and run by the shell
with the repository as working directory and the environment of a new terminal: no MMM_ENV,
SECRET_KEY or other setting of ours. The one difference: INSTANCE_PATH names a temporary folder,
so that the test neither reads nor changes the developer's own instance/ (the Makefile and the
app both honour it).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from mmm_events import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
PASSWORD = "a long password"

# Commands of the README this test does not run, each with the reason. Every entry must still
# be in the README (a renamed command cannot leave a stale excuse here).
NOT_RUN = {
    "make run": "serves until Ctrl-C; `make dev-setup` (its setup without the server) runs first",
    "make test": "runs this test suite, which contains this test",
    "make bench": "minutes of benchmarks; bench/ has its own checks",
    "make extract-messages": "rewrites the translation catalogues of the repository",
    "make cluster": "starts nginx and PostgreSQL servers that run until Ctrl-C",
    # The production block: a second virtualenv, PostgreSQL, an SMTP relay and a real secret.
    "sh deploy/install.sh": "production install (requirements.txt), over our .venv",
    "export MMM_ENV=production": "production settings (PostgreSQL, SMTP relay, a real secret)",
    ".venv/bin/flask --app mmm_events db upgrade": "run by `make dev-setup` on development",
    ".venv/bin/gunicorn": "production web server, serves until stopped",
    ".venv/bin/flask --app mmm_events mail-worker": "runs until stopped (systemd service)",
}


def readme_commands() -> list[str]:
    """Every command line of the README's ``sh`` blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", README.read_text(), re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


def reason_not_to_run(command: str) -> str | None:
    for start, reason in NOT_RUN.items():
        if command.startswith(start):
            return reason
    return None


def fresh_terminal(instance: Path) -> dict[str, str]:
    """The environment of a new terminal: ours, less every variable the app reads."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MMM_", "FLASK_", "MAIL_", "SENTRY_", "LOG_"))
        and name
        not in {"SECRET_KEY", "DATABASE_URL", "SERVER_NAME", "PREFERRED_URL_SCHEME", "PORT"}
    }
    env["INSTANCE_PATH"] = str(instance)
    return env


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The command as a person types it: read by the shell."""
    return subprocess.run(
        ["/bin/sh", "-c", command], cwd=PROJECT_ROOT, env=env, input=PASSWORD + "\n",
        capture_output=True, text=True, timeout=600,
    )


def test_every_excuse_names_a_command_of_the_readme():
    commands = readme_commands()
    for start in NOT_RUN:
        assert any(command.startswith(start) for command in commands), start


def test_every_readme_command_works_in_a_fresh_development_terminal(tmp_path):
    env = fresh_terminal(tmp_path / "instance")
    setup = run("make dev-setup", env)
    assert setup.returncode == 0, setup.stderr
    assert (tmp_path / "instance" / "config.py").read_text().endswith(
        'MMM_ENV = "development"\n'
    )
    commands = [c for c in readme_commands() if reason_not_to_run(c) is None]
    assert [c.split("#")[0].split()[3:5] for c in commands[:3]] == [
        ["users", "create"], ["users", "create"], ["users", "set-password"]
    ]
    for command in commands:
        result = run(command, env)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        assert "Warning" not in result.stderr, result.stderr
    database = sqlite3.connect(tmp_path / "instance" / "mmm_events.sqlite3")
    accounts = database.execute('SELECT email, role FROM "user" ORDER BY email').fetchall()
    database.close()
    assert accounts == [("them@example.org", "organiser"), ("you@example.org", "admin")]
    assert len(list((tmp_path / "instance" / "backups").glob("mmm_events-*.sqlite3"))) == 1


def test_a_second_dev_setup_keeps_the_configuration_it_finds(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('MMM_ENV = "development"\nCONTACT_EMAIL = "a@b.org"\n')
    assert run("make dev-setup", fresh_terminal(instance)).returncode == 0
    assert "CONTACT_EMAIL" in (instance / "config.py").read_text()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (None, None, "Error: SECRET_KEY is not set: in production set the SECRET_KEY"),
        ("MAIL_PORT", "twenty-five", "Error: MAIL_PORT must be a whole number, not 'twenty-five'"),
    ],
)
def test_a_configuration_error_is_one_sentence_and_no_traceback(
    tmp_path, variable, value, message
):
    """Production (no instance/config.py) with a setting missing or wrong."""
    env = fresh_terminal(tmp_path)
    if variable:
        env[variable] = value
    result = run(".venv/bin/flask --app mmm_events users create you@example.org --admin", env)
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
