"""Photos as the desk shows them: the files' URLs, the metadata, and the recycled flag (the same
picture, nearly, as a photo used at another visit or store: `photos.duplicates`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select

from ..auth.models import Role, User
from ..extensions import db
from ..photos.duplicates import matches_for
from ..photos.models import Photo

API = "/api/v1"


def file_url(photo_id: uuid.UUID, variant: str) -> str:
    """The URL of a photo's copy (`thumb` ≤320 px, `display` ≤1600 px, `full`): served by
    `GET /photos/<id>/file` with the same bearer token and scope as the rest of the API."""
    return f"{API}/photos/{photo_id}/file?variant={variant}"


def urls(photo_id: uuid.UUID) -> dict:
    return {
        "thumb_url": file_url(photo_id, "thumb"),
        "display_url": file_url(photo_id, "display"),
        "full_url": file_url(photo_id, "full"),
    }


def _recycled_from(actor: User, matches: list[dict]) -> list[dict]:
    """The recycled matches of one photo as the desk says them: for each other photo, where it
    is used (store, visit, rep, time), hidden when outside the reader's scope. `can_open`: the
    reader may open that visit's detail (a rep only their own visits)."""
    out = []
    for m in matches:
        if not m["recycled"]:
            continue
        uses = []
        for u in m["uses"]:
            mine = actor.role != Role.REP or u["rep_id"] == actor.id
            uses.append(
                {
                    "record_type": u["record_type"],
                    "visit_id": u["visit_id"],
                    "store_id": u["store_id"],
                    "store_name": u["store_name"],
                    "rep_name": u["rep_name"],
                    "at": u["at"],
                    "visible": u["visible"],
                    "can_open": bool(u["visible"] and u["visit_id"] is not None and mine),
                }
            )
        out.append({"other_photo_id": m["other_photo_id"], "distance": m["distance"], "uses": uses})
    return out


def photo_cards(actor: User, photo_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """Each photo that has been uploaded, by id: {photo_id, status, taken_at, width, height,
    thumb_url, display_url, full_url, recycled, recycled_from}. A photo a record names but whose
    upload has not arrived yet is `{status: "missing"}` with no URLs. Constant queries: the
    photos, then `matches_for`'s."""
    ids = list(dict.fromkeys(photo_ids))
    if not ids:
        return {}
    rows = {
        p.id: p
        for p in db.session.scalars(select(Photo).where(Photo.id.in_(ids)))  # one query
    }
    matches = matches_for([pid for pid in ids if pid in rows], actor)
    cards = {}
    for pid in ids:
        photo = rows.get(pid)
        if photo is None:
            cards[pid] = {"photo_id": pid, "status": "missing", "recycled": False, "recycled_from": []}
            continue
        recycled = _recycled_from(actor, matches.get(pid, []))
        cards[pid] = {
            "photo_id": pid,
            "status": photo.status,
            "taken_at": photo.taken_at,
            "width": photo.width,
            "height": photo.height,
            **urls(pid),
            "recycled": bool(recycled),
            "recycled_from": recycled,
        }
    return cards
