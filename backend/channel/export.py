"""The channel's CSV exports, written on the server and streamed: the channel stock table, and the
aging units one row per IMEI (a region can hold hundreds of thousands of them: the PWA's
client-side export, `pwa/src/components/csv.js`, would have to fetch them all first).

The text follows csv.js cell for cell, so a file exported here and one exported by a screen
read the same: RFC 4180 quoting (a field holding a comma, a double quote, CR or LF is quoted,
quotes doubled), CRLF line ends, numbers as they are, a text cell starting with = + - @ (or a
tab or CR) prefixed with ' so a spreadsheet never runs it as a formula, UTF-8 with a byte-order
mark (Excel then opens Chinese text correctly).

IMEIs are kept as text. Fifteen digits read by a spreadsheet become a number shown as
8.60123E+14 (and a 16th digit, an IMEISV, is lost for good). The cell is written `="<digits>"`
(then quoted as RFC 4180 says, its quotes doubled), which Excel, WPS and LibreOffice show as the
digits, as text. It is the only formula this module writes, made of digits only, so it is not
the injection csv.js guards against (anything else starting with = is still prefixed with ').
A program reading the file gets `="…"` around the digits: strip it (the header says
which columns are IMEIs).

Header rows are in the requester's language: `?lang=zh-CN|en`, else the best of the request's
Accept-Language, else English (the server has no other notion of a user's language).

Every export is a generator: the rows are read EXPORT_CHUNK_ROWS at a time, each chunk a short
query of its own (no connection or transaction held while the client reads), and written out in
chunks of about 64 KB, never the whole file in memory; the response is passed through as it is
(`direct_passthrough`; compression leaves streams alone). A browser downloads them through a
signed link (`auth/downloads.py`): straight into its download manager, not the page's memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import NamedTuple

from flask import Response, current_app, request
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from ..auth.models import User
from ..catalogue.models import Product
from ..core.timeutil import business_today
from ..extensions import db
from ..org.models import Partner, Region
from ..sellout.rules import week_start as week_of
from ..warranty.models import Shipment
from .models import NO_PARTNER, ChannelCohort
from .rollup import unit_unsold
from .service import aging_where, channel_stock, cohort_filters, scope_regions

BOM = "\ufeff"
_NEEDS_QUOTES = re.compile(r'[",\r\n]')
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_SIGNED_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")
_DIGITS = re.compile(r"^\d+$")
CHUNK_CHARS = 64 * 1024


class TextCell(str):
    """A value to write as text whatever a spreadsheet would make of it (IMEIs)."""


def csv_cell(value) -> str:
    """One cell as CSV text, quoted when needed (csv.js's `csvCell`)."""
    if value is None:
        return ""
    if isinstance(value, TextCell) and _DIGITS.match(value):
        text = f'="{value}"'
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value) if value == value and value not in (float("inf"), float("-inf")) else ""
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
        if _FORMULA_START.match(text) and not _SIGNED_NUMBER.match(text):
            text = f"'{text}"
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(text) else text


def csv_line(values: Iterable) -> str:
    return ",".join(csv_cell(v) for v in values) + "\r\n"


class Column(NamedTuple):
    key: str
    zh: str
    en: str
    value: Callable[[dict], object] | None = None  # the cell, when it is not row[key]


def language() -> str:
    """ "zh-CN" or "en" for the header row: `?lang=`, else Accept-Language, else English."""
    wanted = request.args.get("lang")
    if wanted in ("zh-CN", "en"):
        return wanted
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "zh-CN" if best in ("zh-CN", "zh") else "en"


def lines(columns: list[Column], rows: Iterable[dict], lang: str) -> Iterator[str]:
    """The file's text in chunks: BOM and header first, then the rows as they are read.

    A column whose value is the previous row's (same value, same type) reuses its cell's text:
    an aging file's rows repeat their cohort's region, partner and model, and their ship date,
    for thousands of rows; only the IMEI changes every row."""
    buffer = [BOM, csv_line(c.zh if lang == "zh-CN" else c.en for c in columns)]
    size = 0
    last: list = [(object, None, "")] * len(columns)  # per column: (type, value, cell text)
    for row in rows:
        cells = []
        for i, c in enumerate(columns):
            value = c.value(row) if c.value is not None else row.get(c.key)
            kind, previous, text = last[i]
            if type(value) is not kind or value != previous:
                text = csv_cell(value)
                last[i] = (type(value), value, text)
            cells.append(text)
        line = ",".join(cells) + "\r\n"
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    yield "".join(buffer)


def csv_response(basename: str, columns: list[Column], rows: Iterable[dict], today: date) -> Response:
    """A streamed CSV download named "<basename>-<today>.csv". `rows` may be a generator that
    reads the database as the body is written: it must not need the request's context or session
    (gone once the view has returned), see `aging_units`."""
    chunks = (text.encode("utf-8") for text in lines(columns, rows, language()))
    response = Response(chunks, mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{basename}-{today.isoformat()}.csv"'
    response.headers["Cache-Control"] = "no-store"
    response.direct_passthrough = True
    return response


STOCK_COLUMNS = [
    Column("region_id", "大区ID", "Region ID"),
    Column("region_name", "大区", "Region"),
    Column("partner_id", "渠道商ID", "Partner ID"),
    Column("partner_name", "渠道商", "Partner"),
    Column("product_id", "型号ID", "Model ID"),
    Column("model_code", "型号", "Model"),
    Column("product_name", "产品名称", "Product"),
    Column("product_name_en", "产品名称（英文）", "Product (English)"),
    Column("shipped", "发货量", "Shipped"),
    Column("sold", "销量", "Sold"),
    Column("stock", "渠道库存", "Channel stock"),
    Column("weekly_sales", "周均销量", "Weekly sales"),
    Column("cover_weeks", "可售周数", "Weeks of cover"),
    Column("aging_units", "超龄库存", "Aging units"),
]

AGING_COLUMNS = [
    Column("imei", "IMEI", "IMEI", lambda row: TextCell(row["imei"])),
    Column("region_id", "大区ID", "Region ID"),
    Column("region_name", "大区", "Region"),
    Column("partner_id", "渠道商ID", "Partner ID"),
    Column("partner_name", "渠道商", "Partner"),
    Column("product_id", "型号ID", "Model ID"),
    Column("model_code", "型号", "Model"),
    Column("product_name", "产品名称", "Product"),
    Column("ship_date", "发货日期", "Ship date"),
    Column("age_days", "库龄（天）", "Age (days)"),
    Column("aging_days", "超龄标准（天）", "Aging after (days)"),
]


# --- the aging units ---------------------------------------------------------------------------


def aging_before(today: date, days: int) -> date:
    """The first ship day whose units are not aging yet, for a model aging after `days` days.

    As the aging screen counts them (`service`): a cohort — the units of an ISO week — is aging
    when its Sunday is more than `days` days ago, so a unit is listed when its week's Monday is
    on or before `today − days − 7`, i.e. when it shipped before the Monday after that week."""
    return week_of(today - timedelta(days=days + 7)) + timedelta(days=7)


def aging_units(actor: User, filters: dict, today: date | None = None) -> Iterator[dict]:
    """The unsold units (no live or exchanged card took them out: `rollup.unit_unsold`) of the aging cohorts in the
    actor's scope — what the aging screen counts (`service.aging_query`; `products.aging_days`,
    else `CHANNEL_AGING_DAYS`) — by region, model, ship week, partner, ship date and IMEI, one
    row each.

    The aging cohorts holding unsold units come from the cohort rollup (a sold-out cohort, however
    old, is not read); each cohort's week of shipments is then read by the shipments' (region,
    model, ship date) index, as `service.aging_imeis_query` reads one, less the units a live card
    sold (`warranty_imeis`), EXPORT_CHUNK_ROWS at a time (`_aging_rows`).

    The scope is checked at the call (a 403 or 404 before any byte is sent); the rows are read
    as the returned generator is consumed."""
    regions = scope_regions(actor, filters.get("region_id"))
    today = today or business_today()
    default_days = current_app.config["CHANNEL_AGING_DAYS"]
    products = {  # plain values: the rows are read after the request's session is closed
        pid: {"model_code": code, "name": name, "aging_days": days}
        for pid, code, name, days in db.session.execute(
            select(Product.id, Product.model_code, Product.name, Product.aging_days)
        )
    }
    region_names = dict(db.session.execute(select(Region.id, Region.name)).all())
    partners = dict(db.session.execute(select(Partner.id, Partner.name)).all())
    c = ChannelCohort
    cohorts = select(c.region_id, c.product_id, c.ship_week, c.partner_id).where(aging_where(today))
    cohorts = cohort_filters(cohorts, regions, filters)
    cohorts = db.session.execute(cohorts.order_by(c.region_id, c.product_id, c.ship_week, c.partner_id)).all()
    names = (products, region_names, partners)
    return _aging_rows(db.engine, cohorts, today, default_days, names)


EXPORT_CHUNK_ROWS = 5000
"""Units read at a time by `_aging_rows`, each chunk in a short transaction of its own."""


def _aging_rows(engine, cohorts, today, default_days, names) -> Iterator[dict]:
    """The units, read as the body is written — the request's session and context are gone by
    then (Flask pops them once the view returns) — EXPORT_CHUNK_ROWS at a time, keyset-paged by
    (ship date, IMEI: the key of shipments) within each cohort: each chunk is one short query in a session of its
    own, closed (its connection back in the pool, its transaction ended) before its rows are
    written. A slow client then pins neither a pooled connection nor a long transaction (on
    PostgreSQL an open snapshot holds back vacuum). Each chunk reads the data as it is then: a
    unit sold while the file downloads may be left out, none is listed twice or out of order."""
    products, regions, partners = names
    s = Shipment
    for region, product_id, ship_week, partner in cohorts:
        product = products.get(product_id)
        days = product["aging_days"] if product is not None and product["aging_days"] is not None else default_days
        cohort = select(s.imei, s.ship_date).where(
            s.region_id == region,
            s.product_id == product_id,
            s.ship_date >= ship_week,
            s.ship_date < ship_week + timedelta(days=7),
            s.partner_id.is_(None) if partner == NO_PARTNER else s.partner_id == partner,
            unit_unsold(s),
        )
        after = None
        while True:
            stmt = cohort if after is None else cohort.where(tuple_(s.ship_date, s.imei) > after)
            with Session(engine) as session:
                chunk = session.execute(stmt.order_by(s.ship_date, s.imei).limit(EXPORT_CHUNK_ROWS)).all()
            for imei, ship_date in chunk:
                yield {
                    "imei": imei,
                    "region_id": region,
                    "region_name": regions.get(region),
                    "partner_id": partner,
                    "partner_name": partners.get(partner, ""),
                    "product_id": product_id,
                    "model_code": product["model_code"] if product else "",
                    "product_name": product["name"] if product else "",
                    "ship_date": ship_date,
                    "age_days": (today - ship_date).days,
                    "aging_days": days,
                }
            if len(chunk) < EXPORT_CHUNK_ROWS:
                break
            after = (chunk[-1].ship_date, chunk[-1].imei)


def stock_rows(actor: User, filters: dict, today: date) -> list[dict]:
    """The stock screen's rows (`service.channel_stock`: a row per region, or region and
    partner, and model — thousands at most), scope checked there."""
    return channel_stock(actor, filters, today)
