"""The record of processing: what personal data the service stores, why, for how long and
who sees it, written from the inventory and the settings the code runs with, so that it is
never out of date. Shown in the organiser area; ``flask privacy record`` prints it for the
README."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

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
        Retention.EVENT: ngettext(
            "Until %(num)d month after the event ends, then anonymised "
            "(or earlier, when the person deletes their data or asks us to).",
            "Until %(num)d months after the event ends, then anonymised "
            "(or earlier, when the person deletes their data or asks us to).",
            months,
        ),
        # Two sentences, each with its own number: each takes its own plural form.
        Retention.OUTBOX: ngettext(
            "Texts of emails: %(num)d day after sending.",
            "Texts of emails: %(num)d days after sending.",
            config["PRIVACY_OUTBOX_BODY_DAYS"],
        )
        + " "
        + ngettext(
            "The address and delivery status: until %(num)d month after the event ends.",
            "The address and delivery status: until %(num)d months after the event ends.",
            months,
        ),
        Retention.KEPT: _("As long as the service runs: the person asked for it."),
        Retention.ACCOUNT: _("As long as the account exists."),
        Retention.LOG: _("As long as the service runs, for accountability."),
        Retention.SECURITY: _("Only while the sign-in protections need them; then deleted."),
        Retention.UPLOAD: _("One day at most, then deleted."),
        Retention.PASSPORT: _(
            "Until the number of days after the event the organisers set (%(days)d by "
            "default), then deleted automatically; the letter issued stays verifiable by its "
            "reference and name (see issued documents).",
            days=30,
        ),
        Retention.DOCUMENT: _(
            "As long as the document may be shown, so that it can still be checked once the "
            "rest of the registration is anonymised; withdrawn, and the name deleted, when "
            "the person deletes their data or asks us to."
        ),
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
