"""Memory an upload costs, measured: the process's peak resident memory (VmHWM, reset through
/proc/self/clear_refs) while a request or a job runs, against what decoding the image would take.

The images are the worst case for memory: the largest each pixel limit accepts, of one colour, so
the files are small and the decoded images large. The upload request decodes nothing (so it costs
about the same for any image); the job decodes one image at a time, a big JPEG at reduced scale.
"""

from __future__ import annotations

import ctypes
import gc
import io
import re
import threading
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from backend.photos import imaging
from backend.photos.service import process_photo
from tests.factories import new_id
from tests.photos.images import put, sha, wait_processed

pytestmark = pytest.mark.usefixtures("rq_worker")

MIB = 1024 * 1024
REQUEST_BUDGET_MIB = 8  # an upload request of a small file, whatever its image: the body and bookkeeping


def _status(key: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) * 1024


def _release_free_memory() -> None:
    """Hand memory freed earlier back to the system, so that the peak measured next is new
    memory, not pages freed by an earlier test and still resident (glibc keeps them)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the figures are merely less tight
        pass


def measured(fn):
    """(fn(), how far the resident memory peaked above where it was before, in MiB)."""
    _release_free_memory()
    before = _status("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from the current size
    except OSError as exc:
        pytest.skip(f"cannot reset the peak resident memory here: {exc}")
    result = fn()
    return result, (_status("VmHWM") - before) / MIB


@cache
def solid(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(out, fmt)
    return out.getvalue()


def decoded_mib(size: tuple[int, int], bytes_per_pixel: int = 3) -> float:
    return size[0] * size[1] * bytes_per_pixel / MIB


# The largest images the default limits accept: 52 MP for any format, 4096² for PNG and WebP.
LARGEST = {"JPEG": (8320, 6240), "PNG": (4096, 4096), "WEBP": (4096, 4096)}
CONTENT_TYPE = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@pytest.mark.parametrize("fmt", ["WEBP", "PNG", "JPEG"])
def test_an_upload_is_answered_without_decoding_its_pixels(api, world, app, monkeypatch, fmt):
    size = LARGEST[fmt]
    limit = app.config["PHOTO_MAX_PIXELS"]
    if fmt != "JPEG":
        limit = min(limit, app.config.get("PHOTO_MAX_PIXELS_PNG_WEBP", limit))
    assert size[0] * size[1] <= limit
    data = solid(fmt, size)
    assert len(data) < 1 * MIB  # a small file…
    assert decoded_mib(size) > 4 * REQUEST_BUDGET_MIB  # …that takes far more memory decoded
    # Redis unreachable: the job waits in the outbox, so the request is measured alone (without
    # Redis the embedded setup runs it before answering).
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    rep, pid = api(world.rep_a1), new_id()
    put(rep, new_id(), solid(fmt, (64, 48)), content_type=CONTENT_TYPE[fmt])  # warm up: code paths loaded

    r, growth = measured(lambda: put(rep, pid, data, content_type=CONTENT_TYPE[fmt]))
    assert r.status_code == 201, r.json
    assert r.json["status"] == "received"
    assert (r.json["format"], r.json["width"], r.json["height"]) == (fmt, *size)  # from the header
    assert growth < REQUEST_BUDGET_MIB, (
        f"the request's peak grew {growth:.0f} MiB; the decoded image is {decoded_mib(size):.0f} MiB"
    )

    process_photo(sha(data))  # the job, where the decoding happens
    assert wait_processed(rep, pid)["status"] == "ready"


def test_the_job_decodes_a_big_jpeg_at_reduced_scale():
    """A 48 MP JPEG is decoded at half scale for its 4000 px `full` copy: the job's peak stays
    below what the decoded image alone would take at full scale (the old job took ~630 MiB)."""
    size = (8000, 6000)
    data = solid("JPEG", size)
    imaging.make_variants(solid("JPEG", (64, 48)), 32, 16)  # warm up
    variants, growth = measured(lambda: imaging.make_variants(data, 1600, 320))
    assert growth < decoded_mib(size), f"the job's peak grew {growth:.0f} MiB"
    sizes = {name: Image.open(io.BytesIO(blob)).size for name, blob in variants.items()}
    assert sizes == {"full": (4000, 3000), "display": (1600, 1200), "thumb": (320, 240)}


def test_jobs_running_at_once_in_one_process_decode_one_image_at_a_time():
    """The embedded setup runs each upload's job in its request's thread: concurrent jobs take
    turns decoding, so four at once peak about as high as one."""
    data = solid("JPEG", (8000, 6000))
    imaging.make_variants(solid("JPEG", (64, 48)), 32, 16)
    _, one = measured(lambda: imaging.make_variants(data, 1600, 320))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            imaging.make_variants(data, 1600, 320)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def four_at_once() -> None:
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    _, four = measured(four_at_once)
    assert not errors
    assert four < 1.5 * one + 16, f"four jobs at once peaked {four:.0f} MiB above the start; one alone {one:.0f} MiB"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_the_job_shrinks_a_png_or_webp_before_anything_else(fmt):
    """A PNG or WebP can only be decoded whole; the copies are made from the shrunk image."""
    size = LARGEST[fmt]
    imaging.make_variants(solid(fmt, (64, 48)), 32, 16)
    variants, growth = measured(lambda: imaging.make_variants(solid(fmt, size), 1600, 320))
    # decoded whole (a WebP: libwebp's two RGBA canvases, Pillow's copy of the frame and the
    # image, ~16 bytes a pixel), then one 4000² RGB copy at a time: under 24 bytes a pixel in all
    assert growth < decoded_mib(size, 24), f"the job's peak grew {growth:.0f} MiB"
    assert Image.open(io.BytesIO(variants["full"])).size == (4000, 4000)
