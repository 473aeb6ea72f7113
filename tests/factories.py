"""Small factory functions for tests: an organisation, users per role, logged-in API clients."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from backend.auth.models import AuthToken, User, hash_token
from backend.auth.service import hash_password
from backend.catalogue.models import (
    ChecklistItem,
    CompetitorBrand,
    CompetitorModel,
    Product,
    PromoMaterial,
)
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.org.models import Partner, Region, Territory
from backend.stores.models import Store

PASSWORD = "correct horse 1"

# Guangzhou Tianhe, Guangzhou Yuexiu, Nanning Qingxiu: real places, a few km and 500 km apart.
TIANHE = (23.1291, 113.3269)
YUEXIU = (23.1291, 113.2644)
NANNING = (22.8170, 108.3665)


@dataclass
class World:
    region_a: Region
    region_b: Region
    terr_a1: Territory
    terr_a2: Territory
    terr_b1: Territory
    partner: Partner
    store_a1: Store  # in territory A1
    store_a1b: Store  # also in A1, 2 km away
    store_a2: Store  # in A2 (same region A)
    store_b1: Store  # in B1 (region B)
    rep_a1: User
    rep_a1b: User  # a second rep in the same territory
    rep_a2: User
    rep_b1: User
    manager_a: User
    manager_b: User
    clerk_a1: User
    hq: User
    admin: User
    product: Product
    brand: CompetitorBrand
    competitor_model: CompetitorModel
    material: PromoMaterial
    yes_item: ChecklistItem
    number_item: ChecklistItem
    clerk_b1: User  # a clerk at store_b1 (region B)
    users: dict[str, User] = field(default_factory=dict)


P30_TAC = "86012345"  # world.product's IMEIs start with this
N10_TAC = "86771203"  # not in the world: tests that need a second model make one with this TAC


def imei(tac: str = P30_TAC, serial: int = 0) -> str:
    """A valid IMEI: the TAC, a 6-digit serial, the Luhn check digit."""
    from backend.warranty.rules import luhn_check_digit

    body = f"{tac}{serial:06d}"
    return body + str(luhn_check_digit(body))


def make_user(username: str, role: str, **placement) -> User:
    user = User(
        username=username,
        display_name=username.replace("_", " ").title(),
        password_hash=hash_password(PASSWORD),
        role=role,
        **placement,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_store(code: str, territory: Territory, lat: float, lon: float, **kw) -> Store:
    store = Store(
        code=code,
        name=kw.pop("name", f"Store {code}"),
        territory_id=territory.id,
        kind=kw.pop("kind", "counter"),
        latitude=lat,
        longitude=lon,
        tier=kw.pop("tier", "B"),
        status=kw.pop("status", "active"),
        address=kw.pop("address", ""),
        **kw,
    )
    db.session.add(store)
    db.session.flush()
    return store


def build_world() -> World:
    ra = Region(code="GD", name="广东大区")
    rb = Region(code="GX", name="广西大区")
    db.session.add_all([ra, rb])
    db.session.flush()
    ta1 = Territory(code="GZ-TH", name="天河片区", region_id=ra.id)
    ta2 = Territory(code="GZ-YX", name="越秀片区", region_id=ra.id)
    tb1 = Territory(code="NN-QX", name="青秀片区", region_id=rb.id)
    partner = Partner(code="SN", name="苏宁易购", kind="retail_chain")
    db.session.add_all([ta1, ta2, tb1, partner])
    db.session.flush()
    s_a1 = make_store("A1-001", ta1, *TIANHE, name="苏宁易购 天河城店", partner_id=partner.id)
    s_a1b = make_store("A1-002", ta1, TIANHE[0] + 0.018, TIANHE[1], name="迪信通 体育西店")
    s_a2 = make_store("A2-001", ta2, *YUEXIU, name="国美电器 北京路店")
    s_b1 = make_store("B1-001", tb1, *NANNING, name="中国移动 青秀营业厅")
    users = {
        "rep_a1": make_user("rep_a1", "rep", territory_id=ta1.id),
        "rep_a1b": make_user("rep_a1b", "rep", territory_id=ta1.id),
        "rep_a2": make_user("rep_a2", "rep", territory_id=ta2.id),
        "rep_b1": make_user("rep_b1", "rep", territory_id=tb1.id),
        "manager_a": make_user("manager_a", "manager", region_id=ra.id),
        "manager_b": make_user("manager_b", "manager", region_id=rb.id),
        "clerk_a1": make_user("clerk_a1", "clerk", store_id=s_a1.id),
        "clerk_b1": make_user("clerk_b1", "clerk", store_id=s_b1.id),
        "hq": make_user("hq", "hq"),
        "admin": make_user("admin", "admin"),
    }
    product = Product(
        model_code="XL-P30",
        name="星澜 P30",
        launch_date=date(2026, 3, 1),
        list_price=Decimal("2999.00"),
        tac_codes=[P30_TAC],
    )
    brand = CompetitorBrand(name="OPPO")
    db.session.add_all([product, brand])
    db.session.flush()
    cmodel = CompetitorModel(brand_id=brand.id, name="Reno 12", list_price=Decimal("2699.00"))
    material = PromoMaterial(code="POSTER-P30", name="P30 海报", kind="poster", unit_cost=Decimal("12.50"))
    yes_item = ChecklistItem(
        code="LOGO",
        label_zh="门头标识完好",
        label_en="Fascia logo intact",
        answer_type="yes_no",
        weight=2,
        sort_order=1,
    )
    number_item = ChecklistItem(
        code="DEMO",
        label_zh="可用演示机数量",
        label_en="Working demo phones",
        answer_type="number",
        target=2,
        weight=1,
        sort_order=2,
    )
    db.session.add_all([cmodel, material, yes_item, number_item])
    db.session.commit()
    return World(
        ra,
        rb,
        ta1,
        ta2,
        tb1,
        partner,
        s_a1,
        s_a1b,
        s_a2,
        s_b1,
        **users,
        product=product,
        brand=brand,
        competitor_model=cmodel,
        material=material,
        yes_item=yes_item,
        number_item=number_item,
        users=users,
    )


def token_for(user: User) -> str:
    """A valid token without going through login (login itself is tested on its own)."""
    token = secrets.token_urlsafe(24)
    db.session.add(AuthToken(token_hash=hash_token(token), user_id=user.id, expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    return token


class ApiClient:
    """A Flask test client that sends one user's bearer token."""

    def __init__(self, client, user: User):
        self.client = client
        self.user = user
        self.token = token_for(user)

    def _headers(self, kw):
        headers = dict(kw.pop("headers", {}) or {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw), **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self._headers(kw), **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self._headers(kw), **kw)

    def patch(self, url, **kw):
        return self.client.patch(url, headers=self._headers(kw), **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self._headers(kw), **kw)


def new_id() -> str:
    return str(uuid.uuid4())


def iso(dt) -> str:
    return dt.isoformat() + "Z"


# --- sell-out capture (issue 16): the bodies of the REST calls and of their sync mutations ------


def _minutes_ago(minutes: int) -> str:
    return iso(utcnow().replace(microsecond=0) - timedelta(minutes=minutes))


def shop_stock_count_body(store_id: int, product_id: int, on_hand: int = 3, **kw) -> dict:
    """POST /api/v1/shop-stock-counts and `shop_stock.count`."""
    return {
        "id": new_id(),
        "store_id": store_id,
        "product_id": product_id,
        "on_hand": on_hand,
        "counted_at": _minutes_ago(40),
        **kw,
    }


def sellout_report_body(store_id: int, product_id: int, units: int = 4, **kw) -> dict:
    """POST /api/v1/sellout-reports and `sellout.report`: the last 7 days up to yesterday (UTC)."""
    end = (utcnow() - timedelta(days=1)).date()
    return {
        "id": new_id(),
        "store_id": store_id,
        "product_id": product_id,
        "units": units,
        "period_start": (end - timedelta(days=6)).isoformat(),
        "period_end": end.isoformat(),
        "source": "promoter",
        "reported_at": _minutes_ago(35),
        **kw,
    }


def competitor_sellout_body(store_id: int, competitor_model_id: int, units: int | None = 8, **kw) -> dict:
    """POST /api/v1/competitor-sellout and `sellout.competitor`: last week, a number of units
    (pass units=None, band="6-20" for a band)."""
    today = utcnow().date()
    last_monday = today - timedelta(days=today.weekday() + 7)
    body = {
        "id": new_id(),
        "store_id": store_id,
        "competitor_model_id": competitor_model_id,
        "week_start": last_monday.isoformat(),
        "source": "competitor_promoter",
        "reported_at": _minutes_ago(30),
        **kw,
    }
    if units is not None:
        body["units"] = units
    return body
