"""Users of every role (the auth domain's accounts), all with the password `PASSWORD`.

The demo logins of the README (`DEMO_LOGINS`) plus a manager per region, one to three reps per
territory depending on its size (two in rep.gz's), each with a beat (a sector of the territory),
and twenty clerks at active stores, mostly our shops and chain counters (their warranty cards are
seeded by `warranty`). One argon2 hash serves everyone: hashing hundreds of passwords would take
minutes. A rep of a territory with colleagues left during the month (staff turnover).
"""

from __future__ import annotations

import math
from datetime import timedelta

from ..auth.models import Role, User
from ..auth.service import hash_password
from ..extensions import db
from ..stores.models import StoreStatus, StoreTier
from .context import Context, RepInfo, StoreInfo
from .geography import approx_m

PASSWORD = "demo1234"

# username → (role, what the README says about it)
DEMO_LOGINS: dict[str, tuple[str, str]] = {
    "admin": (Role.ADMIN, "administrator"),
    "hq": (Role.HQ, "HQ: competitive intelligence, every region"),
    "manager.gd": (Role.MANAGER, "manager of 广东大区 (Guangdong)"),
    "rep.gz": (Role.REP, "sales rep in 广州天河片区 (Guangzhou Tianhe)"),
    "clerk.gz": (Role.CLERK, "clerk at 星澜手机专卖店 天河城店 (Guangzhou)"),
}


def make_users(ctx: Context) -> None:
    """The demo logins, managers, reps (with their beats) and clerks."""
    rng = ctx.rng
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: once for everyone
    users: list[User] = []

    def user(username: str, role: str, name: str, days_ago: int, **placement) -> User:
        u = User(
            username=username,
            display_name=name,
            password_hash=password_hash,
            role=role,
            phone=ctx.mobile(),
            created_at=ctx.now - timedelta(days=days_ago, minutes=rng.randint(0, 600)),
            **placement,
        )
        users.append(u)
        return u

    ctx.admin = user("admin", Role.ADMIN, "系统管理员", 900)
    user("hq", Role.HQ, "周文斌", 880)
    user("hq.market", Role.HQ, "林佳怡", 500)
    region_ids = {spec.code: region.id for region, spec in ctx.regions}
    user("manager.gd", Role.MANAGER, "陈志强", 700, region_id=region_ids["GD"])
    for region, spec in ctx.regions[1:]:
        user(f"manager.{spec.code.lower()}", Role.MANAGER, ctx.person(), rng.randint(200, 800), region_id=region.id)

    rep_users: list[tuple[User, RepInfo]] = []
    for territory, tspec, region, _rspec in ctx.territories:
        stores = ctx.stores_by_territory[territory.id]
        n_reps = 1 if len(stores) < 30 else 2 if len(stores) < 40 else 3
        if tspec.code == "GZ-TH":
            n_reps = max(2, n_reps)
        beats = _beats(ctx, stores, n_reps)
        for i in range(n_reps):
            if tspec.code == "GZ-TH" and i == 0:
                username, name = "rep.gz", "李晓峰"
            else:
                username, name = f"rep.{tspec.code.lower().replace('-', '')}{i + 1}", ctx.person()
            u = user(username, Role.REP, name, rng.randint(ctx.days + 10, 900), territory_id=territory.id)
            rep_users.append((u, RepInfo(0, territory.id, region.id, beats[i])))
    # Staff turnover: a rep of a territory with colleagues left during the month; their
    # account is deactivated, their history kept, and their stores wait for a replacement.
    per_territory: dict[int, int] = {}
    for _u, rep in rep_users:
        per_territory[rep.territory_id] = per_territory.get(rep.territory_id, 0) + 1
    leavers = [(u, r) for u, r in rep_users if per_territory[r.territory_id] > 1 and u.username != "rep.gz"]
    if leavers:
        gone, rep = leavers[-1]
        gone.active = False
        rep.left_on = ctx.today - timedelta(days=max(1, ctx.days // 3))

    gz = next(t for t, spec, _, _ in ctx.territories if spec.code == "GZ-TH")
    flagship = ctx.stores_by_territory[gz.id][0]
    ctx.clerk_stores.append((user("clerk.gz", Role.CLERK, "黄丽娟", 300, store_id=flagship.id), flagship))
    candidates = [s for s in ctx.stores if s.status == StoreStatus.ACTIVE and s is not flagship]
    candidates = [s for s in candidates if s.fmt in ("ours", "chain") or rng.random() < 0.3]
    for store in rng.sample(candidates, min(19, len(candidates))):
        username = f"clerk.{store.code.lower().replace('-', '')}"
        ctx.clerk_stores.append(
            (user(username, Role.CLERK, ctx.person(), rng.randint(20, 600), store_id=store.id), store)
        )

    db.session.add_all(users)
    db.session.flush()
    for u, rep in rep_users:
        rep.user_id = u.id
        ctx.reps.append(rep)
    ctx.summary["users"] = len(users)


def _beats(ctx: Context, stores: list[StoreInfo], n: int) -> list[list[StoreInfo]]:
    """Split a territory between its reps by direction from the centre: each gets a sector.

    About one store in ten, out of the way and mostly tier C, is in nobody's beat: the
    stores nobody visited this month that the manager's coverage view is there to show.
    """
    rng = ctx.rng
    visitable = [s for s in stores if s.status != StoreStatus.CLOSED]
    clat = sum(s.lat for s in visitable) / len(visitable)
    clon = sum(s.lon for s in visitable) / len(visitable)

    def remoteness(s: StoreInfo) -> float:
        tier = {StoreTier.A: 0.2, StoreTier.B: 1.0, StoreTier.C: 2.0}[s.tier]
        return approx_m((clat, clon), s.pos) * tier * rng.uniform(0.6, 1.4)

    candidates = sorted(visitable[1:], key=remoteness, reverse=True)  # never the flagship
    neglected = {s.id for s in candidates[: len(visitable) // 10]}
    visitable = [s for s in visitable if s.id not in neglected]
    if n == 1:
        return [visitable]
    ordered = sorted(visitable, key=lambda s: math.atan2(s.lat - clat, s.lon - clon))
    size = math.ceil(len(ordered) / n)
    return [ordered[i * size : (i + 1) * size] or ordered[:1] for i in range(n)]
