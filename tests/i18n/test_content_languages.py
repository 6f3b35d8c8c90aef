"""Content in several languages: the fallback rule, and the lang marks on public pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from mmm_events.content import localized
from mmm_events.extensions import db
from mmm_events.models import Event, Language, Registration
from tests.conftest import drain_outbox

ISOLATES = re.compile("[\u2066-\u2069]")


def _translate(app, event, language, **fields):
    with app.app_context():
        stored = db.session.get(Event, event.id)
        text = stored.text_in(language)
        for name, value in fields.items():
            setattr(text, name, value)
        db.session.commit()


def test_each_text_in_the_readers_language_else_the_main_language(app, create_event):
    event = create_event(title="Peace Day", summary="Two days.", description="*Hello*")
    _translate(app, event, "fr", title="Journée de la paix")
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert localized(stored, "title", "fr") == ("Journée de la paix", "fr")
        assert localized(stored, "summary", "fr") == ("Two days.", "en")
        assert localized(stored, "description_html", "fr") == ("<p><em>Hello</em></p>", "en")
        assert localized(stored, "title", "ar") == ("Peace Day", "en")
        assert stored.title == "Peace Day"


def test_a_french_page_marks_the_english_description(app, client, create_event):
    event = create_event(slug="peace", title="Peace Day", description="Welcome all.")
    _translate(app, event, "fr", title="Journée de la paix")
    html = client.get("/events/peace?lang=fr").get_data(as_text=True)
    assert '<h1 dir="auto">Journée de la paix</h1>' in html
    assert '<div class="prose description" lang="en" dir="ltr"><p>Welcome all.</p></div>' in html
    arabic = client.get("/events/peace?lang=ar").get_data(as_text=True)
    assert '<h1 lang="en" dir="ltr">Peace Day</h1>' in arabic


# Emails in three languages, read back from the SMTP server ------------------------------------

MAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "mail"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "mmm_events" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|[\u2066-\u2069]")
LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿŒœ]{3,}")
# What a line may hold in any language: links, addresses, and names isolated from the text
# around them (the Arabic catalogue isolates every placeholder and Latin run).
NEUTRAL = re.compile(r"https?://\S+|\S+@\S+|[\u2066-\u2068][^\u2069]*\u2069")
NAMES = {"en": "Amina Benali", "fr": "Élodie Martin", "ar": "أمينة بنعلي"}
TITLES = {"en": "Peace Day", "fr": "Journée de la paix", "ar": "يوم السلام"}


def template_values() -> dict[str, list[str]]:
    """Each language's wording of the strings the email templates use (English: the msgids)."""
    from babel.messages.pofile import read_po
    from jinja2.ext import babel_extract

    ids: set[str] = set()
    for path in MAIL_TEMPLATES.iterdir():
        if path.name.startswith("mailbox_"):  # the development mailbox's pages, not emails
            continue
        with path.open("rb") as template:
            for *_where, message, _comments in babel_extract(template, ("_", "gettext"), [], {}):
                # A string with keyword arguments comes as (msgid, None, ...).
                ids.add(message if isinstance(message, str) else message[0])
    values = {"en": sorted(ids)}
    for language in ("fr", "ar"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalogue = read_po(po)
        values[language] = [catalogue[msgid].string for msgid in sorted(ids)]
    return values


def foreign_words(language: str) -> set[str]:
    """Latin words of the other languages' template wording that this one's never uses."""
    values = template_values()
    own = {w.casefold() for value in values[language] for w in LATIN_WORD.findall(value)}
    return {
        word.casefold()
        for other, texts in values.items()
        if other != language
        for value in texts
        for word in LATIN_WORD.findall(value)
    } - own


def foreign_sentences(language: str) -> set[str]:
    """The other languages' template sentences (between placeholders), of three words or
    more, that appear in none of this language's."""
    values = template_values()
    own = " | ".join(values[language])
    return {
        part.strip(" ,.:")
        for other, texts in values.items()
        if other != language
        for value in texts
        for part in PLACEHOLDER.split(value)
        if len(part.split()) >= 3 and part.strip(" ,.:") not in own
    }


class LangText(HTMLParser):
    """The visible text of an HTML email, by the language each piece is marked with."""

    VOID = {"br", "meta", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.pieces: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        parent = self.stack[-1][1] if self.stack else ""
        self.stack.append((tag, dict(attrs).get("lang") or parent))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        # <title> is not shown in the message, and cannot mark a part of itself.
        if data.strip() and self.stack and self.stack[-1][0] != "title":
            self.pieces.append((self.stack[-1][1], data.strip()))


def html_by_language(message) -> list[tuple[str, str]]:
    parser = LangText()
    parser.feed(message.get_body(preferencelist=("html",)).get_content())
    return parser.pieces


def assert_no_other_language(message, language: str, untranslated: tuple[str, ...]) -> None:
    """No wording of the other languages in the text part, nor in the HTML part outside what
    is marked with its own ``lang``; ``untranslated`` is the event's content that has no
    version in ``language`` (a city, a country, a time zone)."""
    words, sentences = foreign_words(language), foreign_sentences(language)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = [piece for lang, piece in html_by_language(message) if lang == language]
    for line in [*text.splitlines(), *html, message["Subject"]]:
        plain = NEUTRAL.sub(" ", line)
        for content in untranslated:
            plain = plain.replace(content, " ")
        leaked = [w for w in LATIN_WORD.findall(plain) if w.casefold() in words]
        if language == "ar":
            assert leaked == [], (line, leaked)
        assert [s for s in sentences if s in plain] == [], line


@pytest.fixture
def peace_day(app, create_event):
    event = create_event(
        slug="peace", title="Peace Day", summary="Two days together.", venue="Town hall"
    )
    _translate(app, event, "fr", title=TITLES["fr"], summary="Deux jours ensemble.",
               venue="Hôtel de ville", city="Casablanca", country="Maroc")  # fmt: skip
    _translate(app, event, "ar", title=TITLES["ar"], summary="يومان معًا.", venue="دار البلدية",
               city="الدار البيضاء", country="المغرب")  # fmt: skip
    return event


def rsvp(client, event, language: str, **fields) -> None:
    data = {
        "full_name": NAMES[language],
        "email": f"{language}@example.org",
        "organisation": "",
        "country": "Morocco",
        "language": language,
        "consent": "y",
        "days": [d.isoformat() for d in event.days],
        **fields,
    }
    assert client.post(f"/events/{event.slug}", data=data).status_code == 303


def invite_and_accept(app, client, event, language: str, now) -> None:
    from mmm_events.invitations import services

    with app.app_context():
        stored = db.session.get(Event, event.id)
        invitation = services.add_invitee(
            stored, email=f"invitee-{language}@example.org", name=NAMES[language],
            language=Language(language), now=now,
        )  # fmt: skip
        services.send_invitations(stored, now=now)
        db.session.commit()
        token = invitation.token
    drain_outbox(app)
    assert client.get(f"/invitations/{token}/accept").status_code == 302
    rsvp(client, event, language, email=f"invitee-{language}@example.org", invitation=token)


SUBJECTS = {
    "en": [
        "You are registered: Peace Day",
        "Invitation: Peace Day",
        "You are registered: Peace Day",
        "Your registration is cancelled: Peace Day",
    ],
    "fr": [
        "Vous êtes inscrit(e)\u00a0: Journée de la paix",
        "Invitation\u00a0: Journée de la paix",
        "Vous êtes inscrit(e)\u00a0: Journée de la paix",
        "Votre inscription est annulée\u00a0: Journée de la paix",
    ],
    "ar": [
        "تسجيلك مؤكد: يوم السلام",
        "دعوة: يوم السلام",
        "تسجيلك مؤكد: يوم السلام",
        "أُلغي تسجيلك: يوم السلام",
    ],
}


# The first and the last line of the facts of a registration, with the typography of each
# language (French: a no-break space before the colon).
FACTS = {
    "en": ("Event: Peace Day", "Name: Amina Benali"),
    "fr": ("Événement\u00a0: Journée de la paix", "Nom\u00a0: Élodie Martin"),
    "ar": ("الفعالية: يوم السلام", "الاسم: أمينة بنعلي"),
}


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_registering_accepting_and_cancelling_write_every_email_in_one_language(
    make_mail_app, smtp_server, peace_day, now, language
):
    app = make_mail_app()
    client = app.test_client()
    rsvp(client, peace_day, language)
    drain_outbox(app)
    invite_and_accept(app, client, peace_day, language, now)
    with app.app_context():
        token = db.session.scalar(
            select(Registration.token).where(Registration.email == f"{language}@example.org")
        )
    assert client.post(f"/events/manage/{token}/cancel").status_code == 303
    drain_outbox(app)
    messages = smtp_server.messages
    assert [ISOLATES.sub("", m["Subject"]) for m in messages] == SUBJECTS[language]
    for message in messages:
        assert message["To"].addresses[0].display_name == NAMES[language]
        assert_no_other_language(
            message, language, ("Casablanca", "Morocco", "Africa/Casablanca", "#Mothers4Peace")
        )
        # Everything in the HTML is in the email's language: the event has its translation.
        assert {lang for lang, _ in html_by_language(message)} == {language}
    for registration_email in (messages[0], messages[2], messages[3]):
        lines = registration_email.get_body(preferencelist=("plain",)).get_content().splitlines()
        assert {FACTS[language][0], FACTS[language][1]} <= set(lines)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_an_event_written_only_in_english_is_marked_english_in_other_languages_emails(
    make_mail_app, smtp_server, create_event, language
):
    app = make_mail_app()
    event = create_event(slug="peace", title="Peace Day", venue="Town hall")
    rsvp(app.test_client(), event, language)
    drain_outbox(app)
    [message] = smtp_server.messages
    english = [piece for lang, piece in html_by_language(message) if lang == "en"]
    # The title and the place in the facts, and the title again under the check-in code.
    assert english == ["Peace Day", "Town hall", "Casablanca", "Morocco", "Peace Day"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<span lang="en" dir="ltr">Peace Day</span>' in html
    assert_no_other_language(
        message, language,
        ("Peace Day", "Town hall", "Casablanca", "Morocco", "Africa/Casablanca", "#Mothers4Peace"),
    )  # fmt: skip
