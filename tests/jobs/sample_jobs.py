"""Jobs used only by the job tests; importable by the rq worker (it runs from the repo root)."""

import os
from pathlib import Path

from backend.jobs import job


@job
def write_pid(path: str) -> None:
    """Write the pid of the process that ran the job, and prove it had an app context."""
    from flask import current_app

    Path(path).write_text(f"{os.getpid()} {current_app.config['RQ_QUEUE']}")


@job
def explode() -> None:
    raise RuntimeError("boom")


SWEEPS: list[int] = []


@job(coalesce=True)
def sweep() -> None:
    """A sweeping job: it records that it ran (in this process, when called directly)."""
    SWEEPS.append(1)
