"""The channel's CSV exports: cells written as the PWA's csv.js writes them, IMEIs kept as text,
the aging units one row per IMEI by scope and filters (hand-counted), headers in the requester's
language, and a big export streamed in chunks rather than built in memory."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from backend.catalogue.models import Product
from backend.channel import export
from backend.channel.figures import business_today, week_of
from backend.channel.models import NO_PARTNER, ChannelCohort
from backend.extensions import db
from backend.warranty.models import Shipment, ShipmentImport, WarrantyCard
from tests.factories import N10_TAC, P30_TAC
from tests.factories import imei as make_imei
from tests.warranty.helpers import card_body, register

AGING = "/api/v1/channel/aging.csv"
STOCK = "/api/v1/channel/stock.csv"


# --- cells ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (0, "0"),
        (42, "42"),
        (-3, "-3"),  # a number is never prefixed
        (2.5, "2.5"),
        (float("nan"), ""),
        (True, "true"),
        (date(2026, 5, 4), "2026-05-04"),
        ("广东大区", "广东大区"),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("line\nbreak", '"line\nbreak"'),
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),  # CSV injection: never a formula
        ("+86 138", "'+86 138"),
        ("@SUM", "'@SUM"),
        ("-5", "-5"),  # a signed number as text stays as it is (csv.js)
        (export.TextCell("860123456789014"), '"=""860123456789014"""'),
        (export.TextCell("not digits"), "not digits"),
    ],
)
def test_cells_as_csv_js_writes_them(value, text):
    assert export.csv_cell(value) == text


def test_an_imei_cell_reads_back_as_a_text_formula_of_its_digits():
    line = export.csv_line([export.TextCell("860123456789014"), 3])
    assert line.endswith("\r\n")
    [row] = list(csv.reader(io.StringIO(line)))
    assert row == ['="860123456789014"', "3"]


def test_a_repeated_cell_is_written_as_its_own_value_says():
    """`lines` reuses the previous row's text of a column whose value repeats: only when the value
    and its type are the same (1, True and 1.0 are equal in Python, not in a CSV; "=1" as text is
    not 1; an IMEI as a TextCell is not the same digits as plain text)."""
    columns = [export.Column("v", "值", "Value")]
    values = [1, 1, True, 1.0, "1", export.TextCell("860123456789014"), "860123456789014", "=1", "=1", None, 0]
    text = "".join(export.lines(columns, ({"v": v} for v in values), "en"))
    body = text.removeprefix(export.BOM).split("\r\n")
    assert body[0] == "Value"
    assert body[1:-1] == [export.csv_cell(v) for v in values]
    imei = '"=""860123456789014"""'
    assert body[1:-1] == ["1", "1", "true", "1.0", "1", imei, "860123456789014", "'=1", "'=1", "", "0"]


# --- the aging units --------------------------------------------------------------------------------


def _import(world) -> int:
    imp = ShipmentImport(filename="s.csv", path="/nonexistent", sha256="0" * 64, total_bytes=1, created_by=world.hq.id)
    db.session.add(imp)
    db.session.commit()
    return imp.id


def ship(import_id, imeis, product, region, partner, days_ago) -> None:
    """Units shipped `days_ago` days before today (the business day), as the import loader inserts them."""
    day = business_today() - timedelta(days=days_ago)
    rows = [
        {
            "imei": imei,
            "product_id": product.id,
            "ship_date": day,
            "region_id": region.id,
            "partner_id": partner.id if partner is not None else None,
            "import_id": import_id,
            "line": i + 2,
        }
        for i, imei in enumerate(imeis)
    ]
    db.session.execute(insert(Shipment), rows)
    db.session.commit()


def ensure_cohorts() -> None:
    """The cohort rollup from the raw rows, unless the rollup (helper B1's increments) kept it."""
    if db.session.scalar(select(func.count()).select_from(ChannelCohort)):
        return
    live = {imei for (imei,) in db.session.execute(select(WarrantyCard.imei).where(WarrantyCard.voided_at.is_(None)))}
    cohorts: dict[tuple, list[int]] = {}
    for s in db.session.scalars(select(Shipment)):
        key = (s.region_id, s.partner_id or NO_PARTNER, s.product_id, week_of(s.ship_date))
        counts = cohorts.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += s.imei in live
    for (region, partner, product, ship_week), (shipped, sold) in cohorts.items():
        db.session.add(
            ChannelCohort(
                region_id=region,
                partner_id=partner,
                product_id=product,
                ship_week=ship_week,
                shipped=shipped,
                sold=sold,
            )
        )
    db.session.commit()


def last_aging_week(days: int) -> date:
    """The latest ship week that is aging for a model aging after `days` days: its Sunday is more
    than `days` days ago (the aging screen's rule)."""
    return week_of(business_today() - timedelta(days=days + 7))


@pytest.fixture
def aging(api, world):
    """Region GD, P30 (aging after the default 90 days; L = its last aging week): 5 units shipped to
    苏宁 two weeks before L, 2 of them sold (3 aging); 4 to no partner on L's Sunday (aging); 3 on
    the Monday after (not aging, though older than 90 days); 2 to 苏宁 30 days ago (not). N10
    (aging after 30 days): 2 units on the Monday of its last aging week (aging). Region GX: 6 P30
    shipped 200 days ago (aging). HQ: 3 + 4 + 2 + 6 = 15 aging units."""
    n10 = Product(model_code="XL-N10", name="星澜 N10", tac_codes=[N10_TAC], aging_days=30)
    db.session.add(n10)
    db.session.commit()
    p30, ra, rb, sn = world.product, world.region_a, world.region_b, world.partner
    today = business_today()
    last = last_aging_week(90)
    imp = _import(world)
    old = [make_imei(P30_TAC, i) for i in range(1, 6)]
    ship(imp, old, p30, ra, sn, (today - (last - timedelta(weeks=2))).days)
    ship(imp, [make_imei(P30_TAC, i) for i in range(10, 14)], p30, ra, None, (today - (last + timedelta(days=6))).days)
    ship(imp, [make_imei(P30_TAC, i) for i in range(20, 23)], p30, ra, None, (today - (last + timedelta(days=7))).days)
    ship(imp, [make_imei(P30_TAC, i) for i in range(30, 32)], p30, ra, sn, 30)
    ship(imp, [make_imei(N10_TAC, i) for i in range(40, 42)], n10, ra, None, (today - last_aging_week(30)).days)
    ship(imp, [make_imei(P30_TAC, i) for i in range(50, 56)], p30, rb, None, 200)
    clerk = api(world.clerk_a1)
    for serial in (1, 2):  # two of the oldest sold
        register(clerk, card_body(world, serial))
    ensure_cohorts()
    return {"n10": n10, "old_unsold": old[2:], "last": last}


def rows_of(r) -> tuple[list[str], list[dict]]:
    assert r.status_code == 200, r.data[:500]
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def test_aging_units_one_row_per_imei(api, world, aging):
    r = api(world.hq).get(AGING)
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = business_today()
    assert r.headers["Content-Disposition"] == f'attachment; filename="channel-aging-{today.isoformat()}.csv"'
    header, rows = rows_of(r)
    assert header == [c.en for c in export.AGING_COLUMNS]
    assert len(rows) == 15
    imeis = [row["IMEI"] for row in rows]
    assert all(i.startswith('="') and i.endswith('"') and len(i) == 18 and i[2:-1].isdigit() for i in imeis)
    gd_sn = [row for row in rows if row["Partner ID"] == str(world.partner.id)]
    assert sorted(row["IMEI"][2:-1] for row in gd_sn) == sorted(aging["old_unsold"])  # the 2 sold are not listed
    first = gd_sn[0]
    assert first["Region"] == "广东大区" and first["Partner"] == "苏宁易购" and first["Model"] == "XL-P30"
    shipped_on = aging["last"] - timedelta(weeks=2)
    assert first["Ship date"] == shipped_on.isoformat()
    assert (first["Age (days)"], first["Aging after (days)"]) == (str((today - shipped_on).days), "90")
    sunday = [row for row in rows if row["Ship date"] == (aging["last"] + timedelta(days=6)).isoformat()]
    assert len(sunday) == 4 and int(sunday[0]["Age (days)"]) > 90
    n10_rows = [row for row in rows if row["Model"] == "XL-N10"]
    n10_age = str((today - last_aging_week(30)).days)
    assert [(row["Age (days)"], row["Aging after (days)"], row["Partner ID"]) for row in n10_rows] == [
        (n10_age, "30", "0"),
        (n10_age, "30", "0"),
    ]
    assert all(int(row["Age (days)"]) > int(row["Aging after (days)"]) for row in rows)
    # The screen's aging cohorts count exactly these units.
    screen = api(world.hq).get("/api/v1/channel/aging", query_string={"page_size": 100})
    assert screen.status_code == 200, screen.json
    assert sum(c["unsold"] for c in screen.json) == 15


def test_aging_scope_and_filters(api, world, aging):
    def count(user, **params):
        return len(rows_of(api(user).get(AGING, query_string=params))[1])

    assert count(world.manager_a) == 9
    assert count(world.manager_b) == 6
    assert count(world.hq, region_id=world.region_b.id) == 6
    assert count(world.hq, region_id=world.region_a.id, partner_id=world.partner.id) == 3
    assert count(world.hq, region_id=world.region_a.id, partner_id=NO_PARTNER) == 6  # 4 P30 + 2 N10
    assert count(world.hq, product_id=aging["n10"].id) == 2
    r = api(world.manager_b).get(AGING, query_string={"region_id": world.region_a.id})
    assert r.status_code == 404 and r.json["reason"] == "region.not_found"
    r = api(world.hq).get(AGING, query_string={"region_id": 999999})
    assert r.status_code == 404 and r.json["reason"] == "region.not_found"
    for user in (world.rep_a1, world.clerk_a1):
        r = api(user).get(AGING)
        assert r.status_code == 403 and r.json["reason"] == "role.forbidden", user.username
    assert api(world.hq).get(AGING, query_string={"lang": "fr"}).status_code == 422


def test_stock_csv_is_the_stock_table(api, world, aging):
    hq = api(world.hq)
    for group in ("region", "partner"):
        table = hq.get("/api/v1/channel/stock", query_string={"group": group})
        assert table.status_code == 200, table.json
        r = hq.get(STOCK, query_string={"group": group})
        assert r.headers["Content-Disposition"].startswith('attachment; filename="channel-stock-')
        header, rows = rows_of(r)
        assert header == [c.en for c in export.STOCK_COLUMNS]
        assert len(rows) == len(table.json) > 0
        for row, want in zip(rows, table.json, strict=True):
            for column in export.STOCK_COLUMNS:
                value = want[column.key]
                assert row[column.en] == ("" if value is None else str(value)), (column.key, row, want)
    # By hand, region GD, P30: 5 + 4 + 3 + 2 = 14 shipped, 2 sold, 12 in stock, 7 of them aging.
    header, rows = rows_of(hq.get(STOCK, query_string={"region_id": world.region_a.id, "product_id": world.product.id}))
    [gd] = rows
    assert (gd["Shipped"], gd["Sold"], gd["Channel stock"], gd["Aging units"]) == ("14", "2", "12", "7")
    _, rows = rows_of(api(world.manager_b).get(STOCK))
    assert {row["Region"] for row in rows} == {"广西大区"}
    assert api(world.rep_a1).get(STOCK).status_code == 403
    r = api(world.manager_a).get(STOCK, query_string={"region_id": world.region_b.id})
    assert r.status_code == 404 and r.json["reason"] == "region.not_found"
    assert hq.get(STOCK, query_string={"group": "store"}).status_code == 422
    zh, _ = rows_of(hq.get(STOCK, query_string={"lang": "zh-CN"}))
    assert zh[:3] == ["大区ID", "大区", "渠道商ID"]


def test_headers_in_the_requesters_language(api, world):
    hq = api(world.hq)
    zh = [c.zh for c in export.AGING_COLUMNS]
    en = [c.en for c in export.AGING_COLUMNS]
    assert rows_of(hq.get(AGING, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}))[0] == zh
    assert rows_of(hq.get(AGING, headers={"Accept-Language": "zh-TW"}))[0] == zh  # any Chinese: the zh-CN words
    assert rows_of(hq.get(AGING, headers={"Accept-Language": "fr-FR,de;q=0.8"}))[0] == en
    assert rows_of(hq.get(AGING, headers={"Accept-Language": "zh"}))[0] == zh
    assert rows_of(hq.get(AGING, query_string={"lang": "en"}, headers={"Accept-Language": "zh-CN"}))[0] == en
    assert rows_of(hq.get(AGING, query_string={"lang": "zh-CN"}))[0] == zh
    assert rows_of(hq.get(AGING))[0] == en
    assert rows_of(hq.get(AGING)) == (en, [])  # nothing aging: the header only


def test_a_big_export_streams(api, world):
    imp = _import(world)
    units = 3000
    for start in range(0, units, 1000):
        ship(
            imp,
            [make_imei(P30_TAC, 100_000 + i) for i in range(start, start + 1000)],
            world.product,
            world.region_a,
            world.partner,
            200,
        )
    ensure_cohorts()
    r = api(world.hq).get(AGING, buffered=False)
    assert r.status_code == 200
    assert r.is_streamed
    chunks = list(r.response)
    assert len(chunks) > 3  # ~90 bytes a row, written out every 64 KB: never one string of the whole file
    assert all(len(c) < 2 * export.CHUNK_CHARS * 4 for c in chunks)
    text = b"".join(chunks).decode("utf-8")
    lines = text.split("\r\n")
    assert lines[-1] == "" and len(lines) == units + 2  # header, rows, the last CRLF
    assert sum(1 for line in lines if line.startswith('"=""86')) == units
