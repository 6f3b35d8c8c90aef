"""The record of processing: what personal data the service stores, why, for how long and
who sees it, written from the inventory and the settings the code runs with, so that it is
never out of date. Shown in the organiser area; ``flask privacy record`` prints it for the
README."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from .inventory import TABLES, Kind, Retention


@dataclass(frozen=True)
class Processing:
    title: str
    purpose: str
    data: list[str]
    special_category: list[str]
    retention: str
    who: str


def retention_text(retention: Retention) -> str:
    config = current_app.config
    months = config["PRIVACY_RETENTION_MONTHS"]
    texts = {
        Retention.EVENT: _(
            "Until %(months)d months after the event ends, then anonymised "
            "(or earlier, when the person deletes their data or asks us to).",
            months=months,
        ),
        Retention.OUTBOX: _(
            "Texts of emails: %(days)d days after sending. The address and delivery status: "
            "until %(months)d months after the event ends.",
            days=config["PRIVACY_OUTBOX_BODY_DAYS"],
            months=months,
        ),
        Retention.KEPT: _("As long as the service runs: the person asked for it."),
        Retention.ACCOUNT: _("As long as the account exists."),
        Retention.LOG: _("As long as the service runs, for accountability."),
        Retention.SECURITY: _("Only while the sign-in protections need them; then deleted."),
        Retention.UPLOAD: _("One day at most, then deleted."),
    }
    return texts[retention]


def record_of_processing() -> list[Processing]:
    return [
        Processing(
            title=str(use.title),
            purpose=str(use.purpose),
            data=[str(c.what) for c in use.columns.values() if c.kind is Kind.PERSONAL],
            special_category=[str(c.what) for c in use.columns.values() if c.special_category],
            retention=retention_text(use.retention),
            who=str(use.who),
        )
        for use in TABLES.values()
        if use.about_people or use.personal_columns()
    ]


def as_markdown(processings: list[Processing]) -> str:
    """The record as a Markdown table, for the README."""
    lines = [
        "| Data | What is stored | Why | How long | Who can see it |",
        "|---|---|---|---|---|",
    ]
    for p in processings:
        data = "; ".join(p.data) or "—"
        lines.append(f"| {p.title} | {data} | {p.purpose} | {p.retention} | {p.who} |")
    return "\n".join(lines)
