"""`flask seed-demo`: a believable organisation and a month of field history that is consistent
with the rules the API applies (off-site flag, display-check score, stock ledger, scopes)."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from backend.auth.models import Role, User
from backend.catalogue.models import ChecklistItem, CompetitorModel, Product
from backend.core.geo import distance_m
from backend.core.timeutil import business_date, business_day_bounds, business_today, utcnow
from backend.demo import day_so_far
from backend.demo import seed as demo
from backend.extensions import db
from backend.intel.models import IntelDuplicateCandidate, IntelReport, PriceObservation
from backend.org.models import Partner, PartnerKind, Region, Territory
from backend.routes.models import VisitPlan
from backend.stock.models import StockMovement
from backend.stock.service import fold
from backend.stores.models import Store, StoreContact, StoreContactHistory
from backend.sync.models import SyncClient
from backend.visits.models import DisplayCheck, Visit
from backend.visits.service import offsite_threshold_m, score_answers
from backend.warranty.models import DiversionFlag, ImeiSpotCheck, Shipment, WarrantyCard
from backend.warranty.rules import imei_problem, tac
from tests.conftest import empty_tables


def quiet(_line: str) -> None:
    pass


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def login(client, username: str, password: str = demo.PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def all_pages(client, url: str, token: str) -> tuple[list[dict], int]:
    items, page = [], 1
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        r = client.get(f"{url}{'&' if '?' in url else '?'}page={page}&page_size=100", headers=headers)
        assert r.status_code == 200, r.json
        items += r.json
        total = json.loads(r.headers["X-Pagination"])["total"]
        if len(items) >= total:
            return items, total
        page += 1


def empty_database() -> None:
    """Empty every table and restart id sequences (PostgreSQL keeps counting after a DELETE)."""
    db.session.rollback()
    empty_tables()


# --- the full demo (seeded once per session: conftest.py) ----------------------------------------


def test_full_demo_is_believable_and_consistent(client, full_demo):
    summary, lines = full_demo.summary, full_demo.lines
    assert any("Stores" in line for line in lines) and any("Visits" in line for line in lines)
    db.session.expire_all()

    check_summary(summary)
    check_organisation()
    check_stores()
    check_demo_logins(client)
    check_visits()
    check_display_checks()
    check_prices()
    check_stock()
    check_intel()
    check_scopes(client)
    check_warranty(client)
    check_today(client, full_demo.seeded_at, lines)
    check_alerts(client)


def check_summary(summary: dict[str, int]) -> None:
    for key, model in {
        "regions": Region,
        "territories": Territory,
        "partners": Partner,
        "stores": Store,
        "store_contacts": StoreContact,
        "users": User,
        "visits": Visit,
        "display_checks": DisplayCheck,
        "price_observations": PriceObservation,
        "stock_movements": StockMovement,
        "intel_reports": IntelReport,
    }.items():
        assert summary[key] == count(model), key
    assert 400 <= summary["stores"] <= 600
    assert summary["visits"] > 2000 and summary["price_observations"] > summary["visits"]


def check_organisation() -> None:
    regions = db.session.scalars(select(Region)).all()
    assert len(regions) >= 4
    assert {"GD", "GX", "FJ", "HI"} <= {r.code for r in regions}
    for region in regions:
        territories = db.session.scalars(select(Territory).where(Territory.region_id == region.id)).all()
        assert 2 <= len(territories) <= 4, region.name
        for territory in territories:
            n = db.session.scalar(select(func.count()).where(Store.territory_id == territory.id))
            assert n >= 15, territory.name
        managers = db.session.scalars(select(User).where(User.role == Role.MANAGER, User.region_id == region.id))
        assert len(managers.all()) == 1
    partners = db.session.scalars(select(Partner)).all()
    by_id = {p.id: p for p in partners}
    assert {p.kind for p in partners} == {k.value for k in PartnerKind}
    assert {"苏宁易购", "国美电器", "迪信通", "中国移动", "中国联通", "中国电信"} <= {p.name for p in partners}
    for p in partners:
        if p.kind == PartnerKind.LOCAL_DISTRIBUTOR:
            assert by_id[p.parent_id].kind == PartnerKind.PROVINCIAL_DISTRIBUTOR
        if p.kind == PartnerKind.PROVINCIAL_DISTRIBUTOR:
            assert by_id[p.parent_id].kind == PartnerKind.NATIONAL_DISTRIBUTOR
    assert 6 <= count(Product) <= 8
    assert count(CompetitorModel) >= 7 * 3
    assert 6 <= db.session.scalar(select(func.count()).where(ChecklistItem.active)) <= 8


def check_stores() -> None:
    areas = {t.code: t for r in demo.REGIONS for t in r.territories}
    territories = {t.id: t for t in db.session.scalars(select(Territory))}
    stores = db.session.scalars(select(Store)).all()
    statuses = defaultdict(int)
    for s in stores:
        statuses[s.status] += 1
        spec = areas[territories[s.territory_id].code]
        # Around a real neighbourhood of its own territory's city, never far out (in the sea).
        nearest = min(distance_m((s.latitude, s.longitude), (a.lat, a.lon)) for a in spec.areas)
        assert nearest <= 2.3 * spec.sigma_m, (s.name, nearest)
        assert 18 < s.latitude < 27 and 108 < s.longitude < 120
        assert s.address.startswith(("广东省", "广西壮族自治区", "福建省", "海南省")) and s.address.endswith(
            ("号", "楼")
        )
        # A service point per region (三包 repairs, demo/aftersales.py); the rest sell.
        assert s.kind in ("counter", "shop") or (s.kind, s.code[:4]) == ("service_point", "SVC-")
        assert s.tier in ("A", "B", "C")
    assert statuses["active"] > 0.85 * len(stores) and statuses["prospect"] and statuses["closed"]
    assert len({s.code for s in stores}) == len(stores)
    names = [s.name for s in stores]
    assert any(n.startswith("苏宁易购 ") for n in names) and any(n.startswith("迪信通 ") for n in names)
    assert any(n.startswith("中国移动 ") and n.endswith("营业厅") for n in names)
    assert any(n.startswith("星澜手机专卖店 ") for n in names)

    contacts = defaultdict(int)
    for c in db.session.scalars(select(StoreContact)):
        contacts[c.store_id] += 1
    assert all(1 <= contacts[s.id] <= 2 for s in stores)
    created = db.session.scalar(select(func.count()).where(StoreContactHistory.action == "created"))
    assert created == count(StoreContact) == count(StoreContactHistory)


def check_demo_logins(client) -> None:
    users = {u.username: u for u in db.session.scalars(select(User))}
    for username, (role, _about) in demo.DEMO_LOGINS.items():
        assert users[username].role == role and users[username].active
    assert db.session.get(Region, users["manager.gd"].region_id).name == "广东大区"
    rep_territory = db.session.get(Territory, users["rep.gz"].territory_id)
    assert rep_territory.name.startswith("广州") and db.session.get(Region, rep_territory.region_id).code == "GD"
    clerk_store = db.session.get(Store, users["clerk.gz"].store_id)
    assert "广州市" in clerk_store.address and clerk_store.status == "active"
    by_role = defaultdict(int)
    for u in users.values():
        by_role[u.role] += 1
    assert 15 <= by_role["clerk"] <= 25 and by_role["rep"] >= count(Territory)
    # One argon2 hash for everyone: hashing hundreds of passwords would take minutes.
    assert len({u.password_hash for u in users.values()}) == 1

    for username, (role, _about) in demo.DEMO_LOGINS.items():
        r = login(client, username)
        assert r.status_code == 200, (username, r.json)
        assert r.json["user"]["role"] == role
    assert login(client, "rep.gz", "wrong password").status_code == 401


def check_visits() -> None:
    now = utcnow()
    today = business_today()
    today_start, _ = business_day_bounds(today)
    threshold_at = {}
    reps = db.session.scalars(select(User).where(User.role == Role.REP)).all()
    visits = db.session.scalars(select(Visit)).all()
    by_rep = defaultdict(list)
    stores = {s.id: s for s in db.session.scalars(select(Store))}
    for v in visits:
        by_rep[v.rep_id].append(v)
        assert now - timedelta(days=31) <= v.checked_in_at < now
        if v.checked_in_at < today_start:  # the month of history; the day so far: check_today
            day = business_date(v.checked_in_at)
            assert day < today and day.weekday() != 6
        assert v.checked_in_at <= v.received_at <= now
        assert 5 <= v.check_in_accuracy_m <= 50
        if v.check_in_accuracy_m not in threshold_at:
            threshold_at[v.check_in_accuracy_m] = offsite_threshold_m(v.check_in_accuracy_m)
        assert v.off_site == (v.check_in_distance_m > threshold_at[v.check_in_accuracy_m])
        if v.checked_out_at is not None:
            minutes = (v.checked_out_at - v.checked_in_at).total_seconds() / 60
            assert 14 <= minutes <= 61
    reps_by_id = {r.id: r for r in reps}
    for rep in reps:
        mine = by_rep[rep.id]
        assert mine, rep.username
        # A rep visits the stores of their own territory, 3–8 a day.
        assert {stores[v.store_id].territory_id for v in mine} == {rep.territory_id}
        per_day = defaultdict(int)
        for v in mine:
            per_day[business_date(v.checked_in_at)] += 1
        assert all(1 <= n <= 8 for n in per_day.values())
        # Visits of a day do not overlap.
        ordered = sorted(mine, key=lambda v: v.checked_in_at)
        for a, b in zip(ordered, ordered[1:], strict=False):
            assert a.checked_out_at is None or a.checked_out_at <= b.checked_in_at
    assert set(by_rep) <= set(reps_by_id)
    # Coverage has gaps for managers to find: active stores nobody visited for two weeks.
    recent = {v.store_id for v in visits if v.checked_in_at >= now - timedelta(days=14)}
    stale = [s for s in stores.values() if s.status == "active" and s.id not in recent]
    assert 0.03 * len(stores) <= len(stale) <= 0.3 * len(stores)
    off = sum(v.off_site for v in visits) / len(visits)
    assert 0.02 <= off <= 0.09
    # The stored distance is the geodesic one (spot check).
    for v in visits[::97]:
        s = stores[v.store_id]
        d = distance_m((v.check_in_latitude, v.check_in_longitude), (s.latitude, s.longitude))
        assert abs(d - v.check_in_distance_m) < 0.1
        assert v.off_site or 2 <= d <= 125


def check_display_checks() -> None:
    active = {i.id for i in db.session.scalars(select(ChecklistItem).where(ChecklistItem.active))}
    visits = {v.id: v for v in db.session.scalars(select(Visit))}
    checks = db.session.scalars(select(DisplayCheck)).all()
    assert len(checks) > 0.6 * len(visits)
    for c in checks:
        assert {a["item_id"] for a in c.answers} == active and len(c.answers) == len(active)
        v = visits[c.visit_id]
        assert v.store_id == c.store_id and v.rep_id == c.rep_id and c.checked_at >= v.checked_in_at
    for c in checks[::50]:
        assert c.score == score_answers(c.answers)
    scores = [c.score for c in checks]
    assert 0 <= min(scores) < max(scores) <= 100 and 55 <= sum(scores) / len(scores) <= 95


def check_prices() -> None:
    visits = {v.id: v for v in db.session.scalars(select(Visit))}
    prices = db.session.scalars(select(PriceObservation)).all()
    lists = {("p", p.id): p.list_price for p in db.session.scalars(select(Product))}
    lists |= {("c", m.id): m.list_price for m in db.session.scalars(select(CompetitorModel))}
    per_visit = defaultdict(int)
    for p in prices:
        assert (p.product_id is None) != (p.competitor_model_id is None)
        v = visits[p.visit_id]
        assert v.store_id == p.store_id and p.observed_at >= v.checked_in_at and p.received_at >= p.observed_at
        listed = lists[("p", p.product_id) if p.product_id else ("c", p.competitor_model_id)]
        assert 0.7 * float(listed) <= float(p.shelf_price) <= 1.1 * float(listed)
        assert p.promo_price is None or p.promo_price < p.shelf_price
        per_visit[p.visit_id] += 1
    assert set(per_visit.values()) <= {2, 3, 4}
    assert any(p.product_id for p in prices) and any(p.promo_price for p in prices)
    # Prices trend down over the month.
    first = [p for p in prices if p.observed_at < utcnow() - timedelta(days=22)]
    last = [p for p in prices if p.observed_at > utcnow() - timedelta(days=7)]

    def ratio(rows):
        return sum(float(p.shelf_price) / float(lists[("c", p.competitor_model_id)]) for p in rows) / len(rows)

    first = [p for p in first if p.competitor_model_id]
    last = [p for p in last if p.competitor_model_id]
    assert ratio(last) < ratio(first)


def check_stock() -> None:
    visits = {v.id: v for v in db.session.scalars(select(Visit))}
    ledgers = defaultdict(list)
    rows = db.session.scalars(select(StockMovement).order_by(StockMovement.recorded_at, StockMovement.received_at))
    for m in rows:
        assert visits[m.visit_id].store_id == m.store_id
        assert m.quantity >= 0 and (m.kind == "counted" or m.quantity > 0)
        ledgers[(m.store_id, m.material_id)].append(m)
    kinds = {m.kind for moves in ledgers.values() for m in moves}
    assert kinds == {"counted", "delivered", "used", "returned"}
    for moves in ledgers.values():
        assert moves[0].kind == "counted"  # the first entry of a ledger is a count
        assert fold(moves)["quantity"] >= 0


def check_intel() -> None:
    reports = db.session.scalars(select(IntelReport)).all()
    assert 5 <= len(reports) <= 60
    assert {r.status for r in reports} == {"pending"}
    assert len({r.kind for r in reports}) >= 3
    stores = {s.id: s for s in db.session.scalars(select(Store))}
    reps = {u.id: u for u in db.session.scalars(select(User).where(User.role == Role.REP))}
    for r in reports:
        assert r.territory_id == (stores[r.store_id].territory_id if r.store_id else reps[r.rep_id].territory_id)
    # Some "new" stores are known ones: the duplicate candidates say which.
    assert count(IntelDuplicateCandidate) >= 1


def check_today(client, seeded_at, lines) -> None:
    """The day the demo is run shows something (demo/day_so_far.py): 广东大区's reps' visits so far
    — rep.gz following today's plan and checked in now (an open visit), an off-site check-in, an
    idle gap — and every rep's phone's last sync, one long ago.

    The day so far is laid out backwards from the moment of the seed and stops at the business
    day's midnight, so a young day holds only what fits in it (the suite runs at any hour: 03:00
    in Shanghai is 19:00 UTC): each role is checked once the day is long enough for it."""
    now = utcnow()
    day = business_today()
    start, _ = business_day_bounds(day)
    elapsed = seeded_at - start  # at least this much of the day lay before the seed's moment
    cfg = current_app.config
    visits = db.session.scalars(select(Visit).where(Visit.checked_in_at >= start).order_by(Visit.checked_in_at)).all()
    users = {u.id: u for u in db.session.scalars(select(User))}
    region = db.session.scalar(select(Region).where(Region.code == "GD"))
    gd = set(db.session.scalars(select(Territory.id).where(Territory.region_id == region.id)))
    assert all(users[v.rep_id].territory_id in gd and start <= v.checked_in_at < now for v in visits)
    assert all(v.received_at <= now and (v.checked_out_at is None or v.checked_out_at <= now) for v in visits)
    rep_gz = db.session.scalars(select(User).where(User.username == "rep.gz")).one()
    plan = db.session.scalar(select(VisitPlan).where(VisitPlan.rep_id == rep_gz.id, VisitPlan.day == day))
    assert plan is not None  # manager.gd planned rep.gz's business day, which the visits follow
    # rep.gz's day: the plan's first four stops, of which those that fit since midnight (the latest).
    mine, first_four = [v.store_id for v in visits if v.rep_id == rep_gz.id], plan.store_ids[:4]
    assert mine == first_four[len(first_four) - len(mine) :]
    open_visits = [v for v in visits if v.checked_out_at is None]
    assert [users[v.rep_id].username for v in open_visits] in ([], ["rep.gz"])
    if elapsed >= timedelta(minutes=20):  # checked in 10 to 20 minutes before the seed
        assert len(open_visits) == 1
    full_day = elapsed >= timedelta(hours=day_so_far.YOUNG_DAY_HOURS)  # every role fits by then
    # A young day says so as it is seeded (the day so far looks empty otherwise).
    assert full_day or any("visits so far today" in line for line in lines)
    if full_day:
        assert len({v.rep_id for v in visits}) >= 4
        assert len(mine) == 4
        assert any(v.off_site for v in visits)
    by_rep = defaultdict(list)
    for v in visits:
        by_rep[v.rep_id].append(v)
    gaps = [
        (b.checked_in_at - a.checked_out_at).total_seconds() / 60
        for mine in by_rep.values()
        for a, b in zip(mine, mine[1:], strict=False)
        if a.checked_out_at is not None
    ]
    assert all(g > 0 for g in gaps)
    if full_day:
        assert gaps and max(gaps) > cfg["TEAM_IDLE_GAP_MINUTES"]
    # The manager's route review shows rep.gz's day.
    token = login(client, "manager.gd").json["token"]
    r = client.get(
        f"/api/v1/routes?rep_id={rep_gz.id}&day={day.isoformat()}", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200 and len(r.json["visits"]) == len(by_rep[rep_gz.id]), r.json
    # Every rep's phone: last push and pull in the past; one of 广东大区's quiet for long.
    phones = {c.user_id: c for c in db.session.scalars(select(SyncClient))}
    reps = [u for u in users.values() if u.role == Role.REP]
    assert set(phones) == {u.id for u in reps}
    assert all(c.last_push_at <= c.last_pull_at <= now for c in phones.values() if c.last_push_at)
    warn = timedelta(minutes=cfg["TEAM_UNSYNCED_WARN_MINUTES"])
    quiet = [uid for uid, c in phones.items() if users[uid].territory_id in gd and c.last_push_at < now - warn]
    assert len(quiet) >= 1
    assert all(phones[rep_gz.id].last_push_at >= v.received_at for v in open_visits)


def check_alerts(client) -> None:
    """HQ's market alerts list at least one price drop of the seeded cuts, and each alert's counts
    are its evidence's rows (the issue saw 28 in the header, 32 in the table)."""
    token = login(client, "hq").json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = client.get("/api/v1/market/alerts?page_size=100", headers=headers)
    assert r.status_code == 200
    assert any(a["period"] == "week" for a in r.json), r.json
    for a in r.json:
        evidence = client.get(f"/api/v1/market/alerts/{a['id']}", headers=headers).json
        assert len(evidence["observations"]) == a["current_n"] == evidence["current_n"]
        assert len(evidence["previous_observations"]) == a["previous_n"]
        assert a["drop_pct"] >= current_app.config["PRICE_DROP_ALERT_PCT"]


def check_scopes(client) -> None:
    rep = db.session.scalar(select(User).where(User.username == "rep.gz"))
    token = login(client, "rep.gz").json["token"]
    items, total = all_pages(client, "/api/v1/stores", token)
    assert total == db.session.scalar(select(func.count()).where(Store.territory_id == rep.territory_id))
    assert {s["territory_id"] for s in items} == {rep.territory_id}

    manager = db.session.scalar(select(User).where(User.username == "manager.gd"))
    token = login(client, "manager.gd").json["token"]
    items, total = all_pages(client, "/api/v1/stores?status=active", token)
    region_territories = set(db.session.scalars(select(Territory.id).where(Territory.region_id == manager.region_id)))
    assert {s["territory_id"] for s in items} == region_territories

    clerk = db.session.scalar(select(User).where(User.username == "clerk.gz"))
    token = login(client, "clerk.gz").json["token"]
    items, total = all_pages(client, "/api/v1/stores", token)
    assert [s["id"] for s in items] == [clerk.store_id]


# --- small runs ---------------------------------------------------------------------------------


def snapshot() -> dict:
    return {
        "stores": db.session.execute(
            select(Store.code, Store.name, Store.latitude, Store.longitude).order_by(Store.code)
        ).all(),
        "users": db.session.execute(select(User.username, User.display_name, User.role).order_by(User.username)).all(),
        "visits": db.session.execute(
            select(Visit.id, Visit.store_id, Visit.checked_in_at, Visit.check_in_distance_m).order_by(Visit.id)
        ).all(),
        "prices": db.session.execute(
            select(PriceObservation.id, PriceObservation.shelf_price).order_by(PriceObservation.id)
        ).all(),
    }


def test_same_seed_same_data():
    day = date(2026, 3, 17)
    first = demo.seed_demo(seed=3, echo=quiet, days=4, scale=0.1, today=day)
    a = snapshot()
    empty_database()
    second = demo.seed_demo(seed=3, echo=quiet, days=4, scale=0.1, today=day)
    assert first == second and snapshot() == a
    empty_database()
    demo.seed_demo(seed=4, echo=quiet, days=4, scale=0.1, today=day)
    assert snapshot() != a


def test_cli_seed_demo_if_empty_runs_once(app, monkeypatch):
    # The full run is tested above; the command is tested on a small one.
    monkeypatch.setattr(demo, "seed_demo", functools.partial(demo.seed_demo, days=2, scale=0.1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty", "--seed", "11"])
    assert result.exit_code == 0, result.output
    assert "Demo data created" in result.output
    db.session.expire_all()
    counts = {m.__name__: count(m) for m in (User, Store, Visit, PriceObservation, StoreContact)}
    assert counts["Store"] >= 16 * 3 and counts["User"] > 0

    again = runner.invoke(args=["seed-demo", "--if-empty", "--seed", "11"])
    assert again.exit_code == 0, again.output
    assert "skipped" in again.output
    db.session.expire_all()
    assert {m.__name__: count(m) for m in (User, Store, Visit, PriceObservation, StoreContact)} == counts


def check_warranty(client) -> None:
    """Cards pass the rules the API applies; every diversion flag is a real region mismatch."""
    products = {p.id: p for p in db.session.scalars(select(Product))}
    cards = list(db.session.scalars(select(WarrantyCard)))
    assert len(cards) > 100
    for card in cards:
        for imei in filter(None, (card.imei, card.imei2)):
            assert imei_problem(imei) is None and tac(imei) in products[card.product_id].tac_codes
        assert products[card.product_id].launch_date <= card.purchase_date < date.today() + timedelta(days=1)
    assert len({c.imei for c in cards}) == len(cards)
    region_of_store = dict(
        db.session.execute(
            select(Store.id, Territory.region_id).join(Territory, Territory.id == Store.territory_id)
        ).all()
    )
    flags = list(db.session.scalars(select(DiversionFlag)))
    assert {f.source for f in flags} == {"card", "spot_check"}
    for flag in flags:
        ship = db.session.get(Shipment, flag.imei)
        assert ship.region_id == flag.shipped_region_id != flag.sold_region_id == region_of_store[flag.store_id]
    checks = list(db.session.scalars(select(ImeiSpotCheck)))
    assert {c.shipment_match for c in checks} >= {"matches", "diverted"}
    # The demo clerk finds their store's cards, with the buyer's data in full.
    token = login(client, "clerk.gz").json["token"]
    r = client.get("/api/v1/warranty-cards?page_size=5", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and len(r.json) == 5 and not any(c["masked"] for c in r.json)
