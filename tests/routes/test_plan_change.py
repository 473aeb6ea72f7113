"""What replacing a plan's stops changes (the 409 `plan.exists` params): every store of the old
and new plans is exactly one of added / removed / kept, and the order flag looks at kept ones."""

from hypothesis import given
from hypothesis import strategies as st

from backend.routes.service import plan_change

ids = st.lists(st.integers(min_value=1, max_value=30), unique=True, max_size=12)


@given(ids, ids)
def test_each_store_is_added_removed_or_kept(old, new):
    c = plan_change(old, new)
    assert set(c["added"]) | set(c["kept"]) == set(new)
    assert set(c["removed"]) | set(c["kept"]) == set(old)
    assert not set(c["added"]) & set(c["kept"]) and not set(c["removed"]) & set(c["kept"])
    assert c["added"] == [s for s in new if s in c["added"]]  # in the new plan's order
    assert c["removed"] == [s for s in old if s in c["removed"]]


@given(ids)
def test_the_same_stops_change_nothing(old):
    assert plan_change(old, old) == {"added": [], "removed": [], "kept": old, "order_changed": False}


def test_by_hand():
    assert plan_change([1, 2, 3, 4, 5, 6], [7, 5, 1, 2, 3, 4]) == {
        "added": [7],
        "removed": [6],
        "kept": [5, 1, 2, 3, 4],
        "order_changed": True,
    }
    assert plan_change([1, 2, 3], [1, 3, 9])["order_changed"] is False
