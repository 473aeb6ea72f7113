"""A price typed again in a visit's entry grid is a correction: the visit's later observation of
a model supersedes its earlier ones in the rollups (the cells, the observations behind an
alert), so a slip corrected on the phone is not counted twice. Observations outside a visit, and
the same model in other visits, all count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.intel.models import PriceObservation
from backend.market import rules
from backend.market.models import NATIONAL, PriceCell
from backend.market.rollup import observations_of, rebuild_cells
from tests.market.helpers import local, monday, observe, settle
from tests.routes.helpers import check_in

pytestmark = pytest.mark.usefixtures("rq_worker")


def cells_of(key: str) -> dict:
    rows = db.session.scalars(select(PriceCell).where(PriceCell.model_key == key)).all()
    return {(c.period, c.region_id): (c.n, str(c.median), str(c.min), str(c.max)) for c in rows}


def test_a_corrected_price_in_a_visit_counts_once(api, world):
    w = world
    rep, other_rep = api(w.rep_a1), api(w.rep_a1b)
    cm = w.competitor_model
    day = monday(1) + timedelta(days=1)
    visit = check_in(rep, w.store_a1, local(day, 10))
    # In the visit: 2599, corrected to 2399 a minute later; our P30 once.
    observe(rep, w.store_a1, local(day, 10, 5), "2599", competitor_model=cm, visit_id=visit)
    observe(rep, w.store_a1, local(day, 10, 6), "2399", competitor_model=cm, visit_id=visit)
    observe(rep, w.store_a1, local(day, 10, 7), "2999", product=w.product, visit_id=visit)
    # Another rep's visit next door, and a price outside any visit: both count.
    next_door = check_in(other_rep, w.store_a1b, local(day, 11))
    observe(other_rep, w.store_a1b, local(day, 11, 5), "2499", competitor_model=cm, visit_id=next_door)
    observe(rep, w.store_a1b, local(day, 15), "2459", competitor_model=cm)
    settle()

    region, week = w.region_a.id, rules.period_start(day, rules.WEEK)
    expected = (3, "2459.00", "2399.00", "2499.00")  # 2399, 2459, 2499: not 2599
    got = cells_of(f"c{cm.id}")
    assert got[("day", region)] == got[("week", region)] == got[("week", NATIONAL)] == expected
    assert cells_of(f"p{w.product.id}")[("week", region)] == (1, "2999.00", "2999.00", "2999.00")

    # The observations behind a cell (an alert's evidence) leave the superseded one out.
    behind = db.session.scalars(observations_of("week", f"c{cm.id}", region, week)).all()
    assert sorted(str(o.shelf_price) for o in behind) == ["2399.00", "2459.00", "2499.00"]
    # Every observation is still kept (append-only facts).
    assert db.session.query(PriceObservation).count() == 5

    # A rebuild from the raw observations agrees.
    rebuild_cells()
    assert cells_of(f"c{cm.id}")[("week", region)] == expected


def test_the_promotions_list_and_its_total_leave_the_corrected_price_out(api, world):
    """The total comes from the cells' n_promo, which skips a superseded observation: the list
    must skip it too, or the pager's last page (and a CSV export) loses rows."""
    w = world
    rep = api(w.rep_a1)
    day = monday(1) + timedelta(days=2)
    visit = check_in(rep, w.store_a1, local(day, 10))
    kw = {"competitor_model": w.competitor_model, "visit_id": visit}
    observe(rep, w.store_a1, local(day, 10, 5), "2599", promo="2399", **kw)
    observe(rep, w.store_a1, local(day, 10, 6), "2599", promo="2299", **kw)  # the promo price corrected
    observe(rep, w.store_a1b, local(day, 15), "2499", competitor_model=w.competitor_model, promo_text="送耳机")
    settle()
    r = api(w.hq).get("/api/v1/market/promotions", query_string={"page_size": 1})
    assert r.status_code == 200, r.json
    assert '"total": 2' in r.headers["X-Pagination"]
    rows = api(w.hq).get("/api/v1/market/promotions").json
    assert [(row["promo_price"], row["promo_text"]) for row in rows] == [(None, "送耳机"), ("2299.00", "")]
