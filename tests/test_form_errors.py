"""Forms say what is wrong, everywhere (issue 11, point 7): the title, the summary, the border."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in
from tests.test_organiser_events import event_form


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
        assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="{target}"', page) or \
            re.search(rf'<input[^>]*id="{target}"[^>]*aria-invalid="true"', page)


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

