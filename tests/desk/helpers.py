"""Records for the desk's read models, made as their owners would (the API), plus what the API
has no door for here (trainings, tasks done: straight into the tables)."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from datetime import timedelta

from PIL import Image
from sqlalchemy import event, select

from backend.extensions import db
from backend.org.models import Territory
from backend.photos.duplicates import record_phash
from backend.photos.models import Photo, PhotoLink
from backend.photos.service import process_photo
from backend.stores.models import StoreContact
from backend.tasks.models import Task
from backend.training.models import TrainingAttendance, TrainingSession, TrainingTopic
from tests.conftest import _wait_for_jobs
from tests.factories import iso, new_id


def picture(seed: int) -> bytes:
    """A JPEG of seeded noise: every seed a different picture."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (48, 36), bytes(rnd.randrange(256) for _ in range(48 * 36 * 3)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(client, seed: int, phash: str | None = None) -> str:
    """Upload a picture as `client`'s user, make its copies now, and (with `phash`) give it that
    perceptual hash, so which photos match is decided by the test, not by the noise."""
    data = picture(seed)
    pid = str(uuid.uuid4())
    sha = hashlib.sha256(data).hexdigest()
    r = client.put(f"/api/v1/photos/{pid}?sha256={sha}", data=data, content_type="image/jpeg")
    assert r.status_code == 201, r.json
    _wait_for_jobs()  # with an rq worker, its photo job hashes the picture: let it finish first
    process_photo(sha)
    photo = db.session.get(Photo, uuid.UUID(pid))
    record_phash(photo, phash or f"{seed * 0x9E3779B97F4A7C15 % (1 << 64):016x}")
    db.session.commit()
    return pid


def visit(client, store, at, *, out_after=25, position=None, accuracy=15.0, notes="") -> str:
    body = {
        "id": new_id(),
        "store_id": store.id,
        "checked_in_at": iso(at),
        "latitude": (position or (store.latitude, store.longitude))[0],
        "longitude": (position or (store.latitude, store.longitude))[1],
        "accuracy_m": accuracy,
        "notes": notes,
    }
    r = client.post("/api/v1/visits", json=body)
    assert r.status_code == 201, r.json
    if out_after is not None:
        r = client.post(
            f"/api/v1/visits/{body['id']}/check-out",
            json={
                "checked_out_at": iso(at + timedelta(minutes=out_after)),
                "latitude": store.latitude,
                "longitude": store.longitude,
                "accuracy_m": 10,
            },
        )
        assert r.status_code == 200, r.json
    return body["id"]


def display_check(client, visit_id, at, answers, photo_ids=(), notes="") -> str:
    body = {
        "id": new_id(),
        "visit_id": visit_id,
        "checked_at": iso(at),
        "answers": answers,
        "photo_ids": list(photo_ids),
        "notes": notes,
    }
    r = client.post("/api/v1/display-checks", json=body)
    assert r.status_code == 201, r.json
    return body["id"]


def price(client, store, visit_id, at, *, competitor_model=None, product=None, photo_ids=(), **kw) -> str:
    body = {
        "id": new_id(),
        "store_id": store.id,
        "visit_id": visit_id,
        "observed_at": iso(at),
        "shelf_price": kw.pop("shelf_price", "2599.00"),
        "photo_ids": list(photo_ids),
        **({"competitor_model_id": competitor_model.id} if competitor_model else {"product_id": product.id}),
        **kw,
    }
    r = client.post("/api/v1/price-observations", json=body)
    assert r.status_code == 201, r.json
    return body["id"]


def movement(client, store, material, visit_id, at, quantity=5, kind="delivered") -> str:
    body = {
        "id": new_id(),
        "store_id": store.id,
        "material_id": material.id,
        "visit_id": visit_id,
        "kind": kind,
        "quantity": quantity,
        "recorded_at": iso(at),
        "note": "贴在门口",
    }
    r = client.post("/api/v1/stock-movements", json=body)
    assert r.status_code == 201, r.json
    return body["id"]


def training(rep, store, visit_id, at, names=("小王", "小李"), scores=((2, 3), (3, 3))) -> uuid.UUID:
    topic = db.session.scalar(select(TrainingTopic).where(TrainingTopic.code == "P30-CAM"))
    if topic is None:
        topic = TrainingTopic(code="P30-CAM", title="P30 影像卖点", title_en="P30 camera", kind="product", quiz=[])
        db.session.add(topic)
        db.session.flush()
    session = TrainingSession(
        id=uuid.uuid4(),
        rep_id=rep.id,
        store_id=store.id,
        visit_id=uuid.UUID(visit_id),
        topic_id=topic.id,
        held_at=at,
        held_on=at.date(),
        duration_minutes=20,
        note="",
    )
    db.session.add(session)
    db.session.flush()
    for name, (score, size) in zip(names, scores, strict=True):
        contact = StoreContact(id=uuid.uuid4(), store_id=store.id, name=name, role="promoter")
        db.session.add(contact)
        db.session.flush()
        db.session.add(
            TrainingAttendance(
                session_id=session.id, contact_id=contact.id, answers=[0] * size, score=score, quiz_size=size
            )
        )
    db.session.commit()
    return session.id


def task_done(creator, rep, store, visit_id, at, photo_ids=(), title="换新海报") -> uuid.UUID:
    task = Task(
        id=uuid.uuid4(),
        store_id=store.id,
        region_id=store_region(store),
        kind="display",
        title=title,
        note="",
        due_on=at.date(),
        needs_photo=bool(photo_ids),
        status="done",
        created_by=creator.id,
        completion_id=uuid.uuid4(),
        done_at=at,
        done_by=rep.id,
        done_visit_id=uuid.UUID(visit_id),
        done_note="已换",
    )
    db.session.add(task)
    db.session.flush()
    for pid in photo_ids:
        db.session.add(PhotoLink(photo_id=uuid.UUID(pid), record_type="task", record_id=task.id))
    db.session.commit()
    return task.id


def store_region(store) -> int:
    return db.session.get(Territory, store.territory_id).region_id


class Statements:
    """Counts the SQL statements sent while the block runs."""

    def __enter__(self):
        self.n = 0
        event.listen(db.engine, "before_cursor_execute", self._note)
        return self

    def _note(self, *args, **kwargs):
        self.n += 1

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._note)
