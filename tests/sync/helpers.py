"""A tiny test-side sync client: builds envelopes with HLCs and consecutive mutation ids."""

from __future__ import annotations

import time
import uuid

from sync_protocol import Clock
from tests.factories import ApiClient


class Device:
    """One installation of the app for one user: its own client_id, clock and mutation counter."""

    def __init__(self, api: ApiClient, client_id: str | None = None):
        self.api = api
        self.client_id = client_id or f"dev-{uuid.uuid4().hex[:12]}"
        self.clock = Clock(self.client_id)
        self.next_id = 1
        self.cursor: str | None = None

    def mutation(self, name: str, args: dict, *, hlc: str | None = None) -> dict:
        m = {"id": self.next_id, "name": name, "args": args, "hlc": hlc or self.clock.now().encode()}
        self.next_id += 1
        return m

    def push(self, mutations: list[dict], **extra):
        body = {"client_id": self.client_id, "protocol_version": 1, "app_version": "test", "mutations": mutations}
        return self.api.post("/api/v1/sync/push", json=body | extra)

    def pull(self, cursor: str | None = None, limit: int = 500):
        params = {"client_id": self.client_id, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self.api.get("/api/v1/sync/pull", query_string=params)

    def pull_all(self, cursor: str | None = None, limit: int = 500) -> tuple[list[dict], str, dict]:
        """Follow has_more to the end; returns (all items, final cursor, last response body)."""
        items: list[dict] = []
        while True:
            r = self.pull(cursor, limit)
            assert r.status_code == 200, r.json
            items.extend(r.json["changes"])
            cursor = r.json["cursor"]
            if not r.json["has_more"]:
                return items, cursor, r.json


def now_ms() -> int:
    return int(time.time() * 1000)


# --- mutation arguments: the same bodies the REST endpoints take -----------------------------


def _iso_ago(**delta) -> str:
    from datetime import timedelta

    from backend.core.timeutil import utcnow
    from tests.factories import iso

    return iso(utcnow().replace(microsecond=0) - timedelta(**delta))


def check_in_args(store, visit_id: str | None = None, **kw) -> dict:
    return {
        "id": visit_id or str(uuid.uuid4()),
        "store_id": store.id,
        "checked_in_at": _iso_ago(hours=1),
        "latitude": store.latitude,
        "longitude": store.longitude,
        "accuracy_m": 15,
        **kw,
    }


def check_out_args(visit_id: str, **kw) -> dict:
    return {"visit_id": visit_id, "checked_out_at": _iso_ago(minutes=30), **kw}


def display_check_args(visit_id: str, item_id: int, **kw) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "visit_id": visit_id,
        "checked_at": _iso_ago(minutes=40),
        "answers": [{"item_id": item_id, "value": True}],
        **kw,
    }


def movement_args(store, material_id: int, quantity: int = 5, kind: str = "delivered", **kw) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "store_id": store.id,
        "material_id": material_id,
        "kind": kind,
        "quantity": quantity,
        "recorded_at": _iso_ago(minutes=45),
        **kw,
    }


def price_args(store, competitor_model_id: int, price: str = "2599.00", **kw) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "store_id": store.id,
        "competitor_model_id": competitor_model_id,
        "shelf_price": price,
        "observed_at": _iso_ago(minutes=50),
        **kw,
    }


def intel_args(store, **kw) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "renovation",
        "name": "装修中",
        "latitude": store.latitude,
        "longitude": store.longitude,
        "store_id": store.id,
        "reported_at": _iso_ago(minutes=55),
        **kw,
    }


def store_update_args(store_id: int, fields: dict, base: dict | None = None) -> dict:
    args = {"store_id": store_id, "fields": fields}
    if base is not None:
        args["base"] = base
    return args


def contact_upsert_args(store_id: int, contact_id: str, fields: dict, base: dict | None = None) -> dict:
    args = {"store_id": store_id, "id": contact_id, "fields": fields}
    if base is not None:
        args["base"] = base
    return args


def contact_delete_args(store_id: int, contact_id: str) -> dict:
    return {"store_id": store_id, "id": contact_id}


# --- a replica built from pulls ----------------------------------------------------------------


def key(item: dict) -> tuple[str, str]:
    return item["entity"], item["id"]


def apply_changes(replica: dict, items: list[dict]) -> None:
    """Apply pulled items to `replica` ((entity, id) → {"data", "clock"}) as a client would."""
    for item in items:
        if item["op"] == "put":
            replica[key(item)] = {"data": item["data"], "clock": item.get("clock")}
        elif item["op"] in ("delete", "remove"):
            replica.pop(key(item), None)
        else:  # pragma: no cover - a new op the test does not know
            raise AssertionError(f"unknown op in {item}")


def snapshot(device: Device, limit: int = 500) -> dict:
    """A fresh snapshot of the device's scope (no cursor), as a replica."""
    items, _cursor, _last = device.pull_all(None, limit)
    replica: dict = {}
    apply_changes(replica, items)
    return replica
