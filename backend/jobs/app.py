"""The Flask app of a process that runs jobs outside any request: an RQ worker (built once in
the parent, before it forks a child per job) or a job called with no app context.

The app factory sits above every domain, which all import this package, so the package cannot
import it: the factory hands itself over instead (`use_factory`, at the end of
`backend/__init__.py`). Python runs that module before any `backend.*` module an RQ worker
imports to find a job, so the factory is always known by the time a job runs.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

_factory: Callable[[], Flask] | None = None
_worker_app: Flask | None = None


def use_factory(factory: Callable[[], Flask]) -> None:
    """Make `factory` (`backend.create_app`) the one that builds a worker's app."""
    global _factory
    _factory = factory


def worker_app() -> Flask:
    """The app, built on first use and reused for every job the process runs."""
    global _worker_app
    if _worker_app is None:
        if _factory is None:
            raise RuntimeError("No app factory: import backend (backend.create_app) before running a job.")
        _worker_app = _factory()
    return _worker_app
