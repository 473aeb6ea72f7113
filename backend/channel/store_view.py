"""One store's channel figures, for whoever may see the store (its territory's reps, its clerks,
its region's manager, HQ): the latest shop stock count of each model, eight weeks of sell-out as
the cards say and as the store declared it, and its open stock-out alerts."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..catalogue.models import Product
from ..extensions import db
from ..sellout.service import latest_counts
from ..stores.service import region_of_territory, visible_store
from . import alerts
from .figures import business_today, week_of
from .models import AlertKind, ChannelAlert, StoreSellOutWeek

WEEKS = 8


def store_figures(actor: User, store_id: int, today: date | None = None) -> dict:
    """The figures of a store `actor` may see (else the same 404 as a store that does not exist)."""
    store = visible_store(actor, store_id)
    this_week = week_of(today or business_today())
    first = this_week - timedelta(weeks=WEEKS - 1)
    counts = latest_counts([store.id])
    w = StoreSellOutWeek
    weeks = list(
        db.session.scalars(
            select(w)
            .where(w.store_id == store.id, w.model_key.like("p%"), w.week_start >= first, w.week_start <= this_week)
            .order_by(w.week_start, w.model_key)
        )
    )
    product_ids = {c.product_id for c in counts} | {int(row.model_key[1:]) for row in weeks}
    products = (
        {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(product_ids)))} if product_ids else {}
    )
    open_alerts = list(
        db.session.scalars(
            select(ChannelAlert)
            .where(
                ChannelAlert.store_id == store.id,
                ChannelAlert.kind == AlertKind.STOCK_OUT,
                ChannelAlert.acknowledged_at.is_(None),
            )
            .order_by(ChannelAlert.created_at.desc(), ChannelAlert.id.desc())
        )
    )

    english = {pid: p.name_en or p.name for pid, p in products.items()}  # as the channel's screens

    def code(product_id: int) -> str | None:
        """None for a model gone since: the client says "unknown model" in its language."""
        product = products.get(product_id)
        return product.model_code if product is not None else None

    return {
        "store_id": store.id,
        "store_name": store.name,
        "region_id": region_of_territory(store.territory_id),
        "stock": [
            {
                "product_id": c.product_id,
                "model_code": code(c.product_id),
                "product_name": products[c.product_id].name if c.product_id in products else None,
                "product_name_en": english.get(c.product_id),
                "on_hand": c.on_hand,
                "demo_unit": c.demo_unit,
                "counted_at": c.counted_at,
                "count_id": c.id,
            }
            for c in counts
        ],
        "weeks": [
            {
                "week_start": row.week_start,
                "product_id": int(row.model_key[1:]),
                "model_code": code(int(row.model_key[1:])),
                "card_units": row.card_units,
                "declared_units": row.declared_units,
            }
            for row in weeks
        ],
        "alerts": alerts.describe_alerts(open_alerts),
    }
