"""Pure rules of the replenishment alerts: when a region's weeks of cover of a model, or a store's
count of 0, is worth telling someone. No Flask, no database: the thresholds come in as a mapping
(the app's config, or a dict in the tests).

Both rules have noise guards, because an alert nobody can act on teaches people to ignore them:

- weeks of cover is a ratio, and a ratio of small numbers swings wildly. A region selling one
  unit a week has "0.5 weeks of cover" with a single unit left, which says nothing; so cover is
  *low* only where the region sells at least `CHANNEL_COVER_MIN_WEEKLY` units a week, and *high*
  only where it holds at least `CHANNEL_COVER_MIN_STOCK` units. Stock 0 with sales is low —
  cover 0, the clearest case. (Stock is never negative: `figures` clamps shipped − sold at 0,
  since stores without a clerk may declare more than was shipped.) No sales at all is no
  cover (None), never an alert: a model that does not sell in a region is a question for the
  aging list, which sees it.
- a store out of stock of a model matters when the model sells around it: at least
  `CHANNEL_STOCKOUT_MIN_REGION_UNITS` units at the region's stores over the last
  `CHANNEL_SALES_WEEKS` complete weeks. A store at 0 of a model nobody buys there is no news.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

COVER_LOW, COVER_HIGH = "cover_low", "cover_high"


def cover_weeks(stock: int, weekly_sales: float) -> float | None:
    """Weeks the stock lasts at the weekly rate; None without sales. The one implementation of
    cover (`figures` computes the screens' with it). Stock is never negative (`figures` clamps it,
    module docstring); were a figure made by hand negative, it would count as 0."""
    if weekly_sales <= 0:
        return None
    return max(stock, 0) / weekly_sales


def cover_alert(stock: int, weekly_sales: float, cfg: Mapping) -> str | None:
    """ "cover_low", "cover_high" or None for a region's stock and weekly sales of a model.

    Low: cover strictly below `CHANNEL_COVER_LOW_WEEKS` and weekly sales at least
    `CHANNEL_COVER_MIN_WEEKLY`. High: cover strictly above `CHANNEL_COVER_HIGH_WEEKS` and stock at
    least `CHANNEL_COVER_MIN_STOCK`. (Strictly: cover exactly at a threshold is within the band
    the thresholds name as fine.)"""
    cover = cover_weeks(stock, weekly_sales)
    if cover is None:
        return None
    if cover < cfg["CHANNEL_COVER_LOW_WEEKS"] and weekly_sales >= cfg["CHANNEL_COVER_MIN_WEEKLY"]:
        return COVER_LOW
    if cover > cfg["CHANNEL_COVER_HIGH_WEEKS"] and stock >= cfg["CHANNEL_COVER_MIN_STOCK"]:
        return COVER_HIGH
    return None


def stock_out_alert(on_hand: int, region_units: int, cfg: Mapping) -> bool:
    """A count of 0 where the region's stores sold at least `CHANNEL_STOCKOUT_MIN_REGION_UNITS`
    units of the model over the last `CHANNEL_SALES_WEEKS` complete weeks."""
    return on_hand == 0 and region_units >= cfg["CHANNEL_STOCKOUT_MIN_REGION_UNITS"]


def spread_over_weeks(units: int, start: date, end: date) -> list[tuple[date, int]]:
    """A declared sell-out report's units spread over the ISO weeks (Mondays) of its period
    [start, end] (both inclusive), in proportion to the period's days in each week, as whole
    units that add up to `units` (largest remainder): [(Monday, units)], every week of the
    period in order, none negative. A report of 10 units over Sunday to Saturday puts 1 in the
    first week and 9 in the second: a store's "12 sold since the 1st of the month" is three weeks
    of sales, not one.

    Each week first gets the whole part of units × its days ÷ the period's days; the units left
    (fewer than the weeks) go one each to the weeks with the largest remainders, a tie to the
    later week (the one nearer the day the store said it). A period within one week is that week
    alone, as before."""
    if end < start:
        raise ValueError("end before start")
    total = (end - start).days + 1
    weeks = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        days = (min(end, monday + timedelta(days=6)) - max(start, monday)).days + 1
        weeks.append((monday, days))
        monday += timedelta(days=7)
    shares = [[monday, units * days // total, units * days % total] for monday, days in weeks]
    left = units - sum(share[1] for share in shares)
    for share in sorted(shares, key=lambda s: (s[2], s[0]), reverse=True)[:left]:
        share[1] += 1
    return [(monday, n) for monday, n, _ in shares]
