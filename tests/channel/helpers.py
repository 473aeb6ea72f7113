"""Builders for the channel tests: shipments through the import loader, cards, reports and
estimates through the services, and the rollup tables as plain dicts to compare."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backend.channel.models import ChannelCohort, ChannelSale, ChannelStock, ChannelWeek, SellOutCell, StoreSellOutWeek
from backend.extensions import db
from backend.warranty.imports import _Loader
from backend.warranty.models import ImportStatus, ShipmentImport
from backend.warranty.service import business_today

TABLES = {
    ChannelCohort: (("region_id", "partner_id", "product_id", "ship_week"), ("shipped", "sold")),
    ChannelSale: (("region_id", "partner_id", "product_id", "ship_week", "sale_week"), ("units",)),
    ChannelStock: (("region_id", "partner_id", "product_id"), ("shipped", "sold")),
    ChannelWeek: (("region_id", "partner_id", "product_id", "week_start"), ("shipped", "sold")),
    StoreSellOutWeek: (
        ("store_id", "model_key", "week_start"),
        ("card_units", "declared_units", "declared_reports", "estimated_units", "estimates"),
    ),
    SellOutCell: (
        ("region_id", "model_key", "week_start"),
        ("card_units", "declared_units", "declared_reports", "estimated_units", "estimates"),
    ),
}


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def ago(days: int) -> date:
    return business_today() - timedelta(days=days)


def rollups() -> dict[str, dict[tuple, tuple]]:
    """Every rollup row with a non-zero figure: {table: {key: figures}} (a row an increment
    brought back to zero is the same as no row), and "channel_declared": {(table, *key):
    declared units} of channel_stock and channel_weeks."""
    out = {}
    for model, (key, values) in TABLES.items():
        rows = {}
        for row in db.session.execute(select(*(getattr(model, c) for c in key + values))):
            k, v = tuple(row[: len(key)]), tuple(row[len(key) :])
            if any(v):
                rows[k] = v
        out[model.__tablename__] = rows
    # Of `sold`, the units declared at stores without a clerk: apart, so that the tables above
    # keep their (shipped, sold) shape.
    declared = {}
    for model in (ChannelStock, ChannelWeek):
        key = TABLES[model][0]
        for row in db.session.execute(select(*(getattr(model, c) for c in key), model.declared)):
            if row[-1]:
                declared[(model.__tablename__, *row[:-1])] = row[-1]
    out["channel_declared"] = declared
    return out


def ship(hq, *units: tuple, commit: bool = True) -> ShipmentImport:
    """Load shipments with the import loader's own `load`, as one import that ends: units are (imei, product_id,
    ship_date, region_id, partner_id | None)."""
    imp = ShipmentImport(filename="t.csv", path="t.csv", sha256="0" * 64, total_bytes=1, created_by=hq.id)
    db.session.add(imp)
    db.session.flush()
    loader = _Loader(imp)
    batch = [
        (
            i + 2,
            [imei],
            {"imei": imei, "product_id": pid, "ship_date": day, "region_id": region, "partner_id": partner},
        )
        for i, (imei, pid, day, region, partner) in enumerate(units)
    ]
    loader.load(batch)
    # A one-batch import that ended: its commit counts its units in the channel's rollups (a batch
    # of a running import leaves them pending until a fold: tests/channel/test_rollup_fold.py).
    imp.status = ImportStatus.DONE
    if commit:
        db.session.commit()
    return imp
