"""Stores and their contacts: about 480 stores scattered around the real neighbourhoods of each
territory (see `geography`), of the formats a phone brand sells through.

Each territory's first store is our flagship shop (星澜手机专卖店) in its first area; the others
are counters (专柜) in chain stores and carriers' halls, independent phone shops, our own shops and
JD's stores, with the tiers, the share of prospects and of closed stores, and the display quality
typical of their format. Names and addresses follow Chinese usage (苏宁易购 天河城店, 中国移动 …营业厅,
广东省广州市天河区天河路123号2楼). Each store keeps some promo materials and has one or two contacts
(the promoter, and often the store manager or owner).
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import insert

from ..catalogue.models import MaterialKind
from ..extensions import db
from ..stores.models import (
    ContactRole,
    Store,
    StoreContact,
    StoreContactHistory,
    StoreKind,
    StoreStatus,
    StoreTier,
)
from .context import BRAND, Context, StoreInfo
from .geography import Area, offset_point
from .org import CARRIERS, RETAIL_CHAINS

# Independent phone shops' trade names (intel's new-shop reports use them too).
INDEPENDENT_SHOPS = (
    "讯达通讯",
    "金鹏手机城",
    "宏达数码",
    "万联通讯",
    "乐购手机",
    "新时代手机广场",
    "佳讯通讯",
    "恒通数码",
)

# format → (weight, kind, tier weights A/B/C, quality range)
STORE_FORMATS = {
    "ours": (0.14, StoreKind.SHOP, (3, 6, 1), (0.82, 0.97)),
    "chain": (0.30, StoreKind.COUNTER, (20, 50, 30), (0.68, 0.92)),
    "carrier": (0.24, StoreKind.COUNTER, (10, 40, 50), (0.58, 0.86)),
    "independent": (0.26, None, (5, 30, 65), (0.45, 0.80)),
    "online": (0.06, StoreKind.COUNTER, (0, 1, 0), (0.75, 0.92)),
}


def _store_name(ctx: Context, names_used: set[str], fmt: str, brand: str, area: Area, street: str) -> str:
    """A name no other store has: by the area or the street, else numbered (第二营业厅, 二店)."""
    rng = ctx.rng
    street = street.removesuffix("街")
    if fmt == "carrier":
        options = [f"{brand} {area.name}营业厅", f"{brand} {street}营业厅", f"{brand} {area.name}旗舰营业厅"]
    elif fmt == "ours":
        options = [f"{BRAND}手机专卖店 {area.name}店", f"{BRAND}授权体验店 {street}店"]
    else:
        options = [f"{brand} {area.name}店", f"{brand} {street}店"]
    rng.shuffle(options)
    if fmt == "ours" and f"{BRAND}手机专卖店 {area.name}店" not in names_used:
        options.insert(0, f"{BRAND}手机专卖店 {area.name}店")
    for name in options:
        if name not in names_used:
            return name
    base = options[0]
    for n in "二三四五六七八九":
        name = f"{base[:-3]}第{n}营业厅" if base.endswith("营业厅") else f"{base[:-1]}{n}店"
        if name not in names_used:
            return name
    return f"{base} {rng.randrange(100, 999)}"


def make_stores(ctx: Context) -> None:
    """The territories' stores, inserted in bulk; `ctx.stores` keeps what the later steps need."""
    rng = ctx.rng
    chains = [(ctx.partner_by_code[c], w) for c, _, w in RETAIL_CHAINS]
    carriers = [(ctx.partner_by_code[c], w) for c, _, w in CARRIERS]
    jd = ctx.partner_by_code["JD"]
    formats = [(f, spec[0]) for f, spec in STORE_FORMATS.items()]
    names_used: set[str] = set()
    orm: list[Store] = []
    pending: list[tuple[Store, StoreInfo]] = []
    for territory, tspec, region, rspec in ctx.territories:
        count = max(3, round(tspec.stores * ctx.scale * rng.uniform(0.9, 1.1)))
        for n in range(1, count + 1):
            # Each territory's first store is our flagship shop in its first area.
            fmt = "ours" if n == 1 else ctx.weighted(formats)
            area = tspec.areas[0] if n == 1 else rng.choice(tspec.areas)
            _w, kind, tier_weights, (q_lo, q_hi) = STORE_FORMATS[fmt]
            if fmt == "chain":
                partner = ctx.weighted(chains)
                brand = partner.name
            elif fmt == "carrier":
                partner = ctx.weighted(carriers)
                brand = partner.name
            elif fmt == "online":
                partner, brand = jd, rng.choice(("京东之家", "京东电器"))
            elif fmt == "ours":
                partner, brand = ctx.local_distributor[territory.id], BRAND
            else:
                partner = ctx.local_distributor[territory.id]
                brand = rng.choice(INDEPENDENT_SHOPS)
            if kind is None:
                kind = StoreKind.COUNTER if rng.random() < 0.65 else StoreKind.SHOP
            tier = StoreTier.A if n == 1 else rng.choices(list(StoreTier), weights=tier_weights)[0]
            r = rng.random()
            status = StoreStatus.ACTIVE
            if n > 1 and r < 0.06 and fmt in ("independent", "online", "ours"):
                status = StoreStatus.PROSPECT
            elif n > 1 and r > 0.96:
                status = StoreStatus.CLOSED
            street = rng.choice(area.streets)
            name = _store_name(ctx, names_used, fmt, brand, area, street)
            names_used.add(name)
            # Gaussian scatter around the area, within 2.2 sigma so nothing lands in the sea.
            while True:
                dx, dy = rng.gauss(0, tspec.sigma_m), rng.gauss(0, tspec.sigma_m)
                if math.hypot(dx, dy) <= 2.2 * tspec.sigma_m:
                    break
            lat, lon = offset_point(area.lat, area.lon, math.hypot(dx, dy), math.atan2(dx, dy))
            address = f"{rspec.province}{tspec.city}{area.district}{street}{rng.randint(1, 420)}号"
            if kind == StoreKind.COUNTER and rng.random() < 0.5:
                address += f"{rng.randint(1, 4)}楼"
            if status == StoreStatus.PROSPECT:
                created = ctx.now - timedelta(days=rng.randint(3, 60), minutes=rng.randint(0, 600))
            else:
                created = ctx.now - timedelta(days=rng.randint(90, 1500), minutes=rng.randint(0, 600))
            updated = created
            if status == StoreStatus.CLOSED:
                updated = ctx.now - timedelta(days=rng.randint(ctx.days + 1, 120))
            store = Store(
                code=f"{tspec.code}-{n:03d}",
                name=name,
                partner_id=partner.id,
                territory_id=territory.id,
                kind=kind,
                address=address,
                latitude=lat,
                longitude=lon,
                tier=tier,
                status=status,
                created_at=created,
                updated_at=updated,
            )
            orm.append(store)
            info = StoreInfo(
                0,
                store.code,
                name,
                territory.id,
                region.id,
                lat,
                lon,
                fmt,
                tier,
                status,
                quality=rng.uniform(q_lo, q_hi),
                price_bias=rng.gauss(-0.01 if fmt == "independent" else 0.0, 0.008),
                area=area,
            )
            pending.append((store, info))
    db.session.add_all(orm)
    db.session.flush()
    for store, info in pending:
        info.id = store.id
        info.materials = _materials_for(ctx, info, store.kind)
        ctx.stores.append(info)
        ctx.stores_by_territory.setdefault(info.territory_id, []).append(info)
    ctx.summary["stores"] = len(ctx.stores)


def _materials_for(ctx: Context, store: StoreInfo, kind: str) -> list[int]:
    """Which promo materials a store keeps: a shop all of them, a counter a few."""
    if kind == StoreKind.SHOP:
        return [m.id for m in ctx.materials]
    keep = {MaterialKind.POSTER, MaterialKind.GIFT, MaterialKind.DEMO_UNIT}
    ids = [m.id for m in ctx.materials if m.kind in keep]
    return [i for i in ids if ctx.rng.random() < 0.8] or ids[:1]


def make_contacts(ctx: Context) -> None:
    """Each store's promoter, and often its manager (or owner): rows with their history's first entry."""
    rng = ctx.rng
    contacts, history = [], []
    for store in ctx.stores:
        roles = [ContactRole.PROMOTER]
        if rng.random() < 0.6:
            roles.append(ContactRole.OWNER if store.fmt == "independent" else ContactRole.STORE_MANAGER)
        for role in roles:
            cid = ctx.uuid()
            name, phone = ctx.person(), ctx.mobile()
            at = ctx.now - timedelta(days=rng.randint(ctx.days, 400), minutes=rng.randint(0, 900))
            contacts.append(
                {
                    "id": cid,
                    "store_id": store.id,
                    "name": name,
                    "role": role,
                    "phone": phone,
                    "updated_at": at,
                    "updated_by": ctx.admin.id,
                    "deleted_at": None,
                }
            )
            history.append(
                {
                    "contact_id": cid,
                    "store_id": store.id,
                    "action": "created",
                    "name": name,
                    "role": role,
                    "phone": phone,
                    "changed_by": ctx.admin.id,
                    "changed_at": at,
                }
            )
    db.session.execute(insert(StoreContact), contacts)
    db.session.execute(insert(StoreContactHistory), history)
    ctx.summary["store_contacts"] = len(contacts)
