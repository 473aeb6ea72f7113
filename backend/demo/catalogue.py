"""The catalogue: our own models (with their IMEI TACs and 三包 terms), competitors' models, the
promo materials reps keep ledgers of, and the VI checklist of display checks.

It also sets up the month's price story the visits later observe: which models reps look at how
often, how each model's price drifts down over the month, the small differences of price level
between regions, and two competitors cutting a price sharply in one region late in the month
(what HQ's price-drop alerts are for).

`OUR_PRODUCTS`, `COMPETITORS`, `promo_materials` and `checklist_items` are used by the
benchmarks (bench/) too.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ..catalogue.models import (
    AnswerType,
    ChecklistItem,
    CompetitorBrand,
    CompetitorModel,
    MaterialKind,
    OnFail,
    Product,
    PromoMaterial,
)
from ..extensions import db
from .context import BRAND, Context, ModelInfo

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

# English names (name_en) where the Chinese one is not already Latin script.
BRAND_EN = "Xinglan"
BRANDS_EN = {"华为": "Huawei", "小米": "Xiaomi", "荣耀": "Honor", "三星": "Samsung"}
MODELS_EN = {"畅享 70": "Enjoy 70", "小米14": "Xiaomi 14", "荣耀200": "Honor 200"}
MATERIALS_EN = {
    "POS-P50": "P50 launch poster (A1)",
    "POS-BRAND": f"{BRAND_EN} brand poster",
    "STD-P50": "P50 life-size standee",
    "STD-ROLL": "Roll-up banner (80×200)",
    "DEMO-P30": "P30 demo unit",
    "DEMO-N10": "N10 demo unit",
    "GIFT-EAR": f"{BRAND_EN} Bluetooth earphones (gift)",
    "GIFT-CASE": "Case + screen protector pack",
    "GIFT-BAG": "Branded tote bag",
    "OTH-TAG": "Acrylic price tag",
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
# Items in ON_FAIL ask a failed answer for a reason or a photo (the rest: nothing).
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


ON_FAIL = {"VI-FASCIA": OnFail.PHOTO_OR_REASON, "VI-DEMO": OnFail.REASON, "VI-PRICE": OnFail.REASON}


def promo_materials() -> list[PromoMaterial]:
    """The demo's promo-material catalogue, as new (unsaved) rows."""
    return [
        PromoMaterial(code=c, name=n, name_en=MATERIALS_EN.get(c), kind=k, unit_cost=Decimal(cost))
        for c, n, k, cost in MATERIALS
    ]


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
            on_fail=ON_FAIL.get(code, OnFail.NONE),
        )
        for i, (code, zh, en, atype, target, weight, active, _bias) in enumerate(CHECKLIST)
    ]


def make_catalogue(ctx: Context) -> None:
    """Products, competitors' models, promo materials, the checklist, and the price story."""
    rng = ctx.rng
    products = []
    for code, name, days_ago, price, active in OUR_PRODUCTS:
        p = Product(
            model_code=code,
            name=name,
            name_en=name.replace(BRAND, BRAND_EN),
            launch_date=ctx.today - timedelta(days=days_ago),
            list_price=Decimal(price),
            active=active,
            # Two TACs per model (two production batches): 867 + model number + batch.
            tac_codes=[f"867{len(products) + 10:02d}0{batch:02d}" for batch in (1, 2)],
            repair_months=24 if code == "XL-F1" else 12,  # the foldable gets two years
        )
        products.append(p)
    db.session.add_all(products)
    brands = [CompetitorBrand(name=b, name_en=BRANDS_EN.get(b)) for b in COMPETITORS]
    db.session.add_all(brands)
    db.session.flush()
    for p, (_code, _name, days_ago, _price, _active) in zip(products, OUR_PRODUCTS, strict=True):
        if p.active:
            ctx.models.append(
                ModelInfo(
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
                    name_en=MODELS_EN.get(name),
                    launch_date=ctx.today - timedelta(days=days_ago),
                    list_price=Decimal(price),
                )
            )
    db.session.add_all(cmodels)
    ctx.materials = promo_materials()
    db.session.add_all(ctx.materials)
    ctx.checklist = checklist_items()
    db.session.add_all(ctx.checklist)
    db.session.flush()
    ctx.check_bias = {item.id: spec[7] for item, spec in zip(ctx.checklist, CHECKLIST, strict=True)}
    ctx.active_items = [i for i in ctx.checklist if i.active]
    brand_name = {b.id: b.name for b in brands}
    for m in cmodels:
        popular = 3.0 if brand_name[m.brand_id] in ("华为", "OPPO", "vivo", "Apple") else 2.0
        ctx.models.append(
            ModelInfo(
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
    ctx.region_factor = {(m.key, region.id): rng.uniform(0.975, 1.015) for m in ctx.models for region, _ in ctx.regions}
    cutters = [m for m in ctx.models if m.competitor_model_id and m.list_price >= 2000]
    for m in rng.sample(cutters, 2):
        region = rng.choice(ctx.regions)[0]
        around = ctx.today - timedelta(days=max(1, min(ctx.days - 1, rng.randint(5, 9))))
        # On a Monday: the week before is all before the cut and the cut's week all after it, so
        # the weekly medians (HQ's price-drop alerts compare weeks) show the whole cut.
        cut_day = around - timedelta(days=around.weekday())
        ctx.price_cuts[(m.key, region.id)] = (cut_day, rng.uniform(0.86, 0.9))
    ctx.summary |= {
        "products": len(products),
        "competitor_brands": len(brands),
        "competitor_models": len(cmodels),
        "promo_materials": len(ctx.materials),
        "checklist_items": len(ctx.checklist),
    }
