"""Counters registering the same phone at the same moment, on PostgreSQL (SQLite has one writer
at a time, so there is no race to test): one card per IMEI, and every other counter gets the
same clear 409 as if it had come second, whether it used REST or sync."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.warranty.models import WarrantyCard
from tests.factories import ApiClient, imei
from tests.sync.helpers import Device
from tests.warranty.helpers import CARDS, card_body

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)

ROUNDS = 6


def test_simultaneous_registrations_of_one_phone_make_one_card(app, world):
    # Per round, four counters (two per store, two by REST and two by sync) register one phone.
    attempts = []
    for serial in range(1, ROUNDS + 1):
        for clerk, via in (
            (world.clerk_a1, "rest"),
            (world.clerk_b1, "rest"),
            (world.clerk_a1, "sync"),
            (world.clerk_b1, "sync"),
        ):
            client = ApiClient(app.test_client(), clerk)  # the token is made here, in the main thread
            attempts.append((serial, via, client, Device(client), card_body(world, serial)))
    barrier = threading.Barrier(4)
    outcomes: dict[int, list] = {}
    errors: list[BaseException] = []

    def attempt(serial, via, client, device, body):
        try:
            barrier.wait(timeout=10)
            if via == "rest":
                r = client.post(CARDS, json=body)
                outcome = (r.status_code, r.json.get("message", ""))
            else:
                r = device.push([device.mutation("warranty.register", body)])
                [result] = r.json["results"]
                outcome = (
                    201 if result["status"] == "applied" else {"conflict": 409}.get(result["error"]["code"], 500),
                    result.get("error", {}).get("message", ""),
                )
            outcomes.setdefault(serial, []).append(outcome)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for serial in range(1, ROUNDS + 1):
        threads = [threading.Thread(target=attempt, args=a) for a in attempts if a[0] == serial]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    for serial, got in outcomes.items():
        codes = sorted(code for code, _message in got)
        assert codes == [201, 409, 409, 409], (serial, got)
        for code, message in got:
            if code == 409:
                assert message.startswith(f"IMEI {imei(serial=serial)} already has a warranty card, registered at"), got
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WarrantyCard)) == ROUNDS


def test_one_phone_registered_at_once_by_its_two_imeis_makes_one_card(app, world):
    """Counter A registers a dual-SIM phone by (IMEI 1, IMEI 2), counter B at the same moment by
    IMEI 2 alone: both application checks can pass before either commits, so only the
    database's own constraint across both slots (warranty_imeis) keeps it to one card."""
    rounds = []
    for n in range(1, ROUNDS + 1):
        first, second = imei(serial=100 + 2 * n), imei(serial=101 + 2 * n)
        a = ApiClient(app.test_client(), world.clerk_a1)
        b = ApiClient(app.test_client(), world.clerk_b1)
        rounds.append(
            [
                (a, card_body(world, 100 + 2 * n, imei2=second)),
                (b, card_body(world, 101 + 2 * n) | {"imei": second}),
            ]
        )
        assert first != second
    barrier = threading.Barrier(2)
    codes: list[list[int]] = []
    errors: list[BaseException] = []

    def attempt(client, body, got):
        try:
            barrier.wait(timeout=10)
            got.append(client.post(CARDS, json=body).status_code)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for pair in rounds:
        got: list[int] = []
        threads = [threading.Thread(target=attempt, args=(c, body, got)) for c, body in pair]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        codes.append(sorted(got))
    assert not errors, errors
    assert all(c == [201, 409] for c in codes), codes
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WarrantyCard)) == ROUNDS
