"""The channel's low-level sums, read off the rollup tables (never the shipments or the cards):
channel stock and weekly sell-out per region and model, which the screens (`service.py`) and
the replenishment alerts (`alerts.py`) both use, so a screen and an alert never disagree on
what a model's weeks of cover are.

- stock = units shipped into the region's channel − units sold, never below 0: the units out
  by their IMEIs (live warranty cards; exchanged ones, whose faulty unit went to after-sales;
  each unit once; a returned unit is back in stock) plus the units declared sold at the
  region's stores that register no cards (no clerk: sellout reports, their only sell-out
  figure; `rollup.registers_cards`, the rule `alerts.region_units` reads too). Declared units
  name no IMEI: aging and FIFO breaks stay IMEI-level (cards only), so a region's aging units
  may exceed its stock where stores declare. A store's declared units count for its partner
  (NO_PARTNER: none), so the partners' stocks, each clamped at 0, may add up to more than the
  region's.
- weekly sales = units of the region's channel sold (by the cards' purchase weeks; declared
  units over their report's weeks by days) over the last `CHANNEL_SALES_WEEKS` complete ISO
  weeks before today's week, ÷ that number: the week under way is left out, or every Monday
  would halve the average.
- weeks of cover = stock ÷ weekly sales; None when nothing sold (no rate to cover).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select

from ..core.timeutil import business_today as business_today  # re-exported: the alerts and views read it here
from ..extensions import db
from ..sellout.rules import week_start as week_of
from . import rules
from .models import ChannelStock, ChannelWeek


class Figures(NamedTuple):
    shipped: int
    sold: int  # declared included
    stock: int
    weekly_sales: float
    cover_weeks: float | None
    declared: int = 0  # of `sold`, the units declared at stores without a clerk


def sales_window(today: date | None = None, weeks: int | None = None) -> tuple[date, date]:
    """[first Monday, this week's Monday): the last `weeks` complete weeks before today's week
    (`CHANNEL_SALES_WEEKS` by default)."""
    weeks = current_app.config["CHANNEL_SALES_WEEKS"] if weeks is None else weeks
    this_week = week_of(today or business_today())
    return this_week - timedelta(weeks=weeks), this_week


def figures_of(shipped: int, sold: int, units_in_window: int, weeks: int, declared: int = 0) -> Figures:
    """The figures of one (region, model) or (region, partner, model) from its sums. Stock is
    never below 0: stores may declare more than the channel was shipped (a guess, or units
    bought elsewhere)."""
    weekly = units_in_window / weeks if weeks > 0 else 0.0
    stock = max(shipped - sold, 0)
    return Figures(shipped, sold, stock, weekly, rules.cover_weeks(stock, weekly), declared)


def stock_and_sales(
    region_ids=None, product_ids=None, today: date | None = None, *, partner_ids=None, by_partner: bool = False
) -> dict[tuple, Figures]:
    """{(region_id, product_id): Figures} for every region and model with units shipped (or
    sold) in its channel, filtered by regions and models when given (iterables of ids; None:
    all). `by_partner` keys them (region_id, partner_id, product_id) instead (partner_id
    `models.NO_PARTNER` for units shipped to no named partner). Two grouped queries, over the
    channel's totals (a row per region, partner and model) and a few weeks of its weekly rows,
    whatever the number of units."""
    weeks = current_app.config["CHANNEL_SALES_WEEKS"]
    first, this_week = sales_window(today, weeks)
    c, s = ChannelStock, ChannelWeek

    def keyed(model, stmt):
        cols = [model.region_id, model.partner_id, model.product_id]
        if not by_partner:
            cols.pop(1)
        stmt = stmt.add_columns(*cols).group_by(*cols)
        if region_ids is not None:
            stmt = stmt.where(model.region_id.in_(list(region_ids)))
        if product_ids is not None:
            stmt = stmt.where(model.product_id.in_(list(product_ids)))
        if partner_ids is not None:
            stmt = stmt.where(model.partner_id.in_(list(partner_ids)))
        return stmt

    totals = {
        tuple(key): (shipped or 0, sold or 0, declared or 0)
        for shipped, sold, declared, *key in db.session.execute(
            keyed(c, select(func.sum(c.shipped), func.sum(c.sold), func.sum(c.declared)))
        )
    }
    recent = {
        tuple(key): units or 0
        for units, *key in db.session.execute(
            keyed(s, select(func.sum(s.sold)).where(s.week_start >= first, s.week_start < this_week))
        )
    }
    return {
        key: figures_of(shipped, sold, recent.get(key, 0), weeks, declared)
        for key, (shipped, sold, declared) in totals.items()
        if shipped or sold
    }
