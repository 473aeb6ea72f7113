"""Per-field last-writer-wins: semilattice laws, apply_patch, tombstones, convergence."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_protocol import (
    HLC,
    InvalidHLC,
    apply_patch,
    canonical_json,
    is_deleted,
    merge,
    state_from_values,
    values,
)

from .strategies import W, dense_states, entries, field_names, json_values, patches, states, tiny_hlcs, writers


def same(a, b) -> bool:
    """Equal as JSON (so True and 1 differ, unlike Python's ==)."""
    return canonical_json(a) == canonical_json(b)


@given(states | dense_states, states | dense_states)
def test_merge_is_commutative(a, b):
    assert same(merge(a, b), merge(b, a))


@given(states | dense_states, states | dense_states, states | dense_states)
def test_merge_is_associative(a, b, c):
    assert same(merge(merge(a, b), c), merge(a, merge(b, c)))


@given(states)
def test_merge_is_idempotent(a):
    assert same(merge(a, a), a)


@given(states, states)
def test_merge_absorbs_what_it_already_contains(a, b):
    ab = merge(a, b)
    assert same(merge(ab, a), ab)
    assert same(merge(ab, b), ab)


@given(dense_states, dense_states)
def test_merge_keeps_the_greatest_hlc_of_every_field(a, b):
    out = merge(a, b)
    assert out.keys() == a.keys() | b.keys()
    for field, entry in out.items():
        candidates = [s[field] for s in (a, b) if field in s]
        assert any(entry is c for c in candidates)
        assert HLC.parse(entry["hlc"]) == max(HLC.parse(c["hlc"]) for c in candidates)


@given(states, states)
def test_merge_does_not_modify_its_inputs(a, b):
    a0, b0 = copy.deepcopy(a), copy.deepcopy(b)
    merge(a, b)
    assert same(a, a0) and same(b, b0)


@given(states, patches, tiny_hlcs, writers, st.none() | st.dictionaries(field_names, tiny_hlcs.map(HLC.encode)))
def test_apply_patch_equals_merge_of_patch_state(state, patch, hlc, by, base):
    new_state, _ = apply_patch(state, patch, hlc.encode(), by, base)
    assert same(new_state, merge(state, state_from_values(patch, hlc.encode(), by)))


@given(states, patches, tiny_hlcs, writers, st.none() | st.dictionaries(field_names, tiny_hlcs.map(HLC.encode)))
def test_apply_patch_conflicts_are_patched_fields_with_different_values(state, patch, hlc, by, base):
    new_state, conflicts = apply_patch(state, patch, hlc.encode(), by, base)
    fields = [c["field"] for c in conflicts]
    assert fields == sorted(set(fields))
    for c in conflicts:
        assert c["field"] in patch and c["field"] in state
        assert not same(c["kept"]["value"], c["lost"]["value"])
        assert same(new_state[c["field"]], c["kept"])
        assert {canonical_json(c["kept"]), canonical_json(c["lost"])} == {
            canonical_json(state[c["field"]]),
            canonical_json({"value": patch[c["field"]], "hlc": hlc.encode(), "by": by}),
        }


@given(states, patches, tiny_hlcs, writers)
def test_apply_patch_without_base_conflicts_only_when_the_write_loses(state, patch, hlc, by):
    new_state, conflicts = apply_patch(state, patch, hlc.encode(), by)
    for c in conflicts:
        assert c["kept"] is state[c["field"]]
        assert new_state[c["field"]] is state[c["field"]]


@given(states, patches, tiny_hlcs, writers)
def test_apply_patch_with_a_base_naming_every_current_hlc_is_like_no_base(state, patch, hlc, by):
    base = {field: entry["hlc"] for field, entry in state.items()}
    assert same(apply_patch(state, patch, hlc.encode(), by, base), apply_patch(state, patch, hlc.encode(), by))


@given(states, patches, tiny_hlcs, writers)
def test_apply_patch_twice_is_applying_it_once(state, patch, hlc, by):
    once, _ = apply_patch(state, patch, hlc.encode(), by)
    twice, conflicts = apply_patch(once, patch, hlc.encode(), by)
    assert same(once, twice)
    assert all(c["kept"] is once[c["field"]] for c in conflicts)


@given(
    st.lists(st.tuples(patches, tiny_hlcs, writers), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
def test_replicas_converge_whatever_the_delivery_order(edits, rnd):
    """Two replicas receiving the same edits in different orders, some twice, end up identical."""

    def replay(order):
        state: dict = {}
        for patch, hlc, by in order:
            state, _ = apply_patch(state, patch, hlc.encode(), by)
        return state

    shuffled = edits + edits[: len(edits) // 2]
    rnd.shuffle(shuffled)
    assert same(replay(edits), replay(shuffled))


def e(value, hlc, by="u1"):
    return {"value": value, "hlc": hlc.encode() if isinstance(hlc, HLC) else hlc, "by": by}


H1, H2, H3 = HLC(W + 1, 0, "a"), HLC(W + 2, 0, "a"), HLC(W + 3, 0, "b")


def test_tombstone_beats_an_older_edit_and_loses_to_a_newer_undelete():
    deleted = {"_deleted": e(True, H2), "name": e("x", H1)}
    assert is_deleted(merge(deleted, {"name": e("y", H1, "u2")}))
    assert is_deleted(merge(deleted, {"_deleted": e(False, H1)}))
    assert not is_deleted(merge(deleted, {"_deleted": e(False, H3)}))


def test_an_edit_after_a_delete_does_not_undelete():
    state, conflicts = apply_patch({"_deleted": e(True, H2)}, {"name": "late"}, H3.encode(), "u2")
    assert is_deleted(state) and conflicts == []
    assert values(state) == {"name": "late"}


def test_is_deleted_only_for_true():
    assert not is_deleted({})
    assert not is_deleted({"_deleted": e(1, H1)})
    assert not is_deleted({"_deleted": e("true", H1)})
    assert is_deleted({"_deleted": e(True, H1)})


def test_apply_patch_conflict_shapes():
    state = {"name": e("Shop", H2, "u2")}
    _, lost = apply_patch(state, {"name": "Old"}, H1.encode(), "u1")
    assert lost == [{"field": "name", "kept": e("Shop", H2, "u2"), "lost": e("Old", H1, "u1")}]
    _, unseen = apply_patch(state, {"name": "New"}, H3.encode(), "u1", base={"name": H1.encode()})
    assert unseen == [{"field": "name", "kept": e("New", H3, "u1"), "lost": e("Shop", H2, "u2")}]
    _, seen = apply_patch(state, {"name": "New"}, H3.encode(), "u1", base={"name": H2.encode()})
    assert seen == []


def test_values_are_compared_as_json():
    state = {"n": e(1, H2)}
    assert apply_patch(state, {"n": True}, H1.encode(), "u1")[1] != []
    assert apply_patch(state, {"n": 1}, H1.encode(), "u1")[1] == []
    assert apply_patch({"o": e({"a": 1, "b": [1]}, H2)}, {"o": {"b": [1], "a": 1}}, H1.encode(), "u1")[1] == []


def test_equal_hlc_tie_break_is_canonical_json():
    a, b = e("apple", H1), e("banana", H1)
    assert merge({"f": a}, {"f": b})["f"] == b == merge({"f": b}, {"f": a})["f"]
    # code point order, not UTF-16: U+1F600 > U+FF01
    hi, lo = e("\U0001f600", H1), e("\uff01", H1)
    assert merge({"f": lo}, {"f": hi})["f"] == hi


def test_state_from_values_and_values_round_trip():
    state = state_from_values({"name": "A", "qty": 3}, H1.encode(), "u1")
    assert state == {"name": e("A", H1), "qty": e(3, H1)}
    assert values(state) == {"name": "A", "qty": 3}


def test_malformed_hlcs_are_refused():
    with pytest.raises(InvalidHLC):
        merge({"f": e(1, "soon")}, {})
    with pytest.raises(InvalidHLC):
        apply_patch({}, {"f": 1}, "001718000000000:00000:", "u1")
    with pytest.raises(InvalidHLC):
        state_from_values({"f": 1}, "x", "u1")


def test_non_json_values_are_refused_in_a_tie():
    with pytest.raises(ValueError):
        merge({"f": e(float("nan"), H1)}, {"f": e(1, H1)})


@given(entries(), json_values)
def test_canonical_json_matches_the_documented_form(entry, value):
    assert canonical_json(entry) == json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(canonical_json(value)) == value
