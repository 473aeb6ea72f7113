"""三包 at the counters: HQ's fault codes, the authorised repair points, and the returns, exchanges
and repair referrals the clerks recorded over the demo's warranty cards.

- Fault codes: screen, battery, camera, signal, charging, overheating, software, and "no fault /
  changed mind" (无理由, `is_fault` false: a return only, where WARRANTY_NO_FAULT_RETURNS allows it;
  the demo keeps the default, so no event names it).
- Repair points: one service point (a store of kind `service_point`, 星澜授权服务中心) in each
  region's first city, and one partner that is a repair provider (a Guangzhou service company).
- Events: of every thousand cards of a model, 7 returned, 9 exchanged (the replacement is an
  unsold unit of the same model from the region's channel stock, else one HQ shipped for it; its
  new card inherits the purchase date and the buyer) and 14 referred for repair, each inside its
  window (the model's terms: return 7 days, exchange 15, repair 12 months) and before the demo's
  today.
  The P50, launched ten days ago, has an early screen problem: about 50 returns and exchanges per
  1,000 units sold, above QUALITY_ALERT_RATE_PER_1000 (30), so HQ's quality alert shows it.

The channel demo's hand-made exceptions stay as they are (see `channel`): no return or exchange
of the flagship's P30 (its declared-vs-cards row), of the units 迪信通 holds (the aging P30), or of
the N10 in 广西 (its low cover); the replacement units are neither 迪信通's nor seen on a shelf.

Events go through `backend.aftersales.service` (the same path as the clerk's phone) so the card's
history, its closing and the freed IMEIs are what the live system makes. This module draws from
a generator of its own (`own_rng`), so adding it left the steps after it (prices, routes) as
they were for a given seed.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select

from ..aftersales import quality_alerts, quality_rollup, service
from ..aftersales.models import FaultCode
from ..catalogue.models import Product
from ..extensions import db
from ..org.models import Partner, PartnerKind
from ..stores.models import ContactRole, Store, StoreContact, StoreContactHistory, StoreKind, StoreStatus, StoreTier
from ..warranty import rules
from ..warranty.models import ImeiSpotCheck, Shipment, WarrantyCard, WarrantyCardRevision, WarrantyImei
from ..warranty.rules import luhn_check_digit
from .context import BRAND, GIVEN, MOBILE_PREFIXES, SURNAMES, Context
from .geography import offset_point

# (code, name, English name, is_fault)
FAULT_CODES = (
    ("screen", "屏幕", "Screen", True),
    ("battery", "电池", "Battery", True),
    ("camera", "摄像头", "Camera", True),
    ("signal", "信号", "Signal", True),
    ("charging", "充电", "Charging", True),
    ("overheating", "发热", "Overheating", True),
    ("software", "系统", "Software", True),
    ("no_fault", "无理由", "No fault / changed mind", False),
)

# What goes wrong with a model (weights of the fault codes); the P50's early screens stand out.
FAULTS_USUAL = {"screen": 3, "battery": 3, "camera": 2, "signal": 2, "charging": 2, "overheating": 1, "software": 2}
FAULTS_BY_MODEL = {
    "XL-P50": {"screen": 12, "overheating": 2, "software": 2, "camera": 1},
    "XL-P30PRO": {**FAULTS_USUAL, "camera": 5},
    "XL-F1": {**FAULTS_USUAL, "screen": 6},
    "XL-A5": {**FAULTS_USUAL, "battery": 6},
}
# Per 1,000 cards of the model: (returns, exchanges, repair referrals).
RATES = {"XL-P50": (20.0, 30.0, 6.0)}
RATES_USUAL = (7.0, 9.0, 14.0)

REPAIR_PROVIDER = ("SVC-GZLH", "广州联合通信售后服务有限公司")
RETURN_NOTES = ("", "", "", "顾客已退款，原包装齐全。", "配件齐全，发票已收回。")
EXCHANGE_NOTES = ("", "", "当场换新，已告知三包期限不变。", "顾客要求同色换新。")
REPAIR_NOTES = ("", "", "已开具维修单，顾客留有备用机。", "预计7个工作日修好，到店取机。", "屏幕有裂痕，已拍照存档。")


def own_rng(ctx: Context, name: str) -> random.Random:
    """A generator of this module's own, determined by the run's seed (its state before the
    module, read without drawing from it) and `name`."""
    state = ctx.rng.getstate()[1]
    return random.Random(f"{name}:{state[0]}:{state[1]}:{state[2]}:{state[-1]}")


def make_aftersales(ctx: Context) -> None:
    """Fault codes, repair points, then the clerks' returns, exchanges and repair referrals."""
    rng = own_rng(ctx, "aftersales")
    faults = _fault_codes()
    points = _repair_points(ctx, rng)
    _events(ctx, rng, faults, points)
    # HQ's quality rollup from the raw rows (the channel's cards were bulk-inserted, unseen by its
    # increments), then the early-life alerts it shows as of the demo's today (the P50's).
    quality_rollup.rebuild()
    ctx.summary["quality_alerts"] = quality_alerts.raise_all(ctx.today)


def _fault_codes() -> dict[str, FaultCode]:
    rows = [
        FaultCode(code=code, name=name, name_en=name_en, is_fault=is_fault, position=(i + 1) * 10)
        for i, (code, name, name_en, is_fault) in enumerate(FAULT_CODES)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return {f.code: f for f in rows}


def _repair_points(ctx: Context, rng: random.Random) -> list[tuple[str, int, int | None]]:
    """A service point per region (in its first territory's first area) with its manager as a
    contact, and the repair provider. Returns [("store"|"partner", id, region id or None)]."""
    points: list[tuple[str, int, int | None]] = []
    first = {}
    for territory, tspec, region, rspec in ctx.territories:
        first.setdefault(region.id, (territory, tspec, rspec))
    by_code = dict(db.session.execute(select(Partner.code, Partner.id)).all())
    stores = []
    for region, _spec in ctx.regions:
        territory, tspec, rspec = first[region.id]
        area = tspec.areas[0]
        street = rng.choice(area.streets)
        lat, lon = offset_point(area.lat, area.lon, rng.uniform(50, 0.8 * tspec.sigma_m), rng.uniform(0, 6.283))
        store = Store(
            code=f"SVC-{rspec.code}",
            name=f"{BRAND}授权服务中心 {area.name}店",
            partner_id=by_code[f"PRV-{rspec.code}"],  # the provincial distributor runs it
            territory_id=territory.id,
            kind=StoreKind.SERVICE_POINT,
            address=f"{rspec.province}{tspec.city}{area.district}{street}{rng.randint(1, 420)}号",
            latitude=lat,
            longitude=lon,
            tier=StoreTier.B,
            status=StoreStatus.ACTIVE,
            created_at=ctx.now - timedelta(days=rng.randint(200, 900)),
            updated_at=ctx.now - timedelta(days=rng.randint(30, 200)),
        )
        stores.append((store, region.id))
    db.session.add_all(s for s, _r in stores)
    provider = Partner(
        code=REPAIR_PROVIDER[0],
        name=REPAIR_PROVIDER[1],
        kind=PartnerKind.LOCAL_DISTRIBUTOR,
        parent_id=by_code["PRV-GD"],
        repair_provider=True,
    )
    db.session.add(provider)
    db.session.flush()
    contacts = []
    for store, region_id in stores:
        points.append(("store", store.id, region_id))
        name, phone = _person(rng), _mobile(rng)
        at = store.updated_at
        contact = StoreContact(
            id=_uuid(rng),
            store_id=store.id,
            name=name,
            role=ContactRole.STORE_MANAGER,
            phone=phone,
            updated_at=at,
            updated_by=ctx.admin.id,
        )
        contacts.append(contact)
        db.session.add(contact)
        db.session.add(
            StoreContactHistory(
                contact_id=contact.id,
                store_id=store.id,
                action="created",
                name=name,
                role=ContactRole.STORE_MANAGER,
                phone=phone,
                changed_by=ctx.admin.id,
                changed_at=at,
            )
        )
    points.append(("partner", provider.id, None))
    db.session.flush()
    ctx.summary["stores"] = ctx.summary.get("stores", 0) + len(stores)
    ctx.summary["partners"] = ctx.summary.get("partners", 0) + 1
    ctx.summary["store_contacts"] = ctx.summary.get("store_contacts", 0) + len(contacts)
    ctx.summary["repair_points"] = len(points)
    return points


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _events(ctx: Context, rng: random.Random, faults: dict[str, FaultCode], points) -> None:
    """Pick the cards each kind of event happens to (exact counts per model, so the P50's rate is
    what the docstring says whatever the seed), then record them oldest first."""
    products = {p.id: p for p in db.session.scalars(select(Product))}
    clerk_of = {store.id: clerk for clerk, store in ctx.clerk_stores}
    region_of = {store.id: store.region_id for _clerk, store in ctx.clerk_stores}
    flagship = next(store.id for clerk, store in ctx.clerk_stores if clerk.username == "clerk.gz")
    region_code = {region.id: spec.code for region, spec in ctx.regions}
    dxt = ctx.partner_by_code["DXT"].id
    last_day = ctx.today - timedelta(days=1)
    cards = list(
        db.session.scalars(
            select(WarrantyCard)
            .where(WarrantyCard.voided_at.is_(None), WarrantyCard.closed_at.is_(None))
            .order_by(WarrantyCard.purchase_date, WarrantyCard.id)
        )
    )
    shipped_to = dict(db.session.execute(select(Shipment.imei, Shipment.partner_id)).all())
    # The units a clerk could hand over in an exchange: shipped to the region, unsold, not
    # 迪信通's, not seen on a shelf; by (region, product), with their ship dates.
    seen = set(db.session.scalars(select(ImeiSpotCheck.imei)))
    sold = set(db.session.scalars(select(WarrantyImei.imei)))
    stock: dict[tuple[int, int], list[tuple[date, str]]] = defaultdict(list)
    for imei, region_id, product_id, ship_date, partner_id in db.session.execute(
        select(
            Shipment.imei, Shipment.region_id, Shipment.product_id, Shipment.ship_date, Shipment.partner_id
        ).order_by(Shipment.imei)
    ):
        if imei not in sold and imei not in seen and partner_id != dxt:
            stock[(region_id, product_id)].append((ship_date, imei))
    used = sold | set(shipped_to)
    import_id, line = db.session.execute(select(func.min(Shipment.import_id), func.max(Shipment.line))).one()
    by_code = dict(db.session.execute(select(Partner.code, Partner.id)).all())
    provincial = {region.id: by_code[f"PRV-{spec.code}"] for region, spec in ctx.regions}
    replacements = 0

    def may_close(card: WarrantyCard) -> bool:
        code = products[card.product_id].model_code
        return not (
            (card.store_id == flagship and code == "XL-P30")
            or shipped_to.get(card.imei) == dxt
            or (region_code[region_of[card.store_id]] == "GX" and code == "XL-N10")
        )

    by_model: dict[int, list[WarrantyCard]] = defaultdict(list)
    for card in cards:
        if card.store_id in clerk_of:
            by_model[card.product_id].append(card)
    plans: list[tuple[date, str, WarrantyCard]] = []
    for product_id, mine in sorted(by_model.items()):
        code = products[product_id].model_code
        per_return, per_exchange, per_repair = RATES.get(code, RATES_USUAL)
        closable = [c for c in mine if may_close(c)]
        taken: set = set()
        product = products[product_id]
        for kind, rate, pool in (
            ("return", per_return, closable),
            ("exchange", per_exchange, closable),
            ("repair", per_repair, mine),
        ):
            pool = [c for c in pool if c.id not in taken]
            n = min(len(pool), round(rate * len(mine) / 1000))
            for card in rng.sample(pool, n):
                # The last day of its window (the model's 三包 terms), before the demo's today.
                terms = rules.terms(
                    card.purchase_date, product.return_days, product.exchange_days, product.repair_months
                )
                first = card.purchase_date + timedelta(days=0 if kind != "repair" else 3)
                until = min(getattr(terms, f"{kind}_until"), last_day)
                if first > until:
                    continue
                # Most returns and exchanges come within days; repairs any time in the term.
                span = (until - first).days
                day = first + timedelta(days=min(span, int(rng.expovariate(1 / (3 if kind != "repair" else 40)))))
                taken.add(card.id)
                plans.append((day, kind, card))
    plans.sort(key=lambda p: (p[0], str(p[2].id)))
    counts = defaultdict(int)
    service_points = {region_id: pid for kind, pid, region_id in points if kind == "store"}
    partner = next(pid for kind, pid, _r in points if kind == "partner")
    for day, kind, card in plans:
        code = products[card.product_id].model_code
        weights = FAULTS_BY_MODEL.get(code, FAULTS_USUAL)
        fault = rng.choices(list(weights), weights=list(weights.values()))[0]
        at = ctx.local(day, rng.randint(10, 20), rng.randint(0, 59))
        data = {"id": _uuid(rng), "card_id": card.id, "fault_code": fault, "occurred_at": at}
        clerk = clerk_of[card.store_id]
        region_id = region_of[card.store_id]
        if kind == "return":
            data["note"] = rng.choice(RETURN_NOTES)
            event, _created = service.record_return(clerk, data)
        elif kind == "exchange":
            product = products[card.product_id]
            units = [u for u in stock[(region_id, card.product_id)] if u[0] <= day]
            if units:
                unit = rng.choice(units)
                stock[(region_id, card.product_id)].remove(unit)
            else:
                # Nothing of the model was on hand then (the region's stock is recent): HQ sent
                # the store a replacement unit, which the shipment records list.
                imei = _fresh(rng, product, used)
                shipped = max(product.launch_date, day - timedelta(days=rng.randint(1, 5)))
                line += 1
                db.session.add(
                    Shipment(
                        imei=imei,
                        product_id=product.id,
                        ship_date=shipped,
                        region_id=region_id,
                        partner_id=provincial[region_id],
                        import_id=import_id,
                        line=line,
                    )
                )
                db.session.flush()
                unit = (shipped, imei)
                replacements += 1
            imei2 = None
            if rng.random() < 0.6:
                imei2 = _fresh(rng, product, used)
            data["note"] = rng.choice(EXCHANGE_NOTES)
            data["new_card"] = {
                "id": _uuid(rng),
                "imei": unit[1],
                "imei2": imei2,
                "product_id": product.id,
                "serial_number": f"{product.model_code.replace('-', '')}{rng.randrange(10**8):08d}",
            }
            event, _created = service.record_exchange(clerk, data)
        else:
            data["note"] = rng.choice(REPAIR_NOTES)
            if region_id in service_points and rng.random() < 0.75:
                data["repair_store_id"] = service_points[region_id]
            else:
                data["repair_partner_id"] = partner
            event, _created = service.record_repair(clerk, data)
        # The server received it a little after the counter recorded it (the phone was online):
        # its time, not the seed's, is when the card closed, its history changed, the new card came.
        event.received_at = at + timedelta(minutes=rng.choice((0, 0, 1, 2, 15)))
        if card.closed_at is not None:
            card.closed_at = event.received_at
        last = db.session.scalars(
            select(WarrantyCardRevision)
            .where(WarrantyCardRevision.card_id == card.id)
            .order_by(WarrantyCardRevision.revision.desc())
        ).first()
        if last is not None:
            last.changed_at = event.received_at
        if event.new_card_id is not None:
            db.session.get(WarrantyCard, event.new_card_id).received_at = event.received_at
        counts[kind] += 1
    db.session.flush()
    ctx.summary["fault_codes"] = len(faults)
    ctx.summary["service_events"] = sum(counts.values())
    ctx.summary["returns"] = counts["return"]
    ctx.summary["exchanges"] = counts["exchange"]
    ctx.summary["repairs"] = counts["repair"]
    ctx.summary["shipments"] = ctx.summary.get("shipments", 0) + replacements
    ctx.summary["warranty_cards"] = ctx.summary.get("warranty_cards", 0) + counts["exchange"]  # the new cards


def _fresh(rng: random.Random, product: Product, used: set[str]) -> str:
    """A valid IMEI of the model (Luhn check digit, one of its TACs) no unit has yet."""
    while True:
        body = f"{rng.choice(product.tac_codes)}{rng.randrange(10**6):06d}"
        imei = body + str(luhn_check_digit(body))
        if imei not in used:
            used.add(imei)
            return imei
