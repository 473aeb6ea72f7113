"""The photo feed: the photos of a region and period, newest first, the way managers audit
displays — filtered by checklist item (the display checks that answered it), store tier, rep,
store, kind of record, or the recycled ones only (near-duplicates of a photo used at another
visit or store, `photos.duplicates`).

One row per use of a photo (a photo attached to two records shows twice). Scope: a rep their own
records' photos, a manager those at their region's stores (intel reports: in their region's
territories), HQ and admins all; clerks none. A page costs a constant number of queries: the
count, the page, then the pictures' metadata and matches and the display checks' items for the
whole page at once.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, false, func, or_, select, text, union_all

from ..auth.models import Role, User
from ..catalogue.models import ChecklistItem
from ..core.auth import check_role
from ..core.errors import InvalidInput
from ..core.timeutil import business_day_bounds
from ..extensions import db
from ..photos.models import Photo, PhotoMatch
from ..stores.models import Store
from ..stores.service import FIELD_READERS, region_territories
from ..visits.models import DisplayCheck
from ..visits.service import answer_passes
from .photos import photo_cards
from .sources import RECORD_TYPES, branches

# A display check that answered a checklist item: its `answers` JSON holds {"item_id": id, …}.
# The JSON functions differ by database; both probe the one check's array, never a table scan.
_ANSWERED = {
    "postgresql": "EXISTS (SELECT 1 FROM json_array_elements(display_checks.answers) AS answer "
    "WHERE (answer ->> 'item_id')::int = :checklist_item_id)",
    "sqlite": "EXISTS (SELECT 1 FROM json_each(display_checks.answers) AS answer "
    "WHERE json_extract(answer.value, '$.item_id') = :checklist_item_id)",
}


def _answered(item_id: int):
    dialect = db.session.get_bind().dialect.name
    return text(_ANSWERED[dialect]).bindparams(checklist_item_id=item_id)


def _uses(name: str, **filters):
    parts = branches(**filters)
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery(name)


def _place(uses):
    """A use's visit (none for an intel report) and store, for the recycled rule."""
    return uses.c.visit_id, uses.c.store_id


def _recycled(photo_col):
    """The photo has a near-duplicate used at another visit, or (either use without a visit) at
    another store: `photos.duplicates.is_recycled`, in SQL so that the filter pages."""
    pairs = union_all(
        select(PhotoMatch.photo_id.label("a"), PhotoMatch.other_photo_id.label("b")),
        select(PhotoMatch.other_photo_id.label("a"), PhotoMatch.photo_id.label("b")),
    ).subquery("pairs")
    mine, theirs = _uses("mine"), _uses("theirs")
    (v1, s1), (v2, s2) = _place(mine), _place(theirs)
    same = or_(
        and_(v1.is_not(None), v2.is_not(None), v1 == v2),
        and_(or_(v1.is_(None), v2.is_(None)), s1.is_not(None), s1.is_not_distinct_from(s2)),
    )
    return exists(
        select(pairs.c.a)
        .join(mine, mine.c.photo_id == pairs.c.a)
        .join(theirs, theirs.c.photo_id == pairs.c.b)
        .where(pairs.c.a == photo_col, ~same)
    )


def feed_query(actor: User, filters: dict):
    """The feed as one select (newest first) of the uses' columns plus the store's and rep's."""
    check_role(actor, *FIELD_READERS)
    since = until = None
    if filters.get("since") is not None and filters.get("until") is not None and filters["until"] < filters["since"]:
        raise InvalidInput(
            "`until` is before `since`.", field="until", location="query", reason="range.until_before_since"
        )
    if filters.get("since") is not None:
        since = business_day_bounds(filters["since"])[0]
    if filters.get("until") is not None:
        until = business_day_bounds(filters["until"])[1]
    only = (filters["record_type"],) if filters.get("record_type") else RECORD_TYPES
    item_id = filters.get("checklist_item_id")
    if item_id is not None:  # only display checks answer checklist items
        parts = branches(since=since, until=until, rep_id=filters.get("rep_id"), only=("display_check",))
        parts = [p.where(_answered(item_id) if "display_check" in only else false()) for p in parts]
    else:
        parts = branches(since=since, until=until, rep_id=filters.get("rep_id"), only=only)
    uses = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("uses")
    territory = func.coalesce(uses.c.territory_id, Store.territory_id)
    stmt = (
        select(
            uses,
            Photo.status,
            Photo.taken_at,
            Store.code.label("store_code"),
            Store.name.label("store_name"),
            Store.tier.label("store_tier"),
            User.display_name.label("rep_name"),
        )
        .join(Photo, Photo.id == uses.c.photo_id)
        .outerjoin(Store, Store.id == uses.c.store_id)
        .join(User, User.id == uses.c.rep_id)
    )
    if actor.role == Role.REP:
        stmt = stmt.where(uses.c.rep_id == actor.id)
    elif not actor.sees_everything:
        stmt = stmt.where(territory.in_(region_territories(actor.region_id)))
    if filters.get("region_id") is not None:
        stmt = stmt.where(territory.in_(region_territories(filters["region_id"])))
    if filters.get("store_id") is not None:
        stmt = stmt.where(uses.c.store_id == filters["store_id"])
    if filters.get("tier") is not None:
        stmt = stmt.where(Store.tier == filters["tier"])
    if filters.get("recycled"):
        stmt = stmt.where(_recycled(uses.c.photo_id))
    return stmt.order_by(uses.c.at.desc(), uses.c.photo_id, uses.c.record_type, uses.c.record_id)


def feed_items(actor: User, rows: list[dict]) -> list[dict]:
    """A page's rows as the feed's items: the photos' URLs and recycled flags, and for display
    checks their score and the checklist items they answered. Constant queries for the page."""
    cards = photo_cards(actor, [r["photo_id"] for r in rows])
    check_ids = [r["record_id"] for r in rows if r["record_type"] == "display_check"]
    checks = {}
    items = {}
    if check_ids:
        checks = {c.id: c for c in db.session.scalars(select(DisplayCheck).where(DisplayCheck.id.in_(check_ids)))}
        item_ids = {a["item_id"] for c in checks.values() for a in c.answers}
        if item_ids:
            items = {i.id: i for i in db.session.scalars(select(ChecklistItem).where(ChecklistItem.id.in_(item_ids)))}
    out = []
    for r in rows:
        card = cards[r["photo_id"]]
        check = checks.get(r["record_id"]) if r["record_type"] == "display_check" else None
        answered = []
        if check is not None:
            for a in check.answers:
                item = items.get(a["item_id"])
                if item is None:
                    continue
                answered.append(
                    {
                        "id": item.id,
                        "code": item.code,
                        "label_zh": item.label_zh,
                        "label_en": item.label_en,
                        "passed": answer_passes(item.answer_type, item.target, a["value"]),
                        "sort_order": item.sort_order,
                    }
                )
            answered.sort(key=lambda x: (x.pop("sort_order"), x["id"]))
        out.append(
            {
                **card,
                "photo_id": r["photo_id"],
                "status": r["status"],
                "taken_at": r["taken_at"],
                "record_type": r["record_type"],
                "record_id": r["record_id"],
                "visit_id": r["visit_id"],
                "at": r["at"],
                "store": None
                if r["store_id"] is None
                else {"id": r["store_id"], "code": r["store_code"], "name": r["store_name"], "tier": r["store_tier"]},
                "rep": {"id": r["rep_id"], "name": r["rep_name"]},
                "score": check.score if check is not None else None,
                "checklist_items": answered,
            }
        )
    return out
