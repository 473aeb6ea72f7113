"""channel domain: sell-in (shipments), sell-out (warranty cards, declared reports) and the channel
stock between them, with its rollups, aging, FIFO breaks and replenishment alerts."""

from . import alerts
from .rollup import register


def init_app(app) -> None:
    """Keep the channel's rollups current in every transaction that writes shipments, cards or
    sell-out records (once per process): see `rollup.py`; and ask for the alert jobs when a
    count of 0, a card or a shipment is written: see `alerts.py`."""
    register()
    alerts.register()
