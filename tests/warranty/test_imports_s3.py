"""Shipment imports with IMPORT_STORAGE_URL on an S3-compatible bucket (the `s3_server` fixture:
moto's server in its own process): the web host moves the received file into the bucket, the job
loads it from there, a loaded file leaves the bucket, a failed one stays until housekeeping; no
host keeps a copy. Jobs run in this process (REDIS_URL off): the session's rq worker was started
with the session's configuration, not this test's bucket."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.warranty.imports import discard_old_import_files
from backend.warranty.models import ShipmentImport
from tests.conftest import S3_BUCKET
from tests.factories import imei
from tests.warranty.helpers import csv_bytes, run_import, shipment_row


@pytest.fixture
def bucket_prefix(app, monkeypatch, s3_server):
    prefix = f"imports-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(
        app.config, "IMPORT_STORAGE_URL", f"s3://{S3_BUCKET}/{prefix}?endpoint_url={s3_server}&region=us-east-1"
    )
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")

    def objects() -> list[str]:
        listed = client.list_objects_v2(Bucket=S3_BUCKET, Prefix=f"{prefix}/")
        return [o["Key"] for o in listed.get("Contents", [])]

    return objects


@pytest.fixture
def local_files(app):
    """The files this test added to IMPORT_DIR (earlier tests' failed imports keep theirs)."""
    before = set(Path(app.config["IMPORT_DIR"]).glob("*"))

    def added() -> list[Path]:
        return sorted(p for p in Path(app.config["IMPORT_DIR"]).glob("*") if p.is_file() and p not in before)

    return added


def test_an_import_is_loaded_from_the_bucket_and_leaves_it(app, world, bucket_prefix, local_files, monkeypatch):
    import io

    from backend.warranty import imports

    # Received: the file is in the bucket, not on this host (the job is held back to look).
    monkeypatch.setattr(imports, "run_ready_jobs", lambda: None)
    data = csv_bytes(shipment_row(imei(serial=1)), shipment_row(imei(serial=2), region="ZZ"))
    imp = imports.save_upload(world.hq, io.BytesIO(data), "shipments.csv")
    kept = bucket_prefix()
    assert len(kept) == 1 and kept[0].endswith("/" + imp.path)
    assert local_files() == []
    # Loaded by the job from the bucket; then the object is gone, and no copy stayed behind.
    imports.run_import(imp.id)
    imp = db.session.get(ShipmentImport, imp.id)
    assert imp.status == "done" and (imp.rows_loaded, imp.rows_bad) == (1, 1), imp.error
    assert bucket_prefix() == [] and local_files() == []


def test_a_failed_import_keeps_its_object_until_housekeeping(app, api, world, bucket_prefix, local_files):
    hq = api(world.hq)
    failed = run_import(hq, csv_bytes(shipment_row(imei(serial=3)), header="imei,model"))
    assert failed["status"] == "failed"
    row = db.session.get(ShipmentImport, failed["id"])
    kept = bucket_prefix()
    assert len(kept) == 1 and kept[0].endswith("/" + row.path) and local_files() == []
    row.finished_at = utcnow() - timedelta(days=app.config["IMPORT_FAILED_KEEP_DAYS"] + 1)
    db.session.commit()
    assert discard_old_import_files().startswith("removed 1 failed imports' files")
    assert bucket_prefix() == []
    assert db.session.get(ShipmentImport, failed["id"]).error.endswith("days.")


def test_the_doctor_checks_the_import_bucket(app, bucket_prefix, monkeypatch):
    from backend.health import doctor

    check = {c["name"]: c for c in doctor.run_checks()}["import storage"]
    assert check["ok"] and f"S3 bucket {S3_BUCKET}" in check["detail"], check
    url = app.config["IMPORT_STORAGE_URL"].replace(S3_BUCKET, "no-such-bucket")
    monkeypatch.setitem(app.config, "IMPORT_STORAGE_URL", url)
    check = {c["name"]: c for c in doctor.run_checks()}["import storage"]
    assert not check["ok"] and "unreachable" in check["detail"]
