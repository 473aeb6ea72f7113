"""Synthetic but plausible data: stores clustered around cities of southern China.

Regions are provinces; a big city is split into four territories (its quadrants around the
centre), a smaller one is a single territory. Each city's stores follow a gaussian around the
centre (most within a few km, a fifth spread over the suburbs), so the city centres are as
dense as the real ones, where phone shops and carrier counters line whole streets.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sqlalchemy import select

from backend.auth.models import User
from backend.extensions import db
from backend.org.models import Partner, Region, Territory
from backend.stores.models import Store

from .common import insert_in_chunks


@dataclass(frozen=True)
class City:
    code: str
    name: str
    province: str
    lat: float
    lon: float
    weight: float  # share of the stores
    sigma_km: float  # spread of the dense core


PROVINCES = {"GD": "广东大区", "GX": "广西大区", "FJ": "福建大区", "HI": "海南大区", "HN": "湖南大区"}

CITIES = (
    City("GZ", "广州", "GD", 23.129, 113.264, 9, 6),
    City("SZ", "深圳", "GD", 22.543, 114.058, 9, 6),
    City("DG", "东莞", "GD", 23.021, 113.752, 5, 8),
    City("FS", "佛山", "GD", 23.022, 113.122, 5, 6),
    City("ZS", "中山", "GD", 22.517, 113.393, 2, 5),
    City("ZH", "珠海", "GD", 22.271, 113.577, 2, 5),
    City("HZ", "惠州", "GD", 23.112, 114.416, 2, 5),
    City("JM", "江门", "GD", 22.579, 113.082, 1.5, 4),
    City("ST", "汕头", "GD", 23.354, 116.682, 2, 5),
    City("ZJ", "湛江", "GD", 21.271, 110.359, 1.5, 4),
    City("NN", "南宁", "GX", 22.817, 108.366, 3, 5),
    City("LZ", "柳州", "GX", 24.326, 109.428, 1.5, 4),
    City("GL", "桂林", "GX", 25.274, 110.290, 1.5, 4),
    City("FZ", "福州", "FJ", 26.074, 119.296, 3, 5),
    City("XM", "厦门", "FJ", 24.480, 118.089, 3, 4),
    City("QZ", "泉州", "FJ", 24.874, 118.676, 2, 6),
    City("HK", "海口", "HI", 20.044, 110.199, 1.5, 4),
    City("SY", "三亚", "HI", 18.253, 109.512, 1, 4),
    City("CS", "长沙", "HN", 28.228, 112.939, 4, 6),
    City("ZZ", "株洲", "HN", 27.827, 113.134, 1, 4),
    City("HY", "衡阳", "HN", 26.893, 112.572, 1, 4),
)
CITY = {c.code: c for c in CITIES}
QUADRANTS = ("NE", "NW", "SE", "SW")
BIG_CITY_WEIGHT = 3  # cities at least this big get four territories

# (name, partner kind) of the chains and carriers whose counters carry the phones.
CHAINS = (
    ("苏宁易购", "retail_chain"),
    ("国美电器", "retail_chain"),
    ("迪信通", "retail_chain"),
    ("乐语通讯", "retail_chain"),
    ("中国移动", "carrier"),
    ("中国联通", "carrier"),
    ("中国电信", "carrier"),
    (None, None),  # independent phone shops
)
ROADS = "中山 解放 人民 建设 天河 体育西 北京 滨江 环市 工业 新华 和平 东风 南京 五一 长江 学院 文化 花园 江南".split()
SHOP_WORDS = "数码 通讯 手机 电子 科技".split()

_M_PER_DEG_LAT = 110_574.0


@dataclass
class Org:
    region_ids: dict[str, int] = field(default_factory=dict)  # province -> id
    territory_ids: dict[str, int] = field(default_factory=dict)  # "GZ-NE" / "ZS" -> id
    stores_by_territory: dict[int, list[tuple[int, float, float]]] = field(default_factory=dict)
    store_count: int = 0

    def territory_of(self, city: City, lat: float, lon: float) -> int:
        if city.weight < BIG_CITY_WEIGHT:
            return self.territory_ids[city.code]
        quadrant = ("N" if lat >= city.lat else "S") + ("E" if lon >= city.lon else "W")
        return self.territory_ids[f"{city.code}-{quadrant}"]

    def centre_territory(self, city_code: str) -> int:
        """The territory of a rep who works the city centre (its north-east quadrant)."""
        city = CITY[city_code]
        return self.territory_of(city, city.lat, city.lon)


def _offset(rng: random.Random, city: City, sigma_km: float) -> tuple[float, float]:
    dy = rng.gauss(0, sigma_km * 1000)
    dx = rng.gauss(0, sigma_km * 1000)
    lat = city.lat + dy / _M_PER_DEG_LAT
    lon = city.lon + dx / (_M_PER_DEG_LAT * math.cos(math.radians(city.lat)))
    return round(lat, 6), round(lon, 6)


def build_org(n_stores: int, seed: int = 20260314) -> Org:
    """Regions, territories, partners and `n_stores` stores, bulk-inserted; returns their ids."""
    rng = random.Random(seed)
    org = Org()
    for code, name in PROVINCES.items():
        region = Region(code=code, name=name)
        db.session.add(region)
        db.session.flush()
        org.region_ids[code] = region.id
    for city in CITIES:
        names = [f"{city.code}-{q}" for q in QUADRANTS] if city.weight >= BIG_CITY_WEIGHT else [city.code]
        for code in names:
            suffix = code.partition("-")[2]
            territory = Territory(code=code, name=f"{city.name}{suffix}片区", region_id=org.region_ids[city.province])
            db.session.add(territory)
            db.session.flush()
            org.territory_ids[code] = territory.id
    partner_ids = {}
    for i, (name, kind) in enumerate(CHAINS):
        if name:
            partner = Partner(code=f"P{i:02d}", name=name, kind=kind)
            db.session.add(partner)
            db.session.flush()
            partner_ids[name] = partner.id
    db.session.commit()

    total_weight = sum(c.weight for c in CITIES)
    rows = []
    for city in CITIES:
        count = round(n_stores * city.weight / total_weight)
        if city is CITIES[-1]:
            count = n_stores - len(rows)
        for _ in range(count):
            # 80% in the dense core, 20% spread over the suburbs.
            sigma = city.sigma_km if rng.random() < 0.8 else city.sigma_km * 3
            lat, lon = _offset(rng, city, sigma)
            chain, _kind = rng.choice(CHAINS)
            road = rng.choice(ROADS)
            n = len(rows) + 1
            name = f"{chain} {city.name}{road}路店" if chain else f"{road}{rng.choice(SHOP_WORDS)}"
            rows.append(
                {
                    "code": f"S{n:07d}",
                    "name": f"{name} {n}",
                    "partner_id": partner_ids.get(chain),
                    "territory_id": org.territory_of(city, lat, lon),
                    "kind": "counter" if chain else "shop",
                    "address": f"{city.name}市{road}路{rng.randint(1, 999)}号",
                    "latitude": lat,
                    "longitude": lon,
                    "tier": rng.choice("AABBBCCCCC"),
                    "status": "active" if rng.random() < 0.92 else rng.choice(("prospect", "closed")),
                }
            )
    insert_in_chunks(Store, rows)
    for store_id, territory_id, lat, lon in db.session.execute(
        select(Store.id, Store.territory_id, Store.latitude, Store.longitude)
    ):
        org.stores_by_territory.setdefault(territory_id, []).append((store_id, lat, lon))
    org.store_count = len(rows)
    return org


def make_user(username: str, role: str, **placement) -> User:
    """A user who never logs in (the benchmarks give them tokens directly): no real password."""
    user = User(username=username, display_name=username, password_hash="!bench", role=role, **placement)
    db.session.add(user)
    db.session.flush()
    return user
