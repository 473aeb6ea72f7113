"""Shipment imports: HQ uploads a CSV from logistics; a background job loads it in batches.

The job commits every batch, so progress (bytes and rows) can be shown while it runs, and good
rows are kept while bad ones are reported with their line number and reason. Loading is
idempotent: a unit (IMEI) already shipped with the same details is counted as unchanged, so a
re-import of the same file changes nothing; a unit already shipped with other details is a bad
row (an earlier shipment is never overwritten silently).

The job is recorded in the job outbox with the import row. An attempt cut short (its worker
killed, its time limit reached, the database gone) leaves the import `running` with the counts
of its last committed batch; the next attempt (the outbox retries it) resumes after that batch,
so every row is counted once. Out of attempts, the import is `failed` with the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import delete, func, insert, select

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..core.auth import check_role
from ..core.errors import InvalidInput, NotFound, PayloadTooLarge, out_of_space, public_reason, storage_full
from ..core.reasons import checked_reason
from ..core.sql import among, array_of
from ..core.storage import LocalStore, store_for
from ..core.timeutil import business_today, utcnow
from ..extensions import db
from ..jobs import after_commit, job, run_ready_jobs
from ..jobs.periodic import periodic
from ..org.models import Partner, Region
from . import diversion, rules
from .models import ImportStatus, Shipment, ShipmentImport, ShipmentImportError

log = logging.getLogger(__name__)

# Column → accepted header names (case-insensitive; Chinese as logistics exports them).
COLUMNS = {
    "imei": ("imei", "串号", "imei号"),
    "model": ("model", "model_code", "型号", "机型"),
    "ship_date": ("ship_date", "shipped_on", "发货日期"),
    "region": ("region", "region_code", "destination_region", "目的大区", "大区"),
    "partner": ("partner", "partner_code", "channel_partner", "渠道商", "渠道伙伴"),
}
REQUIRED = ("imei", "model", "ship_date", "region")
CHUNK = 1024 * 1024
# An attempt's time limit under RQ grows with the file: at least this many bytes a second
# (a 1.6-million-row file, ~80 MB, gets over an hour; it loads at 300 kB/s or more).
SLOWEST_BYTES_PER_SECOND = 20_000


def check_importer(actor: User) -> None:
    check_role(actor, Role.HQ, Role.ADMIN)


def save_upload(actor: User, stream: BinaryIO, filename: str) -> ShipmentImport:
    """Copy the uploaded file to the import directory (hashing it on the way) and queue the job."""
    check_importer(actor)
    limit = current_app.config["IMPORT_MAX_BYTES"]
    folder = Path(current_app.config["IMPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"The file is larger than {limit // (1024 * 1024)} MB.",
                        reason="import.file_too_large",
                        params={"max_mb": limit // (1024 * 1024)},
                    )
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        path.unlink(missing_ok=True)
        if out_of_space(exc):
            raise storage_full(
                exc,
                "The server's import storage is full; nothing was kept. Upload the file again later.",
                reason="import.storage_full",
            ) from exc
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise InvalidInput("The file is empty.", field="file", reason="import.file_empty")
    sha = digest.hexdigest()
    key = path.name
    store = import_store()
    if not isinstance(store, LocalStore):
        try:
            store.put_file(key, path)  # moved to the shared store: any worker host reads it
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    earlier = db.session.scalar(
        select(ShipmentImport.id).where(ShipmentImport.sha256 == sha).order_by(ShipmentImport.id).limit(1)
    )
    imp = ShipmentImport(
        filename=(filename or "shipments.csv")[:255],
        path=key,
        sha256=sha,
        duplicate_of=earlier,
        total_bytes=size,
        created_by=actor.id,
    )
    db.session.add(imp)
    db.session.flush()
    after_commit(run_import, imp.id)
    db.session.commit()
    run_ready_jobs()  # without Redis the file is loaded before the answer
    return imp


def imports_query(actor: User):
    check_importer(actor)
    return select(ShipmentImport).order_by(ShipmentImport.id.desc())


def get_import(actor: User, import_id: int) -> ShipmentImport:
    check_importer(actor)
    imp = db.session.get(ShipmentImport, import_id)
    if imp is None:
        raise NotFound(f"No shipment import {import_id}.", reason="import.not_found", params={"import_id": import_id})
    return imp


def errors_query(actor: User, import_id: int):
    imp = get_import(actor, import_id)
    return (
        select(ShipmentImportError)
        .where(ShipmentImportError.import_id == imp.id)
        .order_by(ShipmentImportError.line, ShipmentImportError.id)
    )


def shipments_query(actor: User, filters: dict):
    check_importer(actor)
    stmt = select(Shipment)
    for name in ("imei", "product_id", "region_id", "partner_id", "import_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Shipment, name) == filters[name])
    return stmt.order_by(Shipment.imei)


# --- the job --------------------------------------------------------------------------------------


class BadRow(Exception):
    """A row (or the file) that cannot be loaded: the English sentence, its reason code
    (core/reasons.py) and the params a client needs to say it in the user's language."""

    def __init__(self, message: str, reason: str, params: dict | None = None):
        super().__init__(message)
        self.reason, self.params = checked_reason(reason, params)


class _Loader:
    """Reads rows, checks them against the catalogue and organisation, loads them in batches."""

    def __init__(self, imp: ShipmentImport):
        self.imp = imp
        self.batch_rows = current_app.config["IMPORT_BATCH_ROWS"]
        self.max_errors = current_app.config["IMPORT_MAX_ERRORS_KEPT"]
        self.products = {
            code.upper(): (pid, tacs or [])
            for pid, code, tacs in db.session.execute(select(Product.id, Product.model_code, Product.tac_codes))
        }
        self.tac_owner = {t: code for code, (_pid, tacs) in self.products.items() for t in tacs}
        self.regions = {c.upper(): i for i, c in db.session.execute(select(Region.id, Region.code))}
        self.partners = {c.upper(): i for i, c in db.session.execute(select(Partner.id, Partner.code))}
        self.errors_kept = 0
        self.today = business_today()

    def error(self, line: int, bad: BadRow, raw: list[str] | str) -> None:
        self.imp.rows_bad += 1
        if self.errors_kept < self.max_errors:
            text = raw if isinstance(raw, str) else ",".join(raw)
            db.session.add(
                ShipmentImportError(
                    import_id=self.imp.id,
                    line=line,
                    reason=str(bad)[:300],
                    code=bad.reason,
                    params=bad.params,
                    raw=text[:500],
                )
            )
            self.errors_kept += 1

    def header(self, row: list[str]) -> dict[str, int]:
        names = [h.strip().lower() for h in row]
        found = {}
        for column, aliases in COLUMNS.items():
            for i, name in enumerate(names):
                if name in aliases:
                    found[column] = i
                    break
        missing = [c for c in REQUIRED if c not in found]
        if missing:
            raise BadRow(
                f"The first line must name the columns; missing: {', '.join(missing)} "
                f"(expected imei, model, ship_date, region, partner).",
                "import.missing_columns",
                {"columns": missing},
            )
        return found

    def parse(self, row: list[str], cols: dict[str, int]) -> dict:
        def cell(name: str) -> str:
            i = cols.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        if len(row) < max(cols.values()) + 1 and any(c.strip() for c in row):
            expected = max(cols.values()) + 1
            raise BadRow(
                f"Expected {expected} columns, found {len(row)}.",
                "import.column_count",
                {"expected": expected, "found": len(row)},
            )
        imei = cell("imei")
        fault = rules.imei_fault(imei)
        if fault:
            raise BadRow(f"imei: {fault[0]}", fault[1], fault[2])
        code = cell("model").upper()
        if code not in self.products:
            raise BadRow(
                f"model: unknown model code {cell('model')!r}.", "import.unknown_model", {"model": cell("model")}
            )
        product_id, tacs = self.products[code]
        owner = self.tac_owner.get(rules.tac(imei))
        if (owner is not None and owner != code) or (owner is None and tacs):
            raise BadRow(
                f"imei: IMEI {imei} is not a {code} (TAC {rules.tac(imei)}).",
                "import.imei_not_model",
                {"imei": imei, "model": code, "tac": rules.tac(imei)},
            )
        raw_date = cell("ship_date")
        try:
            shipped = date.fromisoformat(raw_date.replace("/", "-"))
        except ValueError:
            raise BadRow(
                f"ship_date: {raw_date!r} is not a date (YYYY-MM-DD).", "import.bad_date", {"value": raw_date}
            ) from None
        if shipped > self.today:
            raise BadRow(
                f"ship_date: {shipped.isoformat()} is in the future.",
                "import.future_date",
                {"date": shipped.isoformat()},
            )
        region = self.regions.get(cell("region").upper())
        if region is None:
            raise BadRow(
                f"region: unknown region code {cell('region')!r}.", "import.unknown_region", {"region": cell("region")}
            )
        partner_code = cell("partner").upper()
        partner = self.partners.get(partner_code) if partner_code else None
        if partner_code and partner is None:
            raise BadRow(
                f"partner: unknown partner code {cell('partner')!r}.",
                "import.unknown_partner",
                {"partner": cell("partner")},
            )
        return {
            "imei": imei,
            "product_id": product_id,
            "ship_date": shipped,
            "region_id": region,
            "partner_id": partner,
        }

    def load(self, batch: list[tuple[int, list[str], dict]]) -> None:
        """Insert the new units of a batch; same unit, same details: unchanged; other details: bad."""
        s = Shipment
        columns = (s.imei, s.product_id, s.ship_date, s.region_id, s.partner_id, s.import_id, s.line)
        imeis = {r[2]["imei"] for r in batch}
        existing = {row.imei: row for row in db.session.execute(select(*columns).where(among(s.imei, imeis)))}
        new: dict[str, dict] = {}
        for line, raw, values in batch:
            imei = values["imei"]
            known = existing.get(imei)
            if known is None and imei in new:
                first = new[imei]
                if all(first[k] == values[k] for k in values):
                    self.imp.rows_unchanged += 1
                else:
                    self.error(
                        line,
                        BadRow(
                            f"IMEI {imei} is on line {first['line']} too, with other details.",
                            "import.duplicate_in_file",
                            {"imei": imei, "first_line": first["line"]},
                        ),
                        raw,
                    )
                continue
            if known is None:
                new[imei] = {**values, "import_id": self.imp.id, "line": line}
                continue
            if all(getattr(known, k) == v for k, v in values.items()):
                self.imp.rows_unchanged += 1
            else:
                self.error(
                    line,
                    BadRow(
                        f"IMEI {imei} was already shipped on {known.ship_date.isoformat()} "
                        f"(import {known.import_id}, line {known.line}) with other details; not overwritten.",
                        "import.already_shipped",
                        {
                            "imei": imei,
                            "ship_date": known.ship_date.isoformat(),
                            "import_id": known.import_id,
                            "line": known.line,
                        },
                    ),
                    raw,
                )
        if new:
            rows = list(new.values())
            insert_shipments(rows, bulk_load=True)
            self.imp.rows_loaded += len(new)
            self.imp.flags_raised += diversion.check_new_imeis(list(new))


def _attempt_timeout(import_id: int) -> int:
    total = db.session.scalar(select(ShipmentImport.total_bytes).where(ShipmentImport.id == import_id)) or 0
    return max(current_app.config["JOB_TIMEOUT_SECONDS"], 60 + total // SLOWEST_BYTES_PER_SECOND)


def _gave_up(import_id: int, reason: str) -> None:
    imp = db.session.get(ShipmentImport, import_id)
    if imp is not None and imp.status != ImportStatus.DONE:
        imp.status, imp.finished_at = ImportStatus.FAILED, utcnow()
        imp.error = f"The import stopped: {reason}"[:500]
        imp.error_code, imp.error_params = None, None


@job(timeout=_attempt_timeout, on_give_up=_gave_up)
def run_import(import_id: int) -> None:
    """Load an import, or resume it after its last committed batch when an earlier attempt was
    cut short. A done import is left alone; a failed one starts over."""
    imp = db.session.get(ShipmentImport, import_id)
    if imp is None or imp.status == ImportStatus.DONE:
        return
    resume = imp.status == ImportStatus.RUNNING and imp.rows_read > 0
    if resume:
        log.info("shipment import %s resumes after row %s", import_id, imp.rows_read)
        imp.error, imp.error_code, imp.error_params = "", None, None
    else:
        db.session.execute(delete(ShipmentImportError).where(ShipmentImportError.import_id == imp.id))
        imp.status, imp.started_at, imp.finished_at, imp.error = ImportStatus.RUNNING, utcnow(), None, ""
        imp.error_code, imp.error_params = None, None
        imp.processed_bytes = imp.rows_read = imp.rows_loaded = imp.rows_unchanged = imp.rows_bad = 0
        imp.flags_raised = 0
    db.session.commit()
    try:
        _run(imp, resume)
    except BadRow as exc:
        # The file cannot be read: another attempt would not help. (Set after the rollback,
        # which would have undone it on `imp`.)
        db.session.rollback()
        imp = db.session.get(ShipmentImport, import_id)
        imp.status, imp.finished_at, imp.error = ImportStatus.FAILED, utcnow(), str(exc)[:500]
        imp.error_code, imp.error_params = exc.reason, exc.params
        db.session.commit()
        return
    except Exception as exc:
        # Unexpected (the database went away, the time limit…): keep what the committed batches
        # loaded, say so, and let the job outbox try again; the next attempt resumes.
        db.session.rollback()
        imp = db.session.get(ShipmentImport, import_id)
        imp.error = f"Interrupted after row {imp.rows_read} ({public_reason(exc)}); it resumes from there."[:500]
        imp.error_code, imp.error_params = "import.interrupted", {"row": imp.rows_read}
        db.session.commit()
        raise
    imp.status, imp.finished_at, imp.processed_bytes = ImportStatus.DONE, utcnow(), imp.total_bytes
    db.session.commit()
    # Loaded: the file is not needed any more (a failed import keeps it, to be run again).
    remove_file(imp)


# --- where import files live ---------------------------------------------------------------------


def import_store():
    """IMPORT_STORAGE_URL's store: IMPORT_DIR by default, or an S3-compatible bucket, so that the
    web host that received a file and the worker host that loads it need no shared volume."""
    cfg = current_app.config
    return store_for(cfg.get("IMPORT_STORAGE_URL"), cfg["IMPORT_DIR"])


def _legacy_path(imp: ShipmentImport) -> Path | None:
    """Imports recorded before the storage keys held an absolute path."""
    return Path(imp.path) if os.path.isabs(imp.path) else None


@contextmanager
def import_file(imp: ShipmentImport) -> Iterator[Path]:
    """The import's file as a local path (a downloaded copy when it lives in a bucket)."""
    legacy = _legacy_path(imp)
    if legacy is not None:
        yield legacy
        return
    with import_store().fetch(imp.path) as path:
        yield path


def file_exists(imp: ShipmentImport) -> bool:
    legacy = _legacy_path(imp)
    return legacy.exists() if legacy is not None else import_store().exists(imp.path)


def remove_file(imp: ShipmentImport) -> None:
    legacy = _legacy_path(imp)
    if legacy is not None:
        legacy.unlink(missing_ok=True)
    else:
        import_store().delete(imp.path)


@periodic("import-files")
def discard_old_import_files() -> str:
    """Housekeeping: a failed import keeps its file so that it can be run again, for
    `IMPORT_FAILED_KEEP_DAYS`; then the file goes and the import says so. A file no import
    refers to (the server stopped between writing it and recording the import) goes after a day."""
    cfg = current_app.config
    cutoff = utcnow() - timedelta(days=cfg["IMPORT_FAILED_KEEP_DAYS"])
    removed = 0
    for imp in db.session.scalars(
        select(ShipmentImport).where(ShipmentImport.status == ImportStatus.FAILED, ShipmentImport.finished_at < cutoff)
    ):
        if file_exists(imp):
            remove_file(imp)
            removed += 1
            imp.error = f"{imp.error} The file was removed after {cfg['IMPORT_FAILED_KEEP_DAYS']} days."[:500]
    db.session.commit()
    folder = Path(cfg["IMPORT_DIR"])
    known = {Path(p).name for p in db.session.scalars(select(ShipmentImport.path))}
    orphans = 0
    if folder.is_dir():
        day_ago = time.time() - 24 * 3600
        for path in folder.glob("*.csv"):
            if path.name not in known and path.stat().st_mtime < day_ago:
                path.unlink(missing_ok=True)
                orphans += 1
    return f"removed {removed} failed imports' files and {orphans} files of no import"


NUL_REASON = "The line holds a NUL character (\\0): it is not a row of text."


def _lines(text, nul_lines: set[int]):
    """The file's lines for the CSV reader, with NUL characters taken out (the reader refuses
    them, and with them the rest of the file); their line numbers are kept to report the rows."""
    for number, line in enumerate(text, 1):
        if "\0" in line:
            nul_lines.add(number)
            line = line.replace("\0", "")
        yield line


SHIPMENT_COLUMNS = ("imei", "product_id", "ship_date", "region_id", "partner_id", "import_id", "line")


def insert_shipments(rows: list[dict], *, bulk_load: bool) -> None:
    """New units (dicts of `SHIPMENT_COLUMNS`), one statement on PostgreSQL (`_insert_arrays`):
    there the shipments' parents are checked by a trigger per statement (`Shipment`), which an
    executemany would fire once a row. `bulk_load`: the rows are a batch of a long load, which
    ends with its import's status done or failed; whoever counts shipments may gather its work
    over the batches (the channel's rollups do)."""
    if not rows:
        return
    postgres = db.session.get_bind().dialect.name == "postgresql"
    (_insert_arrays if postgres else _insert_rows)(rows, bulk_load=bulk_load)


def _insert_rows(rows: list[dict], bulk_load: bool = True) -> None:
    """A batch's new units, one row of parameters each (an executemany: any database).

    render_nulls: one executemany for the batch, not one statement per run of rows with the same
    empty columns (no partner) — thousands of tiny INSERTs otherwise."""
    db.session.execute(insert(Shipment).execution_options(render_nulls=True, bulk_load=bulk_load), rows)


def _insert_arrays(rows: list[dict], bulk_load: bool = True) -> None:
    """PostgreSQL: a batch's new units in one INSERT … SELECT of seven arrays unnested in step,
    each bound as one string in PostgreSQL's array text form (`core.sql.array_of`). psycopg's
    executemany sends one INSERT per row, each row's seven values dumped one by one: at
    bench/channel_scale's scale 1 (13 M shipments), 170 → 130 ms of a batch of 5,000 spent in the
    statement, and the import's process 28 → 17 s of CPU a million rows (the bench's import 'as
    before the channel' still inserts rows, to compare).

    Whoever watches INSERTs into shipments (the channel's rollups) finds the rows
    in the execution option `shipment_rows`, as it finds an executemany's in its parameters."""
    columns = Shipment.__table__.c
    arrays = [
        func.unnest(array_of(columns[name].type, [r[name] for r in rows])).label(name) for name in SHIPMENT_COLUMNS
    ]
    stmt = insert(Shipment).from_select(SHIPMENT_COLUMNS, select(*arrays)).execution_options(bulk_load=bulk_load)
    db.session.execute(stmt, execution_options={"shipment_rows": rows})


def _run(imp: ShipmentImport, resume: bool = False) -> None:
    loader = _Loader(imp)
    skip = 0
    if resume:  # the rows of the committed batches, and the bad rows they kept
        skip = imp.rows_read
        loader.errors_kept = db.session.scalar(
            select(func.count()).select_from(ShipmentImportError).where(ShipmentImportError.import_id == imp.id)
        )
    read_ahead = current_app.config["IMPORT_READ_AHEAD"]
    with import_file(imp) as path, closing(_batches(loader, str(path), skip)) as batches:
        # Closed first when a batch fails: `_ahead` then waits for the batch its thread is reading.
        with closing(_ahead(batches) if read_ahead else batches) as each:
            for batch in each:
                _commit_batch(loader, batch)


@dataclass
class _Batch:
    """Rows of the file, read and checked: the good ones to load (line, cells, values), the bad
    ones to report (line, why, cells), how many rows they were, and how far into the file."""

    good: list[tuple[int, list[str], dict]] = field(default_factory=list)
    bad: list[tuple[int, BadRow, list[str]]] = field(default_factory=list)
    read: int = 0
    position: int = 0


def _batches(loader: _Loader, path: str, skip: int) -> Iterator[_Batch]:
    """The file's rows in batches of `IMPORT_BATCH_ROWS` good rows (or as many bad ones), the
    last one possibly empty; after `skip` rows (those an earlier attempt committed). Reads and
    checks only: it touches neither the database nor the import row, so that it can run in a
    thread of its own (`_ahead`)."""
    encoding = _encoding(path)
    nul_lines: set[int] = set()
    size = loader.batch_rows
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(_lines(text, nul_lines))
        try:
            first = next(reader)
        except StopIteration:
            first = []
        except UnicodeDecodeError as exc:
            raise _not_utf8(path) from exc
        cols = loader.header(first)
        batch = _Batch()
        line = reader.line_num
        try:
            for row in reader:
                start, line = line + 1, reader.line_num
                has_nul = bool(nul_lines) and any(n in nul_lines for n in range(start, line + 1))
                if not has_nul and not any(c.strip() for c in row):
                    continue
                if skip:
                    skip -= 1
                    continue
                batch.read += 1
                if has_nul:
                    batch.bad.append((line, BadRow(NUL_REASON, "import.nul_char"), row))
                else:
                    try:
                        batch.good.append((line, row, loader.parse(row, cols)))
                    except BadRow as exc:
                        batch.bad.append((line, exc, row))
                if len(batch.good) >= size or len(batch.bad) >= size:
                    batch.position = raw.tell()
                    yield batch
                    batch = _Batch()
        except UnicodeDecodeError as exc:
            raise _not_utf8(path) from exc
        except csv.Error as exc:
            raise BadRow(
                f"Line {reader.line_num}: the CSV is malformed ({exc}).",
                "import.malformed_csv",
                {"line": reader.line_num},
            ) from exc
        batch.position = raw.tell()
        yield batch


_END = object()


def _ahead(batches: Iterator[_Batch]) -> Iterator[_Batch]:
    """`batches`, each one read and checked in a thread while the one before it is loaded.

    Reading and checking a row costs ~7 µs of Python (csv, the IMEI's check digit, the
    catalogue's look-ups), during which the database would wait; the database's share of a batch
    (the INSERT with its indexes and foreign keys, the diversion check, the channel's rollups) is
    time in which the Python process waits, the GIL released. One batch ahead at most: memory
    stays at two batches. The gain is a few per cent (docs/benchmarks.md): the reader shares the
    GIL with the loader's own Python. An exception of the reader (a malformed file) comes out
    where its batch would have."""
    app = current_app._get_current_object()

    def read_next() -> _Batch | object:
        with app.app_context():  # as the job's own thread has: reasons are checked alike
            return next(batches, _END)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read") as pool:
        pending = pool.submit(read_next)
        while (batch := pending.result()) is not _END:
            pending = pool.submit(read_next)
            yield batch


def _encoding(path: str) -> str:
    """UTF-8 (with or without BOM), or GB18030 (a superset of GBK, what Excel saves a CSV as on a
    Chinese Windows) when no line with non-ASCII bytes is UTF-8. A file mixing the two is refused
    naming its first non-UTF-8 line: decoded either way, some of its text would be garbage."""
    utf8_lines = other_lines = 0
    with open(path, "rb") as f:
        for line in f:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                other_lines += 1
            else:
                utf8_lines += 1
            if utf8_lines and other_lines:
                raise _not_utf8(path)
    if not other_lines:
        return "utf-8-sig"
    try:
        with open(path, encoding="gb18030") as f:
            while f.read(CHUNK):
                pass
    except UnicodeDecodeError:
        raise _undecodable(path) from None
    return "gb18030"


def _undecodable(path: str) -> BadRow:
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode("gb18030")
            except UnicodeDecodeError:
                return BadRow(
                    f"Line {number} is neither UTF-8 nor GBK text: save the CSV as UTF-8.",
                    "import.undecodable_line",
                    {"line": number},
                )
    return BadRow("The file is neither UTF-8 nor GBK text: save the CSV as UTF-8.", "import.undecodable")


def _not_utf8(path: str) -> BadRow:
    """Which line is not UTF-8. The decoder works on chunks of the file, so where it stopped says
    little; a newline byte is never part of a UTF-8 sequence, so each line decodes on its own."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                if number == 1:
                    break
                return BadRow(
                    f"Line {number} is not UTF-8 text: save the CSV as UTF-8.", "import.not_utf8_line", {"line": number}
                )
    return BadRow("The file is not UTF-8 text: save the CSV as UTF-8.", "import.not_utf8")


def _commit_batch(loader: _Loader, batch: _Batch) -> None:
    imp = loader.imp
    imp.rows_read += batch.read
    for line, exc, row in batch.bad:
        loader.error(line, exc, row)
    if batch.good:
        loader.load(batch.good)
    imp.processed_bytes = min(batch.position, imp.total_bytes)
    db.session.commit()
