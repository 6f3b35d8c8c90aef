"""Draw the demo event's cover image (static/img/demo/mothers4peace-cover.jpg) with Pillow:
an original picture, so the demo needs no photo from elsewhere and no network.

    .venv/bin/python scripts/make_demo_cover.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1600, 900
TARGET = Path(__file__).resolve().parent.parent / "static/img/demo/mothers4peace-cover.jpg"


def sky() -> Image.Image:
    """A dawn sky, from the site's plum at the top to a warm gold at the horizon."""
    top, bottom = (142, 16, 72), (255, 196, 120)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        draw.line([(0, y), (WIDTH, y)],
                  fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return image


def person(draw: ImageDraw.ImageDraw, x: int, ground: int, height: int, colour) -> None:
    """A figure seen from afar: a head and a robe."""
    head = height // 6
    draw.ellipse([x - head // 2, ground - height, x + head // 2, ground - height + head],
                 fill=colour)
    draw.polygon([(x - height // 5, ground), (x, ground - height + head),
                  (x + height // 5, ground)], fill=colour)


def main() -> None:
    image = sky()
    glow = Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0))
    ImageDraw.Draw(glow).ellipse([560, 360, 1040, 840], fill=(255, 236, 170))
    image = Image.blend(image, glow.filter(ImageFilter.GaussianBlur(60)), 0.35)
    draw = ImageDraw.Draw(image)
    draw.ellipse([680, 480, 920, 720], fill=(255, 226, 150))  # the rising sun
    draw.polygon([(0, 700), (300, 610), (620, 690), (980, 600), (1300, 680), (1600, 620),
                  (1600, 900), (0, 900)], fill=(11, 85, 99))  # far hills, the site's teal
    draw.polygon([(0, 780), (420, 720), (900, 790), (1250, 730), (1600, 770), (1600, 900),
                  (0, 900)], fill=(8, 60, 70))
    ink = (40, 12, 30)
    # Mothers and children hand in hand along the ridge.
    for x, tall in ((300, 190), (380, 110), (560, 200), (640, 120), (960, 195), (1040, 105),
                    (1220, 185), (1300, 115)):
        person(draw, x, 790, tall, ink)
    for left, right, tall in ((300, 380, 110), (560, 640, 120), (960, 1040, 105),
                              (1220, 1300, 115)):
        draw.line([(left, 790 - tall // 2), (right, 790 - tall // 2)], fill=ink, width=8)
    # A dove above them.
    draw.polygon([(1180, 250), (1260, 215), (1330, 240), (1270, 250), (1300, 300),
                  (1240, 260)], fill=(255, 255, 255))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    image.save(TARGET, "JPEG", quality=85, optimize=True, progressive=True)


if __name__ == "__main__":
    main()
