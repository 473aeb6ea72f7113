"""The state every demo seed module shares: one `Context` per run, passed to each module's functions.

It holds what the old single `_Seeder` class held: the one `random.Random(seed)` everything is
drawn from (record ids included, so the same seed on the same day gives the same data), the clock
of the run, the summary of counts, and what each step created for the later ones (regions and
territories, the stores, the reps and their beats, the month's visits…). It also holds the small
random helpers (ids, Chinese names, mobile numbers) and the in-memory records the modules pass to
each other (`StoreInfo`, `ModelInfo`, `RepInfo`), which are plain data, not rows.

Every helper draws from `rng` in the same order as before the split: the order of the calls is
the order of the random sequence, hence of the data.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..auth.models import User
from ..catalogue.models import ChecklistItem, PromoMaterial
from ..core.timeutil import business_date, utcnow
from ..org.models import Partner, Region, Territory
from .geography import Area, RegionSpec, TerritorySpec

BRAND = "星澜"  # our brand, Xinglan
CST = timedelta(hours=8)  # China Standard Time; times are stored as naive UTC

# --- people ---------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余叶程魏苏吕丁沈姚卢钟谭陆范"
    "廖韦方邹熊邱江薛黎贺莫覃"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍婷鹏辉晓宇浩欣雪琳佳怡"
    "俊凯志文斌颖嘉锦海林建国德春梅红燕云飞龙思雨子涵轩博诗"
)
MOBILE_PREFIXES = (
    "134 135 136 137 138 139 150 151 152 158 159 182 186 187 188 130 131 132 155 156 133 153 177 180 189 199".split()
)

# --- the records the modules pass to each other ----------------------------------------------


@dataclass
class StoreInfo:
    """A seeded store as the later steps need it (position, format, how well it is kept)."""

    id: int
    code: str
    name: str
    territory_id: int
    region_id: int
    lat: float
    lon: float
    fmt: str
    tier: str
    status: str
    quality: float
    price_bias: float
    area: Area
    materials: list[int] = field(default_factory=list)

    @property
    def pos(self) -> tuple[float, float]:
        return (self.lat, self.lon)


@dataclass
class ModelInfo:
    """A phone model whose shelf price reps observe: one of ours or a competitor's."""

    key: str
    product_id: int | None
    competitor_model_id: int | None
    list_price: int
    launched: date
    weight: float
    drift: float  # the share its price falls over the month


@dataclass
class RepInfo:
    """A sales rep and their beat (the stores of their territory they visit)."""

    user_id: int
    territory_id: int
    region_id: int
    beat: list[StoreInfo]
    left_on: date | None = None


# --- the context ------------------------------------------------------------------------------


@dataclass
class Context:
    rng: random.Random
    echo: Callable[[str], None]
    days: int
    scale: float
    now: datetime
    today: date
    start: date
    summary: dict[str, int] = field(default_factory=dict)
    # org
    regions: list[tuple[Region, RegionSpec]] = field(default_factory=list)
    territories: list[tuple[Territory, TerritorySpec, Region, RegionSpec]] = field(default_factory=list)
    partner_by_code: dict[str, Partner] = field(default_factory=dict)
    local_distributor: dict[int, Partner] = field(default_factory=dict)  # by territory id
    # catalogue
    models: list[ModelInfo] = field(default_factory=list)
    materials: list[PromoMaterial] = field(default_factory=list)
    checklist: list[ChecklistItem] = field(default_factory=list)
    check_bias: dict[int, float] = field(default_factory=dict)
    active_items: list[ChecklistItem] = field(default_factory=list)
    region_factor: dict[tuple[str, int], float] = field(default_factory=dict)
    price_cuts: dict[tuple[str, int], tuple[date, float]] = field(default_factory=dict)
    # stores
    stores: list[StoreInfo] = field(default_factory=list)
    stores_by_territory: dict[int, list[StoreInfo]] = field(default_factory=dict)
    # users
    admin: User | None = None
    reps: list[RepInfo] = field(default_factory=list)
    clerk_stores: list[tuple[User, StoreInfo]] = field(default_factory=list)
    # the month of field history (rows for bulk inserts)
    visits: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    prices: list[dict] = field(default_factory=list)
    movements: list[dict] = field(default_factory=list)
    visits_by_rep: dict[int, list[dict]] = field(default_factory=dict)
    stock: dict[tuple[int, int], int | None] = field(default_factory=dict)  # (store, material) → on hand

    @classmethod
    def create(cls, seed: int, echo: Callable[[str], None], days: int, scale: float, today: date | None) -> Context:
        now = utcnow()
        # The business zone's day (the calendar the screens count days and weeks in), not the
        # UTC date: from 16:00 UTC Shanghai is already on the next day.
        today = today or business_date(now)
        return cls(
            rng=random.Random(seed),
            echo=echo,
            days=days,
            scale=scale,
            now=now,
            today=today,
            start=today - timedelta(days=days),
        )

    # -- small random helpers

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def person(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def weighted(self, pairs):
        return self.rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A China Standard Time wall-clock time on `day`, as naive UTC."""
        return datetime.combine(day, time(hour, minute)) - CST
