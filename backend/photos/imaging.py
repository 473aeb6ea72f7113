"""Pillow work on photos: validation with limits, metadata extraction, stripped variants."""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from datetime import datetime

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ..core.errors import InvalidInput, PayloadTooLarge

ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
"""MPO: a camera's multi-picture JPEG (a main picture and e.g. a depth map or preview); its first
picture, a plain JPEG, is the photo."""

# What Pillow raises on damaged or truncated bytes.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error, zlib.error)


@dataclass
class ImageInfo:
    format: str
    width: int
    height: int
    taken_at: datetime | None
    gps_latitude: float | None
    gps_longitude: float | None


def _ratio(value) -> float:
    return float(value)


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    try:
        lat = gps[ExifTags.GPS.GPSLatitude]
        lon = gps[ExifTags.GPS.GPSLongitude]
        lat_v = _ratio(lat[0]) + _ratio(lat[1]) / 60 + _ratio(lat[2]) / 3600
        lon_v = _ratio(lon[0]) + _ratio(lon[1]) / 60 + _ratio(lon[2]) / 3600
        if gps.get(ExifTags.GPS.GPSLatitudeRef, "N") in ("S", b"S"):
            lat_v = -lat_v
        if gps.get(ExifTags.GPS.GPSLongitudeRef, "E") in ("W", b"W"):
            lon_v = -lon_v
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat_v <= 90 and -180 <= lon_v <= 180):
        return None, None
    return round(lat_v, 7), round(lon_v, 7)


def _taken_at(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not raw:
        return None
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def inspect(data: bytes, max_pixels: int) -> ImageInfo:
    """Check that `data` is a whole JPEG, PNG or WebP within the pixel limit; read its metadata.

    The pixel count is checked from the header before anything is decoded, so a decompression
    bomb costs nothing. The image is then decoded (JPEGs at 1/8 scale, which is quick) to catch
    truncated or corrupt files at upload time rather than in the background job.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(f"The image has too many pixels ({exc}).", field="file") from None
    except UnidentifiedImageError:
        raise InvalidInput("The file is not a JPEG, PNG or WebP image.", field="file") from None
    except _DAMAGED as exc:  # e.g. a WebP whose header is readable but whose data is not
        raise InvalidInput(f"The image is damaged or truncated ({exc}).", field="file") from None
    with img:
        if img.format not in ALLOWED_FORMATS:
            raise InvalidInput(f"Unsupported image format {img.format}: send JPEG, PNG or WebP.", field="file")
        width, height = img.size
        if width * height > max_pixels:
            raise PayloadTooLarge(
                f"The image is {width}×{height} pixels; at most {max_pixels:,} are accepted.",
                field="file",
            )
        try:
            if img.format in ("JPEG", "MPO"):
                img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            # A PNG's EXIF may follow the image data, so getexif() decodes it: damage shows here too.
            exif = img.getexif()
            # Report the upright size: the stored copies have the EXIF orientation applied.
            turned = exif.get(ExifTags.Base.Orientation) in (5, 6, 7, 8)
            upright = (height, width) if turned else (width, height)
            info = ImageInfo("JPEG" if img.format == "MPO" else img.format, *upright, _taken_at(exif), *_gps(exif))
            img.load()
        except _DAMAGED as exc:
            raise InvalidInput(f"The image is damaged or truncated ({exc}).", field="file") from None
    return info


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif= argument: the copy carries no EXIF (no GPS, no device details).
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def make_variants(data: bytes, display_px: int, thumb_px: int) -> dict[str, bytes]:
    """Upright (EXIF orientation applied), metadata-free JPEGs: full size, display and thumbnail."""
    with Image.open(io.BytesIO(data)) as src:  # an MPO opens on its first picture
        img = ImageOps.exif_transpose(src)
        # Pillow writes some metadata it read back into a JPEG it saves (the comment segment,
        # XMP): a comment holding HTML was served back byte for byte. The copies carry none.
        img.info = {}
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            flat = Image.new("RGB", img.size, (255, 255, 255))
            flat.paste(img, mask=img.getchannel("A"))
            img = flat
        elif img.mode != "RGB":
            img = img.convert("RGB")
        out = {"full": _jpeg(img, 90)}
        display = img.copy()
        display.thumbnail((display_px, display_px), Image.Resampling.LANCZOS)
        out["display"] = _jpeg(display, 85)
        thumb = display.copy()
        thumb.thumbnail((thumb_px, thumb_px), Image.Resampling.LANCZOS)
        out["thumb"] = _jpeg(thumb, 80)
    return out
