"""Cover images: an organiser's upload checked, turned upright, stripped of its metadata and
made into the few sizes that pages and emails show.

Only what Pillow can decode as a JPEG, PNG or WebP image, of a sensible size, is kept; the
sizes are written again from the pixels alone, so nothing the camera recorded (EXIF with the
place the photo was taken, XMP, comments, the thumbnail) leaves the organiser's computer
through the site. Every size is a JPEG: every browser, mail client and link preview (WhatsApp,
Facebook) shows it.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import CoverImage, Event, PendingCover, User, utcnow

# The widths made, when the upload is at least as wide: a phone, a phone's sharp screen or a
# laptop, and a large screen or a link preview (Facebook asks for about 1200 px).
WIDTHS = (480, 960, 1600)
# The event page's layout: its column is at most 56rem (896 px) wide, less its margins on a
# phone. Shared by the page and its tests.
PAGE_SIZES = "(min-width: 60rem) 56rem, calc(100vw - 2rem)"
MAX_BYTES = 8 * 1024 * 1024
# A 50-megapixel photo decodes into 150 MB; beyond that, or an image that claims to be wider
# than any camera makes, it is refused before its pixels are read (a "decompression bomb" is a
# small file that claims billions of them).
MAX_PIXELS = 50_000_000
MAX_SIDE = 12_000
MIN_WIDTH = 480
FORMATS = ("JPEG", "PNG", "WEBP")
MEDIA_TYPE = "image/jpeg"
# How long a cover sent with a form that came back with an error waits for the form again.
PENDING_FOR = timedelta(days=1)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class CoverError(ValueError):
    """The upload cannot be a cover; ``message`` says why in the organiser's language, and
    ``status`` is the HTTP status of the refusal."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CoverSize:
    """One size, ready to store."""

    width: int
    height: int
    data: bytes

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()}-{self.width}.jpg"


def read_cover(data: bytes) -> list[CoverSize]:
    """The sizes to store for an uploaded file, smallest first; CoverError when it is not an
    image we accept. Nothing is stored here."""
    if len(data) > MAX_BYTES:
        raise CoverError(
            _("This file is too large (%(size)s MB). Please choose an image of at most "
              "%(limit)d MB.", size=f"{len(data) / 1024 / 1024:.1f}", limit=MAX_BYTES // 2**20),
            413,
        )
    upright = _upright(_decoded(data))
    if upright.width < MIN_WIDTH:
        raise CoverError(
            _("This image is too small (%(width)d × %(height)d pixels). Please choose one at "
              "least %(min)d pixels wide.", width=upright.width, height=upright.height,
              min=MIN_WIDTH),
            422,
        )
    rgb = _in_srgb(upright)
    # Never enlarged: a narrower image is kept at its own width as its largest size.
    return [_size(rgb, width) for width in sorted({min(w, rgb.width) for w in WIDTHS})]


def _upright(image: Image.Image) -> Image.Image:
    """The picture as the camera held it (the EXIF orientation applied); as stored when its
    EXIF cannot be read."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - damaged EXIF raises many kinds; the pixels are fine
        return image


def _decoded(data: bytes) -> Image.Image:
    """The file's pixels, or CoverError. The size its header claims is checked before any
    pixel is decoded."""
    not_an_image = CoverError(_("This file is not an image we can use. Please choose a JPEG, "
                                "PNG or WebP image, such as a photo."), 415)
    source = _Source(data)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it: refuse both the same way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception:  # noqa: BLE001 - Pillow's readers raise many kinds on damaged files
        raise not_an_image from None
    width, height = image.size
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise _too_many_pixels(width, height)
    if image.format == "JPEG":
        # Decode a large photo at a half, a quarter or an eighth of its size when that is
        # still larger than the largest size made: far less memory, the same result.
        image.draft("RGB", (WIDTHS[-1], WIDTHS[-1]))
    try:
        image.load()
    except Exception:  # noqa: BLE001 - a header that decodes, and pixels that do not
        raise not_an_image from None
    if source.ran_out:
        raise not_an_image
    return image


class _Source(io.BytesIO):
    """The upload as Pillow reads it, noting a read past its end: a file cut short. Pillow
    itself may have been told to accept those (WeasyPrint, imported in the same process,
    sets ``ImageFile.LOAD_TRUNCATED_IMAGES``), and would fill the missing part with grey."""

    ran_out = False

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if size is not None and size > 0 and not data:
            self.ran_out = True
        return data


def _too_many_pixels(width: int | None = None, height: int | None = None) -> CoverError:
    if width is None:
        return CoverError(_("This image has too many pixels. Please choose one of at most "
                            "%(million)d million pixels, such as a photo from a phone.",
                            million=MAX_PIXELS // 1_000_000), 413)
    return CoverError(
        _("This image is too large (%(width)d × %(height)d pixels). Please choose one of at "
          "most %(million)d million pixels and %(side)d pixels a side, such as a photo from a "
          "phone.", width=width, height=height, million=MAX_PIXELS // 1_000_000,
          side=MAX_SIDE),
        413,
    )


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB pixels in the colours screens assume (sRGB): a phone's wide-gamut photo converted
    with its colour profile, transparency laid on white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "CMYK"):
        try:
            return ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(profile)), _SRGB, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a damaged profile: the colours as stored
    return image.convert("RGB")


def _size(image: Image.Image, width: int) -> CoverSize:
    height = max(1, round(image.height * width / image.width))
    resized = image.resize((width, height), Image.Resampling.LANCZOS)
    # Written from the pixels alone: no EXIF, GPS, XMP, ICC or comment is passed to the writer.
    resized.info = {}
    out = io.BytesIO()
    resized.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return CoverSize(width=width, height=height, data=out.getvalue())


def set_cover(event: Event, sizes: list[CoverSize]) -> None:
    """Give ``event`` these sizes, in place of any cover it had (in the caller's
    transaction)."""
    remove_cover(event)
    event.cover_images.extend(
        CoverImage(name=s.name, width=s.width, height=s.height, media_type=MEDIA_TYPE,
                   data=s.data)
        for s in sizes
    )


def copy_cover(source: Event, target: Event) -> None:
    """``target`` shows the same cover as ``source`` (a duplicated event)."""
    target.cover_images = [
        CoverImage(name=c.name, width=c.width, height=c.height, media_type=c.media_type,
                   data=c.data)
        for c in source.cover_images
    ]


def remove_cover(event: Event) -> None:
    """Remove the event's cover, as it is in the database now: another organiser's upload
    saved since the event was read goes too, where deleting the rows read would find them
    gone. Writing the event's row first (its time of change) makes two uploads at once
    replace the cover one after the other."""
    if event.id is None:
        event.cover_images.clear()
        return
    db.session.execute(
        update(Event)
        .where(Event.id == event.id)
        # The bulk DELETE below is no flush that models/content_version.py sees: the
        # event page kept for the old version must go with the cover.
        .values(updated_at=utcnow(), content_version=Event.content_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(CoverImage)
        .where(CoverImage.event_id == event.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(event, ["cover_images"])


def keep_pending(sizes: list[CoverSize], *, user: User, now: datetime) -> str:
    """Keep ``sizes`` for ``user``'s next try of the form (in the caller's transaction); the
    token that finds them again. Covers kept past their time go now, whoever kept them."""
    db.session.execute(delete(PendingCover).where(PendingCover.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add_all(
        PendingCover(token=token, user_id=user.id, width=s.width, height=s.height, data=s.data,
                     expires_at=now + PENDING_FOR)
        for s in sizes
    )
    return token


def pending_sizes(token: str, *, user: User, now: datetime) -> list[CoverSize] | None:
    """The sizes ``user`` kept under ``token``, smallest first; None when there are none (an
    unknown token, another organiser's, or one past its time)."""
    rows = db.session.scalars(
        select(PendingCover)
        .where(PendingCover.token == token, PendingCover.user_id == user.id,
               PendingCover.expires_at > now)
        .order_by(PendingCover.width)
    ).all()
    return [CoverSize(r.width, r.height, r.data) for r in rows] or None


def drop_pending(token: str) -> None:
    db.session.execute(delete(PendingCover).where(PendingCover.token == token))


def cover_file(name: str) -> tuple[bytes, str] | None:
    """The bytes and media type stored under ``name``, for the view that serves them. Two
    events may share one file (a duplicated event): any row of that name holds it."""
    if len(name) > 100:
        return None
    found = db.session.execute(
        select(CoverImage.data, CoverImage.media_type).where(CoverImage.name == name).limit(1)
    ).first()
    return (found.data, found.media_type) if found is not None else None
