"""HQ's quality rollup (aftersales/quality_rollup.py) kept as data arrives, against `rebuild()`
and against hand-computed figures:

- random sequences of transactions (cards registered — some replacements of another model —,
  corrected, voided; events of every kind; stores moved to the other region; some writes in a
  savepoint rolled back; several to a transaction) leave the rollup equal to what `rebuild()`
  computes from the raw rows;
- the region of the sale: a store moved to another region keeps its earlier units AND their later
  events where they were sold; its new sales count in the new region;
- an exchange for another model (WARRANTY_EXCHANGE_OTHER_MODEL): the replacement is no unit; its
  later event counts against its own model (the unit that failed), over REST."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from backend.aftersales import quality, quality_alerts
from backend.aftersales.models import (
    FaultCode,
    QualityAlert,
    QualityDay,
    QualityFaultDay,
    QualitySaleRegion,
    ServiceEvent,
)
from backend.aftersales.quality_rollup import rebuild, snapshot
from backend.catalogue.models import Product
from backend.core.timeutil import business_today, utcnow
from backend.extensions import db
from backend.jobs.models import OutboxJob
from backend.org.models import Territory
from backend.stores.models import Store
from backend.warranty.models import WarrantyCard
from tests.factories import N10_TAC, P30_TAC, imei

BASE = "/api/v1/quality"
DAY0 = date(2026, 3, 2)


def _clean() -> None:
    db.session.rollback()
    for model in (QualityAlert, QualityFaultDay, QualityDay, QualitySaleRegion, ServiceEvent):
        db.session.execute(delete(model))
    db.session.execute(delete(WarrantyCard).where(WarrantyCard.replaces_card_id.is_not(None)))
    db.session.execute(delete(WarrantyCard))
    db.session.execute(delete(OutboxJob))
    db.session.commit()


@pytest.fixture
def setup(world):
    n10 = Product(model_code="XL-N10", name="星澜 N10", tac_codes=[N10_TAC])
    faults = [FaultCode(code="screen", name="屏幕"), FaultCode(code="battery", name="电池")]
    db.session.add_all([n10, *faults])
    db.session.commit()
    return {
        "products": [world.product.id, n10.id],
        "stores": [world.store_a1.id, world.store_a2.id, world.store_b1.id],
        "territories": [world.terr_a1.id, world.terr_b1.id],
        "faults": [f.id for f in faults],
        "clerk": world.clerk_a1.id,
        "homes": [world.store_a1.territory_id, world.store_a2.territory_id, world.store_b1.territory_id],
    }


_serial = iter(range(1, 10**7))


def new_card(s: dict, store: int, product: int, day: date, replaces=None, voided=False) -> WarrantyCard:
    n = next(_serial)
    card = WarrantyCard(
        id=uuid.uuid4(),
        imei=imei(P30_TAC, n % 10**6),
        product_id=product,
        serial_number=f"SN{n}",
        buyer_name="王伟",
        buyer_phone="13800138000",
        buyer_address="",
        invoice_number=f"INV{n}",
        purchase_date=day,
        store_id=store,
        registered_by=s["clerk"],
        registered_at=datetime.combine(day, datetime.min.time()),
        received_at=utcnow(),
        revision=1,
        void_reason="",
        replaces_card_id=replaces,
        voided_at=datetime(2026, 4, 1) if voided else None,
    )
    db.session.add(card)
    return card


def new_event(s: dict, card: WarrantyCard, kind: str, fault: int) -> ServiceEvent:
    """As the service records it: the card's store, model and purchase date copied."""
    region = db.session.scalar(
        select(Territory.region_id).join(Store, Store.territory_id == Territory.id).where(Store.id == card.store_id)
    )
    occurred = datetime.combine(card.purchase_date, datetime.min.time()) + timedelta(days=1)
    e = ServiceEvent(
        id=uuid.uuid4(),
        kind=kind,
        card_id=card.id,
        store_id=card.store_id,
        region_id=region,
        product_id=card.product_id,
        purchase_date=card.purchase_date,
        fault_code_id=fault,
        note="",
        occurred_at=occurred,
        occurred_on=occurred.date(),
        terms={},
        recorded_by=s["clerk"],
    )
    db.session.add(e)
    return e


# --- increments == rebuild ------------------------------------------------------------------------

i2 = st.integers(min_value=0, max_value=1)
i3 = st.integers(min_value=0, max_value=2)
ref = st.integers(min_value=0, max_value=30)  # a card made before, modulo their number
days = st.integers(min_value=0, max_value=9)
op = st.one_of(
    st.tuples(st.just("card"), i3, i2, days, st.booleans()),
    st.tuples(st.just("replacement"), ref, i2),
    st.tuples(st.just("event"), ref, st.sampled_from(["return", "exchange", "repair"]), i2),
    st.tuples(st.just("void"), ref),
    st.tuples(st.just("correct"), ref, i3, i2, days),
    st.tuples(st.just("move"), i3, i2),
)
# A transaction: its operations, each (op, rolled back in a savepoint?)
transaction = st.lists(st.tuples(op, st.booleans()), min_size=1, max_size=4)


def run(s: dict, sequence) -> None:
    made: list[WarrantyCard] = []
    for ops in sequence:
        for (name, *args), rolled_back in ops:
            savepoint = db.session.begin_nested()
            if name == "card":
                store, product, day, voided = args
                made.append(new_card(s, s["stores"][store], s["products"][product], DAY0 + timedelta(days=day)))
                made[-1].voided_at = datetime(2026, 4, 1) if voided else None
            elif made and name == "replacement":  # an exchange's new card: same day, maybe another model
                old = made[args[0] % len(made)]
                made.append(new_card(s, old.store_id, s["products"][args[1]], old.purchase_date, replaces=old.id))
            elif made and name == "event":
                card = made[args[0] % len(made)]
                new_event(s, card, args[1], s["faults"][args[2]])
            elif made and name == "void":
                made[args[0] % len(made)].voided_at = datetime(2026, 4, 2)
            elif made and name == "correct":
                card = made[args[0] % len(made)]
                card.store_id = s["stores"][args[1]]
                card.product_id = s["products"][args[2]]
                card.purchase_date = DAY0 + timedelta(days=args[3])
            elif name == "move":  # a store moves to the other region's territory
                db.session.get(Store, s["stores"][args[0]]).territory_id = s["territories"][args[1]]
            db.session.flush()
            if rolled_back:
                savepoint.rollback()
                made = [c for c in made if c in db.session]
            else:
                savepoint.commit()
        db.session.commit()
        made = [db.session.get(WarrantyCard, c.id) for c in made if db.session.get(WarrantyCard, c.id) is not None]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(transaction, min_size=1, max_size=8))
# A card sold in region A, its store moved to B, then its event and a new card there; a
# replacement of another model that is repaired; a correction moving a card to another store.
@example(
    [
        [(("card", 0, 0, 1, False), False)],
        [(("move", 0, 1), False)],
        [(("event", 0, "repair", 0), False), (("card", 0, 1, 2, False), False)],
        [(("replacement", 0, 1), False), (("event", 2, "return", 1), False)],
        [(("correct", 1, 2, 0, 5), False), (("void", 0), False)],
    ]
)
# An event and a card added in a savepoint rolled back; an exchange and its event in one go.
@example(
    [
        [(("card", 1, 0, 0, False), False), (("card", 1, 0, 0, False), True)],
        [(("event", 0, "exchange", 0), True), (("replacement", 0, 0), False), (("event", 0, "exchange", 1), False)],
    ]
)
def test_increments_equal_rebuild(setup, sequence):
    _clean()
    try:
        run(setup, sequence)
        kept = snapshot()
        counts = rebuild()
        assert snapshot() == kept
        assert counts["quality_sale_regions"] == db.session.scalar(select(func.count()).select_from(WarrantyCard))
    finally:
        _clean()
        for store, home in zip(setup["stores"], setup["homes"], strict=True):  # the stores back home
            db.session.get(Store, store).territory_id = home
        db.session.commit()


def test_rebuild_gives_bulk_loaded_cards_their_store_region_and_keeps_recorded_ones(setup, world):
    s = setup
    p30, n10 = s["products"]
    card = new_card(s, world.store_a1.id, p30, DAY0)
    db.session.commit()
    # The store moves to region B; a bulk-loaded card of it (the ORM never saw it) is not counted.
    world.store_a1.territory_id = world.terr_b1.id
    db.session.commit()
    region_a, region_b = world.region_a.id, world.region_b.id
    bulk = new_card(s, world.store_a1.id, n10, DAY0)
    row = {c.key: getattr(bulk, c.key) for c in WarrantyCard.__table__.columns}
    db.session.expunge(bulk)
    from sqlalchemy import insert

    db.session.execute(insert(WarrantyCard.__table__), [row])
    db.session.commit()
    assert snapshot()["days"] == {(p30, region_a, DAY0): (1, 0, 0, 0)}
    rebuild()
    # The bulk card: its store's region now (B); the first keeps the region it was sold in (A).
    assert snapshot()["days"] == {(p30, region_a, DAY0): (1, 0, 0, 0), (n10, region_b, DAY0): (1, 0, 0, 0)}
    assert db.session.get(QualitySaleRegion, card.id).region_id == region_a


# --- the region of the sale -----------------------------------------------------------------------


def test_a_moved_store_keeps_its_earlier_sales_and_their_events_where_they_were_sold(setup, world, api):
    s = setup
    p30 = world.product
    sold = [new_card(s, world.store_a1.id, p30.id, DAY0) for _ in range(4)]  # 4 units in region A
    db.session.commit()
    world.store_a1.territory_id = world.terr_b1.id  # 广东's store moves to 广西
    db.session.commit()
    new_event(s, sold[0], "return", s["faults"][0])  # recorded with region B (the store's now)
    for _ in range(2):
        new_card(s, world.store_a1.id, p30.id, DAY0 + timedelta(days=1))  # 2 units sold in region B
    db.session.commit()
    sold_b = new_card(s, world.store_a1.id, p30.id, DAY0 + timedelta(days=1))
    db.session.commit()
    new_event(s, sold_b, "repair", s["faults"][1])
    db.session.commit()
    r = api(world.hq).get(f"{BASE}/regions?since={DAY0}&until={DAY0 + timedelta(days=6)}")
    assert r.status_code == 200, r.json
    got = {x["region_id"]: (x["units_sold"], x["returns"], x["repairs"], x["return_per_1000"]) for x in r.json}
    # A: 4 units, the return of one of them: 1 / 4 × 1000 = 250.0; B: 3 units, 1 repair
    assert got == {world.region_a.id: (4, 1, 0, 250.0), world.region_b.id: (3, 0, 1, 0.0)}
    # A manager sees the same split: A's manager the 4 units and their return.
    (row,) = api(world.manager_a).get(f"{BASE}/models?since={DAY0}&until={DAY0 + timedelta(days=6)}").json
    assert (row["units_sold"], row["returns"]) == (4, 1)
    kept = snapshot()
    rebuild()
    assert snapshot() == kept


# --- an exchange for another model ----------------------------------------------------------------


def test_a_replacement_of_another_model_counts_its_failure_but_no_sale(world, api, app, monkeypatch):
    """Over REST: a P30 exchanged for an N10 (allowed), the N10 later repaired. P30: 1 unit, 1
    exchange; N10: no unit sold, 1 repair (rate None: nothing sold)."""
    from tests.factories import iso
    from tests.warranty.helpers import card_body, make_product, register

    monkeypatch.setitem(app.config, "WARRANTY_EXCHANGE_OTHER_MODEL", True)
    db.session.add(FaultCode(code="screen", name="屏幕"))
    world.partner.repair_provider = True
    db.session.commit()
    n10 = make_product("XL-N10", (N10_TAC,))
    clerk = api(world.clerk_a1)
    bought = business_today() - timedelta(days=3)
    card = register(clerk, card_body(world, 901, purchase_date=bought.isoformat()))
    at = iso(utcnow().replace(microsecond=0) - timedelta(hours=2))
    unit = {"id": str(uuid.uuid4()), "imei": imei(N10_TAC, 902), "product_id": n10.id, "serial_number": "SN-902"}
    body = {"id": str(uuid.uuid4()), "kind": "exchange", "card_id": card["id"], "fault_code": "screen"}
    r = clerk.post("/api/v1/service-events", json={**body, "occurred_at": at, "new_card": unit})
    assert r.status_code == 201, r.json
    later = iso(utcnow().replace(microsecond=0) - timedelta(hours=1))
    body = {"id": str(uuid.uuid4()), "kind": "repair", "card_id": unit["id"], "fault_code": "screen"}
    r = clerk.post("/api/v1/service-events", json={**body, "occurred_at": later, "repair_partner_id": world.partner.id})
    assert r.status_code == 201, r.json
    rows = {x["model_code"]: x for x in api(world.hq).get(f"{BASE}/models?since={bought}&until={bought}").json}
    p, n = rows["XL-P30"], rows["XL-N10"]
    assert (p["units_sold"], p["exchanges"], p["repairs"], p["exchange_per_1000"]) == (1, 1, 0, 1000.0)
    assert (n["units_sold"], n["exchanges"], n["repairs"], n["repair_per_1000"]) == (0, 0, 1, None)
    kept = snapshot()
    rebuild()
    assert snapshot() == kept


# --- alerts: two jobs at once raise one --------------------------------------------------------------


def test_two_concurrent_checks_store_one_alert_per_scope(world, app, monkeypatch, setup):
    """Two runs of the check at the same moment on PostgreSQL (each in its own transaction, both
    past their reads before either inserts): the unique key and ON CONFLICT DO NOTHING leave one
    alert per scope, and only one run reports them raised."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    s = setup
    monkeypatch.setitem(app.config, "QUALITY_ALERT_MIN_UNITS", 2)
    monkeypatch.setitem(app.config, "QUALITY_ALERT_RATE_PER_1000", 30.0)
    today = business_today()
    world.product.launch_date = today
    db.session.commit()
    cards = [new_card(s, world.store_a1.id, world.product.id, today) for _ in range(2)]
    db.session.commit()
    new_event(s, cards[0], "return", s["faults"][0])
    db.session.commit()
    db.session.execute(delete(QualityAlert))  # what the job raised: the two runs below raise them
    db.session.commit()
    product_id = world.product.id
    barrier = threading.Barrier(2)
    raised, errors = [], []

    def check():
        with app.app_context():
            try:
                quality.early_life([product_id], today)  # both read before either inserts
                barrier.wait(timeout=10)
                raised.append(len(quality_alerts.raise_alerts([product_id], today)))
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    # Two scopes (all regions, region A): stored once each; one run raised both, the other none.
    assert db.session.scalar(select(func.count()).select_from(QualityAlert)) == 2
    assert sorted(raised) == [0, 2]


def test_rebuild_in_a_transaction_that_wrote_cards_and_events_counts_them_once(setup, world):
    """The demo seed records events (flushed, not committed), then rebuilds in the same
    transaction: the commit must not add the transaction's notes on top of the rebuild."""
    s = setup
    card = new_card(s, world.store_a1.id, world.product.id, DAY0)
    db.session.flush()
    new_event(s, card, "return", s["faults"][0])
    db.session.flush()
    rebuild()
    assert snapshot()["days"] == {(world.product.id, world.region_a.id, DAY0): (1, 1, 0, 0)}


def test_a_card_corrected_to_another_store_is_sold_in_that_store_region(setup, world, api):
    """A correction of the store (registered at the wrong one): the unit and its events move to
    the region of the store it was really sold at, as it is now."""
    s = setup
    cards = [new_card(s, world.store_a1.id, world.product.id, DAY0) for _ in range(2)]
    db.session.commit()
    new_event(s, cards[0], "repair", s["faults"][0])
    db.session.commit()
    db.session.refresh(cards[0])  # as the warranty service reads the card it corrects (FOR UPDATE)
    cards[0].store_id = world.store_b1.id
    db.session.commit()
    r = api(world.hq).get(f"{BASE}/regions?since={DAY0}&until={DAY0}")
    got = {x["region_id"]: (x["units_sold"], x["repairs"]) for x in r.json}
    assert got == {world.region_a.id: (1, 0), world.region_b.id: (1, 1)}
    assert db.session.get(QualitySaleRegion, cards[0].id).region_id == world.region_b.id


def test_a_voided_card_asks_for_the_alert_check(setup, world, api, app, monkeypatch):
    """50 units and 2 returns: 40.0 per 1,000, at the threshold of 40: no alert. One card voided
    (registered in error) leaves 49 units (over the minimum of 45): 2 / 49 × 1000 = 40.82 > 40 —
    the void's commit asks for the check, which raises it."""
    s = setup
    for key, value in (("QUALITY_ALERT_MIN_UNITS", 45), ("QUALITY_ALERT_RATE_PER_1000", 40.0)):
        monkeypatch.setitem(app.config, key, value)
    if db.engine.dialect.name == "postgresql" and __import__("os").environ.get("REDIS_URL"):
        pytest.skip("the worker has its own settings")
    today = business_today()
    world.product.launch_date = today
    db.session.commit()
    cards = [new_card(s, world.store_a1.id, world.product.id, today) for _ in range(50)]
    db.session.commit()
    for card in cards[:2]:
        new_event(s, card, "return", s["faults"][0])
    db.session.commit()
    _run_jobs()
    assert api(world.hq).get(f"{BASE}/alerts").json == []  # 2 / 50 = 40.0: not above
    db.session.refresh(cards[10])  # as the warranty service reads the card it voids
    cards[10].voided_at = utcnow()
    db.session.commit()
    _run_jobs()
    (row,) = api(world.hq).get(f"{BASE}/alerts").json
    assert (row["units_sold"], row["returns_exchanges"], row["rate_per_1000"]) == (49, 2, 40.82)


def _run_jobs() -> None:
    from backend.jobs import run_ready_jobs

    run_ready_jobs()
    db.session.rollback()


def test_flask_rebuild_quality_recomputes_from_the_rows(setup, world, app):
    """Cards bulk-loaded (unseen by the increments): the command counts them (and finds no
    alert to raise: no events)."""
    from sqlalchemy import insert

    s = setup
    today = business_today()
    world.product.launch_date = today
    db.session.commit()
    rows = []
    for _ in range(2):
        card = new_card(s, world.store_a1.id, world.product.id, today)
        rows.append({c.key: getattr(card, c.key) for c in WarrantyCard.__table__.columns})
        db.session.expunge(card)
    db.session.execute(insert(WarrantyCard.__table__), rows)
    db.session.commit()
    assert snapshot()["days"] == {}
    result = app.test_cli_runner().invoke(args=["rebuild-quality"])
    assert result.exit_code == 0, result.output
    assert "2 quality_sale_regions, 1 quality_days, 0 quality_fault_days; 0 alerts raised" in result.output
    assert snapshot()["days"] == {(world.product.id, world.region_a.id, today): (2, 0, 0, 0)}


@pytest.mark.parametrize("moved", ["product", "store"])
def test_a_card_corrected_away_asks_for_the_check_of_what_it_left(setup, world, api, app, monkeypatch, moved):
    """50 units of P30 at store A1 and 2 returns: 40.0 per 1,000, at the threshold of 40: no
    alert. One card (no events) corrected to N10 leaves P30 49 units: 2 / 49 × 1000 = 40.82 > 40,
    for every region and region A — the check must be asked for the model the card LEFT, not only
    the one it went to. Corrected to store B1 instead: region A has 49 units (40.82: region A's
    alert), every region together still 50 (none)."""
    s = setup
    for key, value in (("QUALITY_ALERT_MIN_UNITS", 45), ("QUALITY_ALERT_RATE_PER_1000", 40.0)):
        monkeypatch.setitem(app.config, key, value)
    if db.engine.dialect.name == "postgresql" and __import__("os").environ.get("REDIS_URL"):
        pytest.skip("the worker has its own settings")
    today = business_today()
    world.product.launch_date = today
    db.session.commit()
    cards = [new_card(s, world.store_a1.id, world.product.id, today) for _ in range(50)]
    db.session.commit()
    for card in cards[:2]:
        new_event(s, card, "return", s["faults"][0])
    db.session.commit()
    _run_jobs()
    assert api(world.hq).get(f"{BASE}/alerts").json == []
    db.session.refresh(cards[10])  # as the warranty service reads the card it corrects
    if moved == "product":
        cards[10].product_id = s["products"][1]
    else:
        cards[10].store_id = world.store_b1.id
    db.session.commit()
    _run_jobs()
    got = {
        (a.scope_key, a.units_sold, a.returns_exchanges, a.rate_per_1000)
        for a in db.session.scalars(select(QualityAlert).where(QualityAlert.product_id == world.product.id))
    }
    region_a = (f"r{world.region_a.id}", 49, 2, 40.82)
    assert got == ({("all", 49, 2, 40.82), region_a} if moved == "product" else {region_a})
