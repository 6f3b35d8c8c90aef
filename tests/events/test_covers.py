"""An event's cover image: uploaded in the event editor, checked by Pillow, turned upright,
stripped of what the camera recorded, stored in sizes, served with long cache headers, and
shown on the event page, the lists, the emails and the link previews."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mmm_events.events.covers import MAX_BYTES, CoverError, read_cover, set_cover
from mmm_events.events.transfer import describe, duplicate
from mmm_events.extensions import db
from mmm_events.models import CoverImage, Event, PendingCover, utcnow
from tests.conftest import sign_in

from .covers import CAMERA, PLACE_COMMENT, photo, png_claiming
from .test_organiser_events import event_form


@pytest.fixture
def organiser(client, create_user):
    user = create_user()
    sign_in(client, user)
    return user


def upload(data: bytes, name: str = "photo.jpg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type="image/jpeg")


def post_form(client, path: str, form: dict):
    """The form as a browser sends it with a file: multipart, built here in memory (the test
    client would keep a large body in a temporary file it never closes)."""
    boundary, body = encode_multipart(form)
    return client.post(path, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def stored(app, slug: str = "mothers4peace-casablanca") -> list[tuple[int, int, str, bytes]]:
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        return [(c.width, c.height, c.name, c.data) for c in event.cover_images]


def cover_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CoverImage))


def create_with_cover(client, data: bytes, **overrides):
    form = event_form(**{"cover": upload(data), "cover_alt_en": "Mothers planting a tree",
                         **overrides})
    return post_form(client, "/organiser/events/new", form)


def test_an_upload_is_turned_upright_stripped_and_stored_in_three_sizes(app, client, organiser):
    # A portrait photo saved sideways, as phones do: 2000 × 1000 pixels and "rotate 90°".
    original = photo(2000, 1000, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    response = create_with_cover(client, original)
    assert response.status_code == 302
    sizes = stored(app)
    assert [(w, h) for w, h, _, _ in sizes] == [(480, 960), (960, 1920), (1000, 2000)]
    for width, height, name, data in sizes:
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ("JPEG", (width, height))
        # Nothing the camera recorded: no EXIF (no GPS, no make, no orientation), no comment.
        assert dict(image.getexif()) == {}
        assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
        assert b"Exif" not in data and CAMERA.encode() not in data
        assert PLACE_COMMENT not in data
        assert re.fullmatch(rf"[0-9a-f]{{64}}-{width}\.jpg", name)
    # Upright: the red corner that was top-left in the file is now top-right.
    small = Image.open(io.BytesIO(sizes[0][3])).convert("RGB")
    red, green, blue = small.getpixel((470, 10))
    assert red > 200 and green < 60 and blue < 60
    red, green, blue = small.getpixel((10, 10))
    assert blue > 200 and red < 60


def test_a_narrow_image_is_kept_at_its_width_and_a_png_loses_its_transparency(app):
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    with app.test_request_context():
        sizes = read_cover(out.getvalue())
    assert [(s.width, s.height) for s in sizes] == [(480, 240), (600, 300)]
    # Transparent pixels are laid on white, as a JPEG cannot be transparent.
    assert Image.open(io.BytesIO(sizes[1].data)).convert("RGB").getpixel((300, 150)) == (
        255, 255, 255)


def test_the_sizes_are_served_with_a_year_of_cache_and_a_content_address(app, client, organiser):
    create_with_cover(client, photo())
    width, _, name, data = stored(app)[1]
    response = client.get(f"/covers/{name}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == data
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = response.headers["ETag"]
    assert etag == f'"{name.split("-")[0]}"'
    assert client.get(f"/covers/{name}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/covers/" + "0" * 64 + "-960.jpg").status_code == 404
    assert client.get("/covers/" + "x" * 300).status_code == 404


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"%PDF-1.7 not an image at all", 415,
         "This file is not an image we can use. Please choose a JPEG, PNG or WebP image, "
         "such as a photo."),
        (photo(2000, 1000)[:2000], 415,
         "This file is not an image we can use. Please choose a JPEG, PNG or WebP image, "
         "such as a photo."),
        (photo(300, 200), 422,
         "This image is too small (300 × 200 pixels). Please choose one at least 480 pixels "
         "wide."),
        # Wide in the file, but a portrait 300 pixels wide once turned upright.
        (photo(600, 300, orientation=6), 422,
         "This image is too small (300 × 600 pixels). Please choose one at least 480 pixels "
         "wide."),
        (png_claiming(9000, 9000), 413,
         "This image is too large (9000 × 9000 pixels). Please choose one of at most 50 "
         "million pixels and 12000 pixels a side, such as a photo from a phone."),
        (png_claiming(100_000, 100_000), 413,
         "This image has too many pixels. Please choose one of at most 50 million pixels, "
         "such as a photo from a phone."),
        (b"\xff" * (MAX_BYTES + 1), 413,
         "This file is too large (8.0 MB). Please choose an image of at most 8 MB."),
    ],
    ids=["not-an-image", "cut-short", "too-small", "too-narrow-upright", "too-many-pixels",
         "bomb", "too-many-bytes"],
)
def test_a_refused_upload_says_why_and_stores_nothing(app, client, organiser, data, status,
                                                      message):
    response = create_with_cover(client, data)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="cover-error">{message}</p>' in page.replace("&#39;", "'")
    assert '<div class="error-summary"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    assert cover_rows(app) == 0


def test_a_cover_needs_its_description_in_the_main_language(app, client, organiser):
    form = event_form(cover=upload(photo()), main_language="fr", title_fr="Conférence",
                      cover_alt_en="Mothers planting a tree")
    response = post_form(client, "/organiser/events/new", form)
    assert response.status_code == 400
    assert ('<p class="error" id="cover_alt_fr-error">Please say what the cover image shows, '
            "in the main language at least, for people who cannot see it.</p>"
            ) in response.get_data(as_text=True)
    assert cover_rows(app) == 0


def test_a_form_refused_for_another_field_stores_no_cover(app, client, organiser):
    response = create_with_cover(client, photo(), ends_at="2027-01-09T09:00")
    assert response.status_code == 400
    assert cover_rows(app) == 0


KEPT = re.compile(r'<input id="kept_cover" name="kept_cover" type="hidden" value="([^"]+)">')


def pending_rows(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(r.width, r.token) for r in db.session.scalars(
            select(PendingCover).order_by(PendingCover.width))]


@pytest.mark.parametrize("mistake", [
    {"cover_alt_en": ""},  # the description the cover itself needs (the editor's rule)
    {"capacity": "many"},  # another field (the form's own check)
])
def test_a_cover_sent_with_a_mistake_is_kept_and_saved_on_the_next_try(
    app, client, organiser, mistake
):
    original = photo(2000, 1000)
    refused = create_with_cover(client, original, **mistake)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert ("The image you chose is kept: it becomes the cover when the event is saved. "
            "Choose another file to replace it.") in page
    assert '<img class="kept-cover" src="data:image/jpeg;base64,' in page
    token = KEPT.search(page).group(1)
    assert cover_rows(app) == 0
    assert pending_rows(app) == [(480, token), (960, token), (1600, token)]

    # Another file chosen in its place, with the mistake still there: the new one is kept.
    second = photo(1200, 800, colour="green")
    refused = post_form(client, "/organiser/events/new", {
        **event_form(**{"cover_alt_en": "Mothers planting a tree", **mistake}),
        "kept_cover": token, "cover": upload(second)})
    assert refused.status_code == 400
    token = KEPT.search(refused.get_data(as_text=True)).group(1)
    assert pending_rows(app) == [(480, token), (960, token), (1200, token)]

    # Sent again, corrected, without the file: the kept cover is the event's.
    response = client.post("/organiser/events/new", data=event_form(
        cover_alt_en="Mothers planting a tree", kept_cover=token))
    assert response.status_code == 302
    with app.test_request_context():
        expected = [(s.width, s.height, s.name, s.data) for s in read_cover(second)]
    assert stored(app) == expected
    assert pending_rows(app) == []


def test_a_kept_cover_serves_only_its_organiser_for_a_day_and_goes_when_removed(
    app, client, organiser, create_user
):
    token = KEPT.search(create_with_cover(client, photo(), capacity="many").get_data(
        as_text=True)).group(1)
    other = app.test_client()
    sign_in(other, create_user())
    corrected = event_form(cover_alt_en="Mothers planting a tree", kept_cover=token)
    refused = other.post("/organiser/events/new", data=corrected)
    assert refused.status_code == 400
    assert ("The image you chose before is no longer kept. Please choose it again."
            in refused.get_data(as_text=True))
    assert 'name="kept_cover" type="hidden" value=""' in refused.get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(PendingCover).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.post("/organiser/events/new", data=corrected).status_code == 400
    assert cover_rows(app) == 0

    # Removing the cover drops the one kept, and the event is saved without one.
    token = KEPT.search(create_with_cover(client, photo(), capacity="many").get_data(
        as_text=True)).group(1)
    # The one past its time went when this one was kept.
    assert {t for _, t in pending_rows(app)} == {token}
    response = client.post("/organiser/events/new", data=event_form(
        kept_cover=token, remove_cover="y"))
    assert response.status_code == 302
    assert stored(app) == []
    assert pending_rows(app) == []


def test_replacing_and_removing_the_cover(app, client, organiser):
    create_with_cover(client, photo(colour="blue"))
    event_id = _event_id(app)
    first = stored(app)
    edit = f"/organiser/events/{event_id}/edit"
    form = event_form(slug="mothers4peace-casablanca", cover_alt_en="Mothers in a garden")
    response = post_form(client, edit, {**form, "cover": upload(photo(colour="green"))})
    assert response.status_code == 302
    second = stored(app)
    assert [w for w, *_ in second] == [480, 960, 1600]
    assert {n for _, _, n, _ in first}.isdisjoint({n for _, _, n, _ in second})
    assert cover_rows(app) == 3
    assert client.get(f"/covers/{first[0][2]}").status_code == 404
    # Saving without a file keeps the cover.
    assert client.post(edit, data=form).status_code == 302
    assert stored(app) == second
    # Removing it; its description may then go too.
    response = client.post(edit, data={**form, "remove_cover": "y", "cover_alt_en": ""})
    assert response.status_code == 302
    assert stored(app) == []
    assert client.get(f"/covers/{second[0][2]}").status_code == 404


def _event_id(app, slug: str = "mothers4peace-casablanca") -> int:
    with app.app_context():
        return db.session.scalar(select(Event.id).where(Event.slug == slug))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.sampled_from([b"", b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n",
                           b"RIFF\x00\x00\x00\x00WEBP", b"GIF89a", b"BM",
                           photo(640, 320, gps=False)[:600]]),
    junk=st.binary(max_size=3000),
)
def test_junk_bytes_are_refused_with_a_message_never_an_error(app, start, junk):
    with app.test_request_context(), pytest.raises(CoverError) as refused:
        read_cover(start + junk)
    assert refused.value.status in (413, 415, 422)
    assert refused.value.message.startswith("This ")


def test_the_event_page_shows_a_responsive_cover_and_the_list_a_lazy_one(
        app, client, create_event):
    event = create_event(slug="peace", title="Peace", cover_alt="Mothers planting a tree")
    with app.app_context():
        set_cover(db.session.get(Event, event.id), read_cover(photo()))
        db.session.commit()
    names = [n for *_, n, _ in stored(app, "peace")]
    page = client.get("/events/peace?lang=fr").get_data(as_text=True)
    srcset = ", ".join(f"/covers/{n} {w}w" for n, w in zip(names, (480, 960, 1600), strict=True))
    # Described in English only: the French page marks the description as English.
    assert (
        f'<img class="cover event-cover" src="/covers/{names[1]}"\n         srcset="{srcset}"\n'
        '         sizes="(min-width: 68rem) 66rem, calc(100vw - 2rem)" width="960" height="480"\n'
        '         alt="Mothers planting a tree" lang="en" decoding="async">'
    ) in page
    listing = client.get("/events/").get_data(as_text=True)
    assert (
        'sizes="(min-width: 40rem) 14rem, calc(100vw - 4rem)" width="960" height="480"\n'
        '         alt="Mothers planting a tree" loading="lazy" decoding="async">'
    ) in listing
    assert '<article class="card event-card has-cover">' in listing


def test_a_duplicated_event_keeps_the_cover_and_the_file_keeps_its_descriptions(
        app, create_event, now):
    event = create_event(slug="peace", cover_alt="A tree")
    with app.app_context():
        original = db.session.get(Event, event.id)
        original.text_in("ar").cover_alt = "شجرة"
        set_cover(original, read_cover(photo()))
        db.session.flush()
        copy = duplicate(original, slug="peace-2028", starts_at=now)
        db.session.commit()
        assert [(c.name, c.width) for c in copy.cover_images] == [
            (c.name, c.width) for c in original.cover_images]
        assert describe(copy)["event"]["texts"]["ar"]["cover_alt"] == "شجرة"
        # The copy's cover stays when the original's is removed.
        original.cover_images.clear()
        db.session.commit()
        assert len(copy.cover_images) == 3
