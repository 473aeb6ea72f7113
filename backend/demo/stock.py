"""Promo-material stock: the ledger lines reps record during visits (`record_stock`, called by
`visits` at about half the visits to active stores).

Each store keeps some materials (see `stores._materials_for`); a visit records one to three of
them, mostly ones already counted before. The first entry of a store's ledger for a material is
always a count; after that gifts, posters and price cards are used up and delivered again when
low, a demo phone goes back for repair now and then, and a monthly recount sometimes finds an
item or two missing (promo material leaks). The quantities always fold to a stock of zero or
more, as the API's ledger arithmetic requires.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from ..catalogue.models import MaterialKind
from ..stock.models import MovementKind
from .context import Context, RepInfo, StoreInfo


def record_stock(ctx: Context, rep: RepInfo, store: StoreInfo, vid: uuid.UUID, at: datetime, sync) -> None:
    """A coherent ledger: a first count, then deliveries, uses, returns and recounts, with the
    odd missing item (promo material leaks)."""
    rng = ctx.rng
    kinds = {m.id: m.kind for m in ctx.materials}
    known = [m for m in store.materials if (store.id, m) in ctx.stock]
    pool = known if known and rng.random() < 0.7 else store.materials
    for mid in rng.sample(pool, min(len(pool), rng.randint(1, 3))):
        kind = kinds[mid]
        have = ctx.stock.get((store.id, mid))
        if have is None:
            qty = {
                MaterialKind.POSTER: rng.randint(1, 8),
                MaterialKind.STANDEE: rng.randint(1, 2),
                MaterialKind.DEMO_UNIT: rng.randint(1, 4),
                MaterialKind.GIFT: rng.randint(5, 40),
                MaterialKind.OTHER: rng.randint(10, 40),
            }[kind]
            move, note, have = MovementKind.COUNTED, "首次盘点", qty
        else:
            r = rng.random()
            low = {MaterialKind.GIFT: 6, MaterialKind.POSTER: 2, MaterialKind.OTHER: 8}.get(kind, 0)
            if have <= low and kind in (MaterialKind.GIFT, MaterialKind.POSTER, MaterialKind.OTHER):
                qty = rng.randint(10, 30) if kind == MaterialKind.GIFT else rng.randint(4, 12)
                move, note, have = MovementKind.DELIVERED, "区域仓配送到店", have + qty
            elif kind == MaterialKind.DEMO_UNIT and have > 0 and r < 0.08:
                qty = 1
                move, note, have = MovementKind.RETURNED, "演示机故障，返厂维修", have - 1
            elif kind in (MaterialKind.GIFT, MaterialKind.POSTER, MaterialKind.OTHER) and have > 0 and r < 0.65:
                qty = rng.randint(1, min(have, 8 if kind == MaterialKind.GIFT else 2))
                note = "购机赠送" if kind == MaterialKind.GIFT else "更换/张贴"
                move, have = MovementKind.USED, have - qty
            else:
                missing = rng.randint(1, 2) if have > 1 and rng.random() < 0.2 else 0
                qty = have - missing
                note = f"月度盘点，差异{missing}" if missing else "月度盘点"
                move, have = MovementKind.COUNTED, qty
        ctx.stock[(store.id, mid)] = have
        ctx.movements.append(
            {
                "id": ctx.uuid(),
                "rep_id": rep.user_id,
                "store_id": store.id,
                "material_id": mid,
                "visit_id": vid,
                "kind": move,
                "quantity": qty,
                "recorded_at": at,
                "note": note,
                "received_at": sync(at),
            }
        )
        at += timedelta(seconds=rng.randint(20, 120))
