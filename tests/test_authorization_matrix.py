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
from tests.factories import PASSWORD, ApiClient, iso
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
PUSH_OUTCOMES = {
    "rep": ["ok", "ok", "forbidden", "ok", "ok", "not_found", "not_found"],
    "manager": ["ok", "ok", "ok", "ok", "ok", "not_found", "not_found"],
    "clerk": ["forbidden", "forbidden", "forbidden", "ok", "forbidden", "forbidden", "not_found"],
    "hq": ["forbidden"] * 7,
    "admin": ["forbidden", "ok", "ok", "ok", "forbidden", "forbidden", "ok"],
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
        Row("GET", "/api/v1/health", ALL_200),
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
        *field_record_rows(
            "intel-reports",
            "report_id",
            "intel",
            [
                Row("POST", "/api/v1/intel-reports", FIELD_CREATE, body=intel_body("store_a1")),
                Row("POST", "/api/v1/intel-reports", FIELD_CREATE_OUT_OF_SCOPE, body=intel_body("store_b1")),
            ],
        ),
        # photos: any user uploads; the uploader, HQ/admin and whoever sees a linked record read
        Row(
            "PUT", "/api/v1/photos/{photo_id}", codes(201, 201, 201, 201, 201), params={"photo_id": "fresh"}, photo=True
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
    # resumable photo uploads: anyone uploads under their own id; the uploader and HQ/admin may look
    upload = "/api/v1/photos/{photo_id}/upload"
    rows += [
        Row("POST", upload, codes(201, 201, 201, 201, 201), params={"photo_id": "fresh"}, body=upload_start_body),
        Row(
            "POST",
            upload,
            codes(409, 409, 409, 409, 409),
            params={"photo_id": "upload_b1"},
            body=upload_start_body,
            note="another user's upload",
        ),
        Row("GET", upload, codes(200, 404, 404, 200, 200), params={"photo_id": "upload_rep"}),
        Row("GET", upload, codes(404, 404, 404, 200, 200), params={"photo_id": "upload_b1"}),
        Row(
            "PATCH",
            upload,
            codes(202, 202, 202, 202, 202),
            params={"photo_id": "upload_{role}"},
            query="offset=0",
            body=upload_chunk_body,
            note="the caller's own upload",
        ),
        Row(
            "PATCH",
            upload,
            codes(404, 404, 404, 404, 404),
            params={"photo_id": "upload_b1"},
            query="offset=0",
            body=upload_chunk_body,
        ),
    ]
    return rows


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
    # Resumable uploads under way: each role's own (upload_rep, upload_manager…) and rep_b1's.
    for key, owner in [*((f"upload_{role}", ACTOR[role]) for role in ROLES), ("upload_b1", "rep_b1")]:
        ctx[key] = str(uuid.uuid4())
        r = owners[owner].post(f"/api/v1/photos/{ctx[key]}/upload", json=upload_start_body(ctx, ""))
        assert r.status_code == 201, r.json

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
    return ctx


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
                url += ("&" if "?" in url else "?") + row.query
            resp = getattr(caller, row.method.lower())(url, **kwargs)
            expected = row.expect[role]
            label = f"{row.method} {url} as {role} ({ACTOR[role]}){' — ' + row.note if row.note else ''}"
            if resp.status_code != expected:
                failures.append(f"{label}: expected {expected}, got {resp.status_code} {resp.get_json(silent=True)}")
                continue
            if expected >= 400:
                body = resp.get_json()
                if body is None or body.get("code") != expected or not body.get("message"):
                    failures.append(f"{label}: error body without code/message: {body}")
            if row.outcomes is not None and expected == 200:
                got = [
                    "ok" if r["status"] in ("applied", "merged") else r["error"]["code"]
                    for r in resp.get_json()["results"]
                ]
                if got != row.outcomes[role]:
                    failures.append(f"{label}: mutation outcomes {got}, expected {row.outcomes[role]}")
            if row.visible is not None and role in row.visible and expected == 200:
                returned = {str(item["id"]) for item in resp.get_json()}
                known = {key for key in ctx if key.split("_")[0] in {k.split("_")[0] for k in row.visible[role]}}
                seen = {key for key in known if isinstance(ctx[key], int | str) and str(ctx[key]) in returned}
                if seen != row.visible[role]:
                    failures.append(f"{label}: sees {sorted(seen)}, expected {sorted(row.visible[role])}")
    assert not failures, "\n".join(failures)
