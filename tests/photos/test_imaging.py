"""Pillow checks on damaged input: `inspect` refuses with a domain error or accepts, never crashes,
and whatever it accepts the background job either processes or refuses with `Undecodable` (the
photo is then `failed` with that reason): `inspect` reads headers only, so damage inside the
image data shows in the job."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from backend.core.errors import InvalidInput, PayloadTooLarge
from backend.photos import imaging
from tests.photos.images import GPS_DEG, phone_jpeg, png_claiming, png_with_alpha

MAX_PIXELS = 50_000_000


def _encode(fmt: str, mode: str = "RGB", **kw) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((48, 32), 64).convert(mode).save(out, fmt, **kw)
    return out.getvalue()


SAMPLES = {
    "jpeg": _encode("JPEG"),
    "progressive-jpeg": _encode("JPEG", progressive=True),
    "phone-jpeg": phone_jpeg((64, 32)),
    "png": _encode("PNG"),
    "png-alpha": png_with_alpha((40, 30)),
    "webp": _encode("WEBP"),
    "webp-lossless-alpha": _encode("WEBP", "RGBA", lossless=True),
}


def test_inspect_reads_exif():
    info = imaging.inspect(phone_jpeg(), MAX_PIXELS)
    # 400×200 stored with orientation 6 (turned 90°): reported upright, as the copies are served
    assert (info.format, info.width, info.height) == ("JPEG", 200, 400)
    assert info.gps_latitude == pytest.approx(GPS_DEG[0], abs=1e-5)
    assert info.gps_longitude == pytest.approx(GPS_DEG[1], abs=1e-5)
    assert info.taken_at.isoformat() == "2026-05-01T10:20:30"


def test_bomb_is_refused_before_decoding():
    with pytest.raises(PayloadTooLarge):
        imaging.inspect(png_claiming(100_000, 100_000), MAX_PIXELS)


@pytest.mark.filterwarnings("ignore:.*:UserWarning")
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_truncation_is_refused_or_processable(name):
    data = SAMPLES[name]
    for cut in range(0, len(data), max(1, len(data) // 60)):
        _inspect_then_process(data[:cut])


def _inspect_then_process(data: bytes) -> None:
    try:
        imaging.inspect(data, MAX_PIXELS)
    except (InvalidInput, PayloadTooLarge) as exc:
        assert exc.field == "file"
        return
    try:
        variants = imaging.make_variants(data, 1600, 320)
    except imaging.Undecodable as exc:
        assert "damaged or truncated" in str(exc) or "too many pixels" in str(exc)
        return
    assert set(variants) == {"full", "display", "thumb"}


@pytest.mark.filterwarnings("ignore:.*:UserWarning")  # Pillow warns about the corrupt EXIF it skips
@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["set", "delete", "insert"]),
            st.floats(0, 1, exclude_max=True),
            st.binary(min_size=1, max_size=16),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_damaged_images_never_crash(name, edits):
    data = bytearray(SAMPLES[name])
    for op, where, chunk in edits:
        pos = int(where * len(data))
        if op == "set":
            data[pos : pos + len(chunk)] = chunk
        elif op == "delete":
            del data[pos : pos + len(chunk)]
        else:
            data[pos:pos] = chunk
        if not data:
            data = bytearray(b"\x00")
    _inspect_then_process(bytes(data))


def _segments(jpeg: bytes) -> list[int]:
    """The markers of a JPEG's segments before the image data (0xFE: comment, 0xE1: EXIF/XMP)."""
    markers, i = [], 2
    while i + 4 <= len(jpeg) and jpeg[i] == 0xFF:
        marker = jpeg[i + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: image data follows
            break
        i += 2 + int.from_bytes(jpeg[i + 2 : i + 4], "big")
    return markers


def test_the_copies_carry_no_comment_or_other_metadata_segment():
    src = Image.open(io.BytesIO(phone_jpeg()))
    out = io.BytesIO()
    html = b"<script>alert(document.cookie)</script>"
    src.save(out, "JPEG", comment=html, exif=src.getexif().tobytes(), quality=90)
    assert 0xFE in _segments(out.getvalue())  # the upload does carry a comment
    for name, copy in imaging.make_variants(out.getvalue(), 200, 80).items():
        assert html not in copy, name
        assert not {0xFE, 0xE1, 0xE2, 0xED} & set(_segments(copy)), (name, _segments(copy))


def test_a_multi_picture_jpeg_from_a_camera_is_accepted_as_its_first_picture():
    first, second = Image.new("RGB", (320, 240), (200, 30, 30)), Image.new("RGB", (160, 120), (0, 0, 0))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    info = imaging.inspect(data, max_pixels=50_000_000)
    assert (info.format, info.width, info.height) == ("JPEG", 320, 240)
    full = Image.open(io.BytesIO(imaging.make_variants(data, 200, 80)["full"]))
    assert full.size == (320, 240) and full.getpixel((10, 10))[0] > 150
