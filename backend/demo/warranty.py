"""Warranty cards, HQ's shipment records and reps' IMEI spot checks, and the diversion flags they raise.

Clerks register warranty cards for the phones their store sells (rep.gz's flagship clerk.gz most,
2.5 a day), each with valid IMEIs (Luhn check digit, under the model's TACs), a buyer, an invoice
number and the purchase date; HQ's shipment records (one finished import) cover nine in ten of
them, and one in twenty of those was shipped to another region than where it sold: diversion
(窜货). More units are still in the channel, shipped but not sold; reps note some on the shelves
of visited stores, mostly units shipped to that region. `backend.warranty.diversion` flags the
mismatches as the live system would.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..auth.models import User
from ..catalogue.models import Product
from ..extensions import db
from ..org.models import Partner, PartnerKind
from ..warranty import diversion
from ..warranty.imports import insert_shipments
from ..warranty.models import (
    ImeiSpotCheck,
    ImportStatus,
    ShipmentImport,
    WarrantyCard,
    WarrantyImei,
)
from ..warranty.rules import luhn_check_digit
from .context import Context


def _imei(ctx: Context, tac: str) -> str:
    """A valid IMEI under `tac`: a random serial and the Luhn check digit."""
    body = f"{tac}{ctx.rng.randrange(10**6):06d}"
    return body + str(luhn_check_digit(body))


def make_warranty(ctx: Context) -> None:
    """Cards sold at the clerks' stores, HQ's shipment records for them (a few shipped to
    another region: diversion) plus units still in the channel, and reps' shelf spot checks."""
    rng = ctx.rng
    products = list(db.session.scalars(select(Product).where(Product.active)))
    weights = [3.0 if (ctx.today - p.launch_date).days < 300 else 1.5 for p in products]
    regions = [region.id for region, _spec in ctx.regions]
    partners = list(db.session.scalars(select(Partner.id).where(Partner.kind != PartnerKind.ONLINE)))
    hq = db.session.scalars(select(User).where(User.username == "hq")).one()
    used: set[str] = set()

    def fresh_imei(product: Product) -> str:
        while True:
            imei = _imei(ctx, rng.choice(product.tac_codes))
            if imei not in used:
                used.add(imei)
                return imei

    imp = ShipmentImport(
        filename="物流发货明细-demo.csv",
        path="",
        sha256="0" * 64,
        total_bytes=0,
        status=ImportStatus.DONE,
        created_by=hq.id,
        created_at=ctx.now - timedelta(days=1),
        started_at=ctx.now - timedelta(days=1),
        finished_at=ctx.now - timedelta(days=1),
    )
    db.session.add(imp)
    db.session.flush()
    cards, shipments = [], []
    for clerk, store in ctx.clerk_stores:
        per_day = 2.5 if clerk.username == "clerk.gz" else rng.uniform(0.3, 1.5)
        for offset in range(ctx.days, 0, -1):
            day = ctx.today - timedelta(days=offset)
            for _ in range(int(per_day + rng.random())):
                product = rng.choices(products, weights=weights)[0]
                if day < product.launch_date:
                    continue
                imei = fresh_imei(product)
                at = ctx.local(day, rng.randint(10, 21), rng.randint(0, 59))
                cards.append(
                    WarrantyCard(
                        id=ctx.uuid(),
                        imei=imei,
                        imei2=fresh_imei(product) if rng.random() < 0.6 else None,
                        product_id=product.id,
                        serial_number=f"{product.model_code.replace('-', '')}{rng.randrange(10**8):08d}",
                        buyer_name=ctx.person(),
                        buyer_phone=ctx.mobile(),
                        buyer_address=""
                        if rng.random() < 0.5
                        else f"{store.area.district}{rng.choice(store.area.streets)}{rng.randint(1, 300)}号",
                        invoice_number=f"{day:%Y%m%d}{rng.randrange(10**6):06d}",
                        purchase_date=day,
                        store_id=store.id,
                        registered_by=clerk.id,
                        registered_at=at,
                        received_at=at + timedelta(minutes=rng.choice((0, 0, 1, 30, 240))),
                    )
                )
                if rng.random() < 0.9:  # the rest were shipped before the records start
                    diverted = rng.random() < 0.05
                    region = rng.choice([r for r in regions if r != store.region_id]) if diverted else store.region_id
                    shipments.append(
                        {
                            "imei": imei,
                            "product_id": product.id,
                            "ship_date": max(product.launch_date, day - timedelta(days=rng.randint(3, 40))),
                            "region_id": region,
                            "partner_id": rng.choice(partners),
                            "import_id": imp.id,
                            "line": len(shipments) + 2,
                        }
                    )
    db.session.add_all(cards)
    db.session.flush()
    db.session.add_all(
        WarrantyImei(imei=i, card_id=card.id) for card in cards for i in (card.imei, card.imei2) if i is not None
    )
    # Units still in the channel: shipped, not sold yet (spot checks find some on shelves).
    in_channel = []
    for _ in range(int(3000 * ctx.scale) + 50):
        product = rng.choices(products, weights=weights)[0]
        row = {
            "imei": fresh_imei(product),
            "product_id": product.id,
            "ship_date": max(product.launch_date, ctx.today - timedelta(days=rng.randint(1, 60))),
            "region_id": rng.choice(regions),
            "partner_id": rng.choice(partners),
            "import_id": imp.id,
            "line": len(shipments) + len(in_channel) + 2,
        }
        in_channel.append(row)
    insert_shipments(shipments + in_channel, bulk_load=False)
    imp.rows_read = imp.rows_loaded = len(shipments) + len(in_channel)
    db.session.flush()
    flags = diversion.check_cards(cards)
    # Reps note IMEIs on the shelves of some visited stores: mostly units shipped to that
    # region, now and then one from elsewhere.
    checks = []
    visits = [v for vs in ctx.visits_by_rep.values() for v in vs]
    for visit in rng.sample(visits, min(len(visits), int(60 * ctx.scale) + 5)):
        store = visit["_store"]
        local = [u for u in in_channel if u["region_id"] == store.region_id]
        unit = rng.choice(local if local and rng.random() < 0.9 else in_channel)
        checks.append(
            ImeiSpotCheck(
                id=ctx.uuid(),
                rep_id=visit["rep_id"],
                store_id=store.id,
                visit_id=visit["id"],
                imei=unit["imei"],
                seen_at=visit["checked_in_at"] + timedelta(minutes=5),
                received_at=visit["received_at"],
            )
        )
    db.session.add_all(checks)
    db.session.flush()
    flags += diversion.check_spot_checks(checks)
    imp.flags_raised = flags
    ctx.summary["warranty_cards"] = len(cards)
    ctx.summary["shipments"] = len(shipments) + len(in_channel)
    ctx.summary["spot_checks"] = len(checks)
    ctx.summary["diversion_flags"] = flags
