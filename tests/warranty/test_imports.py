"""Shipment imports: HQ uploads a CSV, a background job loads it in batches, bad rows are reported
by line with the reason, a re-import changes nothing, and the file-level failures say why.

Without REDIS_URL the job runs in-process before the upload answers; with it, the `rq_worker`
fixture runs a real worker and `wait_import` polls, so the tests pass in both setups. Tests that
change the job's configuration (batch size, errors kept) run it in-process on purpose: the worker
process has its own configuration.
"""

from __future__ import annotations

import hashlib
import io
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from backend.extensions import db
from backend.warranty.models import Shipment, ShipmentImport
from tests.factories import N10_TAC, imei
from tests.warranty.helpers import (
    IMPORTS,
    csv_bytes,
    days_ago,
    import_errors,
    make_product,
    run_import,
    shipment_row,
    today,
    upload,
    wait_import,
    with_redis,
)

pytestmark = pytest.mark.usefixtures("rq_worker")

CHECK_DIGIT = "imei: The IMEI's check digit is wrong: a digit was mistyped or two were swapped."


def shipments() -> dict[str, tuple]:
    db.session.rollback()
    return {
        s.imei: (s.product_id, s.ship_date, s.region_id, s.partner_id, s.import_id, s.line)
        for s in db.session.scalars(select(Shipment))
    }


def wrong_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def saved_files(app) -> set[Path]:
    return set(Path(app.config["IMPORT_DIR"]).glob("*"))


@pytest.fixture
def in_process(app, monkeypatch):
    """Run import jobs in this process, so that configuration changed by the test applies."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    return monkeypatch


# --- rows -------------------------------------------------------------------------------------------


def test_good_rows_are_loaded_and_bad_ones_reported_by_line_with_the_reason(api, world):
    n10 = make_product("XL-N10", (N10_TAC,))
    future = (today() + timedelta(days=1)).isoformat()
    lines = [
        shipment_row(imei(serial=1), ship_date="2026-10-01"),  # 2
        shipment_row(wrong_check_digit(imei(serial=2))),  # 3
        shipment_row(imei(serial=3), model="XL-Q99"),  # 4
        shipment_row(imei(N10_TAC, 4)),  # 5: an XL-N10 sent as an XL-P30
        shipment_row(imei(serial=5), ship_date="2026-13-01"),  # 6
        shipment_row(imei(serial=6), ship_date=future),  # 7
        shipment_row(imei(serial=7), region="ZZ"),  # 8
        shipment_row(imei(serial=8), partner="NOPE"),  # 9
        f"{imei(serial=9)},XL-P30,2026-10-01",  # 10: too few columns
        "",  # 11: blank lines are skipped
        shipment_row(imei(serial=10), partner=""),  # 12: no partner is fine
        shipment_row(imei(serial=1), ship_date="2026-10-01", region="GX"),  # 13: line 2's unit elsewhere
        shipment_row(imei(serial=1), ship_date="2026-10-01"),  # 14: line 2 again
        shipment_row(imei(serial=11), ship_date="2026/10/02"),  # 15
        shipment_row(imei(N10_TAC, 12), model="xl-n10", region="gx", partner="sn"),  # 16: codes in any case
        "   ,  , ",  # 17: blank too
    ]
    hq = api(world.hq)
    data = csv_bytes(*lines)
    imp = run_import(hq, data, "发货 2026-10.csv")
    assert imp["status"] == "done" and imp["error"] == ""
    assert imp["filename"] == "发货 2026-10.csv"
    assert (imp["rows_read"], imp["rows_loaded"], imp["rows_unchanged"], imp["rows_bad"]) == (14, 4, 1, 9)
    assert import_errors(hq, imp["id"]) == [
        (3, CHECK_DIGIT),
        (4, "model: unknown model code 'XL-Q99'."),
        (5, f"imei: IMEI {imei(N10_TAC, 4)} is not a XL-P30 (TAC {N10_TAC})."),
        (6, "ship_date: '2026-13-01' is not a date (YYYY-MM-DD)."),
        (7, f"ship_date: {future} is in the future."),
        (8, "region: unknown region code 'ZZ'."),
        (9, "partner: unknown partner code 'NOPE'."),
        (10, "Expected 5 columns, found 3."),
        (13, f"IMEI {imei(serial=1)} is on line 2 too, with other details."),
    ]
    errors = hq.get(f"{IMPORTS}/{imp['id']}/errors").json
    # Each row's reason also as a code and its params (the HQ screen says it in its language).
    assert [(e["code"], e["params"]) for e in errors] == [
        ("imei.check_digit", {}),
        ("import.unknown_model", {"model": "XL-Q99"}),
        ("import.imei_not_model", {"imei": imei(N10_TAC, 4), "model": "XL-P30", "tac": N10_TAC}),
        ("import.bad_date", {"value": "2026-13-01"}),
        ("import.future_date", {"date": future}),
        ("import.unknown_region", {"region": "ZZ"}),
        ("import.unknown_partner", {"partner": "NOPE"}),
        ("import.column_count", {"expected": 5, "found": 3}),
        ("import.duplicate_in_file", {"imei": imei(serial=1), "first_line": 2}),
    ]
    assert errors[0]["raw"] == lines[1]
    p30, gd, gx, sn = world.product.id, world.region_a.id, world.region_b.id, world.partner.id
    assert shipments() == {
        imei(serial=1): (p30, date(2026, 10, 1), gd, sn, imp["id"], 2),
        imei(serial=10): (p30, date.fromisoformat(days_ago(30)), gd, None, imp["id"], 12),
        imei(serial=11): (p30, date(2026, 10, 2), gd, sn, imp["id"], 15),
        imei(N10_TAC, 12): (n10.id, date.fromisoformat(days_ago(30)), gx, sn, imp["id"], 16),
    }


def test_the_shipments_are_listed_for_hq_by_imei(api, world):
    hq = api(world.hq)
    first = run_import(hq, csv_bytes(shipment_row(imei(serial=2)), shipment_row(imei(serial=1), region="GX")))
    second = run_import(hq, csv_bytes(shipment_row(imei(serial=3))))
    listed = hq.get("/api/v1/shipments").json
    assert [s["imei"] for s in listed] == [imei(serial=1), imei(serial=2), imei(serial=3)]
    assert listed[0] == {
        "imei": imei(serial=1),
        "product_id": world.product.id,
        "ship_date": days_ago(30),
        "region_id": world.region_b.id,
        "partner_id": world.partner.id,
        "import_id": first["id"],
        "line": 3,
    }
    by = {
        "imei": (imei(serial=2), [imei(serial=2)]),
        "region_id": (world.region_b.id, [imei(serial=1)]),
        "import_id": (second["id"], [imei(serial=3)]),
        "partner_id": (world.partner.id, [imei(serial=1), imei(serial=2), imei(serial=3)]),
    }
    for name, (value, expected) in by.items():
        assert [s["imei"] for s in hq.get("/api/v1/shipments", query_string={name: value}).json] == expected


def test_chinese_headers_as_logistics_exports_them_with_an_excel_bom(api, world):
    data = "\ufeff串号,机型,发货日期,目的大区,渠道商\r\n".encode() + f"{shipment_row(imei(serial=1))}\r\n".encode()
    imp = run_import(api(world.hq), data)
    assert imp["status"] == "done", imp
    assert (imp["rows_read"], imp["rows_loaded"], imp["rows_bad"]) == (1, 1, 0)
    assert list(shipments()) == [imei(serial=1)]


def test_columns_in_any_order_extra_columns_ignored(api, world):
    data = csv_bytes(
        f"备注,GX,{days_ago(5)},XL-P30,{imei(serial=1)}",
        header="remark,Region,Ship_Date,Model,IMEI",
    )
    imp = run_import(api(world.hq), data)
    assert (imp["status"], imp["rows_loaded"]) == ("done", 1)
    [(product, shipped, region, partner, _imp, line)] = shipments().values()
    assert (shipped, region, partner, line) == (date.fromisoformat(days_ago(5)), world.region_b.id, None, 2)


def test_a_unit_shipped_by_an_earlier_import_is_never_overwritten(api, world):
    hq = api(world.hq)
    first = run_import(hq, csv_bytes(shipment_row(imei(serial=1), region="GD")))
    before = shipments()
    second = run_import(hq, csv_bytes(shipment_row(imei(serial=2)), shipment_row(imei(serial=1), region="GX")))
    assert (second["rows_loaded"], second["rows_bad"]) == (1, 1)
    assert import_errors(hq, second["id"]) == [
        (
            3,
            f"IMEI {imei(serial=1)} was already shipped on {days_ago(30)} (import {first['id']}, line 2) "
            "with other details; not overwritten.",
        )
    ]
    assert shipments()[imei(serial=1)] == before[imei(serial=1)]


# --- the file --------------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(api, world):
    hq = api(world.hq)
    data = csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 6)), shipment_row(imei(serial=99), region="ZZ"))
    first = run_import(hq, data)
    loaded = shipments()
    assert (first["rows_loaded"], first["rows_bad"], first["duplicate_of"]) == (5, 1, None)
    second = run_import(hq, data, "again.csv")
    assert second["id"] != first["id"] and second["status"] == "done"
    assert second["duplicate_of"] == first["id"] and second["sha256"] == first["sha256"]
    assert (second["rows_read"], second["rows_loaded"], second["rows_unchanged"], second["rows_bad"]) == (6, 0, 5, 1)
    assert second["flags_raised"] == 0
    assert shipments() == loaded  # same rows, still pointing at the first import
    assert import_errors(hq, second["id"]) == [(7, "region: unknown region code 'ZZ'.")]


def test_progress_and_counts_of_a_finished_import(api, world):
    hq = api(world.hq)
    data = csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 4)))
    imp = run_import(hq, data)
    assert imp["total_bytes"] == imp["processed_bytes"] == len(data)
    assert imp["progress"] == 1.0
    assert imp["sha256"] == hashlib.sha256(data).hexdigest()
    assert imp["created_by"] == world.hq.id
    assert imp["created_at"] <= imp["started_at"] <= imp["finished_at"]
    listed = hq.get(IMPORTS).json
    assert [i["id"] for i in listed] == [imp["id"]] and listed[0] == imp


def test_a_csv_body_is_accepted_as_well_as_a_form(api, world):
    hq = api(world.hq)
    data = csv_bytes(shipment_row(imei(serial=1)))
    r = hq.post(f"{IMPORTS}?filename=direct.csv", data=data, content_type="text/csv")
    assert r.status_code == 202, r.json
    imp = wait_import(hq, r.json["id"])
    assert (imp["filename"], imp["status"], imp["rows_loaded"], imp["total_bytes"]) == (
        "direct.csv",
        "done",
        1,
        len(data),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": b"", "content_type": "text/csv"},
        {"data": {"file": (io.BytesIO(b""), "empty.csv")}, "content_type": "multipart/form-data"},
    ],
    ids=["csv-body", "form"],
)
def test_an_empty_file_is_refused(api, world, app, kwargs):
    kept = saved_files(app)
    r = api(world.hq).post(IMPORTS, **kwargs)
    assert r.status_code == 422, r.json
    assert r.json["errors"] == {"json": {"file": ["The file is empty."]}}
    assert db.session.scalar(select(func.count()).select_from(ShipmentImport)) == 0
    assert saved_files(app) == kept  # nothing left behind


def test_an_upload_must_be_a_file(api, world):
    hq = api(world.hq)
    r = hq.post(IMPORTS, json={"rows": []})
    assert r.status_code == 422 and "file" in r.json["errors"]["json"]
    r = hq.post(IMPORTS, data={"other": "x"}, content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["message"] == "Send the CSV as the form field `file`."


def test_a_file_over_the_limit_is_refused_and_not_kept(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100)
    kept = saved_files(app)
    data = csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 10)))
    r = api(world.hq).post(IMPORTS, data=data, content_type="text/csv")
    assert r.status_code == 413, r.json
    assert db.session.scalar(select(func.count()).select_from(ShipmentImport)) == 0
    assert saved_files(app) == kept


def test_a_header_missing_required_columns_fails_the_import_with_a_clear_error(api, world):
    hq = api(world.hq)
    imp = run_import(hq, csv_bytes(f"{imei(serial=1)},XL-P30,GD", header="imei,model,region"))
    assert imp["status"] == "failed"
    assert imp["error"] == (
        "The first line must name the columns; missing: ship_date (expected imei, model, ship_date, region, partner)."
    )
    assert (imp["rows_read"], imp["rows_loaded"]) == (0, 0)
    assert shipments() == {}
    # A file whose first line is data, not names, says the same about every column.
    imp = run_import(hq, csv_bytes(shipment_row(imei(serial=1)), header=shipment_row(imei(serial=2))))
    assert imp["status"] == "failed" and "missing: imei, model, ship_date, region" in imp["error"]


def test_a_gbk_file_loads(api, world):
    """GBK is what Excel saves a CSV as on a Chinese Windows: read as GB18030 (its superset)."""
    data = csv_bytes(shipment_row(imei(serial=1)), header="串号,机型,发货日期,大区,渠道商", encoding="gbk")
    imp = run_import(api(world.hq), data)
    assert (imp["status"], imp["rows_loaded"], imp["rows_bad"]) == ("done", 1, 0), imp
    assert set(shipments()) == {imei(serial=1)}


def test_a_file_that_is_neither_utf8_nor_gbk_fails_with_a_clear_error(api, world):
    data = csv_bytes(shipment_row(imei(serial=1))) + b"\xff\xfe\xff,XL-P30\n"
    imp = run_import(api(world.hq), data)
    assert imp["status"] == "failed"
    assert imp["error"] == "Line 3 is neither UTF-8 nor GBK text: save the CSV as UTF-8."
    assert (imp["error_code"], imp["error_params"]) == ("import.undecodable_line", {"line": 3})
    assert shipments() == {}


def test_a_line_that_is_not_utf8_far_into_the_file_is_named(api, world):
    """Past the first chunks the decoder reads: the error names the line, and the batches before it
    stay loaded (a re-import of the fixed file then loads the rest)."""
    rows = [shipment_row(imei(serial=i)) for i in range(1, 1201)]
    rows[999] = shipment_row(imei(serial=1000), partner="苏宁")  # line 1001
    # A UTF-8 header (Chinese names) and one GBK line: a mixed file, refused rather than half garbled.
    data = csv_bytes(*rows, header="串号,机型,发货日期,大区,渠道商").replace("苏宁".encode(), "苏宁".encode("gbk"))
    imp = run_import(api(world.hq), data)
    assert imp["status"] == "failed"
    assert imp["error"] == "Line 1001 is not UTF-8 text: save the CSV as UTF-8."
    assert (imp["error_code"], imp["error_params"]) == ("import.not_utf8_line", {"line": 1001})


def test_the_job_is_idempotent(api, world, app):
    """An RQ retry of a finished import does nothing; a rerun of a failed one starts over."""
    from backend.warranty.imports import run_import as job

    hq = api(world.hq)
    imp = run_import(hq, csv_bytes(shipment_row(imei(serial=1)), shipment_row(imei(serial=2), region="ZZ")))
    job(imp["id"])
    db.session.rollback()
    assert hq.get(f"{IMPORTS}/{imp['id']}").json == imp
    failed = run_import(hq, csv_bytes(shipment_row(imei(serial=3)), header="imei,model"))
    assert failed["status"] == "failed"
    job(failed["id"])
    db.session.rollback()
    again = hq.get(f"{IMPORTS}/{failed['id']}").json
    assert again["status"] == "failed" and again["error"] == failed["error"]
    assert len(import_errors(hq, imp["id"])) == 1


# --- batches ----------------------------------------------------------------------------------------


def import_snapshots() -> list[tuple]:
    """(status, rows_read, rows_loaded, rows_unchanged, rows_bad, processed_bytes) of the import at
    each commit, taken as the commit starts."""
    seen: list[tuple] = []

    def before_commit(session):
        for obj in list(session.identity_map.values()):
            if isinstance(obj, ShipmentImport) and obj.status == "running":
                seen.append((obj.rows_read, obj.rows_loaded, obj.rows_unchanged, obj.rows_bad, obj.processed_bytes))

    event.listen(db.session(), "before_commit", before_commit)
    return seen


@pytest.mark.parametrize("read_ahead", [True, False], ids=["read ahead", "in turn"])
def test_a_file_is_loaded_in_batches_each_committed_with_its_progress(api, world, app, in_process, read_ahead):
    in_process.setitem(app.config, "IMPORT_BATCH_ROWS", 7)
    in_process.setitem(app.config, "IMPORT_READ_AHEAD", read_ahead)
    s3_elsewhere = shipment_row(imei(serial=3), region="GX")
    lines = [
        *(shipment_row(imei(serial=i)) for i in (1, 2, 3)),  # 2-4
        shipment_row(wrong_check_digit(imei(serial=50))),  # 5
        *(shipment_row(imei(serial=i)) for i in (4, 5, 6, 7)),  # 6-9: batch 1 is full (7 rows)
        *(shipment_row(imei(serial=i)) for i in (8, 9)),  # 10-11
        shipment_row(imei(serial=10), region="ZZ"),  # 12
        s3_elsewhere,  # 13: line 4's unit, loaded by batch 1, with other details
        shipment_row(imei(serial=3)),  # 14: line 4 again
        *(shipment_row(imei(serial=i)) for i in (11, 12, 13)),  # 15-17: batch 2 is full
        *(shipment_row(imei(serial=i)) for i in (14, 15)),  # 18-19
        shipment_row(imei(serial=14), ship_date=days_ago(2)),  # 20: line 18's unit, in the same batch
        shipment_row(imei(serial=16)),  # 21
    ]
    hq = api(world.hq)
    seen = import_snapshots()
    imp = upload(hq, csv_bytes(*lines))
    assert imp["status"] == "done"  # in-process: the job ran before the answer
    size = imp["total_bytes"]
    # The start, then one commit per batch: counts as of the batch's end.
    assert [s[:4] for s in seen] == [(0, 0, 0, 0), (8, 7, 0, 1), (16, 12, 1, 3), (20, 15, 1, 4)]
    assert [s[4] for s in seen] == sorted(s[4] for s in seen) and seen[-1][4] == size
    assert (imp["rows_read"], imp["rows_loaded"], imp["rows_unchanged"], imp["rows_bad"]) == (20, 15, 1, 4)
    import_id = imp["id"]
    assert import_errors(hq, import_id) == [
        (5, CHECK_DIGIT),
        (12, "region: unknown region code 'ZZ'."),
        (
            13,
            f"IMEI {imei(serial=3)} was already shipped on {days_ago(30)} (import {import_id}, line 4) "
            "with other details; not overwritten.",
        ),
        (20, f"IMEI {imei(serial=14)} is on line 18 too, with other details."),
    ]
    assert sorted(shipments()) == sorted(imei(serial=i) for i in range(1, 17) if i != 10)


def test_the_next_batch_is_read_and_checked_while_this_one_loads(api, world, app, in_process):
    """IMPORT_READ_AHEAD: while a batch's statements run, a thread of its own reads the next
    batch's rows, so that neither the database nor the Python process waits for the other."""
    import threading

    from backend.warranty import imports

    in_process.setitem(app.config, "IMPORT_BATCH_ROWS", 5)
    parse, load = imports._Loader.parse, imports._Loader.load
    parsed: list[str] = []
    next_batch_read = threading.Event()
    seen_while_loading = []

    def parse_and_note(self, row, cols):
        values = parse(self, row, cols)
        parsed.append(threading.current_thread().name)
        if len(parsed) > 5:
            next_batch_read.set()
        return values

    def load_once_the_next_batch_is_read(self, batch):
        if not seen_while_loading:  # the first batch waits (at most 10 s) for the second one's rows
            seen_while_loading.append(next_batch_read.wait(10))
        return load(self, batch)

    in_process.setattr(imports._Loader, "parse", parse_and_note)
    in_process.setattr(imports._Loader, "load", load_once_the_next_batch_is_read)
    imp = upload(api(world.hq), csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 13))))
    assert (imp["status"], imp["rows_loaded"]) == ("done", 12), imp
    assert seen_while_loading == [True]
    assert len(parsed) == 12 and all(name.startswith("import-read") for name in parsed), parsed
    assert sorted(shipments()) == sorted(imei(serial=i) for i in range(1, 13))


@pytest.mark.parametrize("read_ahead", [True, False], ids=["read ahead", "in turn"])
def test_a_malformed_row_fails_the_import_after_the_batches_before_it_loaded(api, world, app, in_process, read_ahead):
    """The reader's error (here a field beyond the csv module's limit) ends the import where its
    batch would have been loaded, also when it was met a batch ahead: the batches before it stay."""
    in_process.setitem(app.config, "IMPORT_BATCH_ROWS", 2)
    in_process.setitem(app.config, "IMPORT_READ_AHEAD", read_ahead)
    rows = [shipment_row(imei(serial=i)) for i in range(1, 8)]
    rows[5] = shipment_row(imei(serial=6), partner='"' + "x" * 200_000 + '"')  # line 7
    imp = run_import(api(world.hq), csv_bytes(*rows))
    assert imp["status"] == "failed", imp
    assert (imp["error_code"], imp["error_params"]) == ("import.malformed_csv", {"line": 7}), imp
    assert (imp["rows_read"], imp["rows_loaded"]) == (4, 4)
    assert sorted(shipments()) == sorted(imei(serial=i) for i in range(1, 5))


def test_progress_is_committed_while_a_large_file_loads(api, world, app, in_process):
    in_process.setitem(app.config, "IMPORT_BATCH_ROWS", 100)
    data = csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 1001)))
    seen = import_snapshots()
    imp = upload(api(world.hq), data)
    assert imp["rows_loaded"] == 1000
    batches = seen[1:]
    assert sorted({s[0] for s in batches}) == list(range(100, 1001, 100))
    progress = [s[4] for s in batches]
    assert progress == sorted(progress) and progress[0] < len(data) // 2 and progress[-1] == len(data)


def test_only_so_many_bad_rows_are_kept_but_all_are_counted(api, world, app, in_process):
    in_process.setitem(app.config, "IMPORT_MAX_ERRORS_KEPT", 3)
    data = csv_bytes(*(shipment_row(imei(serial=i), region="ZZ") for i in range(1, 11)), shipment_row(imei(serial=11)))
    hq = api(world.hq)
    imp = upload(hq, data)
    assert (imp["rows_bad"], imp["rows_loaded"]) == (10, 1)
    assert [line for line, _reason in import_errors(hq, imp["id"])] == [2, 3, 4]


# --- the queue --------------------------------------------------------------------------------------


@pytest.mark.skipif(with_redis, reason="in-process mode only")
def test_without_redis_the_import_has_run_when_the_upload_answers(api, world):
    imp = upload(api(world.hq), csv_bytes(shipment_row(imei(serial=1))))
    assert (imp["status"], imp["rows_loaded"], imp["progress"]) == ("done", 1, 1.0)


@pytest.mark.skipif(not with_redis, reason="needs REDIS_URL (run by .ci/run)")
def test_with_redis_the_import_is_a_job_of_the_rq_worker(api, world, app):
    import os

    from redis import Redis
    from rq import Queue
    from rq.job import Job

    queue = Queue(os.environ["RQ_QUEUE"], connection=Redis.from_url(os.environ["REDIS_URL"]))
    earlier = set(queue.finished_job_registry.get_job_ids())
    hq = api(world.hq)
    data = csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 50)))
    answered = upload(hq, data)
    assert answered["status"] in ("queued", "running", "done")
    imp = wait_import(hq, answered["id"])
    assert (imp["status"], imp["rows_loaded"], imp["processed_bytes"]) == ("done", 49, len(data))
    deadline = time.monotonic() + 10  # RQ files the job as finished just after it returns
    imports: list = []
    while not imports and time.monotonic() < deadline:
        new = set(queue.finished_job_registry.get_job_ids()) - earlier
        ran = [Job.fetch(i, connection=queue.connection) for i in new]
        # The jobs the import's commits ask for (the channel's cover check) may finish too.
        imports = [(j.func_name, j.args) for j in ran if j.func_name.endswith(".run_import")]
        time.sleep(0.05)
    assert imports == [("backend.warranty.imports.run_import", (imp["id"],))]


# --- robustness: bad bytes, interrupted attempts ---------------------------------------------------


def test_a_line_holding_a_nul_character_is_a_bad_row_and_the_rest_loads(api, world):
    hq = api(world.hq)
    lines = [
        shipment_row(imei(serial=1)),
        shipment_row(imei(serial=2)).replace(",GD,", ",G\0D,"),
        shipment_row(imei(serial=3)),
    ]
    imp = run_import(hq, csv_bytes(*lines))
    assert (imp["status"], imp["rows_read"], imp["rows_loaded"], imp["rows_bad"]) == ("done", 3, 2, 1), imp
    assert import_errors(hq, imp["id"]) == [(3, "The line holds a NUL character (\\0): it is not a row of text.")]
    assert sorted(shipments()) == [imei(serial=1), imei(serial=3)]


def test_an_interrupted_import_resumes_after_its_last_committed_batch(api, world, app, in_process):
    """An attempt cut short (here: the database call of the third batch fails) leaves the import
    running with two batches loaded; the outbox's next attempt loads the rest, each row once."""
    from backend.jobs import OutboxJob
    from backend.jobs.sweeper import sweep
    from backend.warranty import imports

    in_process.setitem(app.config, "IMPORT_BATCH_ROWS", 10)
    rows = [shipment_row(imei(serial=i)) for i in range(1, 46)]
    rows[14] = shipment_row(imei(serial=15), region="ZZ")  # line 16, a bad row in the second batch
    load, calls = imports._Loader.load, []

    def dies_on_the_third_batch(self, batch):
        calls.append(len(batch))
        if len(calls) == 3:
            raise ConnectionError("the database went away")
        return load(self, batch)

    in_process.setattr(imports._Loader, "load", dies_on_the_third_batch)
    hq = api(world.hq)
    imp = upload(hq, csv_bytes(*rows))
    assert (imp["status"], imp["rows_read"], imp["rows_loaded"], imp["rows_bad"]) == ("running", 21, 20, 1), imp
    assert "the database went away" in imp["error"]
    # The import's job (its committed batches also asked for the channel's weeks-of-cover check).
    (job,) = db.session.scalars(select(OutboxJob).where(OutboxJob.name.endswith(":run_import"))).all()
    assert (job.state, job.attempts) == ("pending", 1)

    in_process.setattr(imports._Loader, "load", load)
    job.next_attempt_at = job.created_at
    db.session.commit()
    sweep()
    imp = wait_import(hq, imp["id"])
    assert (imp["status"], imp["rows_read"], imp["rows_loaded"], imp["rows_unchanged"], imp["rows_bad"]) == (
        "done",
        45,
        44,
        0,
        1,
    )
    assert imp["error"] == "" and imp["processed_bytes"] == imp["total_bytes"]
    assert import_errors(hq, imp["id"]) == [(16, "region: unknown region code 'ZZ'.")]
    assert sorted(shipments()) == sorted(imei(serial=i) for i in range(1, 46) if i != 15)
    db.session.rollback()
    assert db.session.get(OutboxJob, job.id).attempts == 2


def test_an_import_out_of_attempts_is_failed_with_the_reason(api, world, app, in_process):
    from backend.warranty import imports

    in_process.setitem(app.config, "JOB_MAX_ATTEMPTS", 1)

    def broken(self, batch):
        raise ConnectionError("the database went away")

    in_process.setattr(imports._Loader, "load", broken)
    imp = upload(api(world.hq), csv_bytes(shipment_row(imei(serial=1))))
    assert imp["status"] == "failed"
    assert imp["error"] == "The import stopped: attempt 1: ConnectionError: the database went away"


def test_an_attempts_time_limit_grows_with_the_file(api, world, app):
    from backend.warranty.imports import _attempt_timeout

    imp = upload(api(world.hq), csv_bytes(shipment_row(imei(serial=1))))
    assert _attempt_timeout(imp["id"]) == app.config["JOB_TIMEOUT_SECONDS"]
    db.session.get(ShipmentImport, imp["id"]).total_bytes = 100_000_000  # ~1.6 M rows
    assert _attempt_timeout(imp["id"]) > 3600


def test_a_database_error_shows_hq_its_kind_never_the_sql_or_the_values(api, world, app, in_process):
    """An attempt cut short by a real database error (here a row naming no product: a foreign
    key violation) tells HQ what kind of error it was, not the statement and its parameters."""
    from sqlalchemy import insert

    from backend.warranty import imports

    in_process.setitem(app.config, "JOB_MAX_ATTEMPTS", 1)

    def refused_by_the_database(self, batch):
        db.session.execute(
            insert(Shipment).values(
                imei="860123459999994", product_id=999_999, ship_date=date(2026, 5, 1), region_id=world.region_a.id
            )
        )
        db.session.flush()

    in_process.setattr(imports._Loader, "load", refused_by_the_database)
    imp = upload(api(world.hq), csv_bytes(shipment_row(imei(serial=1))))
    assert imp["status"] == "failed", imp
    assert imp["error"].startswith("The import stopped: attempt 1: IntegrityError: ")
    for leaked in ("INSERT", "SQL", "parameters", "860123459999994", "999999"):
        assert leaked not in imp["error"], imp["error"]
