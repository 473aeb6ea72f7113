"""The pure rules of tasks, over many values (hypothesis): overdue, the kind's required reference,
the photo default, and one campaign task id per (campaign, store)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from backend.tasks.models import TaskKind, TaskStatus
from backend.tasks.service import campaign_task_id, default_needs_photo, is_overdue, missing_reference

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
statuses = st.sampled_from(list(TaskStatus))
kinds = st.sampled_from(list(TaskKind))
ids = st.one_of(st.none(), st.integers(min_value=1, max_value=2**31 - 1))


@given(statuses, days, st.integers(min_value=-400, max_value=400))
def test_overdue_is_open_and_due_before_today(status, today, offset):
    due = today + timedelta(days=offset)
    assert is_overdue(status, due, today) == (status == TaskStatus.OPEN and offset < 0)


@given(days)
def test_due_today_is_not_overdue_and_yesterday_is(today):
    assert not is_overdue(TaskStatus.OPEN, today, today)
    assert is_overdue(TaskStatus.OPEN, today - timedelta(days=1), today)


@given(kinds, ids, ids, ids, ids)
def test_the_reference_a_kind_needs(kind, topic, material, product, competitor):
    values = {"topic_id": topic, "material_id": material, "product_id": product, "competitor_model_id": competitor}
    lacking = missing_reference(kind, values)
    if kind == TaskKind.TRAINING:
        assert lacking == (None if topic is not None else "topic_id")
    elif kind == TaskKind.MATERIAL:
        assert lacking == (None if material is not None else "material_id")
    elif kind == TaskKind.PRICE:
        assert lacking == (None if product is not None or competitor is not None else "product_id")
    else:
        assert lacking is None


@given(kinds)
def test_only_display_needs_a_photo_by_default(kind):
    assert default_needs_photo(kind) == (kind == TaskKind.DISPLAY)


@given(st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=64), st.integers(1, 10**6), st.integers(1, 10**6))
def test_one_campaign_task_per_campaign_and_store(c1, c2, s1, s2):
    assert campaign_task_id(c1, s1) == campaign_task_id(c1, s1)
    assert (campaign_task_id(c1, s1) == campaign_task_id(c2, s2)) == (c1 == c2 and s1 == s2)
