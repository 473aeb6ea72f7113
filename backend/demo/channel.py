"""Half a year of the channel: HQ's shipments into every region, the units the clerks' stores
sold out of them (warranty cards), and what reps counted and heard at their visits (shop stock,
declared sell-out, competitors' sales).

Sell-in and sell-out are simulated per region and model, week by week over 26 weeks: each week
the region sells a few units (more in 广东 and 深圳, more of the popular models), always the
oldest units on hand first (先进先出), and HQ ships about what was sold to keep a week and a half
in the channel. The units `warranty.make_warranty` left in the channel are part of that stock and
sell first when they are the oldest. At the end HQ tops each region up to four to eight weeks
of cover, so most of the channel looks healthy and the screens show the exceptions, each made
on purpose:

* a FIFO break and aging units: 迪信通 in 广东 took 36 P30 fifteen weeks ago and sold three;
  the region sells newer P30 every week while those wait;
* aging units of a model nobody ships any more: P20 in 福建, shipped five months ago;
* overstock (cover_high): HQ pushed 180 A7 into 海南 three weeks ago, which sells five a week;
* cover_low: the N10 sells out in 广西 (a promotion) and HQ stopped shipping three weeks ago;
* a stock-out: rep.gz counted 0 P30 at a store of his on his latest visit (his Today shows it);
* a disagreement: the promoter at clerk.gz's flagship declared more P30 for a week than the
  clerk registered cards for.

Stores without a clerk declare their sell-out (reports at the visits); those units leave the
channel's stock too, so HQ ships for them as well at the end (`cover_declared`), but for the
two cover exceptions.

Rows are inserted in bulk, as the rest of the demo is: the rollups are then built from them by
`backend.channel.rollup.rebuild` and the alerts raised by `backend.channel.alerts.raise_all`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, insert, select

from ..auth.models import User
from ..catalogue.models import Product
from ..channel import alerts, rollup
from ..channel.models import ChannelAlert
from ..extensions import db
from ..org.models import Partner
from ..sellout.models import Band, CompetitorSellOut, SellOutReport, ShopStockCount, Source
from ..sellout.rules import week_start as week_of
from ..warranty.imports import insert_shipments
from ..warranty.models import ImeiSpotCheck, Shipment, ShipmentImport, WarrantyCard, WarrantyImei
from .context import CST, Context, StoreInfo
from .warranty import _imei

WEEKS = 26  # the simulated history
# Units a week a region sells of a model: base × region × model (× the run's scale).
BASE_WEEKLY = 6.5
REGION_WEIGHT = {"GD": 1.0, "SZ": 1.0, "GX": 0.6, "FJ": 0.6, "HI": 0.35}
MODEL_WEIGHT = {
    "XL-P50": 2.5,  # just launched
    "XL-P30": 2.0,
    "XL-P30PRO": 1.2,
    "XL-F1": 0.3,
    "XL-N10": 1.5,
    "XL-A7": 1.8,
    "XL-A5": 1.5,
}
BUFFER_WEEKS = 1.5  # what HQ keeps in a region's channel week to week
COVER_TARGET = (4.0, 8.0)  # the top-up at the end: weeks of cover, drawn per region and model


@dataclass(order=True)
class Unit:
    ship_date: date
    imei: str = field(compare=False)
    partner_id: int | None = field(compare=False)
    stuck: bool = field(default=False, compare=False)  # at a partner who sells newer units first


def make_rollups_and_alerts(ctx: Context) -> None:
    """The rollups from the raw rows (the bulk inserts above bypass the ORM's increments for
    cards and field records), then every alert the data shows as of the demo's today."""
    counts = rollup.rebuild()
    alerts.raise_all(ctx.today)
    ctx.summary["channel_cohorts"] = counts.get("channel_cohorts", 0)
    # The alerts the demo shows: raise_all's (the seed asked for no alert check while it loaded:
    # `core.transaction.checks_held`).
    ctx.summary["channel_alerts"] = db.session.scalar(select(func.count()).select_from(ChannelAlert))


def make_channel(ctx: Context) -> None:
    """Shipments and cards of the last half year, then the visits' shop stock counts,
    declared sell-out and competitor estimates, with the exceptions described above."""
    sim = _Simulation(ctx)
    sim.run()
    declared = _field_records(ctx, sim)
    sim.cover_declared(declared)


class _Simulation:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        rng = ctx.rng
        self.products = {p.model_code: p for p in db.session.scalars(select(Product).order_by(Product.id))}
        self.region_code = {region.id: spec.code for region, spec in ctx.regions}
        self.today = ctx.today
        self.week0 = week_of(self.today)  # the current (incomplete) week
        self.imp = db.session.scalars(select(ShipmentImport).order_by(ShipmentImport.id)).first()
        self.used = set(db.session.scalars(select(Shipment.imei))) | set(db.session.scalars(select(WarrantyImei.imei)))
        self.line = db.session.scalar(select(func.max(Shipment.line))) or 1
        # The stores that register cards (a clerk's), by region; each region has some.
        self.clerk_stores: dict[int, list[tuple[int, StoreInfo]]] = defaultdict(list)
        for clerk, store in ctx.clerk_stores:
            self.clerk_stores[store.region_id].append((clerk.id, store))
        # Each region's partners: its provincial and local distributors and two chains or carriers.
        partners = {p.code: p.id for p in db.session.scalars(select(Partner))}
        self.partners: dict[int, list[int]] = {}
        chains = [partners[c] for c in ("SN", "GM", "DXT", "CMCC", "CUCC", "CTCC")]
        for region, spec in ctx.regions:
            own = [partners[f"PRV-{spec.code}"]]
            own += [ctx.local_distributor[t.id].id for t, _s, r, _rs in ctx.territories if r.id == region.id]
            self.partners[region.id] = own + rng.sample(chains, 2)
        # The units already in the channel (warranty.make_warranty), unless a rep noted them on a shelf.
        seen = set(db.session.scalars(select(ImeiSpotCheck.imei)))
        sold = select(WarrantyImei.imei).join(WarrantyCard, WarrantyCard.id == WarrantyImei.card_id)
        sold = sold.where(WarrantyCard.voided_at.is_(None))
        self.pools: dict[tuple[int, int], list[Unit]] = defaultdict(list)
        rows = db.session.execute(
            select(Shipment.region_id, Shipment.product_id, Shipment.ship_date, Shipment.imei, Shipment.partner_id)
            .where(Shipment.imei.not_in(sold))
            .order_by(Shipment.imei)
        )
        for region_id, product_id, ship_date, imei, partner_id in rows:
            if imei not in seen:
                self.pools[(region_id, product_id)].append(Unit(ship_date, imei, partner_id))
        for pool in self.pools.values():
            heapq.heapify(pool)
        self.shipments: list[dict] = []
        self.cards: list[dict] = []
        self.imeis: list[dict] = []
        # Units sold in the complete weeks the screens average weekly sell-out over.
        self.sales_weeks = current_app.config["CHANNEL_SALES_WEEKS"]
        self.sold_recent: dict[tuple[int, int], int] = defaultdict(int)

    # -- helpers

    def fresh_imei(self, product: Product) -> str:
        while True:
            imei = _imei(self.ctx, self.ctx.rng.choice(product.tac_codes))
            if imei not in self.used:
                self.used.add(imei)
                return imei

    def ship(self, region_id: int, product: Product, day: date, n: int, partner_id: int | None = None, stuck=False):
        rng = self.ctx.rng
        partner_id = partner_id or rng.choice(self.partners[region_id])
        pool = self.pools[(region_id, product.id)]
        for _ in range(n):
            imei = self.fresh_imei(product)
            self.line += 1
            self.shipments.append(
                {
                    "imei": imei,
                    "product_id": product.id,
                    "ship_date": day,
                    "region_id": region_id,
                    "partner_id": partner_id,
                    "import_id": self.imp.id,
                    "line": self.line,
                }
            )
            heapq.heappush(pool, Unit(day, imei, partner_id, stuck))

    def on_hand(self, region_id: int, product: Product, day: date) -> int:
        """Units of the model in the region's channel on `day` (shipped before it), the stuck ones left out."""
        return sum(1 for u in self.pools[(region_id, product.id)] if not u.stuck and u.ship_date < day)

    def arriving(self, region_id: int, product: Product) -> float:
        """Units a week `warranty.make_warranty` shipped into the region over its two months."""
        since = self.today - timedelta(days=60)
        return sum(1 for u in self.pools[(region_id, product.id)] if u.ship_date >= since) / (60 / 7)

    def sell(self, region_id: int, product: Product, day: date, n: int, *, stuck=False) -> int:
        """Sell up to `n` units on `day` at the region's clerk stores, the oldest on hand first
        (the stuck ones only when `stuck`); returns the units sold."""
        pool = self.pools[(region_id, product.id)]
        sold, skipped = 0, []
        while sold < n and pool and pool[0].ship_date < day:
            unit = heapq.heappop(pool)
            if unit.stuck != stuck:
                skipped.append(unit)
                continue
            self.card(region_id, product, unit.imei, day)
            sold += 1
        for unit in skipped:
            heapq.heappush(pool, unit)
        if day >= self.week0 - timedelta(weeks=self.sales_weeks) and day < self.week0:
            self.sold_recent[(region_id, product.id)] += sold
        return sold

    def card(self, region_id: int, product: Product, imei: str, day: date) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        clerk_id, store = rng.choice(self.clerk_stores[region_id])
        at = ctx.local(day, rng.randint(10, 21), rng.randint(0, 59))
        imei2 = self.fresh_imei(product) if rng.random() < 0.6 else None
        card_id = ctx.uuid()
        self.cards.append(
            {
                "id": card_id,
                "imei": imei,
                "imei2": imei2,
                "product_id": product.id,
                "serial_number": f"{product.model_code.replace('-', '')}{rng.randrange(10**8):08d}",
                "buyer_name": ctx.person(),
                "buyer_phone": ctx.mobile(),
                "buyer_address": "",
                "invoice_number": f"{day:%Y%m%d}{rng.randrange(10**6):06d}",
                "purchase_date": day,
                "store_id": store.id,
                "registered_by": clerk_id,
                "registered_at": at,
                "received_at": at + timedelta(minutes=rng.choice((0, 0, 1, 30))),
            }
        )
        self.imeis += [{"imei": i, "card_id": card_id} for i in (imei, imei2) if i]

    def days(self, week: date, first: date | None = None):
        """The selling days of `week` (Monday on), from `first`, before today."""
        for k in range(7):
            day = week + timedelta(days=k)
            if (first is None or day >= first) and day < self.today:
                yield day

    # -- the half year

    def run(self) -> None:
        ctx, rng, by_code = self.ctx, self.ctx.rng, self.products
        code = {v: k for k, v in self.region_code.items()}
        gd, gx, fj, hi = code["GD"], code["GX"], code["FJ"], code["HI"]
        scale = max(ctx.scale, 0.1)
        # The exceptions' own stock, before the weekly flow.
        dxt = db.session.scalars(select(Partner.id).where(Partner.code == "DXT")).one()
        stuck_day = self.week0 - timedelta(weeks=15) + timedelta(days=1)
        self.ship(gd, by_code["XL-P30"], stuck_day, 36, dxt, stuck=True)
        for k in range(3):
            self.sell(gd, by_code["XL-P30"], stuck_day + timedelta(days=3 + 2 * k), 1, stuck=True)
        p20_day = self.week0 - timedelta(weeks=22) + timedelta(days=2)
        self.ship(fj, by_code["XL-P20"], p20_day, 40)
        for w in range(21, self.sales_weeks + 2, -1):  # slow sales, none in the last weeks
            week = self.week0 - timedelta(weeks=w)
            self.sell(fj, by_code["XL-P20"], week + timedelta(days=rng.randint(0, 6)), rng.choice((0, 1, 1, 2)))
        push_day = self.week0 - timedelta(weeks=3)
        self.ship(hi, by_code["XL-A7"], push_day, 180)

        self.cover = cover = {}
        for region_id, rcode in self.region_code.items():
            for mcode, weight in MODEL_WEIGHT.items():
                product = by_code[mcode]
                # At least what arrives: the region sells what HQ ships it, give or take.
                rate = BASE_WEEKLY * REGION_WEIGHT[rcode] * weight * scale
                rate = max(rate, 1.25 * self.arriving(region_id, product))
                if product.launch_date > self.today - timedelta(weeks=2):  # the launch stock goes in three weeks
                    rate = max(rate, len(self.pools[(region_id, product.id)]) / 3)
                if (region_id, mcode) == (hi, "XL-A7"):
                    rate = 5 * scale
                if (region_id, mcode) == (gx, "XL-N10"):
                    rate *= 2.5  # a promotion: it sells out
                self.flow(region_id, product, rate, stop_shipping=(region_id, mcode) == (gx, "XL-N10"))
                cover[(region_id, mcode)] = rng.uniform(*COVER_TARGET)
        # The top-up: four to eight weeks of cover where HQ keeps the channel healthy.
        recent = self.recent_sales()
        for (region_id, mcode), weeks in cover.items():
            if (region_id, mcode) in ((hi, "XL-A7"), (gx, "XL-N10")):
                continue
            product = by_code[mcode]
            weekly = recent.get((region_id, product.id), 0) / self.sales_weeks
            stock = len(self.pools[(region_id, product.id)])
            want = round(weeks * weekly) - stock
            if want > 0:
                day = max(self.today - timedelta(days=2), product.launch_date)
                self.ship(region_id, product, day, want)
        self.store()

    def flow(self, region_id: int, product: Product, rate: float, stop_shipping: bool) -> None:
        """A region's weekly sales and HQ's shipments of one model, since its launch."""
        rng = self.ctx.rng
        launch = product.launch_date
        for w in range(WEEKS, -1, -1):
            week = self.week0 - timedelta(weeks=w)
            if week + timedelta(days=6) < launch:
                continue
            demand = max(0, round(rate * rng.uniform(0.7, 1.3)))
            last_weeks = w <= 3
            if not (stop_shipping and last_weeks):
                want = round(demand + BUFFER_WEEKS * rate) - self.on_hand(region_id, product, week + timedelta(days=7))
                if want > 0:
                    day = max(week + timedelta(days=rng.randint(0, 2)), launch)
                    if day < self.today:
                        self.ship(region_id, product, day, want)
            days = list(self.days(week, launch))
            if not days:
                continue
            keep = 8 if stop_shipping and last_weeks else 0  # a few left on shelves
            for i, day in enumerate(days):
                share = demand // len(days) + (1 if i < demand % len(days) else 0)
                share = min(share, max(0, self.on_hand(region_id, product, day) - keep))
                self.sell(region_id, product, day, share)

    def recent_sales(self) -> dict[tuple[int, int], int]:
        """Units sold in the last complete weeks by the region they were shipped to, the
        earlier demand steps' cards included (as the rollups count them)."""
        start = self.week0 - timedelta(weeks=self.sales_weeks)
        # A card counts its first IMEI's unit, as the rollups do (they take the second IMEI's when
        # the first was not shipped: never here, the demo's second IMEIs are fresh).
        rows = db.session.execute(
            select(Shipment.region_id, Shipment.product_id, func.count())
            .join(WarrantyCard, WarrantyCard.imei == Shipment.imei)
            .where(WarrantyCard.voided_at.is_(None))
            .where(WarrantyCard.purchase_date >= start, WarrantyCard.purchase_date < self.week0)
            .group_by(Shipment.region_id, Shipment.product_id)
        )
        out = {(r, p): n for r, p, n in rows}
        for key, n in self.sold_recent.items():
            out[key] = out.get(key, 0) + n
        return out

    def cover_declared(self, declared: dict[tuple[int, int], tuple[int, int]]) -> None:
        """The units stores without a clerk declared sold leave the channel's stock too (the
        rollups subtract them: backend/channel/rollup.py), though no card says which: HQ ships
        for them as well, so the region keeps the cover it was topped up to (`declared`: {(region,
        model): (units declared in all, of them in the weeks the screens average)}) — but for
        the exceptions: 海南's A7 keeps its overstock (more than 12 weeks at its whole rate), 广西's
        N10 gets nothing. No random draw: the rest of the demo stays as it was."""
        by_id = {p.id: p for p in self.products.values()}
        code = {v: k for k, v in self.region_code.items()}
        first = len(self.shipments)
        # The cards of the last weeks, all stored by now (`recent_sales` adds the simulation's
        # own, counted before they were).
        cards = self.recent_sales()
        for key, n in self.sold_recent.items():
            cards[key] -= n
        for (region_id, product_id), (units, recent) in sorted(declared.items()):
            product = by_id[product_id]
            key = (region_id, product.model_code)
            if key == (code["GX"], "XL-N10") or key not in self.cover:
                continue
            weekly = (cards.get((region_id, product_id), 0) + recent) / self.sales_weeks
            weeks = 13 if key == (code["HI"], "XL-A7") else self.cover[key]
            stock = len(self.pools[(region_id, product_id)]) - units  # shipped − sold, declared included
            want = round(weeks * weekly) - stock
            if want > 0:
                self.ship(region_id, product, max(self.today - timedelta(days=2), product.launch_date), want)
        for start in range(first, len(self.shipments), 5000):
            insert_shipments(self.shipments[start : min(start + 5000, len(self.shipments))], bulk_load=False)
        self.imp.rows_read += len(self.shipments) - first
        self.imp.rows_loaded += len(self.shipments) - first
        db.session.flush()
        self.ctx.summary["shipments"] = self.ctx.summary.get("shipments", 0) + len(self.shipments) - first

    def store(self) -> None:
        ctx = self.ctx
        for start in range(0, len(self.shipments), 5000):
            insert_shipments(self.shipments[start : start + 5000], bulk_load=False)
        for start in range(0, len(self.cards), 2000):
            db.session.execute(insert(WarrantyCard), self.cards[start : start + 2000])
        for start in range(0, len(self.imeis), 5000):
            db.session.execute(insert(WarrantyImei), self.imeis[start : start + 5000])
        self.imp.rows_read += len(self.shipments)
        self.imp.rows_loaded += len(self.shipments)
        db.session.flush()
        ctx.summary["shipments"] = ctx.summary.get("shipments", 0) + len(self.shipments)
        ctx.summary["warranty_cards"] = ctx.summary.get("warranty_cards", 0) + len(self.cards)


# --- what reps count and hear at their visits ----------------------------------------------------


SOURCES = ((Source.PROMOTER, 5), (Source.CLERK, 3), (Source.OWNER, 2))
COMPETITOR_SOURCES = (
    (Source.COMPETITOR_PROMOTER, 4),
    (Source.PROMOTER, 3),
    (Source.CLERK, 2),
    (Source.REP_ESTIMATE, 3),
)
BANDS = ((Band.NONE, 1), (Band.FEW, 5), (Band.SOME, 4), (Band.MANY, 2), (Band.LOTS, 1))


def _field_records(ctx: Context, sim: _Simulation) -> dict[tuple[int, int], tuple[int, int]]:
    """The visits' counts, reports and estimates. Returns the units declared at stores without a
    clerk per (region, model): in all, and in the weeks the screens average (`cover_declared`)."""
    rng, by_code = ctx.rng, sim.products
    ours = [by_code[code] for code in MODEL_WEIGHT if by_code[code].launch_date < ctx.today]
    competitors = [m.competitor_model_id for m in ctx.models if m.competitor_model_id is not None]
    clerk_store_ids = {store.id for _clerk, store in ctx.clerk_stores}
    visits = sorted(
        (v for vs in ctx.visits_by_rep.values() for v in vs if v["_store"].status == "active"),
        key=lambda v: (v["checked_in_at"], v["id"]),
    )
    counts, reports, estimates = [], [], []
    last_report: dict[tuple[int, int], date] = {}
    estimated: set[tuple[int, int, date]] = set()
    for v in visits:
        store: StoreInfo = v["_store"]
        day = (v["checked_in_at"] + CST).date()
        base = {"rep_id": v["rep_id"], "store_id": store.id, "visit_id": v["id"], "received_at": v["received_at"]}
        if rng.random() < 0.45:
            for k, product in enumerate(rng.sample(ours, rng.randint(2, 4))):
                counts.append(
                    base
                    | {
                        "id": ctx.uuid(),
                        "product_id": product.id,
                        "on_hand": 0 if rng.random() < 0.007 else rng.randint(1, 12),
                        "demo_unit": ctx.weighted(((True, 5), (False, 3), (None, 2))),
                        "counted_at": v["checked_in_at"] + timedelta(minutes=3 + k),
                    }
                )
        if store.id not in clerk_store_ids and rng.random() < 0.3:
            for product in rng.sample(ours, rng.randint(1, 3)):
                since = last_report.get((store.id, product.id))
                start = since + timedelta(days=1) if since and since < day else day - timedelta(days=7)
                last_report[(store.id, product.id)] = day
                # A counter sells a few units of a model a week (0–3).
                units = round(rng.uniform(0, 0.45) * (day - start).days)
                reports.append(
                    base
                    | {
                        "id": ctx.uuid(),
                        "product_id": product.id,
                        "units": units,
                        "period_start": start,
                        "period_end": day,
                        "source": ctx.weighted(SOURCES),
                        "reported_at": v["checked_in_at"] + timedelta(minutes=8),
                    }
                )
        if rng.random() < 0.35:
            week = week_of(day) - timedelta(weeks=1)  # the week just past: what people remember
            for model_id in rng.sample(competitors, rng.randint(1, 2)):
                if (store.id, model_id, week) in estimated:
                    continue
                estimated.add((store.id, model_id, week))
                banded = rng.random() < 0.4
                estimates.append(
                    base
                    | {
                        "id": ctx.uuid(),
                        "competitor_model_id": model_id,
                        "week_start": week,
                        "units": None if banded else rng.randint(0, 25),
                        "band": ctx.weighted(BANDS).value if banded else None,
                        "source": ctx.weighted(COMPETITOR_SOURCES),
                        "reported_at": v["checked_in_at"] + timedelta(minutes=12),
                    }
                )
    # Nobody counts or sells a model before its launch (the P50 came out ten days ago): drawn
    # above all the same, so the random sequence, hence the rest of the data, stays as it was.
    launched = {p.id: p.launch_date for p in by_code.values()}
    counts[:] = [c for c in counts if (c["counted_at"] + CST).date() >= launched[c["product_id"]]]
    reports[:] = [r for r in reports if r["period_end"] >= launched[r["product_id"]]]
    _stock_out(ctx, sim, visits, counts)
    _disagreement(ctx, sim, visits, reports)
    db.session.execute(insert(ShopStockCount), counts)
    db.session.execute(insert(SellOutReport), reports)
    db.session.execute(insert(CompetitorSellOut), estimates)
    db.session.flush()
    ctx.summary["shop_stock_counts"] = len(counts)
    ctx.summary["sellout_reports"] = len(reports)
    ctx.summary["competitor_sellout"] = len(estimates)
    region_of = {v["_store"].id: v["_store"].region_id for v in visits}
    first, last = sim.week0 - timedelta(weeks=sim.sales_weeks), sim.week0
    declared: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in reports:
        if r["store_id"] not in clerk_store_ids:
            row = declared[(region_of[r["store_id"]], r["product_id"])]
            row[0] += r["units"]
            row[1] += sum(n for week, n, _k in rollup.report_weeks(r["units"], r["period_start"], r["period_end"])
                          if first <= week < last)  # fmt: skip
    return {key: (units, recent) for key, (units, recent) in declared.items()}


def _stock_out(ctx: Context, sim: _Simulation, visits: list[dict], counts: list[dict]) -> None:
    """rep.gz's latest visit: the store has no P30 left (its region sells dozens a week)."""
    rep = db.session.scalars(select(User.id).where(User.username == "rep.gz")).one()
    last = max((v for v in visits if v["rep_id"] == rep), key=lambda v: v["checked_in_at"])
    p30 = sim.products["XL-P30"]
    counts[:] = [c for c in counts if not (c["visit_id"] == last["id"] and c["product_id"] == p30.id)]
    counts.append(
        {
            "id": ctx.uuid(),
            "rep_id": rep,
            "store_id": last["_store"].id,
            "visit_id": last["id"],
            "received_at": last["received_at"],
            "product_id": p30.id,
            "on_hand": 0,
            "demo_unit": True,
            "counted_at": last["checked_in_at"] + timedelta(minutes=2),
        }
    )


def _disagreement(ctx: Context, sim: _Simulation, visits: list[dict], reports: list[dict]) -> None:
    """The promoter at clerk.gz's flagship declares the P30 sold in the week before a visit:
    more than the clerk registered cards for."""
    flagship = next(store for clerk, store in ctx.clerk_stores if clerk.username == "clerk.gz")
    p30 = sim.products["XL-P30"]
    there = [v for v in visits if v["_store"].id == flagship.id]
    if not there:
        return
    v = there[-1]
    week = week_of((v["checked_in_at"] + CST).date()) - timedelta(weeks=1)
    end = week + timedelta(days=6)
    cards = db.session.scalar(  # the simulation's cards are in by now
        select(func.count()).where(
            WarrantyCard.store_id == flagship.id,
            WarrantyCard.product_id == p30.id,
            WarrantyCard.purchase_date.between(week, end),
        )
    )
    reports.append(
        {
            "id": ctx.uuid(),
            "rep_id": v["rep_id"],
            "store_id": flagship.id,
            "visit_id": v["id"],
            "received_at": v["received_at"],
            "product_id": p30.id,
            "units": cards + 8,
            "period_start": week,
            "period_end": end,
            "source": Source.PROMOTER.value,
            "reported_at": v["checked_in_at"] + timedelta(minutes=9),
        }
    )
