"""Property: whatever JSON a device puts in a mutation's arguments (huge integers, NUL,
unpaired surrogates, floats, nesting, unknown keys), a push never answers 500, and every
mutation is answered applied, merged, rejected or duplicate: one bad entry never blocks the
outbox."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.timeutil import utcnow
from backend.sync.mutations import ARG_SCHEMAS, HANDLERS
from sync_protocol import HLC
from sync_protocol.envelope import MAX_MUTATION_ID

PUSH = "/api/v1/sync/push"
SAFE = 2**53  # the envelope refuses integers JavaScript cannot hold exactly (a 400 for the push)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec=None), max_size=20)
    | st.sampled_from(["\x00", "\udc00", "\ud83d", "2026-01-01", "0001-01-01T00:00:00Z", "12", "1e400", ""])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def args_for(name: str):
    """Every argument the mutation's schema knows (and maybe an unknown one), each any JSON."""
    keys = [f.data_key or key for key, f in ARG_SCHEMAS[name]().fields.items() if not f.dump_only]
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, json_values))
    return st.tuples(known, st.dictionaries(st.text(max_size=6), json_values, max_size=1)).map(lambda kv: kv[1] | kv[0])


pushes = st.tuples(*(args_for(name) for name in sorted(HANDLERS)))


def has_unsafe_int(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > SAFE
    if isinstance(value, dict):
        return any(has_unsafe_int(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unsafe_int(v) for v in value)
    return False


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(all_args=pushes)
def test_no_mutation_arguments_make_a_push_fail(api, world, all_args):
    client_id = f"prop-{uuid.uuid4().hex[:12]}"
    now = int(utcnow().timestamp() * 1000)
    mutations = [
        {"id": i, "name": name, "args": args, "hlc": HLC(now, i, client_id).encode()}
        for i, (name, args) in enumerate(zip(sorted(HANDLERS), all_args, strict=True), start=1)
    ]
    assert len(mutations) < MAX_MUTATION_ID
    body = {"protocol_version": 1, "client_id": client_id, "app_version": "1.0.0", "mutations": mutations}
    for user in (world.rep_a1, world.manager_a, world.clerk_a1):
        r = api(user).post(PUSH, json=body)
        assert r.status_code != 500, r.json
        if has_unsafe_int(all_args):
            assert r.status_code == 400 and r.json["code"] == "invalid_envelope", r.json
            return
        assert r.status_code == 200, r.json
        results = r.json["results"]
        assert [x["id"] for x in results] == [m["id"] for m in mutations]
        for x in results:
            assert x["status"] in {"applied", "merged", "rejected", "duplicate"}, x
            if x["status"] == "rejected":
                assert isinstance(x["error"]["code"], str) and x["error"]["message"], x
        client_id = f"prop-{uuid.uuid4().hex[:12]}"  # each user pushes as its own device
        body = body | {"client_id": client_id}
        for i, m in enumerate(body["mutations"], start=1):
            m["hlc"] = HLC(now, i, client_id).encode()
