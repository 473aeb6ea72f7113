"""An admin's password reset (given or generated), and the user list's active filter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.auth import service
from backend.auth.models import User
from backend.extensions import db
from tests.auth.test_api import bearer, login


def reset(admin, user_id, **body):
    return admin.post(f"/api/v1/users/{user_id}/password", json=body)


def test_a_reset_with_a_given_password_ends_the_sessions_and_the_new_one_works(world, api, client):
    token = login(client, "rep_a1").json["token"]
    r = reset(api(world.admin), world.rep_a1.id, password="a new secret")
    assert r.status_code == 200, r.json
    assert r.json["password"] is None  # nothing made: nothing to show
    assert r.json["user"]["username"] == "rep_a1" and "password" not in r.json["user"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert login(client, "rep_a1").status_code == 401
    assert login(client, "rep_a1", "a new secret").status_code == 200


def test_a_generated_password_is_answered_once_and_only_its_hash_kept(world, api, client):
    token = login(client, "rep_a1").json["token"]
    r = reset(api(world.admin), world.rep_a1.id)
    assert r.status_code == 200, r.json
    made = r.json["password"]
    assert len(made) == service.GENERATED_PASSWORD_LENGTH
    assert made not in db.session.get(User, world.rep_a1.id).password_hash
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert login(client, "rep_a1", made).status_code == 200
    # Asked again, another one.
    assert reset(api(world.admin), world.rep_a1.id).json["password"] != made


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_generated_passwords_follow_the_password_rule_and_have_no_look_alikes(_n):
    made = service.generate_password()
    assert 8 <= len(made) <= 256
    assert not set(made) & set("0O1lI")


@pytest.mark.parametrize("password", ["short", "x" * 257, ""])
def test_a_reset_to_a_password_breaking_the_rule_is_422_at_the_field(world, api, client, password):
    r = reset(api(world.admin), world.rep_a1.id, password=password)
    assert r.status_code == 422
    assert r.json["reason"] == "invalid_value" and r.json["params"] == {"field": "password"}
    assert login(client, "rep_a1").status_code == 200  # unchanged


@pytest.mark.parametrize("who", ["rep_a1", "manager_a", "clerk_a1", "hq"])
def test_only_an_admin_resets_a_password(world, api, client, who):
    r = reset(api(world.users[who]), world.rep_a2.id, password="taken over")
    assert r.status_code == 403
    assert login(client, "rep_a2").status_code == 200


def test_resetting_an_unknown_user_is_404(world, api):
    r = reset(api(world.admin), 999_999, password="whatever123")
    assert r.status_code == 404 and r.json["reason"] == "user.not_found"


def test_a_deactivated_user_is_refused_at_sign_in_and_their_token_stops(world, api, client):
    token = login(client, "rep_a1").json["token"]
    admin = api(world.admin)
    assert admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"active": False}).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert login(client, "rep_a1").status_code == 401
    # A reset does not reactivate.
    assert reset(admin, world.rep_a1.id, password="still locked").status_code == 200
    assert login(client, "rep_a1", "still locked").status_code == 401
    assert admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"active": True}).status_code == 200
    assert login(client, "rep_a1", "still locked").status_code == 200


def test_the_user_list_filters_by_active(world, api):
    admin = api(world.admin)
    admin.patch(f"/api/v1/users/{world.rep_a2.id}", json={"active": False})
    inactive = {u["username"] for u in admin.get("/api/v1/users?active=false&page_size=100").json}
    active = {u["username"] for u in admin.get("/api/v1/users?active=true&page_size=100").json}
    assert inactive == {"rep_a2"}
    assert "rep_a2" not in active and "rep_a1" in active
    both = admin.get("/api/v1/users?active=false&role=rep&q=a2").json
    assert [u["username"] for u in both] == ["rep_a2"]


def test_what_a_move_to_another_territory_does_to_a_reps_visits(world, api):
    """What the admin's form says when a rep moves: the visits made stay theirs, a visit still open
    at the old territory's store can no longer be checked out there (the store is out of scope)."""
    from tests.visits.test_api import check_in

    rep = api(world.rep_a1)
    done = check_in(rep, world.store_a1)
    assert (
        rep.post(f"/api/v1/visits/{done['id']}/check-out", json={"checked_out_at": done["checked_in_at"]}).status_code
        == 200
    )
    still_open = check_in(rep, world.store_a1)
    r = api(world.admin).patch(f"/api/v1/users/{world.rep_a1.id}", json={"territory_id": world.terr_a2.id})
    assert r.status_code == 200
    assert {v["id"] for v in rep.get("/api/v1/visits?page_size=100").json} == {done["id"], still_open["id"]}
    out = rep.post(f"/api/v1/visits/{still_open['id']}/check-out", json={"checked_out_at": still_open["checked_in_at"]})
    assert out.status_code == 404 and out.json["reason"] == "store.not_found"
