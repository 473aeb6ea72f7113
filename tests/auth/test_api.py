"""Login, logout, tokens, the bearer-token gate on every endpoint, and user administration."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from backend.auth.models import AuthToken, User, hash_token
from backend.core.timeutil import utcnow
from backend.extensions import db
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login"
WRONG = "Wrong username or password."


def login(client, username, password=PASSWORD):
    return client.post(LOGIN, json={"username": username, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


# --- login / logout / tokens -----------------------------------------------------------------


def test_login_returns_bearer_token_with_expiry(client, world, app):
    before = utcnow()
    r = login(client, "rep_a1")
    assert r.status_code == 200, r.json
    body = r.json
    assert body["token_type"] == "Bearer"
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    expires = parse_utc(body["expires_at"])
    ttl = timedelta(seconds=app.config["TOKEN_TTL_SECONDS"])
    assert before + ttl - timedelta(seconds=5) <= expires <= utcnow() + ttl + timedelta(seconds=5)
    assert body["user"]["username"] == "rep_a1"
    assert body["user"]["role"] == "rep"
    assert body["user"]["territory_id"] == world.terr_a1.id

    me = client.get("/api/v1/auth/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json["id"] == world.rep_a1.id

    # Only a hash of the token is stored.
    row = db.session.scalar(select(AuthToken).where(AuthToken.user_id == world.rep_a1.id))
    assert row.token_hash == hash_token(body["token"])
    assert body["token"] not in row.token_hash


def test_wrong_password_is_401_with_a_clear_message(client, world):
    r = login(client, "rep_a1", "not the password")
    assert r.status_code == 401
    assert r.json["message"] == WRONG
    assert r.json["code"] == "unauthorized"
    assert "token" not in r.json


def test_unknown_user_gets_the_same_401(client, world):
    known = login(client, "rep_a1", "not the password")
    unknown = login(client, "nobody_here", "not the password")
    assert unknown.status_code == 401
    assert unknown.json == known.json


def test_inactive_user_cannot_log_in_and_their_tokens_stop_working(client, world, api):
    rep = api(world.rep_a1)
    assert rep.get("/api/v1/auth/me").status_code == 200
    world.rep_a1.active = False
    db.session.commit()
    r = login(client, "rep_a1")
    assert r.status_code == 401 and r.json["message"] == WRONG
    assert rep.get("/api/v1/auth/me").status_code == 401


def test_a_deactivation_ends_every_session_even_after_a_reactivation(client, world, api):
    rep, admin = api(world.rep_a1), api(world.admin)
    assert rep.get("/api/v1/auth/me").status_code == 200
    assert admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"active": False}).status_code == 200
    assert rep.get("/api/v1/auth/me").status_code == 401
    assert admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"active": True}).status_code == 200
    assert rep.get("/api/v1/auth/me").status_code == 401, "a token from before the deactivation works again"
    fresh = login(client, "rep_a1")
    assert fresh.status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(fresh.json["token"])).status_code == 200


def test_a_deactivated_account_answers_no_faster_than_a_wrong_password(client, world, app, monkeypatch):
    """Its password hash is checked too: answering at once would tell which usernames exist but
    are disabled. Measured with a real hash cost (~0.1 s), so the gap would be tenfold."""
    import time

    from backend.auth.service import hash_password

    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 2)
    monkeypatch.setitem(app.config, "ARGON2_MEMORY_COST", 32768)
    for user, active in ((world.rep_a1, True), (world.rep_a1b, False)):
        user.password_hash = hash_password(PASSWORD)
        user.active = active
    db.session.commit()

    def seconds(username: str) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            assert login(client, username, "not the password").status_code == 401
            runs.append(time.perf_counter() - start)
        return sorted(runs)[1]

    active, inactive = seconds("rep_a1"), seconds("rep_a1b")
    assert inactive > 0.5 * active, (inactive, active)


def test_logout_revokes_the_token(client, world):
    token = login(client, "manager_a").json["token"]
    other = login(client, "manager_a").json["token"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    r = client.post("/api/v1/auth/logout", headers=bearer(token))
    assert r.status_code == 204
    after = client.get("/api/v1/auth/me", headers=bearer(token))
    assert after.status_code == 401
    assert "log in again" in after.json["message"]
    # Only that session ends.
    assert client.get("/api/v1/auth/me", headers=bearer(other)).status_code == 200


def test_expired_token_is_401(client, world):
    token = login(client, "hq").json["token"]
    row = db.session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_token(token)))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = client.get("/api/v1/auth/me", headers=bearer(token))
    assert r.status_code == 401
    assert r.json["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic cmVwX2ExOnB3", "Bearer not-a-real-token", "Token abc"],
)
def test_missing_or_bad_authorization_header_is_401(client, world, header):
    headers = {} if header is None else {"Authorization": header}
    r = client.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.json["status"] == 401 and r.json["message"]


def _sample_url(rule) -> str:
    def fill(match):
        converter = match.group(1) or "default"
        return {"int": "1", "uuid": str(uuid.uuid4()), "float": "1.0"}.get(converter, "x")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", fill, rule.rule)


def test_every_api_endpoint_but_login_health_and_app_config_needs_a_token(app, client, world):
    # app-config: what the PWA needs before anyone signs in (the map tile server, the time zone).
    public = {"/api/v1/auth/login", "/api/v1/health", "/api/v1/app-config"}
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _sample_url(rule)
            r = client.open(url, method=method, json={})
            if rule.rule in public:
                assert r.status_code != 401, (method, url)
            else:
                assert r.status_code == 401, (method, url, r.status_code, r.json)
                assert r.json["code"] == "unauthorized"
                checked.append((method, rule.rule))
    assert len(checked) > 40  # the walk really found the API
    assert client.get("/api/v1/health").status_code == 200
    assert set(client.get("/api/v1/app-config").json) == {"map_tile_url", "map_attribution", "business_timezone"}


def test_openapi_document_and_docs_are_public(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/auth/login" in r.json["paths"]
    assert client.get("/api/docs").status_code == 200


# --- passwords --------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_and_never_returned(world, api, client):
    admin = api(world.admin)
    r = admin.post(
        "/api/v1/users",
        json={
            "username": "new_rep",
            "display_name": "New Rep",
            "role": "rep",
            "territory_id": world.terr_a1.id,
            "password": "s3cret-pass",
        },
    )
    assert r.status_code == 201, r.json
    user = db.session.get(User, r.json["id"])
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-pass" not in user.password_hash

    responses = [
        r,
        login(client, "new_rep", "s3cret-pass"),
        admin.get(f"/api/v1/users/{user.id}"),
        admin.get("/api/v1/users?page_size=100"),
        admin.patch(f"/api/v1/users/{user.id}", json={"display_name": "Renamed"}),
        api(user).get("/api/v1/auth/me"),
    ]
    for resp in responses:
        assert resp.status_code in (200, 201), resp.json
        text = resp.get_data(as_text=True)
        assert "password" not in text
        assert "argon2" not in text
        assert "s3cret-pass" not in text


def test_me_returns_the_logged_in_user(world, api):
    for name, user in world.users.items():
        r = api(user).get("/api/v1/auth/me")
        assert r.status_code == 200
        assert r.json["username"] == name
        assert r.json["role"] == user.role
        assert r.json["active"] is True


# --- user administration ------------------------------------------------------------------------


def new_user(**kw) -> dict:
    body = {"username": "u_" + uuid.uuid4().hex[:8], "display_name": "Someone", "role": "hq", "password": "longenough"}
    return body | kw


def test_admin_creates_users_of_every_role(world, api, client):
    admin = api(world.admin)
    placements = {
        "rep": {"territory_id": world.terr_b1.id},
        "manager": {"region_id": world.region_b.id},
        "clerk": {"store_id": world.store_b1.id},
        "hq": {},
        "admin": {},
    }
    for role, placement in placements.items():
        body = new_user(role=role, **placement)
        r = admin.post("/api/v1/users", json=body)
        assert r.status_code == 201, (role, r.json)
        assert r.json["role"] == role
        for key, value in placement.items():
            assert r.json[key] == value
        assert login(client, body["username"], body["password"]).status_code == 200


@pytest.mark.parametrize(
    ("role", "needs"),
    [("rep", "territory_id"), ("manager", "region_id"), ("clerk", "store_id")],
)
def test_a_placed_role_without_its_placement_is_422_naming_the_field(world, api, role, needs):
    r = api(world.admin).post("/api/v1/users", json=new_user(role=role))
    assert r.status_code == 422
    assert needs in r.json["errors"]["json"]
    assert needs in r.json["message"]


@pytest.mark.parametrize("field", ["territory_id", "region_id", "store_id"])
def test_unknown_placement_is_422_naming_the_field(world, api, field):
    role = {"territory_id": "rep", "region_id": "manager", "store_id": "clerk"}[field]
    r = api(world.admin).post("/api/v1/users", json=new_user(role=role, **{field: 999_999}))
    assert r.status_code == 422
    assert field in r.json["errors"]["json"]


def test_user_input_is_validated(world, api):
    admin = api(world.admin)
    cases = [
        (new_user(role="boss"), "role"),
        (new_user(password="short"), "password"),
        (new_user(username="has space"), "username"),
        ({k: v for k, v in new_user().items() if k != "password"}, "password"),
        (new_user(password_hash="x"), "password_hash"),
    ]
    for body, field in cases:
        r = admin.post("/api/v1/users", json=body)
        assert r.status_code == 422, body
        assert field in r.json["errors"]["json"], r.json


def test_duplicate_username_is_409(world, api):
    r = api(world.admin).post("/api/v1/users", json=new_user(username="rep_a1"))
    assert r.status_code == 409
    assert "username" in r.json["errors"]["json"]
    assert "rep_a1" in r.json["message"]


@pytest.mark.parametrize("who", ["rep_a1", "manager_a", "clerk_a1", "hq"])
def test_only_admins_create_or_change_users(world, api, who):
    caller = api(world.users[who])
    r = caller.post("/api/v1/users", json=new_user())
    assert r.status_code == 403
    assert r.json["code"] == "forbidden"
    r = caller.patch(f"/api/v1/users/{world.rep_a1.id}", json={"display_name": "Hacked"})
    assert r.status_code == 403
    assert db.session.get(User, world.rep_a1.id).display_name != "Hacked"


def test_admin_patches_a_user(world, api):
    admin = api(world.admin)
    r = admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"display_name": "Ada", "territory_id": world.terr_a2.id})
    assert r.status_code == 200, r.json
    assert r.json["display_name"] == "Ada"
    assert r.json["territory_id"] == world.terr_a2.id
    # The username is fixed.
    r = admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"username": "renamed"})
    assert r.status_code == 422
    # A rep cannot lose their territory.
    r = admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"territory_id": None})
    assert r.status_code == 422 and "territory_id" in r.json["errors"]["json"]
    # Nor become a manager without a region.
    r = admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"role": "manager"})
    assert r.status_code == 422 and "region_id" in r.json["errors"]["json"]
    assert admin.patch("/api/v1/users/999999", json={"display_name": "x"}).status_code == 404


def test_password_change_revokes_the_users_tokens(world, api, client):
    token = login(client, "rep_a1").json["token"]
    admin = api(world.admin)
    other_user = login(client, "rep_a2").json["token"]
    r = admin.patch(f"/api/v1/users/{world.rep_a1.id}", json={"password": "brand new password"})
    assert r.status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(other_user)).status_code == 200
    assert admin.get("/api/v1/auth/me").status_code == 200
    assert login(client, "rep_a1").status_code == 401
    assert login(client, "rep_a1", "brand new password").status_code == 200


def test_a_change_without_password_keeps_the_sessions(world, api, client):
    token = login(client, "rep_a1").json["token"]
    assert api(world.admin).patch(f"/api/v1/users/{world.rep_a1.id}", json={"phone": "13800000000"}).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200


def _usernames(resp) -> set[str]:
    assert resp.status_code == 200, resp.json
    return {u["username"] for u in resp.json}


def test_a_manager_lists_only_the_users_of_their_region(world, api):
    manager = api(world.manager_a)
    seen = _usernames(manager.get("/api/v1/users?page_size=100"))
    assert seen == {"rep_a1", "rep_a1b", "rep_a2", "manager_a", "clerk_a1"}
    assert _usernames(api(world.manager_b).get("/api/v1/users?page_size=100")) == {"rep_b1", "manager_b", "clerk_b1"}
    assert manager.get(f"/api/v1/users/{world.rep_a2.id}").status_code == 200
    assert manager.get(f"/api/v1/users/{world.clerk_a1.id}").status_code == 200
    for outsider in (world.rep_b1, world.manager_b, world.hq, world.admin):
        r = manager.get(f"/api/v1/users/{outsider.id}")
        assert r.status_code == 404
        assert r.json == manager.get("/api/v1/users/999999").json | {
            "message": f"No user {outsider.id}.",
            "params": {"user_id": outsider.id},
        }


def test_hq_and_admin_list_everyone_reps_and_clerks_nobody(world, api):
    everyone = set(world.users)
    assert _usernames(api(world.hq).get("/api/v1/users?page_size=100")) == everyone
    assert _usernames(api(world.admin).get("/api/v1/users?page_size=100")) == everyone
    for who in ("rep_a1", "clerk_a1"):
        caller = api(world.users[who])
        assert caller.get("/api/v1/users").status_code == 403
        assert caller.get(f"/api/v1/users/{world.users[who].id}").status_code == 403


def test_user_list_filters_and_pagination(world, api):
    import json

    admin = api(world.admin)
    assert _usernames(admin.get("/api/v1/users?role=rep")) == {"rep_a1", "rep_a1b", "rep_a2", "rep_b1"}
    assert _usernames(admin.get(f"/api/v1/users?territory_id={world.terr_a1.id}")) == {"rep_a1", "rep_a1b"}
    # A region's users: its managers, its territories' reps and its stores' clerks (as a manager sees them).
    assert _usernames(admin.get(f"/api/v1/users?region_id={world.region_b.id}")) == {"manager_b", "rep_b1", "clerk_b1"}
    assert _usernames(admin.get(f"/api/v1/users?region_id={world.region_b.id}&role=manager")) == {"manager_b"}
    assert _usernames(admin.get(f"/api/v1/users?store_id={world.store_a1.id}")) == {"clerk_a1"}
    assert _usernames(admin.get("/api/v1/users?q=MANAGER")) == {"manager_a", "manager_b"}
    assert admin.get("/api/v1/users?role=boss").status_code == 422

    r = admin.get("/api/v1/users?page=2&page_size=4")
    assert r.status_code == 200
    pagination = json.loads(r.headers["X-Pagination"])
    assert pagination["total"] == len(world.users)
    assert pagination["total_pages"] == 3
    assert pagination["page"] == 2
    assert len(r.json) == 4
    page1 = admin.get("/api/v1/users?page=1&page_size=4").json
    assert not {u["id"] for u in page1} & {u["id"] for u in r.json}
