"""The Flask app of a process that runs jobs outside any request: an RQ worker (built once in
the parent, before it forks a child per job) or a job called with no app context."""

from __future__ import annotations

_worker_app = None


def worker_app():
    """The app, built on first use and reused for every job the process runs."""
    global _worker_app
    if _worker_app is None:
        # A real cycle: the app factory imports the domains, which import backend.jobs.
        from .. import create_app  # noqa: PLC0415

        _worker_app = create_app()
    return _worker_app
