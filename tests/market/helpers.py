"""Helpers for the market tests: price observations posted through the API at Shanghai times in
past ISO weeks, and waiting for the rollup job (in-process without REDIS_URL: done when the request
returns; with it, a real rq worker: poll until no cell is dirty)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, datetime, timedelta

from backend.core.timeutil import business_today
from backend.extensions import db
from backend.market import rules
from backend.market.models import PriceCellDirty
from tests.factories import ApiClient, iso
from tests.routes.helpers import local


def monday(weeks_ago: int) -> date:
    """The Monday of the ISO week `weeks_ago` weeks before this one (Shanghai calendar)."""
    return rules.period_start(business_today(), rules.WEEK) - timedelta(weeks=weeks_ago)


def observe(
    client: ApiClient,
    store,
    at: datetime,
    shelf: str,
    *,
    competitor_model=None,
    product=None,
    promo: str | None = None,
    promo_text: str = "",
    visit_id: str | None = None,
    status: int = 201,
) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "store_id": store.id,
        "shelf_price": shelf,
        "observed_at": iso(at),
    }
    if product is not None:
        body["product_id"] = product.id
    else:
        body["competitor_model_id"] = competitor_model.id
    if promo is not None:
        body["promo_price"] = promo
    if promo_text:
        body["promo_text"] = promo_text
    if visit_id is not None:
        body["visit_id"] = visit_id
    r = client.post("/api/v1/price-observations", json=body)
    assert r.status_code == status, r.json
    return r.json


def settle(timeout: float = 60.0) -> None:
    """Wait until no price cell is dirty. A job takes a cell's dirty mark away in the transaction
    that recomputes the cell and checks it for a drop, so once none is left every observation
    posted so far is in the cells and the alerts (jobs still queued after that find nothing to do)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # the test shares the app's session: read what the job committed
        dirty = db.session.query(PriceCellDirty).count()
        if not dirty:
            return
        if not os.environ.get("REDIS_URL") or time.monotonic() > deadline:
            raise AssertionError(f"{dirty} price cells still dirty")
        time.sleep(0.05)


__all__ = ["local", "monday", "observe", "settle"]
