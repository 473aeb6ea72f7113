"""figures.py: channel stock, weekly sell-out and weeks of cover per region and model, from the
rollup rows (written here by hand: what the rollups hold is tested in test_rollup*.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.channel.figures import Figures, sales_window, stock_and_sales
from backend.channel.models import NO_PARTNER, ChannelStock, ChannelWeek
from backend.extensions import db

TODAY = date(2026, 6, 17)  # a Wednesday: this week began on Monday 15 June


def monday(weeks_back: int) -> date:
    return date(2026, 6, 15) - timedelta(weeks=weeks_back)


def test_window_is_the_last_complete_weeks(app):
    app.config["CHANNEL_SALES_WEEKS"] = 4
    assert sales_window(TODAY) == (date(2026, 5, 18), date(2026, 6, 15))
    assert sales_window(date(2026, 6, 15)) == (date(2026, 5, 18), date(2026, 6, 15))  # Monday: same week
    assert sales_window(date(2026, 6, 14)) == (date(2026, 5, 11), date(2026, 6, 8))  # Sunday


def test_stock_sales_and_cover_by_hand(app, world):
    r, p, partner = world.region_a.id, world.product.id, world.partner.id
    rb = world.region_b.id
    # Region A: 100 shipped to the partner (30 sold), 40 to no partner (6 sold); region B: 10, none sold.
    db.session.add_all(
        [
            ChannelStock(region_id=r, partner_id=partner, product_id=p, shipped=100, sold=30),
            ChannelStock(region_id=r, partner_id=NO_PARTNER, product_id=p, shipped=40, sold=6),
            ChannelStock(region_id=rb, partner_id=NO_PARTNER, product_id=p, shipped=10, sold=0),
        ]
    )
    # Sold 36 in all; of them in the last 4 complete weeks (18 May – 14 June): 5 + 7 + 4 = 16.
    weeks = [
        (partner, monday(10), 100, 0),  # shipped
        (partner, monday(8), 0, 14),  # too old
        (partner, monday(4), 0, 5),  # 18 May: in
        (partner, monday(1), 0, 7),  # 8 June: in
        (partner, monday(0), 0, 4),  # this week: out
        (NO_PARTNER, monday(6), 40, 0),
        (NO_PARTNER, monday(2), 0, 4),  # in
        (NO_PARTNER, monday(5), 0, 2),  # 11 May: out
    ]
    db.session.add_all(
        ChannelWeek(region_id=r, partner_id=pa, product_id=p, week_start=w, shipped=sh, sold=so)
        for pa, w, sh, so in weeks
    )
    db.session.commit()
    app.config["CHANNEL_SALES_WEEKS"] = 4
    figures = stock_and_sales(today=TODAY)
    # shipped 140, sold 36, stock 104; weekly 16 / 4 = 4.0; cover 104 / 4 = 26.0
    assert figures[(r, p)] == Figures(140, 36, 104, 4.0, 26.0)
    assert figures[(rb, p)] == Figures(10, 0, 10, 0.0, None)  # nothing sold: no cover
    assert stock_and_sales(region_ids=[rb], today=TODAY) == {(rb, p): Figures(10, 0, 10, 0.0, None)}
    assert stock_and_sales(product_ids=[p + 1000], today=TODAY) == {}
    by_partner = stock_and_sales(region_ids=[r], today=TODAY, by_partner=True)
    # partner: stock 70, weekly (5 + 7) / 4 = 3.0, cover 70 / 3; no partner: stock 34, weekly 1.0
    assert by_partner[(r, partner, p)] == Figures(100, 30, 70, 3.0, pytest.approx(70 / 3))
    assert by_partner[(r, NO_PARTNER, p)] == Figures(40, 6, 34, 1.0, 34.0)
    # Two weeks averaged instead: 7 + 4 (8 June, 1 June) = 11 → 5.5 a week
    app.config["CHANNEL_SALES_WEEKS"] = 2
    assert stock_and_sales(region_ids=[r], today=TODAY)[(r, p)].weekly_sales == 5.5
    app.config["CHANNEL_SALES_WEEKS"] = 4
