"""The organisation: regions and territories (from `geography.REGIONS`) and the channel partners.

Partners form the brand's real distribution tree: two national distributors (全国总代), one
provincial distributor (省包商) per region under them, one local distributor per territory under
that (their trade names shuffled by the seed), plus the retail chains, carriers and online shops
whose counters carry our phones — and one local distributor that stopped working with us.
"""

from __future__ import annotations

from ..extensions import db
from ..org.models import Partner, PartnerKind, Region, Territory
from .context import Context
from .geography import REGIONS

NATIONAL_DISTRIBUTORS = (("NAT-TX", "天讯通信集团有限公司"), ("NAT-ZL", "中联讯通科技股份有限公司"))
# (code, name, how many of the stores of that format are theirs, relatively)
RETAIL_CHAINS = (("SN", "苏宁易购", 3), ("GM", "国美电器", 2), ("DXT", "迪信通", 3))
CARRIERS = (("CMCC", "中国移动", 4), ("CUCC", "中国联通", 2), ("CTCC", "中国电信", 2))
ONLINE = (("JD", "京东"), ("TMALL", "天猫星澜官方旗舰店"))
LOCAL_TRADE_NAMES = ("讯达", "金鹏", "宏达", "万联", "鑫源", "华信", "恒通", "新时代", "佳讯", "联创", "泰丰", "广讯")


def make_org(ctx: Context) -> None:
    rng = ctx.rng
    for spec in REGIONS:
        region = Region(code=spec.code, name=spec.name)
        db.session.add(region)
        ctx.regions.append((region, spec))
    db.session.flush()
    for region, spec in ctx.regions:
        for tspec in spec.territories:
            territory = Territory(code=tspec.code, name=tspec.name, region_id=region.id)
            db.session.add(territory)
            ctx.territories.append((territory, tspec, region, spec))

    nationals = [Partner(code=c, name=n, kind=PartnerKind.NATIONAL_DISTRIBUTOR) for c, n in NATIONAL_DISTRIBUTORS]
    others = [Partner(code=c, name=n, kind=PartnerKind.RETAIL_CHAIN) for c, n, _ in RETAIL_CHAINS]
    others += [Partner(code=c, name=n, kind=PartnerKind.CARRIER) for c, n, _ in CARRIERS]
    others += [Partner(code=c, name=n, kind=PartnerKind.ONLINE) for c, n in ONLINE]
    db.session.add_all(nationals + others)
    db.session.flush()
    ctx.partner_by_code = {p.code: p for p in nationals + others}

    provincial: dict[int, Partner] = {}
    for i, (region, spec) in enumerate(ctx.regions):
        p = Partner(
            code=f"PRV-{spec.code}",
            name=spec.distributor,
            kind=PartnerKind.PROVINCIAL_DISTRIBUTOR,
            parent_id=nationals[i % len(nationals)].id,
        )
        db.session.add(p)
        provincial[region.id] = p
    db.session.flush()
    trade_names = list(LOCAL_TRADE_NAMES)
    rng.shuffle(trade_names)
    for i, (territory, tspec, region, _spec) in enumerate(ctx.territories):
        trade = trade_names[i % len(trade_names)]
        p = Partner(
            code=f"LOC-{tspec.code}",
            name=f"{tspec.city.removesuffix('市')}{trade}通讯有限公司",
            kind=PartnerKind.LOCAL_DISTRIBUTOR,
            parent_id=provincial[region.id].id,
        )
        db.session.add(p)
        ctx.local_distributor[territory.id] = p
    # A local distributor that stopped working with us.
    db.session.add(
        Partner(
            code="LOC-OLD",
            name="广州天润通讯器材有限公司",
            kind=PartnerKind.LOCAL_DISTRIBUTOR,
            parent_id=provincial[ctx.regions[0][0].id].id,
            active=False,
        )
    )
    db.session.flush()
    ctx.summary["regions"] = len(ctx.regions)
    ctx.summary["territories"] = len(ctx.territories)
    ctx.summary["partners"] = len(nationals) + len(others) + len(provincial) + len(ctx.local_distributor) + 1
