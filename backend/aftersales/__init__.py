"""aftersales domain: 三包 service events at the counter (returns, exchanges, repair referrals) on
warranty cards, the fault codes they carry, and HQ's quality figures (rates per model)."""


def init_app(app) -> None:
    """Keep the quality rollup current in every transaction that writes warranty cards or service
    events (`quality_rollup.py`), and ask for the early-life alert's job when a return, an
    exchange or a card is written (`quality_alerts.py`). Once per process."""
    from . import quality_alerts, quality_rollup  # noqa: PLC0415

    quality_rollup.register()
    quality_alerts.register()
