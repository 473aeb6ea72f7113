"""HQ's market view of the seeded month: our models' rivals, the price rollups and their alerts.

Each of our active models gets as rivals the (up to three) competitor models nearest in list price,
within a quarter of it. The price cells are then computed from the month's observations by the
market domain's own `rebuild_cells`, which also raises the price-drop alerts the two sharp price
cuts of the month (see `catalogue`) should cause. Draws nothing from the random generator.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..catalogue.models import CompetitorModel, Product
from ..extensions import db
from ..market.models import PriceAlert, PriceCell
from ..market.rollup import rebuild_cells
from .context import Context


def make_market(ctx: Context) -> None:
    """Rivals of our models (competitor models within a quarter of the price), the price
    rollups and the alerts they raise."""
    cmodels = list(db.session.scalars(select(CompetitorModel).where(CompetitorModel.active)))
    for product in db.session.scalars(select(Product).where(Product.active)):
        price = float(product.list_price)
        close = sorted(
            (m for m in cmodels if m.list_price and abs(float(m.list_price) - price) <= 0.25 * price),
            key=lambda m: abs(float(m.list_price) - price),
        )
        product.rival_model_ids = [m.id for m in close[:3]]
    db.session.commit()
    rebuild_cells()
    ctx.summary["price_cells"] = db.session.scalar(select(func.count()).select_from(PriceCell))
    ctx.summary["price_alerts"] = db.session.scalar(select(func.count()).select_from(PriceAlert))
