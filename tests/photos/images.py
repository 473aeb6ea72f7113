"""Images made on the spot with Pillow, and a helper that uploads them and waits for processing."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zlib

from PIL import ExifTags, Image, PngImagePlugin

from backend.extensions import db

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 160, 0)
# Tianhe, Guangzhou: 23°07'44.76"N 113°19'36.84"E
GPS_DMS = ((23.0, 7.0, 44.76), (113.0, 19.0, 36.84))
GPS_DEG = (23.1291, 113.3269)
TAKEN = "2026:05:01 10:20:30"


def two_halves(size=(400, 200), left=RED, right=BLUE, mode="RGB") -> Image.Image:
    """Left half one colour, right half another: shows which way an image was turned."""
    w, h = size
    img = Image.new(mode, size, left if mode == "RGB" else (*left, 255))
    img.paste(right if mode == "RGB" else (*right, 255), (w // 2, 0, w, h))
    return img


def phone_jpeg(size=(400, 200), orientation=6, gps=True, taken=True, quality=90) -> bytes:
    """A JPEG as a phone makes it: stored sideways with an EXIF orientation, GPS and capture time."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "XingLan"
    exif[ExifTags.Base.Model] = "P30"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: GPS_DMS[0],
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: GPS_DMS[1],
        }
    if taken:
        exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: TAKEN}
    out = io.BytesIO()
    two_halves(size).save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def noisy_jpeg(size=(400, 300)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def png_with_alpha(size=(300, 200), text: str | None = "secret note") -> bytes:
    """Left half transparent, right half opaque green; optionally a text chunk (metadata)."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    img.paste((*GREEN, 255), (size[0] // 2, 0, size[0], size[1]))
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp(size=(320, 240)) -> bytes:
    out = io.BytesIO()
    two_halves(size).save(out, "WEBP", quality=90)
    return out.getvalue()


def encoded(size, fmt="PNG", colour=BLUE) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims width×height pixels (the IHDR CRC is fixed up)."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    # signature (8) | length (4) | b"IHDR" (4) | 13 bytes of header | CRC (4)
    assert data[12:16] == b"IHDR"
    header = bytearray(data[16:29])
    header[0:8] = struct.pack(">II", width, height)
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(header)))
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A tiny valid lossless WebP whose header claims width×height pixels (no checksum to fix)."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "WEBP", lossless=True)
    data = bytearray(out.getvalue())
    assert data[12:16] == b"VP8L" and data[20] == 0x2F
    bits = int.from_bytes(data[21:25], "little")
    bits = (bits & ~((1 << 28) - 1)) | (width - 1) | ((height - 1) << 14)
    data[21:25] = bits.to_bytes(4, "little")
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header claims width×height pixels."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def with_damaged_image_data(png: bytes) -> bytes:
    """The PNG with the bytes of its compressed image data garbled, every chunk's checksum
    right: whole and sound to look at, undecodable."""
    data = bytearray(png)
    at = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[at : at + 4])[0]
    start, end = at + 8, at + 8 + length
    data[start + 2 : end] = bytes((b * 31 + 7) % 256 for b in data[start + 2 : end])  # keep the zlib header
    data[end : end + 4] = struct.pack(">I", zlib.crc32(bytes(data[at + 4 : end])))
    return bytes(data)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client, photo_id: str, data: bytes, sha256: str | None = None, content_type="image/jpeg"):
    return client.put(
        f"/api/v1/photos/{photo_id}",
        query_string={"sha256": sha256 if sha256 is not None else sha(data)},
        data=data,
        content_type=content_type,
    )


def wait_processed(client, photo_id: str, timeout: float = 20.0) -> dict:
    """Poll the photo until its background job has run (at once without Redis; an rq worker
    otherwise). Returns the photo's metadata."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # the test shares the app's session: read what the worker wrote
        r = client.get(f"/api/v1/photos/{photo_id}")
        assert r.status_code == 200, r.json
        if r.json["status"] != "received":
            return r.json
        if time.monotonic() > deadline:
            raise AssertionError(f"photo {photo_id} still {r.json['status']} after {timeout} s")
        time.sleep(0.05)


def upload(client, photo_id: str, data: bytes, content_type="image/jpeg") -> dict:
    r = put(client, photo_id, data, content_type=content_type)
    assert r.status_code == 201, r.json
    photo = wait_processed(client, photo_id)
    assert photo["status"] == "ready", photo
    return photo


def open_served(response) -> Image.Image:
    assert response.status_code == 200, response.json
    assert response.mimetype == "image/jpeg"
    img = Image.open(io.BytesIO(response.data))
    img.load()
    return img
