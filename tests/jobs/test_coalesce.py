"""A sweeping job (`@job(coalesce=True)`) is queued once while a run is waiting to start."""

import os
import uuid

import pytest

from backend.jobs import _queue, enqueue

from .sample_jobs import SWEEPS, sweep

redis_only = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (run by .ci/run)")


@redis_only
def test_a_queued_sweep_absorbs_the_next_ones_until_it_starts(app):
    # A queue no worker listens to, so nothing starts behind the test's back.
    original = app.config["RQ_QUEUE"]
    app.config["RQ_QUEUE"] = f"coalesce-{uuid.uuid4().hex}"
    queue = _queue()
    try:
        assert enqueue(sweep) is not None
        assert enqueue(sweep) is None and enqueue(sweep) is None
        assert queue.count == 1
        before = len(SWEEPS)
        sweep()  # the run starts: it clears the mark before doing its work
        assert len(SWEEPS) == before + 1
        assert enqueue(sweep) is not None  # work after the start needs a run of its own
        assert queue.count == 2
    finally:
        queue.empty()
        app.config["RQ_QUEUE"] = original


def test_without_redis_every_sweep_runs(app):
    if os.environ.get("REDIS_URL"):
        pytest.skip("in-process mode only")
    before = len(SWEEPS)
    assert enqueue(sweep) is None and enqueue(sweep) is None
    assert len(SWEEPS) == before + 2
