"""warranty domain: cards (registration, corrections, 三包 closing), shipment imports (sell-in at
IMEI level) and diversion (窜货) flags."""

from . import diversion


def init_app(app) -> None:
    """Drop at each transaction's end what the diversion check read of the cards holding an
    import batch's units (`diversion.cards_holding`, once per process)."""
    diversion.register()
