"""French is complete: every string the code shows has a translation, kept up to date."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "mmm_events/translations/fr/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def extracted_ids(tmp_path) -> set[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-c", "from babel.messages.frontend import main; main()",
            "--quiet", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
            "-o", str(template), ".",
        ],
        cwd=ROOT, check=True, capture_output=True,
    )
    with template.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def french():
    with CATALOGUE.open("rb") as f:
        return read_po(f)


def test_every_string_in_the_code_is_in_the_french_catalogue(tmp_path):
    catalogue_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in french() if m.id}
    missing = sorted(extracted_ids(tmp_path) - catalogue_ids)
    assert missing == [], "run `make extract-messages` and translate: " + repr(missing[:10])


def test_every_french_entry_is_translated_with_the_same_placeholders():
    problems = []
    for message in french():
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if not all(strings) or "fuzzy" in message.flags:
            problems.append(("untranslated", ids[0]))
            continue
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != expected and len(strings) == 1:
                problems.append(("placeholders differ", ids[0]))
    assert problems == []


def test_every_status_has_a_label_in_both_languages(app):
    from flask_babel import force_locale

    from mmm_events.models import InvitationStatus, OutboxStatus, RegistrationStatus
    from mmm_events.web import status_label

    statuses = [*RegistrationStatus, *InvitationStatus, *OutboxStatus]
    with app.test_request_context():
        english = [status_label(s) for s in statuses]
        with force_locale("fr"):
            french = [status_label(s) for s in statuses]
    assert english[:3] == ["Confirmed", "Waiting list", "Cancelled"]
    assert french[:3] == ["Confirmée", "Liste d'attente", "Annulée"]
    assert english[-4:] == ["Queued", "Sending", "Sent", "Failed"]
    assert [f for f, e in zip(french, english, strict=True) if f == e] == []
