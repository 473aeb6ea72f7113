"""Pillow work on photos: checks of an upload that decode no pixels, and the stripped copies.

An upload is checked from its headers and container alone (`inspect`): the format, the size in
pixels, the EXIF metadata, and that the file is whole (a PNG's chunks and their checksums, a
WebP's RIFF chunks, a JPEG's markers up to its end). No pixel is decoded while the client waits:
an 8000×6000 WebP of 85 KB takes ~750 MB to decode, and a request must not be able to make a
web worker do that. The pixels are decoded only by the background job (`make_variants`), one
image at a time per process, JPEGs at a reduced scale; a file whose pixels then turn out to be
damaged fails there with the reason (`Undecodable`).
"""

from __future__ import annotations

import ctypes
import io
import logging
import math
import os
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from PIL import ExifTags, Image, UnidentifiedImageError

from ..core.errors import InvalidInput, PayloadTooLarge

log = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
"""MPO: a camera's multi-picture JPEG (a main picture and e.g. a depth map or preview); its first
picture, a plain JPEG, is the photo."""

FULL_PX = 4000
"""The default longest side of the `full` copy (PHOTO_FULL_PX): a 12-megapixel phone photo
(4000×3000) is kept whole, and a 48/50-megapixel one is decoded at half scale."""

# What Pillow raises on damaged or truncated bytes.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error, zlib.error)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour type -> the bit depths it allows
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
# JPEG markers without a length field: TEM, RST0-7 (SOI and EOI do not occur between segments)
_JPEG_BARE = {0x01, *range(0xD0, 0xD8)}
# JPEG start-of-frame markers (not DHT 0xC4, JPG 0xC8, DAC 0xCC): they carry the image's size
_JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}

# Decoding a photo takes up to a few hundred MB: one at a time per process, and always in the
# same thread. The in-process jobs of the embedded setup run in the threads of concurrent
# requests; glibc gives each thread a malloc arena of its own and keeps what is freed there, so
# decoding in turns but in eight threads still left eight images' worth of memory resident.
_decoder: ThreadPoolExecutor | None = None
_decoder_lock = threading.Lock()


def _decoding_thread() -> ThreadPoolExecutor:
    global _decoder
    with _decoder_lock:
        if _decoder is None:
            _decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-decoder")
        return _decoder


def _forget_decoding_thread() -> None:
    global _decoder, _decoder_lock
    _decoder, _decoder_lock = None, threading.Lock()  # a forked child has no such thread


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_decoding_thread)


def _release_memory() -> None:
    """Give back to the system what the decoding freed (glibc keeps it resident otherwise)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class Undecodable(Exception):
    """The pixels of a stored upload cannot be decoded (damaged or truncated image data): a
    permanent failure, whose message is fit to show the uploader."""


@dataclass
class ImageInfo:
    format: str
    width: int
    height: int
    taken_at: datetime | None
    gps_latitude: float | None
    gps_longitude: float | None


def _damaged(detail: str) -> InvalidInput:
    return InvalidInput(f"The image is damaged or truncated ({detail}).", field="file", reason="photo.damaged")


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


# --- headers and containers, read without decoding ------------------------------------------------


def _format_name(data: bytes) -> str | None:
    """What the file's first bytes say it is: PNG, WEBP, JPEG, another format Pillow knows (for
    the refusal's message; such a file is never opened), or None."""
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    Image.init()
    prefix = data[:16]
    for name in Image.ID:
        accept = Image.OPEN[name][1]
        try:
            if accept is not None and accept(prefix):
                return name
        except Exception:  # a plugin's check on odd bytes: not that format
            continue
    return None


def _exif_from(raw: bytes | None) -> Image.Exif:
    exif = Image.Exif()
    if raw:
        exif.load(raw)  # a TIFF structure: parsing it decodes no pixels
    return exif


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    if len(data) < 33 or data[12:16] != b"IHDR" or struct.unpack(">I", data[8:12])[0] != 13:
        raise _damaged("no PNG header")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if zlib.crc32(data[12:29]) != struct.unpack(">I", data[29:33])[0]:
        raise _damaged("bad checksum in the PNG header")
    if not (0 < width < 2**31 and 0 < height < 2**31) or depth not in _PNG_DEPTHS.get(colour, ()):
        raise _damaged("invalid PNG header")
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise _damaged("invalid PNG header")
    return width, height


def _png_chunks(data: bytes) -> bytes | None:
    """Walk a PNG's chunks to its end, checking each one's length and checksum (cheap: no
    decompression); returns the EXIF chunk's data, if any, wherever it is."""
    view = memoryview(data)
    pos, exif, has_data = 8, None, False
    while True:
        if pos + 12 > len(data):
            raise _damaged("the PNG ends before its IEND chunk")
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = bytes(data[pos + 4 : pos + 8])
        end = pos + 8 + length
        if length >= 2**31 or end + 4 > len(data):
            raise _damaged(f"the PNG's {kind!r} chunk runs past the end of the file")
        if zlib.crc32(view[pos + 4 : end]) != struct.unpack(">I", data[end : end + 4])[0]:
            raise _damaged(f"bad checksum in the PNG's {kind!r} chunk")
        if kind == b"IDAT":
            has_data = True
        elif kind == b"eXIf":
            exif = bytes(view[pos + 8 : end])
        elif kind == b"IEND":
            break
        pos = end + 4
    if not has_data:
        raise _damaged("the PNG has no image data")
    return exif


def _webp_size(data: bytes) -> tuple[int, int]:
    """The canvas size from the first chunk (VP8X, VP8 or VP8L), as libwebp reads it."""
    kind, chunk = data[12:16], data[20:30]
    if kind == b"VP8X" and len(chunk) == 10:
        return int.from_bytes(chunk[4:7], "little") + 1, int.from_bytes(chunk[7:10], "little") + 1
    if kind == b"VP8 " and len(chunk) == 10 and chunk[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", chunk[6:10])
        if width & 0x3FFF and height & 0x3FFF:
            return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(chunk) >= 5 and chunk[0] == 0x2F:
        bits = int.from_bytes(chunk[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise _damaged("no WebP image header")


def _webp_chunks(data: bytes) -> bytes | None:
    """Walk a WebP's RIFF chunks: the file must hold all the RIFF header says it does, and an
    image (a still image's bitstream or an animation's frame). Returns the EXIF chunk's data."""
    riff_end = 8 + struct.unpack("<I", data[4:8])[0]
    if riff_end > len(data):
        raise _damaged(f"the WebP is {len(data):,} bytes; its header says {riff_end:,}")
    pos, exif, has_image = 12, None, False
    while pos + 8 <= riff_end:
        kind = data[pos : pos + 4]
        length = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + length
        if end > riff_end:
            raise _damaged(f"the WebP's {kind!r} chunk runs past the end of the file")
        if kind in (b"VP8 ", b"VP8L", b"ANMF"):
            has_image = True
        elif kind == b"EXIF":
            exif = data[pos + 8 : end]
        pos = end + (length & 1)  # chunks are padded to an even length
    if not has_image:
        raise _damaged("the WebP holds no image")
    return exif


def _jpeg_frame(data: bytes) -> tuple[int, int, int]:
    """Walk a JPEG's segments up to its first scan: (width, height, where the scan starts).
    Segments have lengths, so a thumbnail inside the EXIF segment is skipped whole."""
    pos, size = 2, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:  # stray bytes between segments (Pillow skips them too)
            pos += 1
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_BARE:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker in _JPEG_SOF and size is None and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == 0xDA:
            if size is None:
                break
            return size[0], size[1], pos + 2 + length
        pos += 2 + length
    raise _damaged("no JPEG frame header")


def _check_pixels(width: int, height: int, limit: int) -> None:
    if width * height > limit:
        raise PayloadTooLarge(
            f"The image is {width}×{height} pixels; at most {limit:,} are accepted.",
            field="file",
            reason="photo.too_many_pixels",
            params={"width": width, "height": height, "max_pixels": limit},
        )


def inspect(data: bytes, max_pixels: int, max_pixels_png_webp: int | None = None) -> ImageInfo:
    """Check that `data` is a whole JPEG, PNG or WebP within the pixel limit (PNG and WebP:
    within the lower of the two limits, as they can only be decoded whole); read its metadata.
    Decodes no pixels: all of it comes from the headers and the container's structure."""
    name = _format_name(data)
    if name is None:
        raise InvalidInput("The file is not a JPEG, PNG or WebP image.", field="file", reason="photo.not_an_image")
    if name not in ALLOWED_FORMATS:
        raise InvalidInput(
            f"Unsupported image format {name}: send JPEG, PNG or WebP.",
            field="file",
            reason="photo.unsupported_format",
            params={"format": name},
        )
    limit = max_pixels if name == "JPEG" else min(max_pixels, max_pixels_png_webp or max_pixels)
    try:
        if name == "JPEG":
            exif, (width, height) = _inspect_jpeg(data, limit)  # an MPO too: its first picture
        else:
            width, height = _png_size(data) if name == "PNG" else _webp_size(data)
            _check_pixels(width, height, limit)
            exif = _exif_from(_png_chunks(data) if name == "PNG" else _webp_chunks(data))
        # Report the upright size: the stored copies have the EXIF orientation applied.
        turned = exif.get(ExifTags.Base.Orientation) in (5, 6, 7, 8)
        upright = (height, width) if turned else (width, height)
        return ImageInfo(name, *upright, _taken_at(exif), *_gps(exif))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(
            f"The image has too many pixels ({exc}).", field="file", reason="photo.decompression_bomb"
        ) from None
    except UnidentifiedImageError:
        raise InvalidInput(
            "The file is not a JPEG, PNG or WebP image.", field="file", reason="photo.not_an_image"
        ) from None
    except _DAMAGED as exc:
        raise _damaged(str(exc) or type(exc).__name__) from None


def _inspect_jpeg(data: bytes, limit: int) -> tuple[Image.Exif, tuple[int, int]]:
    width, height, scan = _jpeg_frame(data)
    _check_pixels(width, height, limit)
    # Pillow reads a JPEG's segments up to the first scan (the EXIF among them) and no further.
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as img:  # an MPO opens as MPO
        if img.size != (width, height):
            raise _damaged("inconsistent frame headers")
        exif = img.getexif()
    # In the scans' data a 0xFF byte is always followed by 0x00 or a restart marker, so an end
    # marker after the first scan is the image's end (or its first picture's, in an MPO).
    if data.find(b"\xff\xd9", scan) < 0:
        raise _damaged("the JPEG ends before its end marker")
    return exif, (width, height)


# --- the copies ------------------------------------------------------------------------------------

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif= argument: the copy carries no EXIF (no GPS, no device details).
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """The size of an image of `size` shrunk to fit a `box`×`box` square, rounded as Pillow's
    `thumbnail` rounds it (the aspect ratio kept as closely as whole pixels allow)."""
    width, height = size
    if width <= box and height <= box:
        return size
    aspect = width / height
    if aspect >= 1:
        height = min(math.floor(box / aspect), math.ceil(box / aspect), key=lambda n: abs(aspect - box / n) if n else 0)
        return box, max(height, 1)
    width = min(math.floor(box * aspect), math.ceil(box * aspect), key=lambda n: abs(aspect - n / box))
    return max(width, 1), box


def _shrunk(img: Image.Image, box: int) -> Image.Image:
    """`img` shrunk to fit a `box`×`box` square (itself when it fits), without copying it whole first."""
    size = _fit(img.size, box)
    return img if size == img.size else img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


class Variants(dict[str, bytes]):
    """The copies by name, and `phash`: the perceptual hash of the picture (`duplicates.phash_of`
    of the thumbnail, in memory before it is encoded), or None when it could not be computed."""

    phash: str | None = None


def make_variants(data: bytes, display_px: int, thumb_px: int, full_px: int = FULL_PX) -> Variants:
    """Upright (EXIF orientation applied), metadata-free JPEGs: full (at most `full_px` on the
    longest side), display and thumbnail. Raises `Undecodable` when the pixels cannot be read.
    Also the perceptual hash of the decoded image (`Variants.phash`), which never raises.

    Memory is bounded per image: a JPEG is decoded at 1/2, 1/4 or 1/8 scale when that still
    covers the full copy (libjpeg scales while decoding); a PNG or WebP, which can only be decoded
    whole, is shrunk before anything else is done with it. One image at a time per process, in
    one thread, which hands the memory back afterwards."""
    return _decoding_thread().submit(_decode, data, display_px, thumb_px, full_px).result()


def _decode(data: bytes, display_px: int, thumb_px: int, full_px: int) -> Variants:
    try:
        return _variants(data, display_px, thumb_px, full_px)
    except Image.DecompressionBombError as exc:
        raise Undecodable(f"The image has too many pixels to decode ({exc}).") from None
    except _DAMAGED as exc:
        raise Undecodable(f"The image data is damaged or truncated ({exc or type(exc).__name__}).") from None
    finally:
        _release_memory()


def _variants(data: bytes, display_px: int, thumb_px: int, full_px: int) -> Variants:
    with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as src:  # an MPO: its first picture
        if src.format in ("JPEG", "MPO"):
            src.draft("RGB", _fit(src.size, full_px))
        src.load()  # the one decode: a JPEG at the reduced scale chosen above
        # After load(): a PNG's EXIF may follow its image data, and reading it earlier decodes twice.
        transpose = _TRANSPOSE.get(src.getexif().get(ExifTags.Base.Orientation))
        img: Image.Image = src
        if img.mode not in ("RGB", "RGBA", "L", "LA"):  # palette, 16-bit, CMYK…: resampling needs these
            img = img.convert("RGBA" if img.has_transparency_data else "RGB")
        # Shrink first, in place (the decoded original is released), then turn the smaller image.
        img.thumbnail((full_px, full_px), Image.Resampling.LANCZOS, reducing_gap=3.0)
        if transpose is not None:
            img = img.transpose(transpose)
        if img.mode in ("RGBA", "LA"):
            img = img.convert("RGBA")
            flat = Image.new("RGB", img.size, (255, 255, 255))
            flat.paste(img, mask=img.getchannel("A"))
            img = flat
        elif img.mode != "RGB":
            img = img.convert("RGB")
        # Pillow writes some metadata it read back into a JPEG it saves (the comment segment,
        # XMP, the ICC profile): a comment holding HTML was served back byte for byte. The
        # copies carry none.
        img.info = {}
        out = Variants(full=_jpeg(img, 90))
        display = _shrunk(img, display_px)
        out["display"] = _jpeg(display, 85)
        thumb = _shrunk(display, thumb_px)
        out["thumb"] = _jpeg(thumb, 80)
        out.phash = _phash_quietly(thumb)
    return out


def _phash_quietly(img: Image.Image) -> str | None:
    """The thumbnail's perceptual hash (the same picture `flask photos rehash` hashes from the
    stored thumbnail), or None: a hash that cannot be made never fails the photo."""
    try:
        from .duplicates import phash_of  # noqa: PLC0415  (duplicates imports other domains' models)

        return phash_of(img)
    except Exception:
        log.exception("perceptual hash skipped")
        return None
