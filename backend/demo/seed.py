"""`flask seed-demo`: a believable organisation in southern China with a month of field history.

Five regions (大区) of two to four territories (片区) each around real cities; channel partners of
every kind; about 480 stores scattered around real neighbourhoods; our own products, competitors'
models, promo materials and the VI checklist; users of every role; and for every rep the working
days of the last month: store rounds in a sensible order, display checks, competitor and own
prices, promo-material stock, and a handful of intel reports waiting for review.

Everything is drawn from one `random.Random(seed)`, record ids included, so the same seed on the
same day gives the same data. Rows are built in memory and inserted in bulk; a full run takes a
few seconds on SQLite. It assumes an empty database (`flask seed-demo --if-empty` checks that).

Demo logins, all with the password ``demo1234`` (see `DEMO_LOGINS`):
admin (admin), hq (HQ), manager.gd (manager of 广东大区), rep.gz (rep in 广州天河片区),
clerk.gz (clerk at 星澜手机专卖店 天河城店).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from ..auth.models import Role, User
from ..auth.service import hash_password
from ..catalogue.models import (
    AnswerType,
    ChecklistItem,
    CompetitorBrand,
    CompetitorModel,
    MaterialKind,
    Product,
    PromoMaterial,
)
from ..core.geo import distance_m
from ..core.timeutil import utcnow
from ..extensions import db
from ..intel.models import IntelDuplicateCandidate, IntelKind, IntelReport, IntelStatus, PriceObservation
from ..intel.service import duplicate_candidates
from ..org.models import Partner, PartnerKind, Region, Territory
from ..stock.models import MovementKind, StockMovement
from ..stores.models import (
    ContactRole,
    Store,
    StoreContact,
    StoreContactHistory,
    StoreKind,
    StoreStatus,
    StoreTier,
)
from ..visits.models import DisplayCheck, Visit
from ..visits.service import offsite_threshold_m
from ..warranty import diversion
from ..warranty.models import (
    ImeiSpotCheck,
    ImportStatus,
    Shipment,
    ShipmentImport,
    WarrantyCard,
    WarrantyImei,
)
from ..warranty.rules import luhn_check_digit

PASSWORD = "demo1234"

# username → (role, what the README says about it)
DEMO_LOGINS: dict[str, tuple[str, str]] = {
    "admin": (Role.ADMIN, "administrator"),
    "hq": (Role.HQ, "HQ: competitive intelligence, every region"),
    "manager.gd": (Role.MANAGER, "manager of 广东大区 (Guangdong)"),
    "rep.gz": (Role.REP, "sales rep in 广州天河片区 (Guangzhou Tianhe)"),
    "clerk.gz": (Role.CLERK, "clerk at 星澜手机专卖店 天河城店 (Guangzhou)"),
}

BRAND = "星澜"  # our brand, Xinglan
CST = timedelta(hours=8)  # China Standard Time; times are stored as naive UTC

# --- geography ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A real neighbourhood stores cluster around (a shopping street, a mall, a metro hub)."""

    name: str
    district: str
    lat: float
    lon: float
    streets: tuple[str, ...]


@dataclass(frozen=True)
class TerritorySpec:
    code: str
    name: str
    city: str
    stores: int  # at scale 1
    sigma_m: float  # spread of stores around each area; small where the sea is close
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    province: str
    distributor: str  # the provincial distributor (省包商)
    territories: tuple[TerritorySpec, ...]


# Region: code name province provincial-distributor
#   Territory: code name city stores-at-scale-1 spread-of-stores-in-metres (small where the sea is near)
#     Area: name district latitude longitude streets (WGS-84, real neighbourhoods)
GEOGRAPHY = """
GD 广东大区 广东省 广东粤讯通信有限公司
  GZ-TH 广州天河片区 广州市 40 700
    天河城 天河区 23.1322 113.3232 天河路/体育东路
    体育西 天河区 23.1370 113.3210 体育西路/天河北路
    岗顶 天河区 23.1360 113.3420 天河路/石牌西路
    珠江新城 天河区 23.1195 113.3250 花城大道/珠江东路
    石牌桥 天河区 23.1330 113.3320 天河路/石牌东路
    车陂 天河区 23.1265 113.3985 中山大道西/车陂路
    员村 天河区 23.1235 113.3640 黄埔大道中/员村二横路
  GZ-YX 广州越秀片区 广州市 38 500
    北京路 越秀区 23.1262 113.2695 北京路/西湖路
    公园前 越秀区 23.1278 113.2645 中山五路/吉祥路
    东山口 越秀区 23.1240 113.2950 署前路/中山一路
    农林下路 越秀区 23.1290 113.2935 农林下路/东风东路
    上下九 荔湾区 23.1192 113.2465 上下九路/第十甫路
    江南西 海珠区 23.1040 113.2705 江南大道中/江南西路
    客村 海珠区 23.0960 113.3190 新港中路/艺苑路
  FS 佛山片区 佛山市 32 900
    祖庙 禅城区 23.0330 113.1120 祖庙路/人民路
    季华 禅城区 23.0030 113.1060 季华五路/汾江南路
    桂城 南海区 23.0400 113.1530 南海大道北/南桂东路
    千灯湖 南海区 23.0480 113.1460 灯湖东路/海八东路
    大良 顺德区 22.8400 113.2520 清晖路/东乐路
    乐从 顺德区 22.9560 113.1020 乐从大道/跃进路
  DG 东莞片区 东莞市 36 900
    东城 东城街道 23.0260 113.7700 东城中路/东纵大道
    南城 南城街道 23.0110 113.7420 鸿福路/宏图路
    莞城 莞城街道 23.0460 113.7500 西正路/运河东一路
    虎门 虎门镇 22.8180 113.6730 连升路/虎门大道
    长安 长安镇 22.8160 113.8050 长安中路/莲峰路
    常平 常平镇 22.9760 113.9920 常平大道/环站路
SZ 深圳大区 广东省 深圳鹏讯通讯有限公司
  SZ-FT 深圳福田罗湖片区 深圳市 38 600
    华强北 福田区 22.5460 114.0850 华强北路/深南中路
    车公庙 福田区 22.5385 114.0240 深南大道/泰然九路
    景田 福田区 22.5560 114.0440 景田路/商报路
    东门 罗湖区 22.5480 114.1200 东门中路/解放路
    国贸 罗湖区 22.5470 114.1180 人民南路/嘉宾路
    笋岗 罗湖区 22.5640 114.1000 宝安北路/笋岗东路
  SZ-NS 深圳南山宝安片区 深圳市 34 600
    科技园 南山区 22.5430 113.9530 科苑路/高新南一道
    南头 南山区 22.5430 113.9230 南头街/南新路
    西丽 南山区 22.5830 113.9560 西丽路/沙河西路
    宝安中心 宝安区 22.5600 113.8900 新湖路/创业一路
    西乡 宝安区 22.5790 113.8800 西乡大道/宝源路
    松岗 宝安区 22.7700 113.8450 松岗大道/沙江路
  SZ-LG 深圳龙华龙岗片区 深圳市 32 800
    龙华 龙华区 22.6560 114.0250 人民路/东环一路
    民治 龙华区 22.6230 114.0420 民治大道/民康路
    布吉 龙岗区 22.6020 114.1180 布吉路/吉华路
    横岗 龙岗区 22.6450 114.2080 龙岗大道/力嘉路
    龙岗中心城 龙岗区 22.7200 114.2480 龙翔大道/龙城大道
    坂田 龙岗区 22.6300 114.0650 坂雪岗大道/五和大道
GX 广西大区 广西壮族自治区 广西桂讯通讯有限公司
  NN-QX 南宁青秀片区 南宁市 30 800
    金湖广场 青秀区 22.8160 108.3800 民族大道/金湖路
    东盟商务区 青秀区 22.8240 108.3920 民族大道/金浦路
    琅东 青秀区 22.8190 108.4100 民族大道/云景路
    凤岭 青秀区 22.8280 108.4300 凤岭北路/佛子岭路
    南湖 青秀区 22.8080 108.3640 双拥路/南湖路
  NN-XX 南宁城西片区 南宁市 28 800
    朝阳广场 兴宁区 22.8175 108.3220 朝阳路/兴宁路
    西乡塘 西乡塘区 22.8390 108.3010 北湖北路/明秀东路
    广西大学 西乡塘区 22.8450 108.2880 大学东路/明秀西路
    江南万达 江南区 22.7920 108.3100 星光大道/亭洪路
    安吉 西乡塘区 22.8580 108.2930 安吉大道/秀厢大道
  LZ 柳州片区 柳州市 24 700
    五星街 城中区 24.3270 109.4110 五星街/中山中路
    谷埠街 城中区 24.3190 109.4180 文惠路/龙城路
    柳南 柳南区 24.3120 109.3880 航银路/柳石路
    柳北 柳北区 24.3600 109.4030 跃进路/雅儒路
    鱼峰 鱼峰区 24.3040 109.4300 荣军路/屏山大道
FJ 福建大区 福建省 福建闽讯通信有限公司
  FZ 福州片区 福州市 30 800
    东街口 鼓楼区 26.0860 119.2990 八一七北路/东街
    五四路 鼓楼区 26.0930 119.3060 五四路/湖东路
    台江万达 台江区 26.0660 119.3150 广达路/八一七中路
    金山 仓山区 26.0400 119.2780 金榕南路/建新路
    东二环 晋安区 26.0960 119.3330 福新东路/华林路
  XM 厦门片区 厦门市 28 500
    中山路 思明区 24.4580 118.0900 中山路/思明南路
    莲坂 思明区 24.4830 118.1250 嘉禾路/莲前西路
    SM城市广场 湖里区 24.5040 118.1320 嘉禾路/仙岳路
    火车站 思明区 24.4690 118.1150 厦禾路/湖滨东路
    湖里万达 湖里区 24.5060 118.1700 仙岳路/金山路
  QZ 泉州片区 泉州市 26 800
    中山路 鲤城区 24.9100 118.5860 中山中路/温陵路
    丰泽 丰泽区 24.9020 118.6100 丰泽街/泉秀路
    浦西万达 丰泽区 24.8900 118.6300 宝洲路/浦西路
    晋江 晋江市 24.7900 118.5750 泉安中路/阳光路
    石狮 石狮市 24.7310 118.6460 八七路/宝盖路
HI 海南大区 海南省 海南琼讯通信有限公司
  HK-LH 海口龙华片区 海口市 24 600
    国贸 龙华区 20.0230 110.3200 国贸大道/玉沙路
    金盘 龙华区 19.9980 110.3150 金盘路/南海大道
    海秀 龙华区 20.0180 110.3300 海秀中路/龙昆南路
    龙昆南 龙华区 20.0050 110.3260 龙昆南路/金牛路
  HK-ML 海口美兰琼山片区 海口市 22 600
    东湖 美兰区 20.0330 110.3500 海府路/白龙南路
    大英山 美兰区 20.0250 110.3550 海府路/和平南路
    白龙 美兰区 20.0300 110.3650 白龙北路/白龙南路
    府城 琼山区 19.9950 110.3480 文庄路/府城大道
  SY 三亚片区 三亚市 18 400
    解放路 天涯区 18.2530 109.5070 解放路/新建街
    河东 吉阳区 18.2480 109.5170 河东路/榆亚路
    吉阳 吉阳区 18.2720 109.5350 迎宾路/吉阳大道
    月川 天涯区 18.2650 109.5060 凤凰路/月川路
"""


def promo_materials() -> list[PromoMaterial]:
    """The demo's promo-material catalogue, as new (unsaved) rows."""
    return [PromoMaterial(code=c, name=n, kind=k, unit_cost=Decimal(cost)) for c, n, k, cost in MATERIALS]


def checklist_items() -> list[ChecklistItem]:
    """The demo's VI checklist, as new (unsaved) rows."""
    return [
        ChecklistItem(
            code=code,
            label_zh=zh,
            label_en=en,
            answer_type=atype,
            target=target,
            weight=weight,
            sort_order=i * 10,
            active=active,
        )
        for i, (code, zh, en, atype, target, weight, active, _bias) in enumerate(CHECKLIST)
    ]


def _parse_geography(text: str) -> tuple[RegionSpec, ...]:
    regions: list[tuple[list, list]] = []
    for line in text.strip().splitlines():
        f = line.split()
        depth = (len(line) - len(line.lstrip())) // 2
        if depth == 0:
            regions.append(([*f], []))
        elif depth == 1:
            regions[-1][1].append(([f[0], f[1], f[2], int(f[3]), float(f[4])], []))
        else:
            area = Area(f[0], f[1], float(f[2]), float(f[3]), tuple(f[4].split("/")))
            regions[-1][1][-1][1].append(area)
    return tuple(
        RegionSpec(*head, tuple(TerritorySpec(*t, tuple(areas)) for t, areas in territories))
        for head, territories in regions
    )


REGIONS = _parse_geography(GEOGRAPHY)

# --- channel partners -----------------------------------------------------------------------

NATIONAL_DISTRIBUTORS = (("NAT-TX", "天讯通信集团有限公司"), ("NAT-ZL", "中联讯通科技股份有限公司"))
RETAIL_CHAINS = (("SN", "苏宁易购", 3), ("GM", "国美电器", 2), ("DXT", "迪信通", 3))
CARRIERS = (("CMCC", "中国移动", 4), ("CUCC", "中国联通", 2), ("CTCC", "中国电信", 2))
ONLINE = (("JD", "京东"), ("TMALL", "天猫星澜官方旗舰店"))
LOCAL_TRADE_NAMES = ("讯达", "金鹏", "宏达", "万联", "鑫源", "华信", "恒通", "新时代", "佳讯", "联创", "泰丰", "广讯")
INDEPENDENT_SHOPS = (
    "讯达通讯",
    "金鹏手机城",
    "宏达数码",
    "万联通讯",
    "乐购手机",
    "新时代手机广场",
    "佳讯通讯",
    "恒通数码",
)
NEW_SHOP_NAMES = (*INDEPENDENT_SHOPS, "OPPO专卖店", "vivo专卖店", "华为授权体验店", "小米之家")

# format → (weight, kind, tier weights A/B/C, quality range)
STORE_FORMATS = {
    "ours": (0.14, StoreKind.SHOP, (3, 6, 1), (0.82, 0.97)),
    "chain": (0.30, StoreKind.COUNTER, (20, 50, 30), (0.68, 0.92)),
    "carrier": (0.24, StoreKind.COUNTER, (10, 40, 50), (0.58, 0.86)),
    "independent": (0.26, None, (5, 30, 65), (0.45, 0.80)),
    "online": (0.06, StoreKind.COUNTER, (0, 1, 0), (0.75, 0.92)),
}

# --- catalogue ------------------------------------------------------------------------------

# (model code, name, launched N days before today, list price, active)
OUR_PRODUCTS = (
    ("XL-P50", f"{BRAND} P50", 10, 4599, True),
    ("XL-P30", f"{BRAND} P30", 200, 2999, True),
    ("XL-P30PRO", f"{BRAND} P30 Pro", 200, 3799, True),
    ("XL-F1", f"{BRAND} Fold 1", 320, 6999, True),
    ("XL-N10", f"{BRAND} N10", 150, 1599, True),
    ("XL-A7", f"{BRAND} A7", 260, 1199, True),
    ("XL-A5", f"{BRAND} A5", 420, 899, True),
    ("XL-P20", f"{BRAND} P20", 560, 2499, False),  # discontinued
)

# brand → (model, launched N days before today, list price)
COMPETITORS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "华为": (("Mate 60 Pro", 330, 6999), ("Pura 70", 150, 5499), ("nova 12", 260, 2999), ("畅享 70", 200, 1199)),
    "OPPO": (("Find X7", 280, 3999), ("Reno11", 300, 2499), ("K12", 130, 1899), ("A3", 90, 1299)),
    "vivo": (("X100", 320, 3999), ("S19", 60, 2699), ("iQOO Neo9", 270, 2299), ("Y200", 140, 1599)),
    "小米": (
        ("小米14", 330, 3999),
        ("Redmi K70", 310, 2499),
        ("Redmi Note 13 Pro", 360, 1399),
        ("Redmi 13C", 390, 799),
    ),
    "荣耀": (("Magic6", 250, 4399), ("荣耀200", 40, 2699), ("X50", 380, 1399), ("Play 50", 200, 999)),
    "Apple": (
        ("iPhone 15 Pro Max", 300, 9999),
        ("iPhone 15 Pro", 300, 7999),
        ("iPhone 15", 300, 5999),
        ("iPhone 14", 660, 5199),
    ),
    "三星": (
        ("Galaxy S24 Ultra", 240, 9699),
        ("Galaxy S24", 240, 5999),
        ("Galaxy Z Flip5", 370, 7999),
        ("Galaxy A55", 180, 2799),
    ),
}

# (code, name, kind, unit cost)
MATERIALS = (
    ("POS-P50", "P50 新品海报 (A1)", MaterialKind.POSTER, "12.00"),
    ("POS-BRAND", f"{BRAND}品牌形象海报", MaterialKind.POSTER, "8.00"),
    ("STD-P50", "P50 人形立牌", MaterialKind.STANDEE, "168.00"),
    ("STD-ROLL", "易拉宝 (80×200)", MaterialKind.STANDEE, "85.00"),
    ("DEMO-P30", "P30 演示机", MaterialKind.DEMO_UNIT, "1650.00"),
    ("DEMO-N10", "N10 演示机", MaterialKind.DEMO_UNIT, "890.00"),
    ("GIFT-EAR", f"{BRAND}蓝牙耳机 (赠品)", MaterialKind.GIFT, "49.00"),
    ("GIFT-CASE", "手机壳+钢化膜礼包", MaterialKind.GIFT, "15.00"),
    ("GIFT-BAG", "品牌环保手提袋", MaterialKind.GIFT, "4.50"),
    ("OTH-TAG", "亚克力价签卡", MaterialKind.OTHER, "3.00"),
)

# (code, label zh, label en, answer type, target, weight, active, how often it passes vs store quality)
CHECKLIST = (
    ("VI-FASCIA", "门头/背板形象完好无破损", "Fascia and back panel intact", AnswerType.YES_NO, None, 2, True, 0.10),
    ("VI-LIGHT", "品牌灯箱点亮", "Brand light box lit", AnswerType.YES_NO, None, 1, True, 0.05),
    ("VI-SHELF", "主推机型陈列在黄金位置", "Hero models in the golden spot", AnswerType.YES_NO, None, 2, True, -0.05),
    ("VI-POSTER", "当期海报张贴数量", "Current posters up", AnswerType.NUMBER, 2, 1, True, 0.0),
    ("VI-DEMO", "可正常使用的演示机数量", "Working demo phones", AnswerType.NUMBER, 3, 2, True, 0.0),
    (
        "VI-PRICE",
        "价签齐全且与建议零售价一致",
        "Price tags complete and at list price",
        AnswerType.YES_NO,
        None,
        1,
        True,
        -0.1,
    ),
    ("VI-TIDY", "柜台整洁、无竞品物料", "Counter tidy, no competitor material", AnswerType.YES_NO, None, 1, True, 0.0),
    ("VI-KTBOARD", "旧版KT板已撤除", "Old KT boards removed", AnswerType.YES_NO, None, 1, False, 0.0),  # retired
)

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

VISIT_NOTES = (
    "店长反馈P30近两周走量不错，P50咨询多但缺货。",
    "导购员新人，已现场培训P50卖点。",
    "竞品在门口做促销活动，客流被分流。",
    "演示机一台黑屏，已登记返修。",
    "已更换P50新品海报，旧海报回收。",
    "店内周末有商场活动，建议加派促销员。",
    "柜台位置被调整到角落，需与店长沟通恢复。",
    "赠品耳机库存不足，申请补货。",
    "价签与系统价格不一致，已现场更正。",
    "老板有意扩大星澜专柜面积。",
)
CHECK_NOTES = ("灯箱一侧不亮，已报修。", "海报褪色，下次带新海报。", "演示机防盗线损坏。", "竞品物料摆到了我们柜台上。")
PROMO_TEXTS = ("以旧换新至高补贴300元", "12期免息", "赠原装蓝牙耳机", "学生专享优惠", "赠碎屏险一年", "会员积分双倍")


# --- helpers --------------------------------------------------------------------------------


def _approx_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: good to a fraction of a percent over a city, and 100× cheaper than
    a geodesic. Used for planning routes only; stored distances are geodesic."""
    dy = (b[0] - a[0]) * 110_574.0
    dx = (b[1] - a[1]) * 111_320.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def _offset(lat: float, lon: float, metres: float, bearing_rad: float) -> tuple[float, float]:
    dlat = metres * math.cos(bearing_rad) / 110_574.0
    dlon = metres * math.sin(bearing_rad) / (111_320.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _retail_price(value: float) -> int:
    """Chinese shelf prices end in 9: 2999, 2949, 1299, 799."""
    step = 50 if value >= 1000 else 10
    return max(step - 1, int(round(value / step)) * step - 1)


@dataclass
class _Store:
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
class _Model:
    key: str
    product_id: int | None
    competitor_model_id: int | None
    list_price: int
    launched: date
    weight: float
    drift: float  # the share its price falls over the month


@dataclass
class _Rep:
    user_id: int
    territory_id: int
    region_id: int
    beat: list[_Store]
    left_on: date | None = None


INTEL_KINDS = (
    (IntelKind.NEW_STORE, 3),
    (IntelKind.OPENING, 2),
    (IntelKind.MOVING, 1),
    (IntelKind.RENOVATION, 1),
    (IntelKind.CLOSING, 2),
    (IntelKind.NEW_COMPETITOR_COUNTER, 3),
)

# Days a store of each tier should go without a visit, at most (prospects: rarely).
VISIT_INTERVAL = {StoreTier.A: 5, StoreTier.B: 9, StoreTier.C: 16}
PROSPECT_INTERVAL = 20


class _Seeder:
    def __init__(self, seed: int, echo: Callable[[str], None], days: int, scale: float, today: date | None):
        self.rng = random.Random(seed)
        self.echo = echo
        self.days = days
        self.scale = scale
        self.now = utcnow()
        self.today = today or self.now.date()
        self.start = self.today - timedelta(days=days)
        self.summary: dict[str, int] = {}
        self.names_used: set[str] = set()

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

    # -- the run

    def run(self) -> dict[str, int]:
        self.echo("Regions, territories and partners…")
        self.make_org()
        self.echo("Catalogue…")
        self.make_catalogue()
        self.echo("Stores…")
        self.make_stores()
        self.echo("Users…")
        self.make_users()
        self.echo("Store contacts…")
        self.make_contacts()
        db.session.commit()
        self.echo(f"Visits of the last {self.days} days…")
        self.make_history()
        self.echo("Intel reports…")
        self.make_intel()
        db.session.commit()
        self.echo("Warranty cards, shipments and spot checks…")
        self.make_warranty()
        db.session.commit()
        self.echo("Price rollups, alerts and visit plans…")
        self.make_market()
        db.session.commit()
        return self.summary

    # -- organisation

    def make_org(self) -> None:
        rng = self.rng
        self.regions: list[tuple[Region, RegionSpec]] = []
        self.territories: list[tuple[Territory, TerritorySpec, Region, RegionSpec]] = []
        for spec in REGIONS:
            region = Region(code=spec.code, name=spec.name)
            db.session.add(region)
            self.regions.append((region, spec))
        db.session.flush()
        for region, spec in self.regions:
            for tspec in spec.territories:
                territory = Territory(code=tspec.code, name=tspec.name, region_id=region.id)
                db.session.add(territory)
                self.territories.append((territory, tspec, region, spec))

        nationals = [Partner(code=c, name=n, kind=PartnerKind.NATIONAL_DISTRIBUTOR) for c, n in NATIONAL_DISTRIBUTORS]
        others = [Partner(code=c, name=n, kind=PartnerKind.RETAIL_CHAIN) for c, n, _ in RETAIL_CHAINS]
        others += [Partner(code=c, name=n, kind=PartnerKind.CARRIER) for c, n, _ in CARRIERS]
        others += [Partner(code=c, name=n, kind=PartnerKind.ONLINE) for c, n in ONLINE]
        db.session.add_all(nationals + others)
        db.session.flush()
        self.partner_by_code = {p.code: p for p in nationals + others}

        provincial: dict[int, Partner] = {}
        for i, (region, spec) in enumerate(self.regions):
            p = Partner(
                code=f"PRV-{spec.code}",
                name=spec.distributor,
                kind=PartnerKind.PROVINCIAL_DISTRIBUTOR,
                parent_id=nationals[i % len(nationals)].id,
            )
            db.session.add(p)
            provincial[region.id] = p
        db.session.flush()
        self.local_distributor: dict[int, Partner] = {}
        trade_names = list(LOCAL_TRADE_NAMES)
        rng.shuffle(trade_names)
        for i, (territory, tspec, region, _spec) in enumerate(self.territories):
            trade = trade_names[i % len(trade_names)]
            p = Partner(
                code=f"LOC-{tspec.code}",
                name=f"{tspec.city.removesuffix('市')}{trade}通讯有限公司",
                kind=PartnerKind.LOCAL_DISTRIBUTOR,
                parent_id=provincial[region.id].id,
            )
            db.session.add(p)
            self.local_distributor[territory.id] = p
        # A local distributor that stopped working with us.
        db.session.add(
            Partner(
                code="LOC-OLD",
                name="广州天润通讯器材有限公司",
                kind=PartnerKind.LOCAL_DISTRIBUTOR,
                parent_id=provincial[self.regions[0][0].id].id,
                active=False,
            )
        )
        db.session.flush()
        self.summary["regions"] = len(self.regions)
        self.summary["territories"] = len(self.territories)
        self.summary["partners"] = len(nationals) + len(others) + len(provincial) + len(self.local_distributor) + 1

    # -- catalogue

    def make_catalogue(self) -> None:
        rng = self.rng
        self.models: list[_Model] = []
        products = []
        for code, name, days_ago, price, active in OUR_PRODUCTS:
            p = Product(
                model_code=code,
                name=name,
                launch_date=self.today - timedelta(days=days_ago),
                list_price=Decimal(price),
                active=active,
                # Two TACs per model (two production batches): 867 + model number + batch.
                tac_codes=[f"867{len(products) + 10:02d}0{batch:02d}" for batch in (1, 2)],
                repair_months=24 if code == "XL-F1" else 12,  # the foldable gets two years
            )
            products.append(p)
        db.session.add_all(products)
        brands = [CompetitorBrand(name=b) for b in COMPETITORS]
        db.session.add_all(brands)
        db.session.flush()
        for p, (_code, _name, days_ago, _price, _active) in zip(products, OUR_PRODUCTS, strict=True):
            if p.active:
                self.models.append(
                    _Model(
                        p.model_code,
                        p.id,
                        None,
                        int(p.list_price),
                        p.launch_date,
                        weight=3.0 if days_ago < 300 else 1.5,
                        drift=0.0 if days_ago < 30 else rng.uniform(0.0, 0.04),
                    )
                )
        cmodels = []
        for brand in brands:
            for name, days_ago, price in COMPETITORS[brand.name]:
                cmodels.append(
                    CompetitorModel(
                        brand_id=brand.id,
                        name=name,
                        launch_date=self.today - timedelta(days=days_ago),
                        list_price=Decimal(price),
                    )
                )
        db.session.add_all(cmodels)
        self.materials = promo_materials()
        db.session.add_all(self.materials)
        self.checklist = checklist_items()
        db.session.add_all(self.checklist)
        db.session.flush()
        self.check_bias = {item.id: spec[7] for item, spec in zip(self.checklist, CHECKLIST, strict=True)}
        self.active_items = [i for i in self.checklist if i.active]
        brand_name = {b.id: b.name for b in brands}
        for m in cmodels:
            popular = 3.0 if brand_name[m.brand_id] in ("华为", "OPPO", "vivo", "Apple") else 2.0
            self.models.append(
                _Model(
                    f"{brand_name[m.brand_id]} {m.name}",
                    None,
                    m.id,
                    int(m.list_price),
                    m.launch_date,
                    weight=popular * (1.5 if 1000 <= m.list_price <= 4000 else 1.0),
                    drift=rng.uniform(0.0, 0.07),
                )
            )
        # Regional price levels differ a little, and two competitors cut a price sharply in one
        # region late in the month (what HQ's price-drop alerts are for).
        self.region_factor = {
            (m.key, region.id): rng.uniform(0.975, 1.015) for m in self.models for region, _ in self.regions
        }
        cutters = [m for m in self.models if m.competitor_model_id and m.list_price >= 2000]
        self.price_cuts: dict[tuple[str, int], tuple[date, float]] = {}
        for m in rng.sample(cutters, 2):
            region = rng.choice(self.regions)[0]
            cut_day = self.today - timedelta(days=max(1, min(self.days - 1, rng.randint(5, 9))))
            self.price_cuts[(m.key, region.id)] = (cut_day, rng.uniform(0.86, 0.9))
        self.summary |= {
            "products": len(products),
            "competitor_brands": len(brands),
            "competitor_models": len(cmodels),
            "promo_materials": len(self.materials),
            "checklist_items": len(self.checklist),
        }

    # -- stores

    def _store_name(self, fmt: str, brand: str, area: Area, street: str) -> str:
        rng = self.rng
        street = street.removesuffix("街")
        if fmt == "carrier":
            options = [f"{brand} {area.name}营业厅", f"{brand} {street}营业厅", f"{brand} {area.name}旗舰营业厅"]
        elif fmt == "ours":
            options = [f"{BRAND}手机专卖店 {area.name}店", f"{BRAND}授权体验店 {street}店"]
        else:
            options = [f"{brand} {area.name}店", f"{brand} {street}店"]
        rng.shuffle(options)
        if fmt == "ours" and f"{BRAND}手机专卖店 {area.name}店" not in self.names_used:
            options.insert(0, f"{BRAND}手机专卖店 {area.name}店")
        for name in options:
            if name not in self.names_used:
                return name
        base = options[0]
        for n in "二三四五六七八九":
            name = f"{base[:-3]}第{n}营业厅" if base.endswith("营业厅") else f"{base[:-1]}{n}店"
            if name not in self.names_used:
                return name
        return f"{base} {rng.randrange(100, 999)}"

    def make_stores(self) -> None:
        rng = self.rng
        chains = [(self.partner_by_code[c], w) for c, _, w in RETAIL_CHAINS]
        carriers = [(self.partner_by_code[c], w) for c, _, w in CARRIERS]
        jd = self.partner_by_code["JD"]
        formats = [(f, spec[0]) for f, spec in STORE_FORMATS.items()]
        self.stores: list[_Store] = []
        self.stores_by_territory: dict[int, list[_Store]] = {}
        orm: list[Store] = []
        pending: list[tuple[Store, _Store]] = []
        for territory, tspec, region, rspec in self.territories:
            count = max(3, round(tspec.stores * self.scale * rng.uniform(0.9, 1.1)))
            for n in range(1, count + 1):
                # Each territory's first store is our flagship shop in its first area.
                fmt = "ours" if n == 1 else self.weighted(formats)
                area = tspec.areas[0] if n == 1 else rng.choice(tspec.areas)
                _w, kind, tier_weights, (q_lo, q_hi) = STORE_FORMATS[fmt]
                if fmt == "chain":
                    partner = self.weighted(chains)
                    brand = partner.name
                elif fmt == "carrier":
                    partner = self.weighted(carriers)
                    brand = partner.name
                elif fmt == "online":
                    partner, brand = jd, rng.choice(("京东之家", "京东电器"))
                elif fmt == "ours":
                    partner, brand = self.local_distributor[territory.id], BRAND
                else:
                    partner = self.local_distributor[territory.id]
                    brand = rng.choice(INDEPENDENT_SHOPS)
                if kind is None:
                    kind = StoreKind.COUNTER if rng.random() < 0.65 else StoreKind.SHOP
                tier = StoreTier.A if n == 1 else rng.choices(list(StoreTier), weights=tier_weights)[0]
                r = rng.random()
                status = StoreStatus.ACTIVE
                if n > 1 and r < 0.06 and fmt in ("independent", "online", "ours"):
                    status = StoreStatus.PROSPECT
                elif n > 1 and r > 0.96:
                    status = StoreStatus.CLOSED
                street = rng.choice(area.streets)
                name = self._store_name(fmt, brand, area, street)
                self.names_used.add(name)
                # Gaussian scatter around the area, within 2.2 sigma so nothing lands in the sea.
                while True:
                    dx, dy = rng.gauss(0, tspec.sigma_m), rng.gauss(0, tspec.sigma_m)
                    if math.hypot(dx, dy) <= 2.2 * tspec.sigma_m:
                        break
                lat, lon = _offset(area.lat, area.lon, math.hypot(dx, dy), math.atan2(dx, dy))
                address = f"{rspec.province}{tspec.city}{area.district}{street}{rng.randint(1, 420)}号"
                if kind == StoreKind.COUNTER and rng.random() < 0.5:
                    address += f"{rng.randint(1, 4)}楼"
                if status == StoreStatus.PROSPECT:
                    created = self.now - timedelta(days=rng.randint(3, 60), minutes=rng.randint(0, 600))
                else:
                    created = self.now - timedelta(days=rng.randint(90, 1500), minutes=rng.randint(0, 600))
                updated = created
                if status == StoreStatus.CLOSED:
                    updated = self.now - timedelta(days=rng.randint(self.days + 1, 120))
                store = Store(
                    code=f"{tspec.code}-{n:03d}",
                    name=name,
                    partner_id=partner.id,
                    territory_id=territory.id,
                    kind=kind,
                    address=address,
                    latitude=lat,
                    longitude=lon,
                    tier=tier,
                    status=status,
                    created_at=created,
                    updated_at=updated,
                )
                orm.append(store)
                info = _Store(
                    0,
                    store.code,
                    name,
                    territory.id,
                    region.id,
                    lat,
                    lon,
                    fmt,
                    tier,
                    status,
                    quality=rng.uniform(q_lo, q_hi),
                    price_bias=rng.gauss(-0.01 if fmt == "independent" else 0.0, 0.008),
                    area=area,
                )
                pending.append((store, info))
        db.session.add_all(orm)
        db.session.flush()
        for store, info in pending:
            info.id = store.id
            info.materials = self._materials_for(info, store.kind)
            self.stores.append(info)
            self.stores_by_territory.setdefault(info.territory_id, []).append(info)
        self.summary["stores"] = len(self.stores)

    def _materials_for(self, store: _Store, kind: str) -> list[int]:
        """Which promo materials a store keeps: a shop all of them, a counter a few."""
        if kind == StoreKind.SHOP:
            return [m.id for m in self.materials]
        keep = {MaterialKind.POSTER, MaterialKind.GIFT, MaterialKind.DEMO_UNIT}
        ids = [m.id for m in self.materials if m.kind in keep]
        return [i for i in ids if self.rng.random() < 0.8] or ids[:1]

    # -- users

    def make_users(self) -> None:
        rng = self.rng
        password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: once for everyone
        users: list[User] = []

        def user(username: str, role: str, name: str, days_ago: int, **placement) -> User:
            u = User(
                username=username,
                display_name=name,
                password_hash=password_hash,
                role=role,
                phone=self.mobile(),
                created_at=self.now - timedelta(days=days_ago, minutes=rng.randint(0, 600)),
                **placement,
            )
            users.append(u)
            return u

        self.admin = user("admin", Role.ADMIN, "系统管理员", 900)
        user("hq", Role.HQ, "周文斌", 880)
        user("hq.market", Role.HQ, "林佳怡", 500)
        region_ids = {spec.code: region.id for region, spec in self.regions}
        user("manager.gd", Role.MANAGER, "陈志强", 700, region_id=region_ids["GD"])
        for region, spec in self.regions[1:]:
            user(
                f"manager.{spec.code.lower()}", Role.MANAGER, self.person(), rng.randint(200, 800), region_id=region.id
            )

        self.reps: list[_Rep] = []
        rep_users: list[tuple[User, _Rep]] = []
        for territory, tspec, region, _rspec in self.territories:
            stores = self.stores_by_territory[territory.id]
            n_reps = 1 if len(stores) < 30 else 2 if len(stores) < 40 else 3
            if tspec.code == "GZ-TH":
                n_reps = max(2, n_reps)
            beats = self._beats(stores, n_reps)
            for i in range(n_reps):
                if tspec.code == "GZ-TH" and i == 0:
                    username, name = "rep.gz", "李晓峰"
                else:
                    username, name = f"rep.{tspec.code.lower().replace('-', '')}{i + 1}", self.person()
                u = user(username, Role.REP, name, rng.randint(self.days + 10, 900), territory_id=territory.id)
                rep_users.append((u, _Rep(0, territory.id, region.id, beats[i])))
        # Staff turnover: a rep of a territory with colleagues left during the month; their
        # account is deactivated, their history kept, and their stores wait for a replacement.
        per_territory: dict[int, int] = {}
        for _u, rep in rep_users:
            per_territory[rep.territory_id] = per_territory.get(rep.territory_id, 0) + 1
        leavers = [(u, r) for u, r in rep_users if per_territory[r.territory_id] > 1 and u.username != "rep.gz"]
        if leavers:
            gone, rep = leavers[-1]
            gone.active = False
            rep.left_on = self.today - timedelta(days=max(1, self.days // 3))

        gz = next(t for t, spec, _, _ in self.territories if spec.code == "GZ-TH")
        flagship = self.stores_by_territory[gz.id][0]
        self.clerk_stores: list[tuple[User, _Store]] = [
            (user("clerk.gz", Role.CLERK, "黄丽娟", 300, store_id=flagship.id), flagship)
        ]
        candidates = [s for s in self.stores if s.status == StoreStatus.ACTIVE and s is not flagship]
        candidates = [s for s in candidates if s.fmt in ("ours", "chain") or rng.random() < 0.3]
        for store in rng.sample(candidates, min(19, len(candidates))):
            username = f"clerk.{store.code.lower().replace('-', '')}"
            self.clerk_stores.append(
                (user(username, Role.CLERK, self.person(), rng.randint(20, 600), store_id=store.id), store)
            )

        db.session.add_all(users)
        db.session.flush()
        for u, rep in rep_users:
            rep.user_id = u.id
            self.reps.append(rep)
        self.summary["users"] = len(users)

    def _beats(self, stores: list[_Store], n: int) -> list[list[_Store]]:
        """Split a territory between its reps by direction from the centre: each gets a sector.

        About one store in ten, out of the way and mostly tier C, is in nobody's beat: the
        stores nobody visited this month that the manager's coverage view is there to show.
        """
        rng = self.rng
        visitable = [s for s in stores if s.status != StoreStatus.CLOSED]
        clat = sum(s.lat for s in visitable) / len(visitable)
        clon = sum(s.lon for s in visitable) / len(visitable)

        def remoteness(s: _Store) -> float:
            tier = {StoreTier.A: 0.2, StoreTier.B: 1.0, StoreTier.C: 2.0}[s.tier]
            return _approx_m((clat, clon), s.pos) * tier * rng.uniform(0.6, 1.4)

        candidates = sorted(visitable[1:], key=remoteness, reverse=True)  # never the flagship
        neglected = {s.id for s in candidates[: len(visitable) // 10]}
        visitable = [s for s in visitable if s.id not in neglected]
        if n == 1:
            return [visitable]
        ordered = sorted(visitable, key=lambda s: math.atan2(s.lat - clat, s.lon - clon))
        size = math.ceil(len(ordered) / n)
        return [ordered[i * size : (i + 1) * size] or ordered[:1] for i in range(n)]

    # -- contacts

    def make_contacts(self) -> None:
        rng = self.rng
        contacts, history = [], []
        for store in self.stores:
            roles = [ContactRole.PROMOTER]
            if rng.random() < 0.6:
                roles.append(ContactRole.OWNER if store.fmt == "independent" else ContactRole.STORE_MANAGER)
            for role in roles:
                cid = self.uuid()
                name, phone = self.person(), self.mobile()
                at = self.now - timedelta(days=rng.randint(self.days, 400), minutes=rng.randint(0, 900))
                contacts.append(
                    {
                        "id": cid,
                        "store_id": store.id,
                        "name": name,
                        "role": role,
                        "phone": phone,
                        "updated_at": at,
                        "updated_by": self.admin.id,
                        "deleted_at": None,
                    }
                )
                history.append(
                    {
                        "contact_id": cid,
                        "store_id": store.id,
                        "action": "created",
                        "name": name,
                        "role": role,
                        "phone": phone,
                        "changed_by": self.admin.id,
                        "changed_at": at,
                    }
                )
        db.session.execute(insert(StoreContact), contacts)
        db.session.execute(insert(StoreContactHistory), history)
        self.summary["store_contacts"] = len(contacts)

    # -- a month of field history

    def make_history(self) -> None:
        self.visits: list[dict] = []
        self.checks: list[dict] = []
        self.prices: list[dict] = []
        self.movements: list[dict] = []
        self.visits_by_rep: dict[int, list[dict]] = {}
        self.stock: dict[tuple[int, int], int | None] = {}
        for rep in self.reps:
            self._rep_month(rep)
        db.session.execute(insert(Visit), self.visits)
        db.session.execute(insert(DisplayCheck), self.checks)
        db.session.execute(insert(PriceObservation), self.prices)
        db.session.execute(insert(StockMovement), self.movements)
        self.summary |= {
            "visits": len(self.visits),
            "display_checks": len(self.checks),
            "price_observations": len(self.prices),
            "stock_movements": len(self.movements),
        }

    def _rep_month(self, rep: _Rep) -> None:
        rng = self.rng
        # When each store of the beat was last visited, before the month began.
        last: dict[int, date] = {}
        for s in rep.beat:
            interval = PROSPECT_INTERVAL if s.status == StoreStatus.PROSPECT else VISIT_INTERVAL[s.tier]
            last[s.id] = self.start - timedelta(days=rng.randint(0, interval))
        speed_m_per_min = rng.uniform(250, 380)  # 15–23 km/h through city traffic
        for offset in range(self.days, 0, -1):
            day = self.today - timedelta(days=offset)
            if day.weekday() == 6 or (rep.left_on and day > rep.left_on):
                continue
            if rng.random() < 0.04:  # training, a sales meeting, a day off
                continue
            n = rng.randint(3, 5) if day.weekday() == 5 else rng.randint(4, 8)
            route = self._route(rep, day, last, n)
            sync = self._sync_plan(day)
            t = self.local(day, 9, rng.randint(0, 40))
            lunch = False
            prev: _Store | None = None
            for store in route:
                if prev is not None:
                    t += timedelta(minutes=_approx_m(prev.pos, store.pos) / speed_m_per_min + rng.uniform(4, 12))
                if not lunch and t >= self.local(day, 12, 0):
                    t += timedelta(minutes=rng.uniform(40, 75))
                    lunch = True
                if t >= self.local(day, 18, 30):
                    break
                minutes_on_site = rng.uniform(15, 60)
                self._visit(rep, store, t, minutes_on_site, sync)
                last[store.id] = day
                t += timedelta(minutes=minutes_on_site)
                prev = store

    def _route(self, rep: _Rep, day: date, last: dict[int, date], n: int) -> list[_Store]:
        """Today's stores: start at the most overdue one, then go on to nearby overdue ones."""

        def urgency(s: _Store) -> float:
            interval = PROSPECT_INTERVAL if s.status == StoreStatus.PROSPECT else VISIT_INTERVAL[s.tier]
            return min(3.0, (day - last[s.id]).days / interval)

        left = list(rep.beat)
        if not left:
            return []
        current = max(left, key=lambda s: urgency(s) + self.rng.random() * 0.6)
        route = [current]
        left.remove(current)
        while left and len(route) < n:
            current = min(left, key=lambda s: (_approx_m(current.pos, s.pos) + 300) / (0.15 + urgency(s)))
            route.append(current)
            left.remove(current)
        return route

    def _sync_plan(self, day: date) -> Callable[[datetime], datetime]:
        """When the server got a record made at device time t: mostly within minutes; on a day
        of poor coverage some hours later; on an offline day in the evening, all at once."""
        rng = self.rng
        mode = rng.random()
        evening = self.local(day, 19, 0) + timedelta(minutes=rng.uniform(0, 180))
        latest = self.now - timedelta(minutes=1)

        def received(t: datetime) -> datetime:
            if mode < 0.85:
                at = t + timedelta(minutes=rng.uniform(0.2, 8))
            elif mode < 0.95:
                at = t + timedelta(minutes=rng.uniform(10, 240))
            else:
                at = max(evening, t + timedelta(minutes=5))
            return max(t, min(at, latest))

        return received

    def _visit(self, rep: _Rep, store: _Store, t: datetime, minutes: float, sync) -> None:
        rng = self.rng
        vid = self.uuid()
        accuracy = round(min(50.0, max(5.0, rng.lognormvariate(math.log(14), 0.5))), 1)
        off_site = rng.random() < 0.05
        if off_site:  # checked in from the car park, the previous store, home…
            metres = rng.uniform(300, 2000)
        else:
            metres = rng.uniform(30, 120) if rng.random() < 0.85 else rng.uniform(3, 30)
        lat, lon = _offset(store.lat, store.lon, metres, rng.uniform(0, 2 * math.pi))
        distance = round(distance_m((lat, lon), store.pos), 1)
        checked_in = t.replace(microsecond=0)
        row = {
            "id": vid,
            "rep_id": rep.user_id,
            "store_id": store.id,
            "checked_in_at": checked_in,
            "check_in_latitude": lat,
            "check_in_longitude": lon,
            "check_in_accuracy_m": accuracy,
            "check_in_distance_m": distance,
            "off_site": distance > offsite_threshold_m(accuracy),
            "received_at": sync(checked_in),
            "notes": rng.choice(VISIT_NOTES) if rng.random() < 0.15 else "",
            "checked_out_at": None,
            "check_out_latitude": None,
            "check_out_longitude": None,
            "check_out_accuracy_m": None,
            "check_out_distance_m": None,
            "check_out_received_at": None,
        }
        if rng.random() > 0.01:  # now and then a rep forgets to check out
            out_at = (t + timedelta(minutes=minutes)).replace(microsecond=0)
            out_m = rng.uniform(300, 1500) if off_site and rng.random() < 0.5 else rng.uniform(3, 90)
            out_lat, out_lon = _offset(store.lat, store.lon, out_m, rng.uniform(0, 2 * math.pi))
            row |= {
                "checked_out_at": out_at,
                "check_out_latitude": out_lat,
                "check_out_longitude": out_lon,
                "check_out_accuracy_m": round(min(50.0, max(5.0, rng.lognormvariate(math.log(14), 0.5))), 1),
                "check_out_distance_m": round(distance_m((out_lat, out_lon), store.pos), 1),
                "check_out_received_at": sync(out_at),
            }
        self.visits.append(row)
        self.visits_by_rep.setdefault(rep.user_id, []).append(row | {"_store": store})

        def during() -> datetime:
            return (t + timedelta(minutes=rng.uniform(2, max(3.0, minutes - 2)))).replace(microsecond=0)

        if store.status == StoreStatus.ACTIVE and rng.random() < (0.95 if store.fmt == "ours" else 0.8):
            self._display_check(rep, store, vid, during(), sync)
        if store.status == StoreStatus.ACTIVE and rng.random() < 0.75:
            self._prices(rep, store, vid, during(), sync)
        if store.status == StoreStatus.ACTIVE and rng.random() < 0.5:
            self._stock(rep, store, vid, during(), sync)

    def _display_check(self, rep: _Rep, store: _Store, vid: uuid.UUID, at: datetime, sync) -> None:
        rng = self.rng
        q = min(0.99, max(0.2, store.quality + rng.gauss(0, 0.05)))
        answers = []
        for item in self.active_items:
            if item.answer_type == AnswerType.YES_NO:
                value: bool | int = rng.random() < q + self.check_bias[item.id]
            else:
                target = item.target or 0
                value = max(0, round(rng.gauss(target * (0.45 + 0.65 * q), 0.8)))
            answers.append({"item_id": item.id, "value": value})
        self.checks.append(
            {
                "id": self.uuid(),
                "rep_id": rep.user_id,
                "visit_id": vid,
                "store_id": store.id,
                "checked_at": at,
                "answers": answers,
                "score": self.score(answers),
                "notes": rng.choice(CHECK_NOTES) if rng.random() < 0.08 else "",
                "received_at": sync(at),
            }
        )

    def score(self, answers: list[dict]) -> float:
        """The rule of `backend.visits.service.score_answers`, on items already in memory."""
        items = {i.id: i for i in self.active_items}
        total = passed = 0
        for a in answers:
            item = items[a["item_id"]]
            ok = a["value"] if item.answer_type == AnswerType.YES_NO else a["value"] >= (item.target or 0)
            total += item.weight
            passed += item.weight if ok else 0
        return round(100.0 * passed / total, 1) if total else 0.0

    def _price(self, m: _Model, store: _Store, day: date) -> int:
        rng = self.rng
        frac = (day - self.start).days / max(1, self.days)
        value = m.list_price * self.region_factor[(m.key, store.region_id)] * (1 - m.drift * frac)
        cut = self.price_cuts.get((m.key, store.region_id))
        if cut and day >= cut[0]:
            value *= cut[1]
        return _retail_price(value * (1 + store.price_bias + rng.gauss(0, 0.006)))

    def _prices(self, rep: _Rep, store: _Store, vid: uuid.UUID, at: datetime, sync) -> None:
        rng = self.rng
        day = (at + CST).date()
        available = [m for m in self.models if m.launched <= day]
        own = [m for m in available if m.product_id]
        theirs = [m for m in available if m.competitor_model_id]
        picks: list[_Model] = []
        if own and rng.random() < 0.8:
            picks.append(rng.choices(own, weights=[m.weight for m in own])[0])
        wanted = min(rng.randint(2, 4), len(picks) + len(theirs))
        while len(picks) < wanted:
            m = rng.choices(theirs, weights=[m.weight for m in theirs])[0]
            if m not in picks:
                picks.append(m)
        for m in picks:
            shelf = self._price(m, store, day)
            promo_price, promo_text = None, ""
            r = rng.random()
            if r < (0.12 if m.product_id else 0.18):
                off = rng.choice((50, 100, 100, 200, 300, 500))
                if off < shelf * 0.2:
                    promo_price = Decimal(shelf - off)
                    promo_text = f"限时直降{off}元"
            elif r < 0.28:
                promo_text = rng.choice(PROMO_TEXTS)
            observed = at + timedelta(seconds=rng.randint(0, 300))
            self.prices.append(
                {
                    "id": self.uuid(),
                    "rep_id": rep.user_id,
                    "store_id": store.id,
                    "visit_id": vid,
                    "product_id": m.product_id,
                    "competitor_model_id": m.competitor_model_id,
                    "shelf_price": Decimal(shelf),
                    "promo_price": promo_price,
                    "promo_text": promo_text,
                    "observed_at": observed,
                    "received_at": sync(observed),
                }
            )

    def _stock(self, rep: _Rep, store: _Store, vid: uuid.UUID, at: datetime, sync) -> None:
        """A coherent ledger: a first count, then deliveries, uses, returns and recounts, with the
        odd missing item (promo material leaks)."""
        rng = self.rng
        kinds = {m.id: m.kind for m in self.materials}
        known = [m for m in store.materials if (store.id, m) in self.stock]
        pool = known if known and rng.random() < 0.7 else store.materials
        for mid in rng.sample(pool, min(len(pool), rng.randint(1, 3))):
            kind = kinds[mid]
            have = self.stock.get((store.id, mid))
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
            self.stock[(store.id, mid)] = have
            self.movements.append(
                {
                    "id": self.uuid(),
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

    # -- intel

    def make_intel(self) -> None:
        rng = self.rng
        reports: list[dict] = []
        by_territory: dict[int, list[tuple[_Rep, dict]]] = {}
        for rep in self.reps:
            for v in self.visits_by_rep.get(rep.user_id, []):
                by_territory.setdefault(rep.territory_id, []).append((rep, v))
        rspec_of = {t.id: (spec, rspec) for t, spec, _, rspec in self.territories}
        for territory_id, visits in by_territory.items():
            tspec, rspec = rspec_of[territory_id]
            for _ in range(rng.choice((0, 1, 1, 2))):
                rep, visit = rng.choice(visits)
                store: _Store = visit["_store"]
                kind = self.weighted(INTEL_KINDS)
                if kind in (IntelKind.NEW_STORE, IntelKind.OPENING) or store.status != StoreStatus.ACTIVE:
                    # Seen on the way to the visit, within a few hundred metres of the store.
                    at = visit["checked_in_at"] - timedelta(minutes=rng.uniform(3, 25))
                    lat, lon = _offset(store.lat, store.lon, rng.uniform(150, 800), rng.uniform(0, 2 * math.pi))
                    shop = rng.choice(NEW_SHOP_NAMES)
                    name = f"{shop} {store.area.name}新店"
                    street = rng.choice(store.area.streets)
                    address = f"{rspec.province}{tspec.city}{store.area.district}{street}{rng.randint(1, 420)}号"
                    if kind == IntelKind.OPENING:
                        notes = "围挡已拆，预计下周开业，正在招导购员。"
                    elif shop in INDEPENDENT_SHOPS:
                        kind, notes = IntelKind.NEW_STORE, "新开手机店，主营OPPO/vivo，老板愿意谈星澜专柜。"
                    else:
                        kind, notes = (
                            IntelKind.NEW_STORE,
                            f"{shop}新店已营业，离{store.name}不到一公里，开业促销力度大。",
                        )
                    store_id = None
                else:
                    # Learnt in the store during the visit.
                    at = visit["checked_in_at"] + timedelta(minutes=rng.uniform(2, 15))
                    lat, lon = _offset(store.lat, store.lon, rng.uniform(5, 60), rng.uniform(0, 2 * math.pi))
                    name, address, store_id = store.name, "", store.id
                    brand = rng.choice(list(COMPETITORS))
                    notes = {
                        IntelKind.MOVING: f"店长说月底搬到{rng.choice(store.area.streets)}{rng.randint(1, 420)}号。",
                        IntelKind.RENOVATION: "门店装修，预计停业两周，柜台暂存仓库。",
                        IntelKind.CLOSING: "租约到期不再续租，本月底闭店，需回收物料和演示机。",
                        IntelKind.NEW_COMPETITOR_COUNTER: f"店内新开{brand}专柜，位置在入口，我们的柜台被挪到里侧。",
                    }[kind]
                    if kind == IntelKind.NEW_COMPETITOR_COUNTER:
                        name = f"{brand}专柜 @ {store.name}"
                reports.append(
                    self._report(rep, kind, name, address, lat, lon, store_id, territory_id, notes, at, visit)
                )
        # Two reports of "new" stores that are in fact known ones, for managers to spot.
        known = [
            (rep, v)
            for rep in self.reps
            for v in self.visits_by_rep.get(rep.user_id, [])
            if v["_store"].fmt == "chain" and v["_store"].status == StoreStatus.ACTIVE
        ]
        duplicates = []
        for rep, visit in rng.sample(known, min(2, len(known))):
            store: _Store = visit["_store"]
            lat, lon = _offset(store.lat, store.lon, rng.uniform(15, 60), rng.uniform(0, 2 * math.pi))
            at = visit["checked_in_at"] - timedelta(minutes=rng.uniform(3, 20))
            report = self._report(
                rep,
                IntelKind.NEW_STORE,
                store.name.replace(" ", ""),
                "",
                lat,
                lon,
                None,
                rep.territory_id,
                "路过看到一家门店，系统里没搜到，请核实。",
                at,
                visit,
            )
            reports.append(report)
            duplicates.append(report)
        db.session.execute(insert(IntelReport), reports)
        candidates = []
        for report in duplicates:
            for rank, (sid, d, sim) in enumerate(
                duplicate_candidates(report["name"], report["latitude"], report["longitude"])
            ):
                candidates.append(
                    {"report_id": report["id"], "store_id": sid, "distance_m": d, "name_similarity": sim, "rank": rank}
                )
        if candidates:
            db.session.execute(insert(IntelDuplicateCandidate), candidates)
        self.summary["intel_reports"] = len(reports)

    def _report(self, rep, kind, name, address, lat, lon, store_id, territory_id, notes, at, visit) -> dict:
        at = at.replace(microsecond=0)
        return {
            "id": self.uuid(),
            "rep_id": rep.user_id,
            "kind": kind,
            "name": name,
            "address": address,
            "latitude": lat,
            "longitude": lon,
            "accuracy_m": round(self.rng.uniform(6, 35), 1),
            "store_id": store_id,
            "territory_id": territory_id,
            "notes": notes,
            "status": IntelStatus.PENDING,
            "reported_at": at,
            "received_at": min(self.now, max(at, visit["received_at"]) + timedelta(minutes=self.rng.uniform(0.2, 30))),
        }

    # -- warranty cards, shipments, diversion

    def _imei(self, tac: str) -> str:
        body = f"{tac}{self.rng.randrange(10**6):06d}"
        return body + str(luhn_check_digit(body))

    def make_warranty(self) -> None:
        """Cards sold at the clerks' stores, HQ's shipment records for them (a few shipped to
        another region: diversion) plus units still in the channel, and reps' shelf spot checks."""
        rng = self.rng
        products = list(db.session.scalars(select(Product).where(Product.active)))
        weights = [3.0 if (self.today - p.launch_date).days < 300 else 1.5 for p in products]
        regions = [region.id for region, _spec in self.regions]
        partners = list(db.session.scalars(select(Partner.id).where(Partner.kind != PartnerKind.ONLINE)))
        hq = db.session.scalars(select(User).where(User.username == "hq")).one()
        used: set[str] = set()

        def fresh_imei(product: Product) -> str:
            while True:
                imei = self._imei(rng.choice(product.tac_codes))
                if imei not in used:
                    used.add(imei)
                    return imei

        imp = ShipmentImport(
            filename="物流发货明细-demo.csv",
            path="",
            sha256="0" * 64,
            total_bytes=0,
            status=ImportStatus.DONE,
            created_by=hq.id,
            created_at=self.now - timedelta(days=1),
            started_at=self.now - timedelta(days=1),
            finished_at=self.now - timedelta(days=1),
        )
        db.session.add(imp)
        db.session.flush()
        cards, shipments = [], []
        for clerk, store in self.clerk_stores:
            per_day = 2.5 if clerk.username == "clerk.gz" else rng.uniform(0.3, 1.5)
            for offset in range(self.days, 0, -1):
                day = self.today - timedelta(days=offset)
                for _ in range(int(per_day + rng.random())):
                    product = rng.choices(products, weights=weights)[0]
                    if day < product.launch_date:
                        continue
                    imei = fresh_imei(product)
                    at = self.local(day, rng.randint(10, 21), rng.randint(0, 59))
                    cards.append(
                        WarrantyCard(
                            id=self.uuid(),
                            imei=imei,
                            imei2=fresh_imei(product) if rng.random() < 0.6 else None,
                            product_id=product.id,
                            serial_number=f"{product.model_code.replace('-', '')}{rng.randrange(10**8):08d}",
                            buyer_name=self.person(),
                            buyer_phone=self.mobile(),
                            buyer_address=""
                            if rng.random() < 0.5
                            else f"{store.area.district}{rng.choice(store.area.streets)}{rng.randint(1, 300)}号",
                            invoice_number=f"{day:%Y%m%d}{rng.randrange(10**6):06d}",
                            purchase_date=day,
                            store_id=store.id,
                            registered_by=clerk.id,
                            registered_at=at,
                            received_at=at + timedelta(minutes=rng.choice((0, 0, 1, 30, 240))),
                        )
                    )
                    if rng.random() < 0.9:  # the rest were shipped before the records start
                        diverted = rng.random() < 0.05
                        region = (
                            rng.choice([r for r in regions if r != store.region_id]) if diverted else store.region_id
                        )
                        shipments.append(
                            {
                                "imei": imei,
                                "product_id": product.id,
                                "ship_date": max(product.launch_date, day - timedelta(days=rng.randint(3, 40))),
                                "region_id": region,
                                "partner_id": rng.choice(partners),
                                "import_id": imp.id,
                                "line": len(shipments) + 2,
                            }
                        )
        db.session.add_all(cards)
        db.session.flush()
        db.session.add_all(
            WarrantyImei(imei=i, card_id=card.id) for card in cards for i in (card.imei, card.imei2) if i is not None
        )
        # Units still in the channel: shipped, not sold yet (spot checks find some on shelves).
        in_channel = []
        for _ in range(int(3000 * self.scale) + 50):
            product = rng.choices(products, weights=weights)[0]
            row = {
                "imei": fresh_imei(product),
                "product_id": product.id,
                "ship_date": max(product.launch_date, self.today - timedelta(days=rng.randint(1, 60))),
                "region_id": rng.choice(regions),
                "partner_id": rng.choice(partners),
                "import_id": imp.id,
                "line": len(shipments) + len(in_channel) + 2,
            }
            in_channel.append(row)
        db.session.execute(insert(Shipment), shipments + in_channel)
        imp.rows_read = imp.rows_loaded = len(shipments) + len(in_channel)
        db.session.flush()
        flags = diversion.check_cards(cards)
        # Reps note IMEIs on the shelves of some visited stores: mostly units shipped to that
        # region, now and then one from elsewhere.
        checks = []
        visits = [v for vs in self.visits_by_rep.values() for v in vs]
        for visit in rng.sample(visits, min(len(visits), int(60 * self.scale) + 5)):
            store = visit["_store"]
            local = [u for u in in_channel if u["region_id"] == store.region_id]
            unit = rng.choice(local if local and rng.random() < 0.9 else in_channel)
            checks.append(
                ImeiSpotCheck(
                    id=self.uuid(),
                    rep_id=visit["rep_id"],
                    store_id=store.id,
                    visit_id=visit["id"],
                    imei=unit["imei"],
                    seen_at=visit["checked_in_at"] + timedelta(minutes=5),
                    received_at=visit["received_at"],
                )
            )
        db.session.add_all(checks)
        db.session.flush()
        flags += diversion.check_spot_checks(checks)
        imp.flags_raised = flags
        self.summary["warranty_cards"] = len(cards)
        self.summary["shipments"] = len(shipments) + len(in_channel)
        self.summary["spot_checks"] = len(checks)
        self.summary["diversion_flags"] = flags

    # -- HQ's rollups and alerts, managers' plans

    def make_market(self) -> None:
        """Rivals of our models (competitor models within a quarter of the price), the price
        rollups and the alerts they raise, and plans for rep.gz's next days."""
        from ..market.models import PriceAlert, PriceCell
        from ..market.service import rebuild_cells
        from ..routes.geometry import best_order, path_length
        from ..routes.models import VisitPlan

        cmodels = list(db.session.scalars(select(CompetitorModel).where(CompetitorModel.active)))
        for product in db.session.scalars(select(Product).where(Product.active)):
            price = float(product.list_price)
            close = sorted(
                (m for m in cmodels if m.list_price and abs(float(m.list_price) - price) <= 0.25 * price),
                key=lambda m: abs(float(m.list_price) - price),
            )
            product.rival_model_ids = [m.id for m in close[:3]]
        db.session.commit()
        rebuild_cells()
        self.summary["price_cells"] = db.session.scalar(select(func.count()).select_from(PriceCell))
        self.summary["price_alerts"] = db.session.scalar(select(func.count()).select_from(PriceAlert))
        rep = db.session.scalars(select(User).where(User.username == "rep.gz")).one()
        manager = db.session.scalars(select(User).where(User.username == "manager.gd")).one()
        stores = [s for s in self.stores_by_territory[rep.territory_id] if s.status == StoreStatus.ACTIVE]
        plans = 0
        for offset in (0, 1, 2):
            picked = self.rng.sample(stores, min(len(stores), 6))
            points = [s.pos for s in picked]
            order = best_order(None, points)
            db.session.add(
                VisitPlan(
                    id=self.uuid(),
                    rep_id=rep.id,
                    day=self.today + timedelta(days=offset),
                    store_ids=[picked[i].id for i in order],
                    picked_store_ids=[s.id for s in picked],
                    distance_picked_m=round(path_length(None, points, range(len(points))), 1),
                    distance_planned_m=round(path_length(None, points, order), 1),
                    created_by=manager.id,
                    updated_by=manager.id,
                )
            )
            plans += 1
        self.summary["visit_plans"] = plans


def seed_demo(
    seed: int = 2026,
    echo: Callable[[str], None] = print,
    *,
    days: int = 30,
    scale: float = 1.0,
    today: date | None = None,
) -> dict[str, int]:
    """Fill an empty database with the demo organisation and `days` days of history up to
    yesterday (UTC). `scale` multiplies the number of stores (tests use a small one). The same
    seed and `today` give the same data. Returns counts by kind, e.g. {"stores": 481, ...}."""
    return _Seeder(seed, echo, days, scale, today).run()
