"""Hypothesis strategies shared by the sync-protocol tests.

Drawn from deliberately small pools (a few walls, counters, nodes, field names and values) so that
equal HLCs, equal values and same-field writes — the cases where merge rules matter — are common.
"""

from __future__ import annotations

from hypothesis import strategies as st

from sync_protocol.hlc import HLC, MAX_COUNTER, MAX_WALL_MS

W = 1_718_000_000_000

nodes = st.sampled_from(["a", "b", "phone-1", "Z", "srv.1"])
small_hlcs = st.builds(HLC, st.sampled_from([W, W + 1, W + 2]), st.sampled_from([0, 1, MAX_COUNTER]), nodes)
tiny_hlcs = st.builds(HLC, st.sampled_from([W, W + 1]), st.sampled_from([0, 1]), st.sampled_from(["a", "b"]))
"""Only 8 values: states drawn with these often hold equal HLCs, which exercises the tie-break."""
any_hlcs = st.builds(
    HLC,
    st.one_of(st.integers(0, MAX_WALL_MS - 1), st.sampled_from([0, W, MAX_WALL_MS - 1])),
    st.one_of(st.integers(0, MAX_COUNTER), st.just(MAX_COUNTER)),
    st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 2**53 - 1]),
    st.sampled_from(["", "a", "b", "A", "é", "中", "\U0001f600", "\uff01"]),
    st.sampled_from([0.5, 12.25]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["a", "b", "é"]), inner, max_size=2)
    ),
    max_leaves=4,
)
field_names = st.sampled_from(["name", "tags", "_deleted"])
writers = st.sampled_from(["u1", "u2"])


@st.composite
def entries(draw):
    return {"value": draw(json_values), "hlc": draw(tiny_hlcs).encode(), "by": draw(writers)}


states = st.dictionaries(field_names, entries(), max_size=3)
dense_states = st.dictionaries(st.sampled_from(["name", "_deleted"]), entries(), min_size=1)
"""Two fields at most, so two drawn states usually write the same field."""
patches = st.dictionaries(field_names, json_values, min_size=1, max_size=3)
