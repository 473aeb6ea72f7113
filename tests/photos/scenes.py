"""Shelf-like pictures made with Pillow (a gradient wall, shelves of products, posters, sensor
noise), and the copies a rep would send to fake a visit: re-encoded, resized, cropped a little,
brightened. For the perceptual-hash tests and bench/photo_duplicates.py."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageEnhance


def shelf(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A different scene for every seed (the same one for the same seed)."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)

    def colour() -> tuple[int, int, int]:
        return rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)

    top, bottom = colour(), colour()
    vertical = rnd.random() < 0.5
    n = h if vertical else w
    for i in range(n):
        c = tuple(int(a + (b - a) * i / n) for a, b in zip(top, bottom, strict=True))
        d.line([(0, i), (w, i)] if vertical else [(i, 0), (i, h)], fill=c)
    rows = rnd.randint(2, 5)
    for r in range(rows):
        y0, y1 = int(h * (r + 0.15) / rows), int(h * (r + 0.9) / rows)
        d.rectangle([0, y1, w, y1 + rnd.randint(4, 14)], fill=colour())  # the shelf board
        x = rnd.randint(0, 40)
        while x < w:  # boxes and round things on it
            pw, ph = rnd.randint(25, 120), rnd.randint(int((y1 - y0) * 0.4), y1 - y0)
            if rnd.random() < 0.3:
                d.ellipse([x, y1 - ph, x + pw, y1], fill=colour())
            else:
                d.rectangle([x, y1 - ph, x + pw, y1], fill=colour(), outline=(0, 0, 0))
            x += pw + rnd.randint(2, 20)
    for _ in range(rnd.randint(3, 10)):  # posters and wobblers
        x, y, s = rnd.randrange(w), rnd.randrange(h), rnd.randint(20, 200)
        d.polygon([(x, y), (x + s, y + rnd.randint(-s, s)), (x + rnd.randint(-s, s), y + s)], fill=colour())
    return Image.blend(img, Image.effect_noise(size, 40).convert("RGB"), 0.12)


def jpeg(img: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def resized(img: Image.Image, factor: float) -> Image.Image:
    return img.resize((round(img.width * factor), round(img.height * factor)), Image.Resampling.LANCZOS)


def cropped(img: Image.Image, fraction: float, side: str) -> Image.Image:
    """`fraction` of the width (left, right) or height (top, bottom) cut off one side."""
    w, h = img.size
    dx, dy = round(w * fraction), round(h * fraction)
    box = {"left": (dx, 0, w, h), "right": (0, 0, w - dx, h), "top": (0, dy, w, h), "bottom": (0, 0, w, h - dy)}
    return img.crop(box[side])


def brightened(img: Image.Image, factor: float = 1.1) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(factor)


SIDES = ("left", "right", "top", "bottom")


def copies(img: Image.Image) -> dict[str, bytes]:
    """The copies that must match the original: re-encoded at quality 50, resized to 50 % and
    30 %, cropped 3 % on each side, brightened, and all of it at once."""
    out = {
        "quality 50": jpeg(img, 50),
        "resized 50 %": jpeg(resized(img, 0.5)),
        "resized 30 %": jpeg(resized(img, 0.3)),
        "brightened 10 %": jpeg(brightened(img)),
        "brightened, 70 %, quality 60": jpeg(resized(brightened(img, 1.08), 0.7), 60),
    }
    for side in SIDES:
        out[f"cropped 3 % {side}"] = jpeg(cropped(img, 0.03, side))
    return out
