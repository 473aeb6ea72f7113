"""Jobs used only by the job tests; importable by the rq worker (it runs from the repo root)."""

import os
from pathlib import Path

from backend.jobs import GiveUp, job


@job
def write_pid(path: str) -> None:
    """Write the pid of the process that ran the job, and prove it had an app context."""
    from flask import current_app

    Path(path).write_text(f"{os.getpid()} {current_app.config['RQ_QUEUE']}")


@job
def explode() -> None:
    raise RuntimeError("boom")


@job
def note(path: str) -> None:
    """Append a line per run: the file's line count is how many times the job ran."""
    with open(path, "a") as fh:
        fh.write(f"{os.getpid()}\n")


@job
def needs(path: str, marker: str) -> None:
    """Fails until `marker` exists (a cause that an operator fixes), then notes a run."""
    if not Path(marker).exists():
        raise FileNotFoundError(f"{marker} is missing")
    note(path)


def _noted_give_up(path: str, reason: str) -> None:
    Path(path).write_text(reason)


@job(on_give_up=_noted_give_up)
def hopeless(path: str) -> None:
    raise GiveUp("this cannot work")


@job(on_give_up=_noted_give_up)
def always_fails(path: str) -> None:
    raise RuntimeError("still broken")


@job(light=True)
def write_pid_light(path: str) -> None:
    """`write_pid`, declared light: an rq worker runs it in its own process, no work horse."""
    write_pid.__wrapped__(path)


@job(light=True, timeout=1)
def overstay(path: str) -> None:
    """A light job that outlives its timeout (1 s)."""
    import time

    time.sleep(5)
    Path(path).write_text("finished")
