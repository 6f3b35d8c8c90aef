"""Content in several languages: the fallback rule, and the lang marks on public pages."""

from __future__ import annotations

from mmm_events.content import localized
from mmm_events.extensions import db
from mmm_events.models import Event


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
