"""The rollup job reads the observations of all the models it recomputes in one query, and the
cells around them in another (issue 13): the cells and alerts are those of a full rebuild."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from backend.catalogue.models import CompetitorModel
from backend.extensions import db
from backend.market import rules
from backend.market.models import PriceAlert, PriceCell, PriceCellDirty
from backend.market.rollup import rebuild_cells, refresh_price_cells
from tests.market.helpers import local, monday, observe, settle

pytestmark = pytest.mark.usefixtures("rq_worker")


def cells() -> list[tuple]:
    return sorted(
        (c.period, c.model_key, c.region_id, c.period_start, c.n, c.n_promo, c.median, c.min, c.max, c.mean)
        for c in db.session.scalars(select(PriceCell))
    )


def alerts() -> list[tuple]:
    return sorted(
        (a.period, a.competitor_model_id, a.region_id, a.period_start, a.previous_median, a.current_median)
        for a in db.session.scalars(select(PriceAlert))
    )


def test_many_models_at_once_make_the_cells_and_alerts_of_a_rebuild(api, world):
    second = CompetitorModel(brand_id=world.brand.id, name="Find X8", list_price=Decimal("4999.00"))
    db.session.add(second)
    db.session.commit()
    rep, other = api(world.rep_a1), api(world.rep_b1)
    before, last = monday(2), monday(1)
    for model, base in ((world.competitor_model, 2700), (second, 5000)):
        for day in range(4):
            for store, client in ((world.store_a1, rep), (world.store_a1b, rep), (world.store_b1, other)):
                observe(client, store, local(before + timedelta(days=day), 11), str(base), competitor_model=model)
                observe(client, store, local(last + timedelta(days=day), 15), str(base - 300), competitor_model=model)
    observe(rep, world.store_a1, local(last, 12), "3999", product=world.product, promo="3799")
    settle()
    made, raised = cells(), alerts()
    assert {m for _, m, *_ in made} == {f"c{world.competitor_model.id}", f"c{second.id}", f"p{world.product.id}"}
    assert raised  # both models dropped by 10 % or more in both regions
    db.session.execute(PriceAlert.__table__.delete())
    db.session.commit()
    rebuild_cells()
    assert cells() == made and alerts() == raised


def test_the_job_reads_observations_and_cells_once_for_all_models(api, world, app):
    second = CompetitorModel(brand_id=world.brand.id, name="Find X8", list_price=Decimal("4999.00"))
    db.session.add(second)
    db.session.commit()
    rep = api(world.rep_a1)
    for model in (world.competitor_model, second):
        for weeks_ago in (1, 2):
            observe(rep, world.store_a1, local(monday(weeks_ago), 11), "2000", competitor_model=model)
    observe(rep, world.store_a1, local(monday(1), 11), "3999", product=world.product)
    settle()
    keys = [(c.period, c.model_key, c.region_id, c.period_start) for c in db.session.scalars(select(PriceCell))]
    assert len({k[1] for k in keys}) == 3
    db.session.execute(
        PriceCellDirty.__table__.insert(),
        [{"period": p, "model_key": m, "region_id": r, "period_start": s} for p, m, r, s in keys],
    )
    db.session.commit()
    kinds: Counter = Counter()

    def listen(conn, cursor, statement, parameters, context, executemany):
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement)
        kinds[(statement.split(None, 1)[0].upper(), table.group(1) if table else "?")] += 1

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert refresh_price_cells() == len(keys)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert kinds[("SELECT", "price_observations")] == 1, kinds
    # The cells around the keys: once per period (day, week) for all models, by IN lists.
    assert kinds[("SELECT", "price_cells")] == len(rules.PERIODS), kinds
