"""Shelf-like pictures made with Pillow (the demo's: a gradient wall, shelves of products,
posters, sensor noise), and the copies a rep would send to fake a visit: re-encoded, resized,
cropped a little, brightened. For the perceptual-hash tests."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageEnhance

from backend.demo.photos import shelf_picture


def shelf(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A different scene for every seed (the same one for the same seed): the demo's pictures."""
    return shelf_picture(random.Random(seed), size)


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
