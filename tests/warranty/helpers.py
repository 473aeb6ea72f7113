"""Builders for warranty cards, spot checks and shipment CSVs, and a poll for import jobs."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

from backend.catalogue.models import Product
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.warranty.service import business_today
from tests.factories import N10_TAC, P30_TAC, iso, new_id
from tests.factories import imei as make_imei

CARDS = "/api/v1/warranty-cards"
IMPORTS = "/api/v1/shipment-imports"
SPOT_CHECKS = "/api/v1/imei-spot-checks"
HEADER = "imei,model,ship_date,region,partner"

with_redis = bool(os.environ.get("REDIS_URL"))


def today() -> date:
    return business_today()


def local_day(utc_iso: str) -> str:
    """The business-zone calendar day of a UTC time as the API shows it."""
    from datetime import datetime

    from backend.core.timeutil import business_date

    return business_date(datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).replace(tzinfo=None)).isoformat()


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()


def make_product(model_code: str = "XL-N10", tacs: tuple[str, ...] = (N10_TAC,), **kw) -> Product:
    """A second model of ours (the world has only XL-P30), on sale since 2025 unless told."""
    product = Product(
        model_code=model_code,
        name=kw.pop("name", f"星澜 {model_code}"),
        launch_date=kw.pop("launch_date", date(2025, 1, 1)),
        tac_codes=list(tacs),
        **kw,
    )
    db.session.add(product)
    db.session.commit()
    return product


def card_body(world, serial: int = 1, *, tac: str = P30_TAC, **kw) -> dict:
    """What a clerk's phone sends for the phone with IMEI `imei(tac, serial)`."""
    return {
        "id": new_id(),
        "imei": make_imei(tac, serial),
        "product_id": world.product.id,
        "serial_number": f"SN{serial:08d}",
        "buyer_name": "张三丰",
        "buyer_phone": "138 1234 5678",
        "buyer_address": "广州市天河区天河路208号",
        "invoice_number": f"FP-{serial:06d}",
        "purchase_date": days_ago(3),
        "registered_at": iso(utcnow().replace(microsecond=0) - timedelta(minutes=5)),
        **kw,
    }


def register(client, body: dict, status: int = 201) -> dict:
    r = client.post(CARDS, json=body)
    assert r.status_code == status, r.json
    return r.json


def spot_check_body(store, imei: str, **kw) -> dict:
    return {
        "id": new_id(),
        "store_id": store.id,
        "imei": imei,
        "seen_at": iso(utcnow().replace(microsecond=0) - timedelta(minutes=10)),
        **kw,
    }


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\n".join([header, *rows]).encode(encoding) + b"\n"


def shipment_row(imei: str, model: str = "XL-P30", ship_date: str | None = None, region: str = "GD", partner="SN"):
    return f"{imei},{model},{ship_date or days_ago(30)},{region},{partner}"


def upload(client, data: bytes, filename: str = "shipments.csv", status: int = 202) -> dict:
    """Upload a CSV as a multipart form (the web page's way)."""
    from io import BytesIO

    r = client.post(IMPORTS, data={"file": (BytesIO(data), filename)}, content_type="multipart/form-data")
    assert r.status_code == status, r.json
    return r.json


def wait_import(client, import_id: int, timeout: float = 30.0) -> dict:
    """Poll the import until its job has finished (at once in-process; an rq worker otherwise)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # the test shares the app's session: read what the worker wrote
        r = client.get(f"{IMPORTS}/{import_id}")
        assert r.status_code == 200, r.json
        if r.json["status"] in ("done", "failed"):
            return r.json
        if time.monotonic() > deadline:
            raise AssertionError(f"import {import_id} still {r.json['status']} after {timeout} s")
        time.sleep(0.05)


def run_import(client, data: bytes, filename: str = "shipments.csv") -> dict:
    """Upload and wait for the job: the finished import."""
    return wait_import(client, upload(client, data, filename)["id"])


def import_errors(client, import_id: int) -> list[tuple[int, str]]:
    r = client.get(f"{IMPORTS}/{import_id}/errors", query_string={"page_size": 100})
    assert r.status_code == 200, r.json
    return [(e["line"], e["reason"]) for e in r.json]
