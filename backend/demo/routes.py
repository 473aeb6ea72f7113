"""Managers' visit plans: manager.gd's plans for rep.gz's next three days (today included).

Each plan picks six active stores of rep.gz's territory and orders them as the route planner
does (`backend.routes.geometry.best_order`), keeping the distances of the picked and of the
planned order, so that the rep's app has a plan to follow and the manager's view a saving to show.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..auth.models import User
from ..extensions import db
from ..routes.geometry import best_order, path_length
from ..routes.models import VisitPlan
from ..stores.models import StoreStatus
from .context import Context


def make_plans(ctx: Context) -> None:
    """Plans for rep.gz's next days, made by manager.gd."""
    rep = db.session.scalars(select(User).where(User.username == "rep.gz")).one()
    manager = db.session.scalars(select(User).where(User.username == "manager.gd")).one()
    stores = [s for s in ctx.stores_by_territory[rep.territory_id] if s.status == StoreStatus.ACTIVE]
    plans = 0
    for offset in (0, 1, 2):
        picked = ctx.rng.sample(stores, min(len(stores), 6))
        points = [s.pos for s in picked]
        order = best_order(None, points)
        db.session.add(
            VisitPlan(
                id=ctx.uuid(),
                rep_id=rep.id,
                day=ctx.today + timedelta(days=offset),
                store_ids=[picked[i].id for i in order],
                picked_store_ids=[s.id for s in picked],
                distance_picked_m=round(path_length(None, points, range(len(points))), 1),
                distance_planned_m=round(path_length(None, points, order), 1),
                created_by=manager.id,
                updated_by=manager.id,
            )
        )
        plans += 1
    ctx.summary["visit_plans"] = plans
