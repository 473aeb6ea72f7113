"""Channel stock subtracts the sell-out stores DECLARE where they register no cards (no clerk:
`rollup.registers_cards`, the rule `alerts.region_units` reads), never both cards and declared
for one store: at a clerk's store the declared units are sell-out only. A store's declared
units leave its region's channel, its partner's (none: NO_PARTNER), in the weeks of the report.
A clerk added, moved or made something else moves the store's declared units in or out. Stock
never goes below 0. Every figure by hand; each step agrees with `rebuild()`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from backend.auth.models import User
from backend.channel.models import NO_PARTNER
from backend.extensions import db
from backend.sellout.models import SellOutReport
from tests.channel.helpers import monday, ship
from tests.channel.test_rollup import assert_rebuild_agrees
from tests.factories import imei, make_user
from tests.warranty.helpers import card_body, register, today

pytestmark = pytest.mark.usefixtures("rq_worker")


def last_week():
    return monday(today()) - timedelta(weeks=1)


def report(world, store, units: int) -> None:
    """Units declared sold at `store` over the whole of last week."""
    db.session.add(
        SellOutReport(
            id=uuid.uuid4(), rep_id=world.rep_a1.id, store_id=store.id, product_id=world.product.id, units=units,
            period_start=last_week(), period_end=last_week() + timedelta(days=6), source="promoter",
            reported_at=datetime(2026, 1, 1),
        )
    )  # fmt: skip


def stock(api, world, **query) -> dict:
    r = api(world.hq).get("/api/v1/channel/stock", query_string=query)
    assert r.status_code == 200, r.json
    return {(row["region_id"], row["partner_id"]): row for row in r.json}


@pytest.fixture
def sales(api, world):
    """Region A, P30: 10 units shipped to partner SN and 5 to no partner, 30 days ago; units 1
    and 2 sold at store A1 (a clerk's, partner SN) last week. Declared last week: A1 5 (a
    clerk's store: its cards count, not this), A2 3 and A1b 4 (no clerk, no partner)."""
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    shipped = today() - timedelta(days=30)
    ship(world.hq, *[(imei(serial=n), p, shipped, a, sn if n <= 10 else None) for n in range(1, 16)])
    for n in (1, 2):
        register(api(world.clerk_a1), card_body(world, n, purchase_date=(last_week() + timedelta(days=2)).isoformat()))
    report(world, world.store_a1, 5)
    report(world, world.store_a2, 3)
    report(world, world.store_a1b, 4)
    db.session.commit()


def test_declared_units_at_stores_without_a_clerk_leave_the_channel(api, world, sales):
    a, sn, p, wk = world.region_a.id, world.partner.id, world.product.id, last_week()
    got = assert_rebuild_agrees()
    # (shipped, sold): SN 10 shipped, 2 sold by cards; no partner 5 shipped, 3 + 4 declared.
    assert got["channel_stock"] == {(a, sn, p): (10, 2), (a, NO_PARTNER, p): (5, 7)}
    assert got["channel_declared"] == {
        ("channel_stock", a, NO_PARTNER, p): 7,
        ("channel_weeks", a, NO_PARTNER, p, wk): 7,
    }
    assert got["channel_weeks"][(a, sn, p, wk)] == (0, 2)
    assert got["channel_weeks"][(a, NO_PARTNER, p, wk)] == (0, 7)
    # Aging and FIFO read the cohorts: IMEI-level, cards only.
    assert sum(sold for _shipped, sold in got["channel_cohorts"].values()) == 2

    # The screen: region A 15 − 9 = 6 in stock; 9 sold over the last 4 weeks → 2.25 a week;
    # cover 6 ÷ 2.25 = 2.67 weeks.
    row = stock(api, world)[(a, None)]
    figures = (row["shipped"], row["sold"], row["stock"], row["weekly_sales"], row["cover_weeks"])
    assert figures == (15, 9, 6, 2.25, 2.67)
    # By partner: SN 10 − 2 = 8; no partner 5 − 7 → 0, never negative (stores declared more
    # than this partner was shipped).
    rows = stock(api, world, group="partner")
    assert (rows[(a, sn)]["stock"], rows[(a, NO_PARTNER)]["stock"]) == (8, 0)
    assert (rows[(a, NO_PARTNER)]["sold"], rows[(a, NO_PARTNER)]["weekly_sales"]) == (7, 1.75)


def test_a_clerk_added_moved_or_made_something_else_moves_the_declared_units(api, world, sales):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    # A clerk starts at A2: its 3 declared units are its promoter's word beside cards now.
    clerk = make_user("clerk_a2", "clerk", store_id=world.store_a2.id)
    db.session.commit()
    got = assert_rebuild_agrees()
    assert got["channel_stock"] == {(a, sn, p): (10, 2), (a, NO_PARTNER, p): (5, 4)}
    # …and becomes a rep: A2 has no clerk again.
    clerk.role, clerk.store_id = "rep", None
    db.session.commit()
    got = assert_rebuild_agrees()
    assert got["channel_stock"] == {(a, sn, p): (10, 2), (a, NO_PARTNER, p): (5, 7)}
    # A1's clerk moves to A1b (one transaction, two stores flip): A1's 5 declared units now
    # leave SN's channel (A1's partner) beside its cards; A1b's 4 no longer count.
    db.session.get(User, world.clerk_a1.id).store_id = world.store_a1b.id
    db.session.commit()
    got = assert_rebuild_agrees()
    assert got["channel_stock"] == {(a, sn, p): (10, 7), (a, NO_PARTNER, p): (5, 3)}
    # A clerk at A2 again, then removed altogether (deleted): A2's 3 out, then in again.
    temp = make_user("clerk_a2_temp", "clerk", store_id=world.store_a2.id)
    db.session.commit()
    assert assert_rebuild_agrees()["channel_stock"] == {(a, sn, p): (10, 7), (a, NO_PARTNER, p): (5, 0)}
    db.session.delete(db.session.get(User, temp.id))
    db.session.commit()
    assert assert_rebuild_agrees()["channel_stock"] == {(a, sn, p): (10, 7), (a, NO_PARTNER, p): (5, 3)}
