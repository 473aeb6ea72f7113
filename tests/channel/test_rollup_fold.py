"""A shipment import's batches on PostgreSQL: their units wait in channel_shipped_pending and reach
the cohorts, the channel weeks and the stock at a fold — once the load has gathered
CHANNEL_FOLD_UNITS units, when the import is flushed done or failed, by the `channel-fold`
housekeeping task (an import cut short) — and `rebuild()` never counts them twice. Elsewhere
(SQLite) a batch's units count at its own commit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from backend.channel.models import NO_PARTNER, ChannelShippedPending
from backend.channel.rollup import rebuild
from backend.extensions import db
from backend.jobs import periodic
from backend.warranty.imports import _Loader
from backend.warranty.models import ImportStatus, ShipmentImport
from tests.channel.helpers import ago, monday, rollups
from tests.factories import imei
from tests.warranty.helpers import card_body, register

pytestmark = pytest.mark.usefixtures("rq_worker")


def postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


class Import:
    """A running import whose batches go through the loader's own `load`, each committed."""

    def __init__(self, world):
        self.world = world
        self.imp = ShipmentImport(
            filename="t.csv", path="t.csv", sha256="0" * 64, total_bytes=1, created_by=world.hq.id
        )
        self.imp.status = ImportStatus.RUNNING
        db.session.add(self.imp)
        db.session.commit()
        self.loader = _Loader(self.imp)
        self.line = 1

    def batch(self, *serials: int, days_ago: int = 40, region=None, partner=True) -> None:
        w = self.world
        rows = []
        for serial in serials:
            self.line += 1
            values = {
                "imei": imei(serial=serial),
                "product_id": w.product.id,
                "ship_date": ago(days_ago),
                "region_id": (region or w.region_a).id,
                "partner_id": w.partner.id if partner else None,
            }
            rows.append((self.line, [values["imei"]], values))
        self.loader.load(rows)
        db.session.commit()

    def end(self, status: ImportStatus = ImportStatus.DONE) -> None:
        self.imp.status = status
        db.session.commit()


def shipped() -> dict[tuple, int]:
    """{cohort key: units shipped} of the cohorts (the weeks and stock are checked by rebuild)."""
    return {key: values[0] for key, values in rollups()["channel_cohorts"].items() if values[0]}


def pending_units() -> int:
    """The units waiting (PostgreSQL: the length of each row's arrays); elsewhere the table stays empty."""
    if not postgresql():
        return db.session.scalar(select(func.count()).select_from(ChannelShippedPending))
    return db.session.scalar(text("SELECT coalesce(sum(cardinality(regions)), 0) FROM channel_shipped_pending"))


def test_a_running_imports_batches_wait_for_its_end(world):
    w = world
    run = Import(w)
    run.batch(1, 2, 3)
    run.batch(4, 5, days_ago=10)
    run.batch(6, days_ago=10, partner=False)
    cohort_40 = (w.region_a.id, w.partner.id, w.product.id, monday(ago(40)))
    cohort_10 = (w.region_a.id, w.partner.id, w.product.id, monday(ago(10)))
    no_partner_10 = (w.region_a.id, NO_PARTNER, w.product.id, monday(ago(10)))
    expected = {cohort_40: 3, cohort_10: 2, no_partner_10: 1}
    if postgresql():
        assert shipped() == {} and pending_units() == 6
        assert db.session.scalar(select(func.count()).select_from(ChannelShippedPending)) == 3  # one row per batch
    else:
        assert shipped() == expected and pending_units() == 0
    run.end()
    assert pending_units() == 0
    assert shipped() == expected
    counted = rollups()
    rebuild()
    assert rollups() == counted


def test_a_failed_import_folds_what_its_batches_loaded(world):
    run = Import(world)
    run.batch(1, 2)
    run.end(ImportStatus.FAILED)
    assert pending_units() == 0 and sum(shipped().values()) == 2


def test_a_long_load_folds_every_channel_fold_units(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "CHANNEL_FOLD_UNITS", 3)
    run = Import(world)
    run.batch(1, 2)
    assert sum(shipped().values()) == (0 if postgresql() else 2)
    run.batch(3, 4)  # 4 gathered ≥ 3: this commit folds them all
    assert pending_units() == 0 and sum(shipped().values()) == 4
    run.batch(5)
    assert sum(shipped().values()) == (4 if postgresql() else 5)
    run.end()
    assert pending_units() == 0 and sum(shipped().values()) == 5


def test_housekeeping_folds_what_an_import_cut_short_left(world):
    run = Import(world)
    run.batch(1, 2, 3)
    db.session.remove()  # the worker died: the import never ends
    line = periodic.run_task("channel-fold", force=True)
    if postgresql():
        assert line == "folded 3 pending shipped units into the channel's rollups"
    else:
        assert line == "nothing to fold: units are added at their commit on this database"
    assert pending_units() == 0 and sum(shipped().values()) == 3
    assert periodic.run_task("channel-fold", force=True) in (
        "folded 0 pending shipped units into the channel's rollups",
        "nothing to fold: units are added at their commit on this database",
    )


def test_rebuild_counts_pending_units_once(world):
    run = Import(world)
    run.batch(1, 2, 3)
    rebuild()  # counts the three from the shipments, and drops them from pending
    assert pending_units() == 0 and sum(shipped().values()) == 3
    run.batch(4)
    run.end()
    assert sum(shipped().values()) == 4
    counted = rollups()
    rebuild()
    assert rollups() == counted


def test_a_card_registered_while_its_unit_waits_counts_once(api, world):
    """A unit pending (its batch committed, not folded) sold meanwhile: the card's commit counts
    the sale (the shipment is in the table), the fold adds the unit shipped, once."""
    run = Import(world)
    run.batch(1, 2)
    register(api(world.clerk_a1), card_body(world, 1, purchase_date=ago(3).isoformat()))
    run.end()
    key = (world.region_a.id, world.partner.id, world.product.id, monday(ago(40)))
    assert rollups()["channel_cohorts"] == {key: (2, 1)}
    counted = rollups()
    rebuild()
    assert rollups() == counted


def test_a_fold_groups_each_day_into_its_weeks_monday():
    """The fold's week in SQL (date arithmetic from a Monday, 2000-01-03) is `week_of`'s Monday,
    on every day of the week and before 2000 too."""
    if not postgresql():
        pytest.skip("the fold's SQL: PostgreSQL")
    from datetime import date, timedelta

    from backend.channel.rollup import _UNITS_OF
    from backend.core.sql import array_text
    from backend.sellout.rules import week_start as week_of

    days = [date(1999, 12, 20) + timedelta(days=i) for i in range(21)] + [date(2026, 12, 5), date(1970, 1, 1)]
    source = "1, CAST(NULL AS integer), 1, unnest(CAST(:days AS date[]))"
    sql = f"WITH {_UNITS_OF.format(source=source)} SELECT week, sum(n) FROM units GROUP BY week"

    weeks = dict(db.session.execute(text(sql), {"days": array_text(days)}).all())
    expected: dict = {}
    for day in days:
        expected[week_of(day)] = expected.get(week_of(day), 0) + 1
    assert weeks == expected
