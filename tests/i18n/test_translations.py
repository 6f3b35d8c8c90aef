"""French and Arabic are complete: every string the code shows has a translation, kept up to
date, with the same placeholders, the plural forms each language needs, and its typography."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "mmm_events/translations"
LANGUAGES = ("fr", "ar")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
# Arabic has six plural forms (zero, one, two, few, many, other); French three in Babel's rule.
PLURAL_FORMS = {"fr": 3, "ar": 6}
ISOLATES = re.compile("[\u2066\u2067\u2068\u2069]")


def extracted_ids(tmp_path) -> set[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-c", "from babel.messages.frontend import main; main()",
            "--quiet", "extract", "-F", "babel.cfg", "--ignore-dirs", ".*",
            "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-o", str(template), ".",
        ],
        cwd=ROOT, check=True, capture_output=True,
    )
    with template.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES/messages.po").open("rb") as f:
        return read_po(f)


def strings_of(message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


@pytest.fixture(scope="module")
def code_ids(tmp_path_factory) -> set[str]:
    return extracted_ids(tmp_path_factory.mktemp("pot"))


def test_the_form_macros_strings_are_extracted(code_ids):
    # pybabel skips folders whose name starts with "_" unless told otherwise.
    assert {"(optional)", "Please correct the following:", "%(field)s: %(problem)s"} <= code_ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_in_the_code_is_in_the_catalogue(code_ids, language):
    messages = catalogue(language)
    catalogue_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id}
    missing = sorted(code_ids - catalogue_ids)
    assert missing == [], f"translate into {language}: " + repr(missing[:10])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_with_the_same_placeholders(language):
    problems = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = strings_of(message)
        if not all(strings) or "fuzzy" in message.flags:
            problems.append(("untranslated", ids[0]))
            continue
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != expected and len(strings) == 1:
                problems.append(("placeholders differ", ids[0]))
        if len(ids) > 1 and len(strings) != PLURAL_FORMS[language]:
            problems.append(("plural forms", ids[0], len(strings)))
    assert problems == []


def test_the_arabic_catalogue_declares_six_plural_forms_and_uses_them():
    arabic = catalogue("ar")
    assert arabic.num_plurals == 6
    assert arabic.plural_expr.startswith("(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 :")


def test_arabic_plurals_read_right_for_each_count(app):
    from flask_babel import force_locale, ngettext

    with app.app_context(), force_locale("ar"):
        seats = [
            ISOLATES.sub("", ngettext("%(num)d seat left", "%(num)d seats left", n))
            for n in (1, 2, 3, 11, 100)
        ]
    assert seats == [
        "بقي مقعد واحد", "بقي مقعدان", "بقيت 3 مقاعد", "بقي 11 مقعدًا", "بقي 100 مقعد",
    ]


def test_arabic_keeps_latin_names_and_placeholders_isolated():
    arabic = {m.id: m.string for m in catalogue("ar") if isinstance(m.id, str)}
    assert arabic["Make Mothers Matter"] == "\u2066Make Mothers Matter\u2069"
    assert arabic["Invitation: %(event)s"] == "دعوة: \u2068%(event)s\u2069"
    # Latin inside an Arabic sentence is isolated too; the words around it are not.
    assert arabic["Make Mothers Matter, in partnership with UNESCO."] == (
        "\u2066Make Mothers Matter\u2069، بالشراكة مع اليونسكو."
    )


def test_every_arabic_placeholder_is_isolated_and_no_link_sits_in_a_sentence():
    # A name, a title or an address put into an Arabic sentence keeps its own direction
    # (U+2066/U+2067/U+2068 ... U+2069 around it); a link never comes through a placeholder, where
    # those marks would touch it: links stand on their own line, outside the catalogue.
    problems = []
    for message in catalogue("ar"):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        if any(re.search(r"%\((\w*url\w*)\)s", i) for i in ids):
            problems.append(("link in a sentence", ids[0]))
        for string in strings_of(message):
            for placeholder in re.finditer(r"%\(\w+\)s", string):
                before = string[placeholder.start() - 1 : placeholder.start()]
                after = string[placeholder.end() : placeholder.end() + 1]
                if not (before and before in "\u2066\u2067\u2068" and after == "\u2069"):
                    problems.append(("not isolated", ids[0]))
    assert problems == []


def test_french_typography_has_no_breaking_space_before_high_punctuation():
    # A line break before ":", "?", "!", ";" or "»", or after "«", is a typesetting fault in
    # French: the space there is a non-breaking one.
    faults = [
        string
        for message in catalogue("fr")
        if message.id
        for string in strings_of(message)
        if re.search(r"[ ][:;!?»]|«[ ]|\w[;!?»]|«\w", string)
    ]
    assert faults == []
    french = {m.id: m.string for m in catalogue("fr") if isinstance(m.id, str)}
    assert french["Reminder:"] == "Rappel\u00a0:"
    assert french["Unknown language “%(value)s”: use en, fr or ar."] == (
        "Langue inconnue «\u00a0%(value)s\u00a0»\u00a0: utilisez en, fr ou ar."
    )


def test_every_status_has_a_label_in_each_language(app):
    from flask_babel import force_locale

    from mmm_events.models import InvitationStatus, OutboxStatus, RegistrationStatus
    from mmm_events.web import status_label

    statuses = [*RegistrationStatus, *InvitationStatus, *OutboxStatus]
    with app.test_request_context():
        english = [status_label(s) for s in statuses]
        with force_locale("fr"):
            french = [status_label(s) for s in statuses]
        with force_locale("ar"):
            arabic = [status_label(s) for s in statuses]
    assert english[:3] == ["Confirmed", "Waiting list", "Cancelled"]
    assert french[:3] == ["Confirmée", "Liste d'attente", "Annulée"]
    assert arabic[:3] == ["مؤكَّد", "قائمة الانتظار", "ملغى"]
    assert english[-4:] == ["Queued", "Sending", "Sent", "Failed"]
    assert arabic[-4:] == ["في طابور الإرسال", "قيد الإرسال", "مُرسلة", "فاشلة"]
    assert [f for f, e in zip(french, english, strict=True) if f == e] == []
    assert [a for a, e in zip(arabic, english, strict=True) if a == e] == []
    # Two statuses with one name would make the organiser's lists ambiguous.
    assert len(set(arabic)) == len(set(english))
