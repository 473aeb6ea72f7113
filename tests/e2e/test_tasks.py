"""Tasks for reps (issue 18), end to end in Debian's Chromium, the built PWA and the real server:

- the manager, at a desk (1366×900, Chinese), assigns a display task that needs a photo to store A1
  (the store search of the region, the title prefilled from the kind, rep_a1 named);
- the rep's phone (390×844, another browser context) syncs: the task is on Today; the phone goes
  OFFLINE, the rep opens the store (its open tasks), checks in, and at the visit the task step
  refuses "done" without a photo, then takes a photo and marks it done — done at once, offline;
- back online the phone syncs (the mutation and the photo); the server holds the task done once, by
  rep_a1, at that visit, with the photo;
- the manager (landing on team today, where rep_a1's visit then counts) sees it done: the summary's
  counts, the list's "done" filter, the detail with who, when and the photo's thumbnail, and its
  link to the visit's detail, which lists the task done with the photo.

In English: HQ makes a campaign over region A's stores (POST /tasks/batch) and sees it in the
campaign list with its progress; an overdue task shows first, marked, in the manager's list.

A visit to a store without tasks shows no task step (the visit costs no extra tap; bench/visit_taps.py
measures it). E2E_SCREENSHOTS=<dir> saves the desk (1366×900) and phone (390×844) screens.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.extensions import db
from backend.photos.models import Photo, PhotoLink
from backend.tasks.models import Task

from .conftest import PHONE, login, shot, sign_in, wait_for_service_worker, wait_until
from .test_rep_visit import make_jpeg, sync_status, wait_synced

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def phone_shot(page, testid: str | None, name: str) -> None:
    """With E2E_SCREENSHOTS=<dir>: the phone's screen (390×844) with `testid` near the top."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        if testid:
            page.locator(f"[data-testid={testid}]").first.evaluate(
                "el => { el.scrollIntoView(); window.scrollBy(0, -120); }"
            )
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def task_of(title: str) -> Task | None:
    return db.session.scalar(select(Task).where(Task.title == title))


def test_manager_assigns_rep_completes_offline_with_photo_manager_sees_it_done(context_of, phone, e2e_world, tmp_path):
    world = e2e_world
    photo = make_jpeg(tmp_path / "display.jpg")

    # --- the manager assigns the task at the desk -------------------------------------------------
    mgr = context_of("zh-CN").new_page()
    sign_in(mgr, "manager_a")
    expect(mgr.locator("[data-testid=desk-nav]")).to_be_visible()
    # The manager lands on team today: rep_a1 there, nothing done yet.
    team_rep = mgr.locator(f"[data-testid=team-today] [data-testid=team-rep][data-rep-id='{world.rep_a1.id}']")
    expect(team_rep).to_be_visible()
    expect(team_rep.locator("[data-testid=team-done]")).to_contain_text("拜访 0 家")
    mgr.locator("[data-testid=desk-nav] a[href='#/tasks']").click()
    expect(mgr.locator("[data-testid=tasks-summary]")).to_be_visible()
    expect(mgr.locator("[data-testid=tasks-summary-open]")).to_have_attribute("data-n", "0")
    mgr.locator("[data-testid=task-new]").click()
    form = mgr.locator("[data-testid=task-form]")
    # Sending without a store says so at the field.
    form.locator("[data-testid=task-save]").click()
    expect(form.locator("[data-testid=task-field-error][data-field=store_id]")).to_have_text("✗ 请选择门店。")
    form.locator("[data-testid=task-store-search]").fill("天河城")
    option = form.locator(f"[data-testid=task-store-option][data-store-id='{world.store_a1.id}']")
    expect(option).to_be_visible()
    # Only the region's stores: Nanning's store (region B) is never offered.
    form.locator("[data-testid=task-store-search]").fill("青秀")
    expect(form.locator("[data-testid=task-store-option]")).to_have_count(0)
    form.locator("[data-testid=task-store-search]").fill("天河城")
    option.click()
    expect(form.locator("[data-testid=task-store-picked]")).to_contain_text(world.store_a1.name)
    # A display task: the title prefilled from the kind, a photo needed by default.
    expect(form.locator("[data-testid=task-kind] [data-kind=display]")).to_have_attribute("aria-pressed", "true")
    expect(form.locator("[data-testid=task-title]")).to_have_value("整改陈列")
    expect(form.locator("[data-testid=task-needs-photo]")).to_be_checked()
    form.locator("[data-testid=task-title]").fill("整改 P30 展台陈列")
    form.locator("[data-testid=task-note]").fill("真机摆放到位，海报换成双11版")
    form.locator("[data-testid=task-assignee]").select_option(str(world.rep_a1.id))
    shot(mgr, "tasks-01-desk-zh-assign")
    form.locator("[data-testid=task-save]").click()
    detail = mgr.locator("[data-testid=task-detail]")
    expect(detail).to_have_attribute("data-status", "open")
    expect(detail.locator("[data-testid=task-store]")).to_have_text(world.store_a1.name)
    task = wait_until(lambda: task_of("整改 P30 展台陈列"), message="the task on the server")
    assert task.needs_photo and task.assignee_id == world.rep_a1.id and task.store_id == world.store_a1.id
    task_id = str(task.id)

    # --- the rep's phone: the task arrives by sync; the visit offline -----------------------------
    rep = phone().new_page()
    login(rep, "rep_a1")
    wait_synced(rep)
    today_task = rep.locator(f"[data-testid=today-task][data-task-id='{task_id}']")
    expect(today_task).to_contain_text("整改 P30 展台陈列")
    expect(today_task).to_contain_text(world.store_a1.name)
    expect(today_task).to_contain_text("需拍照")
    phone_shot(rep, "today-tasks", "tasks-02-phone-zh-today")
    wait_for_service_worker(rep)
    rep.context.set_offline(True)
    expect(sync_status(rep)).to_have_attribute("data-state", "offline")

    today_task.click()
    expect(rep.locator("[data-testid=store-screen] h1")).to_have_text(world.store_a1.name)
    expect(rep.locator(f"[data-testid=store-task][data-task-id='{task_id}']")).to_contain_text("整改 P30 展台陈列")
    phone_shot(rep, "store-tasks", "tasks-03-phone-zh-store")
    rep.locator("[data-testid=check-in]").click()
    expect(rep.locator("[data-testid=visit-screen]")).to_be_visible()
    visit_id = rep.locator("[data-testid=visit-screen]").get_attribute("data-visit-id")
    step = rep.locator("[data-testid=step-tasks]")
    expect(step).to_have_attribute("open", "")  # open: the store has a task to do
    item = step.locator(f"[data-testid=visit-task][data-task-id='{task_id}']")
    expect(item).to_contain_text("真机摆放到位")
    item.locator("[data-testid=task-mark-done]").click()
    # Done without the photo it needs: refused on the phone, nothing queued.
    item.locator("[data-testid=task-confirm]").click()
    expect(item.locator("[role=alert]")).to_have_text("这项任务需要照片：请先拍照。")
    item.locator("[data-testid=task-photo-input]").set_input_files(photo)
    expect(item.locator("img[data-photo-id]")).to_have_count(1)
    item.locator("[data-testid=task-note]").fill("已按要求整改")
    phone_shot(rep, "step-tasks", "tasks-04-phone-zh-visit-task")
    item.locator("[data-testid=task-confirm]").click()
    done = step.locator(f"[data-testid=task-done][data-task-id='{task_id}']")
    expect(done).to_contain_text("整改 P30 展台陈列")
    expect(done).to_contain_text("1 张照片")
    expect(step.locator("[data-testid=visit-task]")).to_have_count(0)
    expect(step.locator("[data-testid=saved-entry]").first).to_contain_text("待同步")
    phone_shot(rep, "step-tasks", "tasks-05-phone-zh-visit-done")
    rep.locator("[data-testid=visit-notes]").fill("陈列已整改")
    rep.locator("[data-testid=check-out]").click()
    expect(rep.locator("[data-testid=visit-finished]")).to_be_visible()
    # Nothing reached the server while offline.
    db.session.rollback()
    assert db.session.get(Task, task.id).status == "open"

    # --- back online: the completion and the photo sync -------------------------------------------
    rep.context.set_offline(False)
    wait_synced(rep)
    done_task = wait_until(
        lambda: (t := db.session.get(Task, task.id)) is not None and t.status == "done" and t,
        message="the task done on the server",
    )
    assert str(done_task.done_visit_id) == visit_id
    assert done_task.done_by == world.rep_a1.id
    assert done_task.done_note == "已按要求整改"
    link = db.session.scalar(select(PhotoLink).where(PhotoLink.record_type == "task", PhotoLink.record_id == task.id))
    assert link is not None
    wait_until(
        lambda: db.session.scalar(select(Photo.status).where(Photo.id == link.photo_id)) == "ready",
        message="the task's photo processed",
    )
    # Today no longer lists it.
    rep.goto("/#/today")
    expect(rep.locator(f"[data-testid=today-task][data-task-id='{task_id}']")).to_have_count(0)

    # --- the manager sees it done -------------------------------------------------------------------
    # Team today counts rep_a1's visit; the tasks page has the task done.
    mgr.locator("[data-testid=desk-nav] a[href='#/']").click()
    expect(team_rep.locator("[data-testid=team-done]")).to_contain_text("拜访 1 家")
    mgr.locator("[data-testid=desk-nav] a[href='#/tasks']").click()
    expect(mgr.locator("[data-testid=tasks-summary-done]")).to_have_attribute("data-n", "1")
    expect(mgr.locator("[data-testid=tasks-summary-open]")).to_have_attribute("data-n", "0")
    # the counts' colours: done green (--ok), open the text's, not the cancelled's muted grey
    count_color = "e => getComputedStyle(e.querySelector('.tasks-stat-n')).color"
    assert mgr.locator("[data-testid=tasks-summary-done]").evaluate(count_color) == "rgb(26, 122, 56)"
    assert mgr.locator("[data-testid=tasks-summary-open]").evaluate(count_color) != "rgb(95, 107, 118)"
    mgr.locator("[data-testid=tasks-status] [data-status=done]").click()
    row = mgr.locator(f"[data-testid=task-row][data-task-id='{task_id}']")
    expect(row).to_have_attribute("data-status", "done")
    expect(row).to_contain_text(world.rep_a1.display_name)
    shot(mgr, "tasks-06-desk-zh-list-done")
    row.locator("[data-testid=task-link]").click()
    detail = mgr.locator("[data-testid=task-detail]")
    expect(detail).to_have_attribute("data-status", "done")
    expect(detail.locator("[data-testid=task-done-by]")).to_contain_text(world.rep_a1.display_name)
    expect(detail.locator("[data-testid=task-done-note]")).to_have_text("已按要求整改")
    expect(detail.locator("[data-testid=task-visit-link]")).to_have_attribute("href", f"#/visits/{visit_id}")
    thumb = detail.locator("[data-testid=task-photo]")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_attribute("data-loaded", "true")
    shot(mgr, "tasks-07-desk-zh-detail-done")
    # the larger copy takes the focus (its close button) and gives it back to the thumbnail on Esc
    thumb.focus()
    mgr.keyboard.press("Enter")
    viewer = mgr.locator("[data-testid=photo-thumb-viewer]")
    expect(viewer.get_by_role("button")).to_be_focused()
    mgr.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(thumb).to_be_focused()
    # The visit it was done at: its detail has the task done, with the rep's note and the photo.
    detail.locator("[data-testid=task-visit-link]").click()
    visit = mgr.locator(f"[data-testid=visit-detail][data-visit-id='{visit_id}']")
    expect(visit.locator("[data-testid=visit-rep]")).to_have_text(world.rep_a1.display_name)
    tasks_done = visit.locator("[data-testid=visit-tasks]")
    expect(tasks_done).to_contain_text("整改 P30 展台陈列")
    expect(tasks_done).to_contain_text("已按要求整改")
    expect(tasks_done.locator(f"[data-photo-id='{link.photo_id}']")).to_have_attribute("data-loaded", "true")
    shot(mgr, "tasks-08-desk-zh-visit-detail")


def test_hq_campaign_and_overdue_first_in_english(context_of, phone, e2e_world, app):
    world = e2e_world
    today = datetime.now(SHANGHAI).date()
    # An overdue task (made yesterday, due yesterday) and one due next week, at region A's stores.
    late = Task(
        id=uuid.uuid4(),
        store_id=world.store_a2.id,
        region_id=world.region_a.id,
        kind="material",
        title="Deliver the P30 posters",
        due_on=today - timedelta(days=1),
        needs_photo=False,
        material_id=world.material.id,
        status="open",
        created_by=world.manager_a.id,
    )
    later = Task(
        id=uuid.uuid4(),
        store_id=world.store_a1b.id,
        region_id=world.region_a.id,
        kind="other",
        title="Meet the new store manager",
        due_on=today + timedelta(days=7),
        needs_photo=False,
        status="open",
        created_by=world.manager_a.id,
    )
    db.session.add_all([late, later])
    db.session.commit()

    hq = context_of("en-GB").new_page()
    sign_in(hq, "hq")
    expect(hq.locator("[data-testid=desk-nav]")).to_be_visible()
    hq.locator("[data-testid=desk-nav] a[href='#/tasks']").click()
    expect(hq.locator("h1")).to_have_text("Tasks")
    expect(hq.locator("[data-testid=tasks-summary-overdue]")).to_have_attribute("data-n", "1")
    # Overdue first (the default filter), marked.
    rows = hq.locator("[data-testid=task-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "overdue")
    expect(rows.first).to_contain_text("Deliver the P30 posters")
    hq.locator("[data-testid=tasks-status] [data-status=open]").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Deliver the P30 posters")  # the earliest due first

    hq.locator("[data-testid=task-new]").click()
    form = hq.locator("[data-testid=task-form]")
    expect(form).to_have_attribute("data-batch", "true")
    form.locator("[data-testid=task-save]").click()
    expect(form.locator("[data-testid=task-field-error][data-field=campaign]")).to_have_text("✗ Name the campaign.")
    form.locator("[data-testid=task-campaign]").fill("Singles' Day displays")
    form.locator("[data-testid=task-region]").select_option(str(world.region_a.id))
    form.locator("[data-testid=task-kind] [data-kind=material]").click()
    expect(form.locator("[data-testid=task-title]")).to_have_value("Deliver material")
    expect(form.locator("[data-testid=task-needs-photo]")).not_to_be_checked()
    form.locator("[data-testid=task-material]").select_option(str(world.material.id))
    expect(form.locator("[data-testid=task-title]")).to_have_value("Deliver P30 海报")
    shot(hq, "tasks-09-desk-en-campaign-form")
    form.locator("[data-testid=task-save]").click()
    # The campaign's own list: one task at each active store of region A.
    expect(hq.locator("h2", has_text="Campaign “Singles' Day displays”")).to_be_visible()
    hq.locator("[data-testid=tasks-status] [data-status=open]").click()
    stores_a = 3  # A1-001, A1-002, A2-001
    expect(hq.locator("[data-testid=task-row]")).to_have_count(stores_a)
    db.session.rollback()
    made = db.session.scalars(select(Task).where(Task.campaign == "Singles' Day displays")).all()
    assert sorted(t.store_id for t in made) == sorted([world.store_a1.id, world.store_a1b.id, world.store_a2.id])
    # The campaign list with its progress.
    hq.locator("[data-testid=desk-nav] a[href='#/tasks']").click()
    campaign = hq.locator('[data-testid=campaign-row][data-campaign="Singles\' Day displays"]')
    expect(campaign).to_contain_text("0%")
    expect(campaign.locator("td").nth(1)).to_have_text("3")
    shot(hq, "tasks-10-desk-en-campaigns")

    # The campaign reaches the phones: rep_a1 (territory 天河: A1-001, A1-002) has its two tasks
    # and the other one due next week on Today, in English; not A2-001's (another territory).
    rep = phone(position=(world.store_a1b.latitude, world.store_a1b.longitude), locale="en-GB").new_page()
    login(rep, "rep_a1")
    wait_synced(rep)
    items = rep.locator("[data-testid=today-task]")
    expect(items).to_have_count(3)
    expect(rep.locator("[data-testid=today-tasks]")).not_to_contain_text("Deliver the P30 posters")
    expect(items.filter(has_text="Deliver P30 海报")).to_have_count(2)
    expect(items.filter(has_text="Meet the new store manager")).to_contain_text("due")
    phone_shot(rep, "today-tasks", "tasks-11-phone-en-today")
    rep.goto(f"/#/store/{world.store_a1b.id}")
    expect(rep.locator("[data-testid=store-task]")).to_have_count(2)
    rep.locator("[data-testid=check-in]").click()
    step = rep.locator("[data-testid=step-tasks]")
    expect(step.locator("summary")).to_contain_text("Tasks at this store")
    expect(step.locator("[data-testid=visit-task]")).to_have_count(2)
    phone_shot(rep, "step-tasks", "tasks-12-phone-en-visit")

    # HQ cancels the other task at the desk (asked first); the phone's next sync drops it from the
    # visit, which keeps the campaign's.
    other = db.session.scalar(select(Task).where(Task.title == "Meet the new store manager"))
    hq.goto(f"/#/tasks/{other.id}")
    detail = hq.locator("[data-testid=task-detail]")
    expect(detail).to_have_attribute("data-status", "open")
    detail.locator("[data-testid=task-cancel]").click()
    expect(detail).to_contain_text("Cancel this task? The rep no longer sees it.")
    detail.locator("[data-testid=task-cancel-yes]").click()
    expect(detail).to_have_attribute("data-status", "cancelled")
    expect(detail.locator("[data-testid=task-cancel]")).to_have_count(0)
    rep.locator(".syncbar button[aria-label='Sync now']").click()
    expect(step.locator("[data-testid=visit-task]")).to_have_count(1, timeout=30_000)
    expect(step.locator("[data-testid=visit-task]")).to_contain_text("Deliver P30 海报")


def test_a_visit_without_tasks_shows_no_task_step(phone, e2e_world):
    page = phone().new_page()
    login(page, "rep_a1")
    wait_synced(page)
    expect(page.locator("[data-testid=today-tasks]")).to_have_count(0)
    page.goto(f"/#/store/{e2e_world.store_a1.id}")
    expect(page.locator("[data-testid=store-tasks]")).to_have_count(0)
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    expect(page.locator("[data-testid=step-display]")).to_be_visible()
    expect(page.locator("[data-testid=step-tasks]")).to_have_count(0)
    assert PHONE["viewport"] == {"width": 390, "height": 844}


def test_a_task_cancelled_while_the_rep_completes_it_offline_is_refused_in_their_language(phone, e2e_world):
    """The manager cancels the task while the rep, offline, marks it done: back online the server
    refuses the completion (task.cancelled) and the phone says so at the visit and in the outbox,
    in Chinese; the task shows cancelled no more on Today, and the refusal can be discarded."""
    from backend.tasks.service import cancel

    world = e2e_world
    today = datetime.now(SHANGHAI).date()
    task = Task(
        id=uuid.uuid4(),
        store_id=world.store_a1.id,
        region_id=world.region_a.id,
        kind="other",
        title="核对门店营业时间",
        due_on=today,
        needs_photo=False,
        status="open",
        created_by=world.manager_a.id,
    )
    db.session.add(task)
    db.session.commit()

    page = phone().new_page()
    login(page, "rep_a1")
    wait_synced(page)
    expect(page.locator(f"[data-testid=today-task][data-task-id='{task.id}']")).to_contain_text("今天截止")
    wait_for_service_worker(page)
    page.context.set_offline(True)
    page.goto(f"/#/store/{world.store_a1.id}")
    page.locator("[data-testid=check-in]").click()
    item = page.locator(f"[data-testid=visit-task][data-task-id='{task.id}']")
    item.locator("[data-testid=task-mark-done]").click()
    expect(item.locator("[data-testid=task-photo-input]")).to_have_count(0)  # no photo asked
    item.locator("[data-testid=task-confirm]").click()
    step = page.locator("[data-testid=step-tasks]")
    expect(step.locator(f"[data-testid=task-done][data-task-id='{task.id}']")).to_be_visible()

    cancel(world.manager_a, task.id)
    db.session.commit()
    page.context.set_offline(False)
    refused = step.locator("[data-testid=task-refused]")
    expect(refused).to_be_visible(timeout=30_000)
    expect(refused).to_contain_text("核对门店营业时间")
    expect(refused).to_contain_text("这项任务已于")
    expect(refused).to_contain_text("被取消")
    # The server's state came back: cancelled, no longer done here nor to do.
    expect(step.locator("[data-testid=task-done]")).to_have_count(0)
    expect(step.locator("[data-testid=visit-task]")).to_have_count(0)
    phone_shot(page, "step-tasks", "tasks-13-phone-zh-refused")
    page.goto("/#/outbox")
    entry = page.locator("[data-testid=outbox-entry][data-name='task.complete']")
    expect(entry).to_have_attribute("data-status", "rejected")
    expect(entry.locator("[data-testid=outbox-reason]")).to_contain_text("被取消")
    phone_shot(page, None, "tasks-14-phone-zh-outbox")
    page.go_back()
    page.locator("[data-testid=task-refused-discard]").click()
    expect(page.locator("[data-testid=task-refused]")).to_have_count(0)
    expect(sync_status(page)).not_to_have_attribute("data-shown", "refused")
    db.session.rollback()
    assert db.session.get(Task, task.id).status == "cancelled"
