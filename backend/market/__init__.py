"""market domain: HQ's price rollups and alerts (`rollup.py`), and the dashboards that read them
(`service.py`)."""

from .rollup import NOTED


def init_app(app) -> None:
    """Notice new price observations in every transaction (once per process): see `rollup.py`."""
    NOTED.register()
