"""Forms say what is wrong, everywhere (issue 11, point 7): the title, the summary, the border."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in
from tests.events.test_organiser_events import event_form


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


def _summary_links(page: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    return re.findall(r'<a href="#([^"]+)"', summary)


def test_an_event_form_with_errors_says_error_first_and_links_each_field(client, create_user):
    sign_in(client, create_user())
    response = client.post(
        "/organiser/events/new", data=event_form(capacity=None, timezone="Mars/Base")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _title(page) == "Error: New event · Make Mothers Matter"
    links = _summary_links(page)
    assert links == ["timezone", "capacity"]
    for target in links:
        assert f'id="{target}"' in page
        assert re.search(rf'<(?:input|select)[^>]*aria-invalid="true"[^>]*id="{target}"', page) or \
            re.search(rf'<(?:input|select)[^>]*id="{target}"[^>]*aria-invalid="true"', page)


def test_a_group_of_boxes_is_reached_through_its_first_box(client, create_user, create_event):
    event = create_event()
    sign_in(client, create_user(events=(event,)))
    response = client.post(
        f"/organiser/events/{event.id}/messages",
        data={"statuses": "everyone", "subject": "Hello", "body": "Text"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _title(page).startswith("Error: ")
    assert _summary_links(page) == ["statuses-0"]
    assert 'id="statuses-0"' in page


def test_the_public_form_title_is_in_the_page_language(client, create_event):
    event = create_event()
    client.get("/language/fr")
    response = client.post(f"/events/{event.slug}", data={"full_name": "Amina"})
    assert _title(response.get_data(as_text=True)).startswith("Erreur\u00a0: ")


@pytest.mark.parametrize("path", ["/organiser/events/new", "/sign-in"])
def test_a_form_without_errors_has_a_plain_title(client, create_user, path):
    sign_in(client, create_user())
    assert not _title(client.get(path).get_data(as_text=True)).startswith("Error")



@pytest.mark.parametrize(
    ("language", "label", "expected"),
    [
        ("en", "Which days will you attend?", "Which days will you attend? Please fix."),
        ("en", "I agree to this.", "I agree to this: Please fix."),
        ("en", "Country:", "Country: Please fix."),
        ("fr", "Quels jours\u00a0?", "Quels jours\u00a0? Please fix."),
        ("fr", "J'accepte.", "J'accepte\u00a0: Please fix."),
        ("fr", "Pays\u00a0:", "Pays\u00a0: Please fix."),
        ("ar", "ما الأيام؟", "\u2068ما الأيام؟\u2069 \u2068Please fix.\u2069"),
        ("ar", "البلد", "\u2068البلد\u2069: \u2068Please fix.\u2069"),
    ],
)
def test_each_summary_item_reads_as_a_sentence(app, language, label, expected):
    from flask_babel import force_locale

    from mmm_events.web import error_item

    with app.test_request_context(), force_locale(language):
        assert error_item(label, "Please fix.") == expected


def test_the_french_rsvp_summary_has_no_doubled_punctuation(client, create_event):
    event = create_event()
    client.get("/language/fr")
    page = client.post(f"/events/{event.slug}", data={}).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    items = [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]
    assert "Nom complet\u00a0: Veuillez saisir votre nom." in items
    assert [item for item in items if re.search(r"[.:?]\s*:", item)] == []


def test_a_form_refused_after_a_redirect_puts_the_focus_on_its_message(
    client, create_user, create_event
):
    event = create_event()
    sign_in(client, create_user(events=(event,)))
    response = client.post(
        f"/organiser/events/{event.id}/invitations/remind", data={"interval_days": "0"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert re.search(
        r'<div class="flashes" role="alert" tabindex="-1" autofocus>\s*'
        r'<p class="flash flash-error">Please give a number of days between 1 and 60.</p>',
        page,
    )
    # Once read, the message is gone and the page leaves the focus where browsers put it.
    page = client.get(f"/organiser/events/{event.id}/invitations").get_data(as_text=True)
    assert "autofocus" not in page


def test_the_main_languages_title_is_not_called_optional_and_says_when_empty(
    client, create_user
):
    sign_in(client, create_user())
    response = client.post("/organiser/events/new", data=event_form(title_en=""))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    labels = dict(re.findall(r'<label for="(title_\w+)">(.*?)</label>', page))
    assert labels == {
        "title_en": "Title",
        "title_fr": 'Title <span class="optional">(optional)</span>',
        "title_ar": 'Title <span class="optional">(optional)</span>',
    }
    assert _summary_links(page) == ["title_en"]
    assert '<p class="error" id="title_en-error">Please give the title in the main language.</p>' \
        in page
