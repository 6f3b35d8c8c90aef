"""Images for the cover tests: photos made with Pillow as a phone would save them."""

from __future__ import annotations

import io

from PIL import ExifTags, Image

CAMERA = "PhoneMaker"
PLACE_COMMENT = b"Taken at 12 rue de la Paix"


def photo(
    width: int = 2000,
    height: int = 1000,
    *,
    orientation: int | None = None,
    gps: bool = True,
    fmt: str = "JPEG",
    colour: str = "blue",
) -> bytes:
    """A photo with a red top-left quarter, the camera's EXIF (its make, and where it was taken
    when ``gps``) and, as a JPEG, a comment."""
    image = Image.new("RGB", (width, height), colour)
    image.paste("red", (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        place = exif.get_ifd(ExifTags.IFD.GPSInfo)
        place[ExifTags.GPS.GPSLatitudeRef] = "N"
        place[ExifTags.GPS.GPSLatitude] = (33.0, 35.0, 20.0)
        place[ExifTags.GPS.GPSLongitudeRef] = "W"
        place[ExifTags.GPS.GPSLongitude] = (7.0, 36.0, 0.0)
    out = io.BytesIO()
    extra = {"comment": PLACE_COMMENT} if fmt == "JPEG" else {}
    image.save(out, fmt, exif=exif, **extra)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG file whose header claims ``width`` × ``height`` pixels (a "decompression
    bomb": its pixels are never there)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))
