"""Pillow checks on damaged input: `inspect` refuses with a domain error or accepts, never crashes,
and whatever it accepts the background job can process."""

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
    variants = imaging.make_variants(data, 1600, 320)
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
