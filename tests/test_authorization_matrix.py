"""Who may call what: every endpoint of the OpenAPI document × every role, in one table.

Each row is one call (method, OpenAPI path, which records fill the path, which body) and the
status each role gets. The rows must cover every operation in the OpenAPI document, so a new
endpoint without a row fails here. Records are made first through the API by their owners:

    rep      = rep_a1    (territory A1 of region A)
    manager  = manager_a (region A)
    clerk    = clerk_a1  (store A1-001)
    hq, admin

and the matrix calls each endpoint on records that are the caller's own, another rep's in the
same territory (rep_a1b), in another territory of the region (store_a2), and in another region
(rep_b1, store_b1), so scope is exercised as well as roles.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from PIL import Image

from backend.core.timeutil import utcnow
from backend.photos.service import process_photo
from sync_protocol import HLC
from tests.factories import (
    PASSWORD,
    ApiClient,
    competitor_sellout_body,
    imei,
    iso,
    sellout_report_body,
    shop_stock_count_body,
)
from tests.sync.helpers import Device, now_ms

ROLES = ("rep", "manager", "clerk", "hq", "admin")
ACTOR = {"rep": "rep_a1", "manager": "manager_a", "clerk": "clerk_a1", "hq": "hq", "admin": "admin"}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def codes(rep: int, manager: int, clerk: int, hq: int, admin: int) -> dict[str, int]:
    return {"rep": rep, "manager": manager, "clerk": clerk, "hq": hq, "admin": admin}


ALL_200 = codes(200, 200, 200, 200, 200)
ADMIN_201 = codes(403, 403, 403, 403, 201)
ADMIN_200 = codes(403, 403, 403, 403, 200)
FIELD_READ = codes(200, 200, 403, 200, 200)  # lists of field records
FIELD_CREATE = codes(201, 201, 403, 403, 403)
FIELD_CREATE_OUT_OF_SCOPE = codes(404, 404, 403, 403, 403)
OWN_RECORD = codes(200, 200, 403, 200, 200)  # rep_a1's record at store_a1
SAME_TERRITORY_OTHER_REP = codes(404, 200, 403, 200, 200)  # rep_a1b's record
OTHER_REGION_RECORD = codes(404, 404, 403, 200, 200)  # rep_b1's record
HQ_ONLY = codes(403, 403, 403, 200, 200)


@dataclass
class Row:
    method: str
    path: str  # as in the OpenAPI document
    expect: dict[str, int]
    params: dict[str, str] = field(default_factory=dict)  # path placeholder -> context key ({role}: the caller's)
    body: Callable[[dict, str], Any] | None = None  # (context, role) -> JSON body (bytes: a raw body)
    query: str = ""
    photo: bool = False  # PUT a fresh JPEG under a fresh id
    fresh_token: bool = False  # the call ends its session (logout)
    visible: dict[str, set[str]] | None = None  # for lists: role -> context keys it must see
    outcomes: dict[str, list[str]] | None = None  # for sync pushes: role -> each mutation's outcome
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


# --- bodies -----------------------------------------------------------------------------------


def now(ctx) -> str:
    return iso(ctx["now"])


def visit_body(store_key):
    def body(ctx, role):
        lat, lon = ctx[f"{store_key}_pos"]
        return {
            "id": str(uuid.uuid4()),
            "store_id": ctx[store_key],
            "checked_in_at": iso(ctx["now"] - timedelta(minutes=3)),
            "latitude": lat,
            "longitude": lon,
            "accuracy_m": 15,
        }

    return body


def display_check_body(visit_for_role):
    def body(ctx, role):
        return {
            "id": str(uuid.uuid4()),
            "visit_id": ctx[visit_for_role(role)],
            "checked_at": now(ctx),
            "answers": [{"item_id": ctx["yes_item"], "value": True}],
        }

    return body


def movement_body(store_key):
    def body(ctx, role):
        return {
            "id": str(uuid.uuid4()),
            "store_id": ctx[store_key],
            "material_id": ctx["material"],
            "kind": "delivered",
            "quantity": 5,
            "recorded_at": now(ctx),
        }

    return body


def price_body(store_key):
    def body(ctx, role):
        return {
            "id": str(uuid.uuid4()),
            "store_id": ctx[store_key],
            "competitor_model_id": ctx["competitor_model"],
            "shelf_price": "2599.00",
            "observed_at": now(ctx),
        }

    return body


def shop_stock_body(store_key):
    def body(ctx, role):
        return shop_stock_count_body(ctx[store_key], ctx["product"], counted_at=now(ctx))

    return body


def sellout_body(store_key):
    def body(ctx, role):
        return sellout_report_body(ctx[store_key], ctx["product"], reported_at=now(ctx))

    return body


def competitor_body(store_key):
    def body(ctx, role):
        return competitor_sellout_body(ctx[store_key], ctx["competitor_model"], reported_at=now(ctx))

    return body


def intel_body(store_key):
    def body(ctx, role):
        lat, lon = ctx[f"{store_key}_pos"]
        return {
            "id": str(uuid.uuid4()),
            "kind": "renovation",
            "name": "装修中",
            "latitude": lat,
            "longitude": lon,
            "store_id": ctx[store_key],
            "reported_at": now(ctx),
        }

    return body


def upload_start_body(ctx, role):
    return {"sha256": hashlib.sha256(b"a photo").hexdigest(), "size": 1000}


def upload_chunk_body(ctx, role) -> bytes:  # bytes: sent as the raw body
    return b"the first bytes"


def checkout_body(ctx, role):
    return {"checked_out_at": iso(ctx["now"] - timedelta(minutes=1))}


def contact_body(ctx, role):
    return {"name": f"Contact {role}", "role": "promoter", "phone": "13800138000"}


def card_body(serial_base: int, **extra):
    """A warranty card, with an IMEI of its own per role (serial_base + the role's index)."""

    def body(ctx, role):
        serial = serial_base + ROLES.index(role)
        return {
            "id": str(uuid.uuid4()),
            "imei": imei(serial=serial),
            "product_id": ctx["product"],
            "serial_number": f"SN{serial:08d}",
            "buyer_name": "张三丰",
            "buyer_phone": "13812345678",
            "invoice_number": f"FP-{serial}",
            "purchase_date": (ctx["now"] - timedelta(days=2)).date().isoformat(),
            "registered_at": now(ctx),
            **extra,
        }

    return body


def spot_check_body(store_key, serial_base: int = 600):
    def body(ctx, role):
        return {
            "id": str(uuid.uuid4()),
            "store_id": ctx[store_key],
            "imei": imei(serial=serial_base + ROLES.index(role)),
            "seen_at": now(ctx),
        }

    return body


def shipments_csv(ctx, role) -> bytes:  # bytes: sent as the raw body
    row = f"{imei(serial=700 + ROLES.index(role))},XL-P30,2026-05-01,GX,SN"
    return f"imei,model,ship_date,region,partner\n{row}\n".encode()


def push_body(ctx, role):
    """A push from a fresh client of the caller: the mutations a field app may queue, each applied
    (or refused) by the same rules as its REST call. See PUSH_OUTCOMES."""
    client_id = f"matrix-{role}-{uuid.uuid4().hex[:8]}"
    lat, lon = ctx["store_a1_pos"]
    mutations = [
        ("visit.check_in", visit_body("store_a1")(ctx, role)),
        ("store.update", {"store_id": ctx["store_a1"], "fields": {"address": f"Moved by {role}"}}),
        ("store.update", {"store_id": ctx["store_a1"], "fields": {"tier": "C"}}),
        ("contact.upsert", {"store_id": ctx["store_a1"], "id": str(uuid.uuid4()), "fields": contact_body(ctx, role)}),
        ("price.observe", price_body("store_a1")(ctx, role)),
        ("visit.check_in", visit_body("store_b1")(ctx, role)),
        ("contact.upsert", {"store_id": ctx["store_b1"], "id": str(uuid.uuid4()), "fields": contact_body(ctx, role)}),
        ("warranty.register", card_body(200)(ctx, role)),
        ("warranty.correct", {"id": ctx["card_a1"], "fields": {"invoice_number": f"FP-{role}"}}),
        ("imei.spot_check", spot_check_body("store_a1", 210)(ctx, role)),
        ("imei.spot_check", spot_check_body("store_b1", 220)(ctx, role)),
    ]
    wall = now_ms()
    return {
        "client_id": client_id,
        "protocol_version": 1,
        "app_version": "matrix",
        "mutations": [
            {"id": i + 1, "name": name, "args": args, "hlc": HLC(wall, i, client_id).encode()}
            for i, (name, args) in enumerate(mutations)
        ],
    }


# "ok": applied or merged; otherwise the code it was rejected with.
# The last four: a card registered and one corrected at the counter, spot checks at store_a1 and store_b1.
PUSH_OUTCOMES = {
    "rep": ["ok", "ok", "forbidden", "ok", "ok", "not_found", "not_found", "forbidden", "forbidden", "ok", "not_found"],
    "manager": ["ok", "ok", "ok", "ok", "ok", "not_found", "not_found", "forbidden", "forbidden", "ok", "not_found"],
    "clerk": [
        *("forbidden", "forbidden", "forbidden", "ok", "forbidden", "forbidden", "not_found"),
        *("ok", "ok", "forbidden", "forbidden"),
    ],
    "hq": ["forbidden"] * 11,
    "admin": [
        "forbidden",
        "ok",
        "ok",
        "ok",
        "forbidden",
        "forbidden",
        "ok",
        "forbidden",
        "forbidden",
        "forbidden",
        "forbidden",
    ],
}


MASTER_DATA = {
    "regions": lambda ctx, role: {"code": f"R-{role}", "name": f"Region {role}"},
    "territories": lambda ctx, role: {"code": f"T-{role}", "name": f"T {role}", "region_id": ctx["region_a"]},
    "partners": lambda ctx, role: {"code": f"P-{role}", "name": f"P {role}", "kind": "carrier"},
    "products": lambda ctx, role: {"model_code": f"M-{role}", "name": f"Phone {role}"},
    "competitor-brands": lambda ctx, role: {"name": f"Brand {role}"},
    "competitor-models": lambda ctx, role: {"brand_id": ctx["brand"], "name": f"Model {role}"},
    "promo-materials": lambda ctx, role: {"code": f"PM-{role}", "name": f"PM {role}", "kind": "gift"},
    "checklist-items": lambda ctx, role: {
        "code": f"C-{role}",
        "label_zh": "项",
        "label_en": "Item",
        "answer_type": "number",
        "target": 1,
    },
}
MASTER_ITEM = {
    "regions": "region_a",
    "territories": "terr_a1",
    "partners": "partner",
    "products": "product",
    "competitor-brands": "brand",
    "competitor-models": "competitor_model",
    "promo-materials": "material",
    "checklist-items": "yes_item",
}
MASTER_CHANGE = {
    "regions": {"name": "改名"},
    "territories": {"name": "改名"},
    "partners": {"active": True},
    "products": {"active": True},
    "competitor-brands": {"active": True},
    "competitor-models": {"active": True},
    "promo-materials": {"active": True},
    "checklist-items": {"weight": 2},
}


# --- the matrix -------------------------------------------------------------------------------


def master_data_rows() -> list[Row]:
    rows = []
    for name, body in MASTER_DATA.items():
        item = f"/api/v1/{name}/{{obj_id}}"
        rows += [
            Row("GET", f"/api/v1/{name}", ALL_200),
            Row("POST", f"/api/v1/{name}", ADMIN_201, body=body),
            Row("GET", item, ALL_200, params={"obj_id": MASTER_ITEM[name]}),
            Row(
                "PATCH",
                item,
                ADMIN_200,
                params={"obj_id": MASTER_ITEM[name]},
                body=lambda c, r, n=name: MASTER_CHANGE[n],
            ),
        ]
    # Another region's region and territory are master data too: readable by all.
    rows += [
        Row("GET", "/api/v1/regions/{obj_id}", ALL_200, params={"obj_id": "region_b"}),
        Row("GET", "/api/v1/territories/{obj_id}", ALL_200, params={"obj_id": "terr_b1"}),
    ]
    return rows


def field_record_rows(
    collection: str, item_param: str, prefix: str, create_rows: list[Row], managers_own: set[str] = frozenset()
) -> list[Row]:
    item = f"/api/v1/{collection}/{{{item_param}}}"
    everything = {f"{prefix}_a1", f"{prefix}_a1b", f"{prefix}_b1", *managers_own}
    return [
        Row(
            "GET",
            f"/api/v1/{collection}",
            FIELD_READ,
            query="page_size=100",
            visible={
                "rep": {f"{prefix}_a1"},
                "manager": {f"{prefix}_a1", f"{prefix}_a1b", *managers_own},
                "hq": everything,
                "admin": everything,
            },
        ),
        *create_rows,
        Row("GET", item, OWN_RECORD, params={item_param: f"{prefix}_a1"}, note="own record"),
        Row("GET", item, SAME_TERRITORY_OTHER_REP, params={item_param: f"{prefix}_a1b"}, note="same territory"),
        Row("GET", item, OTHER_REGION_RECORD, params={item_param: f"{prefix}_b1"}, note="other region"),
    ]


def matrix() -> list[Row]:
    rows: list[Row] = [
        # auth and health
        Row(
            "POST",
            "/api/v1/auth/login",
            ALL_200,
            body=lambda ctx, role: {"username": ACTOR[role], "password": PASSWORD},
        ),
        Row("POST", "/api/v1/auth/logout", codes(204, 204, 204, 204, 204), fresh_token=True),
        Row("GET", "/api/v1/auth/me", ALL_200),
        # A link to an export for anyone signed in: following it, the export's own roles and scope
        # apply to the link's user (tests/channel/test_download_links.py), not here.
        Row(
            "POST",
            "/api/v1/auth/download-link",
            ALL_200,
            body=lambda ctx, role: {"path": "/api/v1/channel/stock.csv", "query": {"group": "region"}},
        ),
        Row("GET", "/api/v1/health", ALL_200),
        Row("GET", "/api/v1/health/deep", ADMIN_200),
        Row("GET", "/api/v1/app-config", ALL_200),
        # users
        Row(
            "GET",
            "/api/v1/users",
            codes(403, 200, 403, 200, 200),
            query="page_size=100",
            visible={
                "manager": {"user_rep_a1", "user_clerk_a1"},
                "hq": {"user_rep_a1", "user_rep_b1", "user_clerk_a1"},
                "admin": {"user_rep_a1", "user_rep_b1", "user_clerk_a1"},
            },
        ),
        Row(
            "POST",
            "/api/v1/users",
            ADMIN_201,
            body=lambda ctx, role: {
                "username": f"new_{role}",
                "display_name": "New",
                "role": "rep",
                "territory_id": ctx["terr_a1"],
                "password": "long enough",
            },
        ),
        Row("GET", "/api/v1/users/{user_id}", codes(403, 200, 403, 200, 200), params={"user_id": "user_rep_a1"}),
        Row("GET", "/api/v1/users/{user_id}", codes(403, 200, 403, 200, 200), params={"user_id": "user_clerk_a1"}),
        Row("GET", "/api/v1/users/{user_id}", codes(403, 404, 403, 200, 200), params={"user_id": "user_rep_b1"}),
        Row(
            "PATCH",
            "/api/v1/users/{user_id}",
            ADMIN_200,
            params={"user_id": "user_rep_a1"},
            body=lambda ctx, role: {"display_name": f"Renamed by {role}"},
        ),
        Row(
            "PATCH",
            "/api/v1/users/{user_id}",
            ADMIN_200,
            params={"user_id": "user_rep_b1"},
            body=lambda ctx, role: {"display_name": f"Renamed by {role}"},
        ),
        Row(
            "POST",
            "/api/v1/users/{user_id}/password",
            ADMIN_200,
            params={"user_id": "user_rep_b1"},  # not a caller: the reset ends rep_b1's sessions
            body=lambda ctx, role: {"password": f"reset by {role}"},
        ),
        # master data
        *master_data_rows(),
        # stores
        Row(
            "GET",
            "/api/v1/stores",
            ALL_200,
            query="page_size=100",
            visible={
                "rep": {"store_a1", "store_a1b"},
                "manager": {"store_a1", "store_a1b", "store_a2"},
                "clerk": {"store_a1"},
                "hq": {"store_a1", "store_a1b", "store_a2", "store_b1"},
                "admin": {"store_a1", "store_a1b", "store_a2", "store_b1"},
            },
        ),
        Row(
            "POST",
            "/api/v1/stores",
            codes(403, 201, 403, 403, 201),
            body=lambda ctx, role: {
                "code": f"S-{role}",
                "name": "New store",
                "territory_id": ctx["terr_a1"],
                "kind": "shop",
                "latitude": 23.13,
                "longitude": 113.33,
            },
        ),
        Row(
            "POST",
            "/api/v1/stores",
            codes(403, 422, 403, 403, 201),
            body=lambda ctx, role: {
                "code": f"SB-{role}",
                "name": "New store in B",
                "territory_id": ctx["terr_b1"],
                "kind": "shop",
                "latitude": 22.8,
                "longitude": 108.3,
            },
            note="in another region",
        ),
        Row("GET", "/api/v1/stores/{store_id}", ALL_200, params={"store_id": "store_a1"}),
        Row("GET", "/api/v1/stores/{store_id}", codes(200, 200, 404, 200, 200), params={"store_id": "store_a1b"}),
        Row("GET", "/api/v1/stores/{store_id}", codes(404, 200, 404, 200, 200), params={"store_id": "store_a2"}),
        Row("GET", "/api/v1/stores/{store_id}", codes(404, 404, 404, 200, 200), params={"store_id": "store_b1"}),
        Row(
            "PATCH",
            "/api/v1/stores/{store_id}",
            codes(200, 200, 403, 403, 200),
            params={"store_id": "store_a1"},
            body=lambda ctx, role: {"name": f"Renamed by {role}"},
        ),
        Row(
            "PATCH",
            "/api/v1/stores/{store_id}",
            codes(403, 200, 403, 403, 200),
            params={"store_id": "store_a1"},
            body=lambda ctx, role: {"tier": "A"},
            note="a rep may not change the tier",
        ),
        Row(
            "PATCH",
            "/api/v1/stores/{store_id}",
            codes(404, 200, 403, 403, 200),
            params={"store_id": "store_a2"},
            body=lambda ctx, role: {"name": f"Renamed by {role}"},
        ),
        Row(
            "PATCH",
            "/api/v1/stores/{store_id}",
            codes(404, 404, 403, 403, 200),
            params={"store_id": "store_b1"},
            body=lambda ctx, role: {"name": f"Renamed by {role}"},
        ),
        # store history and position proposals (reps' big moves of a store, held for a manager)
        Row("GET", "/api/v1/stores/{store_id}/history", ALL_200, params={"store_id": "store_a1"}),
        Row(
            "GET",
            "/api/v1/stores/{store_id}/history",
            codes(404, 404, 404, 200, 200),
            params={"store_id": "store_b1"},
        ),
        Row(
            "GET",
            "/api/v1/store-position-proposals",
            codes(200, 200, 403, 200, 200),
            visible={
                "rep": {"proposal_a"},
                "manager": {"proposal_a"},
                "hq": {"proposal_a", "proposal_b"},
                "admin": {"proposal_a", "proposal_b"},
            },
        ),
        Row(
            "POST",
            "/api/v1/store-position-proposals/{proposal_id}/approve",
            codes(403, 200, 403, 409, 409),
            params={"proposal_id": "proposal_a"},
            body=lambda ctx, role: {"note": f"approved by {role}"},
            note="HQ and the admin come after the manager approved it",
        ),
        Row(
            "POST",
            "/api/v1/store-position-proposals/{proposal_id}/reject",
            codes(403, 404, 403, 200, 409),
            params={"proposal_id": "proposal_b"},
            body=lambda ctx, role: {},
            note="another region's proposal; the admin comes after HQ rejected it",
        ),
        # contacts
        Row("GET", "/api/v1/stores/{store_id}/contacts", ALL_200, params={"store_id": "store_a1"}),
        Row(
            "GET",
            "/api/v1/stores/{store_id}/contacts",
            codes(404, 404, 404, 200, 200),
            params={"store_id": "store_b1"},
        ),
        Row("GET", "/api/v1/stores/{store_id}/contacts/history", ALL_200, params={"store_id": "store_a1"}),
        Row(
            "GET",
            "/api/v1/stores/{store_id}/contacts/history",
            codes(404, 404, 404, 200, 200),
            params={"store_id": "store_b1"},
        ),
        Row(
            "PUT",
            "/api/v1/stores/{store_id}/contacts/{contact_id}",
            codes(201, 201, 201, 403, 201),
            params={"store_id": "store_a1", "contact_id": "fresh"},
            body=contact_body,
        ),
        Row(
            "PUT",
            "/api/v1/stores/{store_id}/contacts/{contact_id}",
            codes(200, 200, 200, 403, 200),
            params={"store_id": "store_a1", "contact_id": "contact_a1"},
            body=contact_body,
        ),
        Row(
            "PUT",
            "/api/v1/stores/{store_id}/contacts/{contact_id}",
            codes(404, 404, 404, 403, 201),
            params={"store_id": "store_b1", "contact_id": "fresh"},
            body=contact_body,
        ),
        Row(
            "DELETE",
            "/api/v1/stores/{store_id}/contacts/{contact_id}",
            codes(404, 404, 404, 403, 200),
            params={"store_id": "store_b1", "contact_id": "contact_b1"},
        ),
        Row(
            "DELETE",
            "/api/v1/stores/{store_id}/contacts/{contact_id}",
            codes(200, 200, 200, 403, 200),
            params={"store_id": "store_a1", "contact_id": "contact_a1"},
        ),
        # sync: every role pushes and pulls, and a push applies only what the role may do by REST
        Row("POST", "/api/v1/sync/push", ALL_200, body=push_body, outcomes=PUSH_OUTCOMES),
        Row("GET", "/api/v1/sync/pull", ALL_200, query="limit=50"),
        Row(
            "GET",
            "/api/v1/sync/conflicts",
            codes(403, 200, 403, 200, 200),
            visible={
                "manager": {"conflict_a"},
                "hq": {"conflict_a", "conflict_b"},
                "admin": {"conflict_a", "conflict_b"},
            },
        ),
        Row(
            "POST",
            "/api/v1/sync/conflicts/{conflict_id}/resolve",
            codes(403, 200, 403, 403, 409),
            params={"conflict_id": "conflict_a"},
            body=lambda ctx, role: {"use": "kept"},
            note="the admin comes after the manager resolved it",
        ),
        Row(
            "POST",
            "/api/v1/sync/conflicts/{conflict_id}/resolve",
            codes(403, 404, 403, 403, 200),
            params={"conflict_id": "conflict_b"},
            body=lambda ctx, role: {"use": "lost"},
            note="another region's conflict",
        ),
        # store stock (field data about a store)
        Row("GET", "/api/v1/stores/{store_id}/stock", FIELD_READ, params={"store_id": "store_a1"}),
        Row("GET", "/api/v1/stores/{store_id}/stock", codes(404, 200, 403, 200, 200), params={"store_id": "store_a2"}),
        Row("GET", "/api/v1/stores/{store_id}/stock", codes(404, 404, 403, 200, 200), params={"store_id": "store_b1"}),
        # field records
        *field_record_rows(
            "visits",
            "visit_id",
            "visit",
            [
                Row("POST", "/api/v1/visits", FIELD_CREATE, body=visit_body("store_a1")),
                Row("POST", "/api/v1/visits", codes(404, 201, 403, 403, 403), body=visit_body("store_a2")),
                Row("POST", "/api/v1/visits", FIELD_CREATE_OUT_OF_SCOPE, body=visit_body("store_b1")),
            ],
            managers_own={"visit_mgr"},
        ),
        Row(
            "POST",
            "/api/v1/visits/{visit_id}/check-out",
            codes(200, 404, 403, 403, 403),
            params={"visit_id": "visit_a1"},
            body=checkout_body,
            note="only the visit's own rep checks out",
        ),
        Row(
            "POST",
            "/api/v1/visits/{visit_id}/check-out",
            codes(404, 200, 403, 403, 403),
            params={"visit_id": "visit_mgr"},
            body=checkout_body,
        ),
        Row(
            "POST",
            "/api/v1/visits/{visit_id}/check-out",
            codes(404, 404, 403, 403, 403),
            params={"visit_id": "visit_a1b"},
            body=checkout_body,
        ),
        Row(
            "POST",
            "/api/v1/visits/{visit_id}/check-out",
            codes(404, 404, 403, 403, 403),
            params={"visit_id": "visit_b1"},
            body=checkout_body,
        ),
        *field_record_rows(
            "display-checks",
            "check_id",
            "check",
            [
                Row(
                    "POST",
                    "/api/v1/display-checks",
                    FIELD_CREATE,
                    body=display_check_body(lambda role: "visit_mgr" if role == "manager" else "visit_a1"),
                    note="on the caller's own visit",
                ),
                Row(
                    "POST",
                    "/api/v1/display-checks",
                    FIELD_CREATE_OUT_OF_SCOPE,
                    body=display_check_body(lambda role: "visit_a1b"),
                    note="on another rep's visit",
                ),
            ],
        ),
        *field_record_rows(
            "stock-movements",
            "movement_id",
            "movement",
            [
                Row("POST", "/api/v1/stock-movements", FIELD_CREATE, body=movement_body("store_a1")),
                Row("POST", "/api/v1/stock-movements", FIELD_CREATE_OUT_OF_SCOPE, body=movement_body("store_b1")),
            ],
        ),
        *field_record_rows(
            "price-observations",
            "obs_id",
            "price",
            [
                Row("POST", "/api/v1/price-observations", FIELD_CREATE, body=price_body("store_a1")),
                Row("POST", "/api/v1/price-observations", FIELD_CREATE_OUT_OF_SCOPE, body=price_body("store_b1")),
            ],
        ),
        # shop stock, declared sell-out and competitors' estimates (sellout): field records; a
        # store's shop stock is read by its field readers and its own clerk
        *field_record_rows(
            "shop-stock-counts",
            "count_id",
            "shopstock",
            [
                Row("POST", "/api/v1/shop-stock-counts", FIELD_CREATE, body=shop_stock_body("store_a1")),
                Row("POST", "/api/v1/shop-stock-counts", FIELD_CREATE_OUT_OF_SCOPE, body=shop_stock_body("store_b1")),
            ],
        ),
        *field_record_rows(
            "sellout-reports",
            "report_id",
            "sellout",
            [
                Row("POST", "/api/v1/sellout-reports", FIELD_CREATE, body=sellout_body("store_a1")),
                Row("POST", "/api/v1/sellout-reports", FIELD_CREATE_OUT_OF_SCOPE, body=sellout_body("store_b1")),
            ],
        ),
        *field_record_rows(
            "competitor-sellout",
            "estimate_id",
            "estimate",
            [
                Row("POST", "/api/v1/competitor-sellout", FIELD_CREATE, body=competitor_body("store_a1")),
                Row("POST", "/api/v1/competitor-sellout", FIELD_CREATE_OUT_OF_SCOPE, body=competitor_body("store_b1")),
            ],
        ),
        Row("GET", "/api/v1/shop-stock", ALL_200, query="store_id={store_a1}"),
        Row("GET", "/api/v1/shop-stock", codes(404, 200, 404, 200, 200), query="store_id={store_a2}"),
        Row("GET", "/api/v1/shop-stock", codes(404, 404, 404, 200, 200), query="store_id={store_b1}"),
        *field_record_rows(
            "intel-reports",
            "report_id",
            "intel",
            [
                Row("POST", "/api/v1/intel-reports", FIELD_CREATE, body=intel_body("store_a1")),
                Row("POST", "/api/v1/intel-reports", FIELD_CREATE_OUT_OF_SCOPE, body=intel_body("store_b1")),
            ],
        ),
        # warranty cards: a clerk registers and corrects their store's; managers read their region's
        # (masked), HQ all; HQ voids. Reps have no business with cards (403).
        Row(
            "GET",
            "/api/v1/warranty-cards",
            codes(403, 200, 200, 200, 200),
            query="page_size=100",
            visible={
                "manager": {"card_a1"},
                "clerk": {"card_a1"},
                "hq": {"card_a1", "card_b1"},
                "admin": {"card_a1", "card_b1"},
            },
        ),
        Row("POST", "/api/v1/warranty-cards", codes(403, 403, 201, 403, 403), body=card_body(100)),
        Row(
            "POST",
            "/api/v1/warranty-cards",
            codes(403, 403, 409, 403, 403),
            body=lambda ctx, role: card_body(110)(ctx, role) | {"imei": ctx["imei_b1"]},
            note="the IMEI of store_b1's card",
        ),
        Row("GET", "/api/v1/warranty-cards/{card_id}", codes(403, 200, 200, 200, 200), params={"card_id": "card_a1"}),
        Row("GET", "/api/v1/warranty-cards/{card_id}", codes(403, 404, 404, 200, 200), params={"card_id": "card_b1"}),
        Row(
            "PATCH",
            "/api/v1/warranty-cards/{card_id}",
            codes(403, 403, 200, 403, 403),
            params={"card_id": "card_a1"},
            body=lambda ctx, role: {"buyer_address": f"Corrected by {role}"},
        ),
        Row(
            "PATCH",
            "/api/v1/warranty-cards/{card_id}",
            codes(403, 403, 404, 403, 403),
            params={"card_id": "card_b1"},
            body=lambda ctx, role: {"buyer_address": f"Corrected by {role}"},
            note="another store's card",
        ),
        Row(
            "GET",
            "/api/v1/warranty-cards/{card_id}/revisions",
            codes(403, 200, 200, 200, 200),
            params={"card_id": "card_a1"},
        ),
        Row(
            "GET",
            "/api/v1/warranty-cards/{card_id}/revisions",
            codes(403, 404, 404, 200, 200),
            params={"card_id": "card_b1"},
        ),
        Row(
            "POST",
            "/api/v1/warranty-cards/{card_id}/void",
            codes(403, 403, 403, 200, 200),
            params={"card_id": "voidcard_{role}"},
            body=lambda ctx, role: {"reason": f"Voided by {role}"},
            note="a card of store_a1 for each caller",
        ),
        Row(
            "POST",
            "/api/v1/warranty-cards/{card_id}/void",
            codes(403, 403, 403, 404, 404),
            params={"card_id": "fresh"},
            body=lambda ctx, role: {"reason": f"Voided by {role}"},
        ),
        # shipments, their imports and the diversion report: HQ
        Row(
            "GET",
            "/api/v1/shipment-imports",
            HQ_ONLY,
            visible={"hq": {"import_a"}, "admin": {"import_a"}},
        ),
        Row("POST", "/api/v1/shipment-imports", codes(403, 403, 403, 202, 202), body=shipments_csv),
        Row("GET", "/api/v1/shipment-imports/{import_id}", HQ_ONLY, params={"import_id": "import_a"}),
        Row("GET", "/api/v1/shipment-imports/{import_id}/errors", HQ_ONLY, params={"import_id": "import_a"}),
        Row("GET", "/api/v1/shipments", HQ_ONLY),
        Row("GET", "/api/v1/diversion/summary", HQ_ONLY, query="by=partner"),
        Row("GET", "/api/v1/diversion/flags", HQ_ONLY),
        # IMEI spot checks: field records
        *field_record_rows(
            "imei-spot-checks",
            "check_id",
            "spot",
            [
                Row("POST", "/api/v1/imei-spot-checks", FIELD_CREATE, body=spot_check_body("store_a1")),
                Row(
                    "POST",
                    "/api/v1/imei-spot-checks",
                    FIELD_CREATE_OUT_OF_SCOPE,
                    body=spot_check_body("store_b1", 610),
                ),
            ],
        ),
        # photos: the roles that make records with photos (reps, managers) upload; the uploader,
        # HQ/admin and whoever sees a linked record read
        Row(
            "PUT", "/api/v1/photos/{photo_id}", codes(201, 201, 403, 403, 403), params={"photo_id": "fresh"}, photo=True
        ),
    ]
    photo_cases = {
        "photo_a1": codes(200, 200, 404, 200, 200),  # rep_a1's, on rep_a1's price observation
        "photo_a1b": codes(404, 200, 404, 200, 200),  # rep_a1b's, on rep_a1b's price observation
        "photo_b1": codes(404, 404, 404, 200, 200),  # rep_b1's, on rep_b1's price observation
        "photo_loose": codes(200, 404, 404, 200, 200),  # rep_a1's, not linked to anything
    }
    for key, expect in photo_cases.items():
        rows.append(Row("GET", "/api/v1/photos/{photo_id}", expect, params={"photo_id": key}))
        rows.append(
            Row("GET", "/api/v1/photos/{photo_id}/file", expect, params={"photo_id": key}, query="variant=thumb")
        )
    # resumable photo uploads: reps and managers upload under their own id; the uploader and
    # HQ/admin may look; the uploader abandons
    upload = "/api/v1/photos/{photo_id}/upload"
    rows += [
        Row("POST", upload, codes(201, 201, 403, 403, 403), params={"photo_id": "fresh"}, body=upload_start_body),
        Row(
            "POST",
            upload,
            codes(409, 409, 403, 403, 403),
            params={"photo_id": "upload_b1"},
            body=upload_start_body,
            note="another user's upload",
        ),
        Row("GET", upload, codes(200, 404, 404, 200, 200), params={"photo_id": "upload_rep"}),
        Row("GET", upload, codes(404, 404, 404, 200, 200), params={"photo_id": "upload_b1"}),
        Row(
            "PATCH",
            upload,
            codes(202, 202, 403, 403, 403),
            params={"photo_id": "upload_{role}"},
            query="offset=0",
            body=upload_chunk_body,
            note="the caller's own upload (clerk, HQ, admin: none, they upload no photos)",
        ),
        Row(
            "PATCH",
            upload,
            codes(404, 404, 403, 403, 403),
            params={"photo_id": "upload_b1"},
            query="offset=0",
            body=upload_chunk_body,
        ),
        Row(
            "DELETE",
            upload,
            codes(204, 204, 404, 404, 404),
            params={"photo_id": "upload_{role}"},
            note="the caller's own upload (clerk, HQ, admin: none)",
        ),
        Row("DELETE", upload, codes(404, 404, 404, 404, 404), params={"photo_id": "upload_b1"}),
    ]
    rows += desk_rows()  # a visit's detail, the photo feed: see below
    rows += routes_and_market_rows()  # route review, coverage, plans, intel review, market: see below
    rows += training_rows()  # promoters' training: see the end of the file
    rows += aftersales_rows()  # 三包 service events, fault codes, repair points: see the end of the file
    rows += tasks_rows()  # tasks for reps: see the end of the file
    return rows


def desk_rows() -> list[Row]:
    """A visit's detail is scoped like the visit; the photo feed like the records using the
    photos (photo_a1, photo_a1b, photo_b1: on their reps' price observations; photo_loose on
    nothing, so in no feed)."""
    detail = "/api/v1/visits/{visit_id}/detail"
    return [
        Row("GET", detail, OWN_RECORD, params={"visit_id": "visit_a1"}, note="own visit"),
        Row("GET", detail, SAME_TERRITORY_OTHER_REP, params={"visit_id": "visit_a1b"}, note="same territory"),
        Row("GET", detail, OTHER_REGION_RECORD, params={"visit_id": "visit_b1"}, note="other region"),
        Row(
            "GET",
            "/api/v1/photos/feed",
            FIELD_READ,
            query="page_size=100",
            visible={
                "rep": {"photo_a1"},
                "manager": {"photo_a1", "photo_a1b"},
                "hq": {"photo_a1", "photo_a1b", "photo_b1"},
                "admin": {"photo_a1", "photo_a1b", "photo_b1"},
            },
        ),
    ]


# --- setting up the records --------------------------------------------------------------------


def jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256)).save(buf, "JPEG")
    return buf.getvalue()


def put_photo(client: ApiClient, seed: int):
    data = jpeg(seed)
    pid = str(uuid.uuid4())
    sha = hashlib.sha256(data).hexdigest()
    r = client.put(f"/api/v1/photos/{pid}?sha256={sha}", data=data, content_type="image/jpeg")
    return pid, sha, r


def build_records(world, clients: dict[str, ApiClient], owners: dict[str, ApiClient]) -> dict:
    """Make each record through the API as its owner would; return the context for the rows."""
    t = utcnow().replace(microsecond=0)
    ctx: dict[str, Any] = {"now": t}
    for name in ("region_a", "region_b", "terr_a1", "terr_b1", "partner", "product", "brand", "competitor_model"):
        ctx[name] = getattr(world, name).id
    ctx["material"], ctx["yes_item"] = world.material.id, world.yes_item.id
    for name in ("store_a1", "store_a1b", "store_a2", "store_b1"):
        store = getattr(world, name)
        ctx[name], ctx[f"{name}_pos"] = store.id, (store.latitude, store.longitude)
    for name in ("rep_a1", "rep_b1", "clerk_a1"):
        ctx[f"user_{name}"] = world.users[name].id

    def made(resp, status=201):
        assert resp.status_code == status, resp.json
        return resp.json["id"]

    # Visits: rep_a1 and rep_a1b in territory A1, rep_b1 in region B, manager_a's own.
    for suffix, owner, store in (
        ("a1", "rep_a1", "store_a1"),
        ("a1b", "rep_a1b", "store_a1b"),
        ("b1", "rep_b1", "store_b1"),
        ("mgr", "manager_a", "store_a2"),
    ):
        ctx[f"visit_{suffix}"] = made(owners[owner].post("/api/v1/visits", json=visit_body(store)(ctx, "")))

    # Photos, then the records that link them.
    photos = {}
    for key, owner, seed in (
        ("photo_a1", "rep_a1", 1),
        ("photo_a1b", "rep_a1b", 2),
        ("photo_b1", "rep_b1", 3),
        ("photo_loose", "rep_a1", 4),
    ):
        pid, sha, r = put_photo(owners[owner], seed)
        assert r.status_code == 201, r.json
        ctx[key], photos[key] = pid, sha
    for sha in photos.values():
        process_photo(sha)  # ready now, whether jobs run in-process or on an rq worker
    # Resumable uploads under way: the uploading roles' own (upload_rep, upload_manager) and
    # rep_b1's; the other roles upload no photos (upload_clerk… name nothing started).
    uploaders = [role for role in ROLES if role in ("rep", "manager")]
    for key, owner in [*((f"upload_{role}", ACTOR[role]) for role in uploaders), ("upload_b1", "rep_b1")]:
        ctx[key] = str(uuid.uuid4())
        r = owners[owner].post(f"/api/v1/photos/{ctx[key]}/upload", json=upload_start_body(ctx, ""))
        assert r.status_code == 201, r.json
    for role in set(ROLES) - set(uploaders):
        ctx[f"upload_{role}"] = str(uuid.uuid4())

    for suffix, owner, store in (
        ("a1", "rep_a1", "store_a1"),
        ("a1b", "rep_a1b", "store_a1b"),
        ("b1", "rep_b1", "store_b1"),
    ):
        client = owners[owner]
        ctx[f"check_{suffix}"] = made(
            client.post("/api/v1/display-checks", json=display_check_body(lambda role, s=suffix: f"visit_{s}")(ctx, ""))
        )
        ctx[f"movement_{suffix}"] = made(client.post("/api/v1/stock-movements", json=movement_body(store)(ctx, "")))
        price = price_body(store)(ctx, "") | {"photo_ids": [ctx[f"photo_{suffix}"]]}
        ctx[f"price_{suffix}"] = made(client.post("/api/v1/price-observations", json=price))
        ctx[f"intel_{suffix}"] = made(client.post("/api/v1/intel-reports", json=intel_body(store)(ctx, "")))
        for key, url, make in (
            ("shopstock", "/api/v1/shop-stock-counts", shop_stock_body),
            ("sellout", "/api/v1/sellout-reports", sellout_body),
            ("estimate", "/api/v1/competitor-sellout", competitor_body),
        ):
            ctx[f"{key}_{suffix}"] = made(client.post(url, json=make(store)(ctx, "")))

    # Warranty cards at store_a1 and store_b1, and one at store_a1 for each caller to void.
    for suffix, owner, serial in (("a1", "clerk_a1", 1), ("b1", "clerk_b1", 2)):
        body = card_body(serial)(ctx, "rep")
        ctx[f"card_{suffix}"], ctx[f"imei_{suffix}"] = (
            made(owners[owner].post("/api/v1/warranty-cards", json=body)),
            body["imei"],
        )
    for role in ROLES:
        body = card_body(10 + 10 * ROLES.index(role))(ctx, "rep")
        ctx[f"voidcard_{role}"] = made(owners["clerk_a1"].post("/api/v1/warranty-cards", json=body))
    # IMEI spot checks by rep_a1, rep_a1b (same territory) and rep_b1 (region B).
    for suffix, owner, store, serial in (
        ("a1", "rep_a1", "store_a1", 500),
        ("a1b", "rep_a1b", "store_a1b", 510),
        ("b1", "rep_b1", "store_b1", 520),
    ):
        body = spot_check_body(store, serial)(ctx, "rep")
        ctx[f"spot_{suffix}"] = made(owners[owner].post("/api/v1/imei-spot-checks", json=body))
    # A shipment import by HQ.
    r = owners["hq"].post("/api/v1/shipment-imports", data=shipments_csv(ctx, "rep"), content_type="text/csv")
    ctx["import_a"] = made(r, 202)

    # Contacts at a store of region A and one of region B.
    for suffix, store in (("a1", "store_a1"), ("b1", "store_b1")):
        cid = str(uuid.uuid4())
        r = owners["admin"].put(f"/api/v1/stores/{ctx[store]}/contacts/{cid}", json=contact_body(ctx, "setup"))
        ctx[f"contact_{suffix}"] = made(r)
    # Sync conflicts: the same field of a store edited offline on two devices, in region A and B.
    for suffix, early_owner, late_owner, store in (
        ("a", "rep_a1b", "rep_a1", "store_a1"),
        ("b", "manager_b", "rep_b1", "store_b1"),
    ):
        wall = now_ms()
        for owner, offset in ((late_owner, 10_000), (early_owner, 20_000)):
            device = Device(owners[owner])
            args = {"store_id": ctx[store], "fields": {"address": f"Address by {owner}"}}
            hlc = HLC(wall - offset, 0, device.client_id).encode()
            r = device.push([device.mutation("store.update", args, hlc=hlc)])
            assert r.status_code == 200 and r.json["results"][0]["status"] in ("applied", "merged"), r.json
        listed = owners["admin"].get(f"/api/v1/sync/conflicts?entity_id={ctx[store]}").json
        assert len(listed) == 1, listed
        ctx[f"conflict_{suffix}"] = listed[0]["id"]
    # Position proposals: reps moving a store of region A and one of region B 300 m (held).
    for suffix, owner, store in (("a", "rep_a1", "store_a1b"), ("b", "rep_b1", "store_b1")):
        lat, lon = ctx[f"{store}_pos"]
        r = owners[owner].patch(f"/api/v1/stores/{ctx[store]}", json={"latitude": lat + 0.0027, "longitude": lon})
        assert r.status_code == 200 and r.json["pending_position"], r.json
        ctx[f"proposal_{suffix}"] = r.json["pending_position"]["id"]
    build_routes_and_market_records(ctx, owners)
    build_training_records(ctx, owners)
    build_aftersales_records(ctx, owners)
    build_tasks_records(ctx, owners)
    return ctx


# --- route review, coverage, visit plans, intel review, market dashboards ------------------------------
# Rows and records of the managers' and HQ's screens, kept together here. Queries may name context
# values ({user_rep_a1}); alerts are raised by a background job, so the setup writes them directly.


def plan_row_body(rep_key: str, first_day: int):
    """A plan of the rep `rep_key` for a day of its own per caller (a new plan, not a replacement)."""

    def body(ctx, role):
        day = ctx["today"] + timedelta(days=first_day + ROLES.index(role))
        store = "store_b1" if rep_key == "user_rep_b1" else "store_a1"
        return {"id": str(uuid.uuid4()), "rep_id": ctx[rep_key], "day": day.isoformat(), "store_ids": [ctx[store]]}

    return body


def routes_and_market_rows() -> list[Row]:
    reviewer = codes(200, 200, 403, 200, 200)  # route review and coverage: reps for themselves
    market = codes(403, 200, 403, 200, 200)  # HQ's dashboards: managers for their region
    market_b = codes(403, 404, 403, 200, 200)  # …another region's is not found for a manager
    period = "since=2026-01-01&until=2026-01-31"
    everything = {"plan_a1", "plan_a1b", "plan_b1"}
    return [
        # route review and coverage
        Row(
            "GET",
            "/api/v1/reps",
            reviewer,
            visible={
                "rep": {"user_rep_a1"},
                "manager": {"user_rep_a1"},
                "hq": {"user_rep_a1", "user_rep_b1"},
                "admin": {"user_rep_a1", "user_rep_b1"},
            },
        ),
        Row("GET", "/api/v1/routes", reviewer, query="rep_id={user_rep_a1}&day={today}"),
        Row("GET", "/api/v1/routes", codes(404, 200, 403, 200, 200), query="rep_id={repid_a1b}&day={today}"),
        Row("GET", "/api/v1/routes", codes(404, 404, 403, 200, 200), query="rep_id={user_rep_b1}&day={today}"),
        Row(
            "GET",
            "/api/v1/coverage/unvisited-stores",
            reviewer,
            query="page_size=100",
            visible={
                "rep": {"unvisited_a1"},
                "manager": {"unvisited_a1"},
                "hq": {"unvisited_a1", "unvisited_b1"},
                "admin": {"unvisited_a1", "unvisited_b1"},
            },
        ),
        Row("GET", "/api/v1/coverage/tiers", reviewer),
        Row("GET", "/api/v1/coverage/reps", reviewer, query=period),
        # the manager's team today: their region; HQ and admins name one (another is 404 for a manager)
        Row("GET", "/api/v1/team/today", codes(403, 200, 403, 422, 422)),
        Row("GET", "/api/v1/team/today", market, query="region_id={region_a}"),
        Row("GET", "/api/v1/team/today", market_b, query="region_id={region_b}&day={today}"),
        # visit plans: reps plan their own days, managers their region's reps'
        Row(
            "POST",
            "/api/v1/route-order",
            codes(200, 200, 403, 403, 200),
            body=lambda ctx, role: {"store_ids": [ctx["store_a1b"], ctx["store_a1"]]},
        ),
        Row(
            "POST",
            "/api/v1/route-order",
            codes(422, 422, 403, 403, 200),
            body=lambda ctx, role: {"store_ids": [ctx["store_a1"], ctx["store_b1"]]},
            note="a store out of the caller's scope",
        ),
        Row(
            "GET",
            "/api/v1/visit-plans",
            reviewer,
            query="page_size=100",
            visible={"rep": {"plan_a1"}, "manager": {"plan_a1", "plan_a1b"}, "hq": everything, "admin": everything},
        ),
        Row("POST", "/api/v1/visit-plans", codes(201, 201, 403, 403, 201), body=plan_row_body("user_rep_a1", 10)),
        Row(
            "POST",
            "/api/v1/visit-plans",
            codes(403, 201, 403, 403, 201),
            body=plan_row_body("repid_a1b", 10),
            note="another rep's day",
        ),
        Row("POST", "/api/v1/visit-plans", codes(403, 404, 403, 403, 201), body=plan_row_body("user_rep_b1", 10)),
        Row("GET", "/api/v1/visit-plans/{plan_id}", OWN_RECORD, params={"plan_id": "plan_a1"}),
        Row("GET", "/api/v1/visit-plans/{plan_id}", SAME_TERRITORY_OTHER_REP, params={"plan_id": "plan_a1b"}),
        Row("GET", "/api/v1/visit-plans/{plan_id}", codes(404, 404, 403, 200, 200), params={"plan_id": "plan_b1"}),
        Row(
            "DELETE",
            "/api/v1/visit-plans/{plan_id}",
            codes(204, 204, 403, 403, 204),
            params={"plan_id": "plandel_{role}"},
            note="a plan of rep_a1 for each caller",
        ),
        Row(
            "DELETE",
            "/api/v1/visit-plans/{plan_id}",
            codes(404, 404, 403, 403, 204),
            params={"plan_id": "plandel_b1"},
        ),
        Row("GET", "/api/v1/visit-plans/compliance", reviewer, query=period),
        # new-store reports reviewed by the region's manager
        Row(
            "POST",
            "/api/v1/intel-reports/{report_id}/review",
            codes(403, 200, 403, 403, 200),
            params={"report_id": "newstore_{role}"},
            body=lambda ctx, role: {"decision": "reject", "note": f"by {role}"},
            note="a report of rep_a1 for each caller",
        ),
        Row(
            "POST",
            "/api/v1/intel-reports/{report_id}/review",
            codes(403, 409, 403, 403, 409),
            params={"report_id": "newstore_manager"},
            body=lambda ctx, role: {"decision": "reject"},
            note="reviewed already",
        ),
        Row(
            "POST",
            "/api/v1/intel-reports/{report_id}/review",
            codes(403, 404, 403, 403, 200),
            params={"report_id": "newstore_b1"},
            body=lambda ctx, role: {"decision": "reject"},
        ),
        # HQ's market dashboards
        Row("GET", "/api/v1/market/price-trends", market),
        Row("GET", "/api/v1/market/price-trends", market_b, query="region_id={region_b}"),
        Row(
            "GET",
            "/api/v1/market/alerts",
            market,
            visible={"manager": {"alert_a"}, "hq": {"alert_a", "alert_b"}, "admin": {"alert_a", "alert_b"}},
        ),
        Row("GET", "/api/v1/market/alerts/{alert_id}", market, params={"alert_id": "alert_a"}),
        Row("GET", "/api/v1/market/alerts/{alert_id}", market_b, params={"alert_id": "alert_b"}),
        Row(
            "POST",
            "/api/v1/market/alerts/{alert_id}/acknowledge",
            codes(403, 403, 403, 200, 200),
            params={"alert_id": "ackalert_{role}"},
            note="an alert of region A for each caller",
        ),
        Row(
            "POST",
            "/api/v1/market/alerts/{alert_id}/acknowledge",
            codes(403, 403, 403, 409, 409),
            params={"alert_id": "ackedalert"},
            note="acknowledged already",
        ),
        Row("GET", "/api/v1/market/promotions", market),
        Row("GET", "/api/v1/market/promotions", market_b, query="region_id={region_b}"),
        Row("GET", "/api/v1/market/store-changes", market),
        Row("GET", "/api/v1/market/store-changes", market_b, query="region_id={region_b}"),
        Row("GET", "/api/v1/market/material-use", market),
        Row("GET", "/api/v1/market/material-use", market_b, query="region_id={region_b}"),
        # The channel's screens: like the market's (managers their region, reps and clerks none)
        *(
            Row("GET", f"/api/v1/channel/{path}", expect, query=query)
            for path in ("stock", "stock/regions", "sell-through", "aging", "fifo-breaks", "disagreements")
            for expect, query in ((market, ""), (market_b, "region_id={region_b}"))
        ),
        Row(
            "GET",
            "/api/v1/channel/aging/imeis",
            market,
            query="region_id={region_a}&product_id={product}&ship_week=2026-06-01",
        ),
        Row(
            "GET",
            "/api/v1/channel/aging/imeis",
            market_b,
            query="region_id={region_b}&product_id={product}&ship_week=2026-06-01",
        ),
        *(
            Row("GET", f"/api/v1/channel/{path}", expect, query=query)
            for path in ("stock.csv", "aging.csv")
            for expect, query in ((market, ""), (market_b, "region_id={region_b}"))
        ),
        # The channel's alerts: HQ all, a manager their region's, a rep their territory's stock-outs.
        Row(
            "GET",
            "/api/v1/channel/alerts",
            codes(200, 200, 403, 200, 200),
            visible={
                "rep": {"chalert_a1"},
                "manager": {"chalert_a1", "chalert_a2"},
                "hq": {"chalert_a1", "chalert_a2", "chalert_b"},
                "admin": {"chalert_a1", "chalert_a2", "chalert_b"},
            },
        ),
        Row("GET", "/api/v1/channel/alerts", codes(200, 404, 403, 200, 200), query="region_id={region_b}"),
        Row(
            "POST",
            "/api/v1/channel/alerts/{alert_id}/acknowledge",
            codes(403, 200, 403, 200, 200),
            params={"alert_id": "chack_{role}"},
            note="a stock-out of region A for each caller",
        ),
        Row(
            "POST",
            "/api/v1/channel/alerts/{alert_id}/acknowledge",
            codes(403, 409, 403, 409, 409),
            params={"alert_id": "chacked"},
            note="acknowledged already",
        ),
        *(
            Row("GET", "/api/v1/channel/stores/{store_id}", expect, params={"store_id": store})
            for store, expect in (
                ("store_a1", ALL_200),
                ("store_a2", codes(404, 200, 404, 200, 200)),
                ("store_b1", codes(404, 404, 404, 200, 200)),
            )
        ),
        # HQ's quality figures (aftersales/quality.py): as the channel's screens.
        *(
            Row("GET", f"/api/v1/quality/{path}", expect, query=query)
            for path in ("models", "weekly", "alerts", "export.csv")
            for expect, query in ((market, ""), (market_b, "region_id={region_b}"))
        ),
        Row("GET", "/api/v1/quality/regions", market),
        Row("GET", "/api/v1/quality/regions", market, query="product_id={product}"),
        Row(
            "POST",
            "/api/v1/quality/alerts/{alert_id}/acknowledge",
            codes(403, 200, 403, 200, 200),
            params={"alert_id": "qack_{role}"},
            note="an early-life alert of region A for each caller",
        ),
        Row(
            "POST",
            "/api/v1/quality/alerts/{alert_id}/acknowledge",
            codes(403, 409, 403, 409, 409),
            params={"alert_id": "qacked"},
            note="acknowledged already",
        ),
    ]


def build_routes_and_market_records(ctx: dict, owners: dict[str, ApiClient]) -> None:
    from backend.core.timeutil import business_today, utcnow
    from backend.extensions import db
    from backend.market.models import PriceAlert

    def made(resp, status=201):
        assert resp.status_code == status, resp.json
        return resp.json["id"]

    ctx["today"] = business_today()
    ctx["repid_a1b"] = owners["rep_a1b"].user.id  # not user_…: the users row checks the user_ ids it sees
    # Plans of today by their reps; more of rep_a1 (one per caller) and of rep_b1 to drop.
    for suffix, owner, store in (
        ("a1", "rep_a1", "store_a1"),
        ("a1b", "rep_a1b", "store_a1b"),
        ("b1", "rep_b1", "store_b1"),
    ):
        body = {"id": str(uuid.uuid4()), "day": ctx["today"].isoformat(), "store_ids": [ctx[store]]}
        ctx[f"plan_{suffix}"] = made(owners[owner].post("/api/v1/visit-plans", json=body))
    for i, key in enumerate([*(f"plandel_{role}" for role in ROLES), "plandel_b1"]):
        owner, store = ("rep_b1", "store_b1") if key == "plandel_b1" else ("rep_a1", "store_a1")
        day = ctx["today"] + timedelta(days=1 + i)
        body = {"id": str(uuid.uuid4()), "day": day.isoformat(), "store_ids": [ctx[store]]}
        ctx[key] = made(owners[owner].post("/api/v1/visit-plans", json=body))
    # Active stores nobody visited, in territory A1 and B1.
    for suffix, territory, (lat, lon) in (("a1", "terr_a1", (23.20, 113.40)), ("b1", "terr_b1", (22.85, 108.40))):
        body = {
            "code": f"UV-{suffix}",
            "name": "Unvisited",
            "territory_id": ctx[territory],
            "kind": "shop",
            "latitude": lat,
            "longitude": lon,
        }
        ctx[f"unvisited_{suffix}"] = made(owners["admin"].post("/api/v1/stores", json=body))
    # New-store reports: rep_a1's (one per caller) and rep_b1's.
    for key, owner, (lat, lon) in [
        *((f"newstore_{role}", "rep_a1", (23.21, 113.41 + 0.01 * i)) for i, role in enumerate(ROLES)),
        ("newstore_b1", "rep_b1", (22.86, 108.41)),
    ]:
        body = {
            "id": str(uuid.uuid4()),
            "kind": "new_store",
            "name": f"新店 {key}",
            "latitude": lat,
            "longitude": lon,
            "reported_at": now(ctx),
        }
        ctx[key] = made(owners[owner].post("/api/v1/intel-reports", json=body))
    # Price-drop alerts of region A and B, one of region A for each caller to acknowledge, and one
    # acknowledged already.
    week = ctx["today"] - timedelta(days=ctx["today"].weekday() + 7)
    keys = [("alert_a", "region_a"), ("alert_b", "region_b"), ("ackedalert", "region_a")]
    keys += [(f"ackalert_{role}", "region_a") for role in ROLES]
    for i, (key, region) in enumerate(keys):
        alert = PriceAlert(
            competitor_model_id=ctx["competitor_model"],
            brand_id=ctx["brand"],
            region_id=ctx[region],
            period="week",
            period_start=week - timedelta(weeks=i),
            previous_start=week - timedelta(weeks=i + 1),
            previous_median=2699,
            current_median=2435,
            drop_pct=9.78,
            previous_n=4,
            current_n=4,
        )
        if key == "ackedalert":
            alert.acknowledged_by, alert.acknowledged_at = owners["hq"].user.id, utcnow()
        db.session.add(alert)
        db.session.flush()
        ctx[key] = alert.id
    db.session.commit()
    build_channel_alerts(ctx, owners)


def build_channel_alerts(ctx: dict, owners: dict[str, ApiClient]) -> None:
    """Stock-outs at stores A1 and A2 and a cover alert of region B, a stock-out at A1 for each
    caller to acknowledge, and one acknowledged already (the jobs raise them: written here)."""
    from backend.channel.models import ChannelAlert
    from backend.extensions import db

    week = ctx["today"] - timedelta(days=ctx["today"].weekday())
    keys = [("chalert_a1", "store_a1"), ("chalert_a2", "store_a2"), ("chalert_b", None), ("chacked", "store_a1")]
    keys += [(f"chack_{role}", "store_a1") for role in ROLES]
    for i, (key, store) in enumerate(keys):
        region = ctx["region_b"] if store is None else ctx["region_a"]
        alert = ChannelAlert(
            kind="stock_out" if store else "cover_low",
            product_id=ctx["product"],
            region_id=region,
            store_id=ctx[store] if store else None,
            scope_key=f"s{ctx[store]}" if store else f"r{region}",
            week_start=week - timedelta(weeks=i),
            stock=3,
            weekly_sales=4.0,
            cover_weeks=0.75,
        )
        if key == "chacked":
            alert.acknowledged_by, alert.acknowledged_at = owners["hq"].user.id, utcnow()
        db.session.add(alert)
        db.session.flush()
        ctx[key] = alert.id
    db.session.commit()
    build_quality_alerts(ctx, owners)


def build_quality_alerts(ctx: dict, owners: dict[str, ApiClient]) -> None:
    """Early-life alerts of region A (the job raises them: written here), one for each caller to
    acknowledge and one acknowledged already."""
    from backend.aftersales.models import QualityAlert
    from backend.extensions import db

    for i, key in enumerate(["qacked", *(f"qack_{role}" for role in ROLES)]):
        alert = QualityAlert(
            product_id=ctx["product"],
            region_id=ctx["region_a"],
            scope_key=f"r{ctx['region_a']}",
            since=ctx["today"] - timedelta(days=100 + i),
            weeks=2,
            units_sold=100,
            returns_exchanges=4,
            rate_per_1000=40.0,
            threshold_per_1000=30.0,
        )
        if key == "qacked":
            alert.acknowledged_by, alert.acknowledged_at = owners["hq"].user.id, utcnow()
        db.session.add(alert)
        db.session.flush()
        ctx[key] = alert.id
    db.session.commit()


# --- the test -------------------------------------------------------------------------------------


def openapi_operations(client) -> set[tuple[str, str]]:
    doc = client.get("/api/openapi.json").json
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops if method in HTTP_METHODS}


def test_authorization_matrix(app, world, client):
    rows = matrix()

    # 1. The matrix covers every operation of the API, and nothing that is not in it.
    operations = openapi_operations(client)
    covered = {row.key for row in rows}
    assert not operations - covered, (
        f"endpoints with no row in the authorization matrix: {sorted(operations - covered)}"
    )
    assert not covered - operations, f"matrix rows for endpoints that do not exist: {sorted(covered - operations)}"
    for row in rows:
        assert set(row.expect) == set(ROLES), row

    # 2. Records made by their owners through the API.
    owners = {name: ApiClient(app.test_client(), user) for name, user in world.users.items()}
    ctx = build_records(world, owners, owners)
    callers = {role: owners[ACTOR[role]] for role in ROLES}

    # 3. Every row, every role.
    failures = []
    seed = 100
    for row in rows:
        for role in ROLES:
            caller = ApiClient(app.test_client(), world.users[ACTOR[role]]) if row.fresh_token else callers[role]
            values = {}
            for placeholder, key in row.params.items():
                values[placeholder] = str(uuid.uuid4()) if key == "fresh" else ctx[key.format(role=role)]
            url = row.path.format(**values)
            kwargs: dict[str, Any] = {}
            if row.photo:
                seed += 1
                data = jpeg(seed)
                url += f"?sha256={hashlib.sha256(data).hexdigest()}"
                kwargs = {"data": data, "content_type": "image/jpeg"}
            elif row.body is not None:
                body = row.body(ctx, role)
                raw = isinstance(body, bytes)
                kwargs = {"data": body, "content_type": "application/octet-stream"} if raw else {"json": body}
            if row.query:
                url += ("&" if "?" in url else "?") + row.query.format_map(ctx)  # {key}: a context value
            resp = getattr(caller, row.method.lower())(url, **kwargs)
            expected = row.expect[role]
            label = f"{row.method} {url} as {role} ({ACTOR[role]}){' — ' + row.note if row.note else ''}"
            if resp.status_code != expected:
                failures.append(f"{label}: expected {expected}, got {resp.status_code} {resp.get_json(silent=True)}")
                continue
            if expected >= 400:
                body = resp.get_json()
                if (
                    body is None
                    or body.get("status") != expected
                    or not isinstance(body.get("code"), str)
                    or not body.get("message")
                ):
                    failures.append(f"{label}: error body without code/message: {body}")
            if row.outcomes is not None and expected == 200:
                got = [
                    "ok" if r["status"] in ("applied", "merged") else r["error"]["code"]
                    for r in resp.get_json()["results"]
                ]
                if got != row.outcomes[role]:
                    failures.append(f"{label}: mutation outcomes {got}, expected {row.outcomes[role]}")
            if row.visible is not None and role in row.visible and expected == 200:
                returned = {str(item.get("id", item.get("photo_id"))) for item in resp.get_json()}  # feed: photos
                known = {key for key in ctx if key.split("_")[0] in {k.split("_")[0] for k in row.visible[role]}}
                seen = {key for key in known if isinstance(ctx[key], int | str) and str(ctx[key]) in returned}
                if seen != row.visible[role]:
                    failures.append(f"{label}: sees {sorted(seen)}, expected {sorted(row.visible[role])}")
    assert not failures, "\n".join(failures)


# --- promoters' training: topics (HQ writes, everyone reads), sessions (field records), coverage ---


def training_session_body(store_key: str, contact_key: str):
    def body(ctx, role):
        return {
            "id": str(uuid.uuid4()),
            "store_id": ctx[store_key],
            "topic_id": ctx["ttopic"],
            "held_at": iso(ctx["now"] - timedelta(minutes=5)),
            "duration_minutes": 20,
            "attendees": [{"contact_id": ctx[contact_key], "answers": None}],
        }

    return body


def training_rows() -> list[Row]:
    desk = codes(403, 200, 403, 200, 200)  # coverage and gaps: HQ, admins, a region's manager
    everything = {"tsession_a1", "tsession_a1b", "tsession_b1"}
    return [
        Row("GET", "/api/v1/training/topics", ALL_200, query="current=true"),
        Row(
            "POST",
            "/api/v1/training/topics",
            codes(403, 403, 403, 201, 201),
            body=lambda ctx, role: {"code": f"TOPIC-{role}", "title": f"培训 {role}", "kind": "skills"},
        ),
        Row(
            "PATCH",
            "/api/v1/training/topics/{topic_id}",
            codes(403, 403, 403, 200, 200),
            params={"topic_id": "ttopic"},
            body=lambda ctx, role: {"title_en": f"Edited by {role}"},
        ),
        Row(
            "GET",
            "/api/v1/training-sessions",
            FIELD_READ,
            query="page_size=100",
            visible={
                "rep": {"tsession_a1"},
                "manager": {"tsession_a1", "tsession_a1b"},
                "hq": everything,
                "admin": everything,
            },
        ),
        Row("POST", "/api/v1/training-sessions", FIELD_CREATE, body=training_session_body("store_a1", "tcontact_a1")),
        Row(
            "POST",
            "/api/v1/training-sessions",
            FIELD_CREATE_OUT_OF_SCOPE,
            body=training_session_body("store_b1", "tcontact_b1"),
        ),
        Row("GET", "/api/v1/training/coverage", desk),
        Row("GET", "/api/v1/training/coverage", codes(403, 404, 403, 200, 200), query="region_id={region_b}"),
        Row("GET", "/api/v1/training/gaps", desk),
        Row("GET", "/api/v1/training/gaps", codes(403, 404, 403, 200, 200), query="region_id={region_b}"),
    ]


def build_training_records(ctx: dict, owners: dict[str, ApiClient]) -> None:
    """A topic by HQ; sessions by rep_a1 (store_a1), rep_a1b (store_a1b) and rep_b1 (store_b1)."""
    r = owners["hq"].post("/api/v1/training/topics", json={"code": "P30", "title": "P30 培训", "kind": "product"})
    assert r.status_code == 201, r.json
    ctx["ttopic"] = r.json["id"]
    # Promoters of their own: other rows remove the setup's contacts.
    for suffix in ("a1", "a1b", "b1"):
        cid = str(uuid.uuid4())
        r = owners["admin"].put(f"/api/v1/stores/{ctx[f'store_{suffix}']}/contacts/{cid}", json=contact_body(ctx, "t"))
        assert r.status_code == 201, r.json
        ctx[f"tcontact_{suffix}"] = cid
    for suffix, owner, store, contact in (
        ("a1", "rep_a1", "store_a1", "tcontact_a1"),
        ("a1b", "rep_a1b", "store_a1b", "tcontact_a1b"),
        ("b1", "rep_b1", "store_b1", "tcontact_b1"),
    ):
        r = owners[owner].post("/api/v1/training-sessions", json=training_session_body(store, contact)(ctx, ""))
        assert r.status_code == 201, r.json
        ctx[f"tsession_{suffix}"] = r.json["id"]


# --- 三包 service events (clerks of the card's store), fault codes (HQ edits), repair points ---------


def service_event_body(card_key: str):
    def body(ctx, role):
        return {
            "id": str(uuid.uuid4()),
            "kind": "return",
            "card_id": ctx[card_key],
            "fault_code": "screen",
            "occurred_at": now(ctx),
        }

    return body


def aftersales_rows() -> list[Row]:
    return [
        Row(
            "GET",
            "/api/v1/service-events",
            codes(403, 200, 200, 200, 200),
            query="page_size=100",
            visible={
                "manager": {"sevent_a1"},
                "clerk": {"sevent_a1"},
                "hq": {"sevent_a1", "sevent_b1"},
                "admin": {"sevent_a1", "sevent_b1"},
            },
        ),
        Row("POST", "/api/v1/service-events", codes(403, 403, 201, 403, 403), body=service_event_body("svcpost")),
        Row(
            "POST",
            "/api/v1/service-events",
            codes(403, 403, 403, 403, 403),
            body=service_event_body("card_b1"),
            note="store_b1's card: service.not_your_store",
        ),
        Row("GET", "/api/v1/fault-codes", ALL_200),
        Row(
            "POST",
            "/api/v1/fault-codes",
            codes(403, 403, 403, 201, 201),
            body=lambda ctx, role: {"code": f"fault_{role}", "name": f"故障 {role}"},
        ),
        Row(
            "PATCH",
            "/api/v1/fault-codes/{fault_id}",
            codes(403, 403, 403, 200, 200),
            params={"fault_id": "fault"},
            body=lambda ctx, role: {"name_en": f"Edited by {role}"},
        ),
        Row("GET", "/api/v1/repair-points", codes(403, 200, 200, 200, 200)),
    ]


def build_aftersales_records(ctx: dict, owners: dict[str, ApiClient]) -> None:
    """A fault code by HQ; a return at store_a1 and one at store_b1 by their clerks; a card of
    store_a1 for the clerk's POST row."""
    r = owners["hq"].post("/api/v1/fault-codes", json={"code": "screen", "name": "屏幕故障"})
    assert r.status_code == 201, r.json
    ctx["fault"] = r.json["id"]
    for key, owner, serial in (
        ("svccard_a1", "clerk_a1", 700),
        ("svccard_b1", "clerk_b1", 710),
        ("svcpost", "clerk_a1", 720),
    ):
        r = owners[owner].post("/api/v1/warranty-cards", json=card_body(serial)(ctx, "rep"))
        assert r.status_code == 201, r.json
        ctx[key] = r.json["id"]
    for suffix, owner in (("a1", "clerk_a1"), ("b1", "clerk_b1")):
        r = owners[owner].post("/api/v1/service-events", json=service_event_body(f"svccard_{suffix}")(ctx, ""))
        assert r.status_code == 201, r.json
        ctx[f"sevent_{suffix}"] = r.json["id"]


# --- tasks for reps: managers (their region) and HQ assign, reps complete, the desk lists ---------


def task_batch_body(store_key: str, campaign: str):
    def body(ctx, role):
        fields = task_create_body(store_key)(ctx, role)
        return {k: v for k, v in fields.items() if k != "store_id"} | {
            "campaign": f"{campaign}-{role}",
            "store_ids": [ctx[store_key]],
        }

    return body


def task_create_body(store_key: str, **kw):
    def body(ctx, role):
        return {
            "store_id": ctx[store_key],
            "kind": "other",
            "title": f"任务 {role}",
            "due_on": (ctx["today"] + timedelta(days=3)).isoformat(),
            **kw,
        }

    return body


def task_complete_body(ctx, role):
    return {"completion_id": str(uuid.uuid4()), "done_at": now(ctx), "photo_ids": []}


def tasks_rows() -> list[Row]:
    assigners = codes(403, 201, 403, 201, 201)
    readers = codes(200, 200, 403, 200, 200)
    everything = {"task_a1", "task_a2", "task_b1"}
    return [
        Row(
            "GET",
            "/api/v1/tasks",
            readers,
            query="page_size=100",
            visible={"rep": {"task_a1"}, "manager": {"task_a1", "task_a2"}, "hq": everything, "admin": everything},
        ),
        Row("POST", "/api/v1/tasks", assigners, body=task_create_body("store_a1")),
        Row("POST", "/api/v1/tasks", codes(403, 404, 403, 201, 201), body=task_create_body("store_b1")),
        Row(
            "POST",
            "/api/v1/tasks/batch",
            assigners,
            body=task_batch_body("store_a1", "campaign"),
        ),
        Row(
            "POST",
            "/api/v1/tasks/batch",
            codes(403, 422, 403, 201, 201),
            body=task_batch_body("store_b1", "campaign-b"),
            note="another region's store: task.stores_outside for a manager",
        ),
        Row("GET", "/api/v1/tasks/summary", readers),
        Row("GET", "/api/v1/tasks/summary", codes(200, 404, 403, 200, 200), query="region_id={region_b}"),
        Row("GET", "/api/v1/tasks/{task_id}", readers, params={"task_id": "task_a1"}),
        Row("GET", "/api/v1/tasks/{task_id}", codes(404, 200, 403, 200, 200), params={"task_id": "task_a2"}),
        Row("GET", "/api/v1/tasks/{task_id}", codes(404, 404, 403, 200, 200), params={"task_id": "task_b1"}),
        Row(
            "POST",
            "/api/v1/tasks/{task_id}/cancel",
            codes(403, 200, 403, 200, 200),
            params={"task_id": "taskcancel_{role}"},
        ),
        Row(
            "POST",
            "/api/v1/tasks/{task_id}/cancel",
            codes(404, 404, 403, 200, 200),
            params={"task_id": "taskcancelb_{role}"},
        ),
        Row(
            "POST",
            "/api/v1/tasks/{task_id}/complete",
            codes(200, 200, 403, 403, 403),
            params={"task_id": "taskdone_{role}"},
            body=task_complete_body,
        ),
        Row(
            "POST",
            "/api/v1/tasks/{task_id}/complete",
            codes(404, 404, 403, 403, 403),
            params={"task_id": "task_b1"},
            body=task_complete_body,
        ),
    ]


def build_tasks_records(ctx: dict, owners: dict[str, ApiClient]) -> None:
    """Tasks by HQ at store_a1 (territory A1), store_a2 (A2) and store_b1 (region B), and one per
    caller to cancel (at store_a1 and store_b1) and to complete (at store_a1)."""
    hq = owners["hq"]

    def task_at(store_key: str) -> str:
        r = hq.post("/api/v1/tasks", json=task_create_body(store_key)(ctx, "setup"))
        assert r.status_code == 201, r.json
        return r.json["id"]

    for suffix in ("a1", "a2", "b1"):
        ctx[f"task_{suffix}"] = task_at(f"store_{suffix}")
    for role in ROLES:
        ctx[f"taskcancel_{role}"] = task_at("store_a1")
        ctx[f"taskcancelb_{role}"] = task_at("store_b1")
        ctx[f"taskdone_{role}"] = task_at("store_a1")
