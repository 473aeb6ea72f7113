"""A regional manager audits a rep's visit and the region's photos, end to end in Chromium on a
desk (1366×900): from the route review's timeline a row opens the visit's detail — check-in and
check-out against the store, the checklist answers with their items and the score, the photo's
thumbnail, the larger copy in a viewer that Esc closes, the "recycled?" badge of a picture sent
again from another store; then the photo feed shows the region's photos (not another region's)
and filters them by checklist item. Screenshots in Chinese and English, desk and phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.catalogue.models import ChecklistItem
from backend.extensions import db
from tests.desk.helpers import display_check, upload, visit
from tests.factories import ApiClient
from tests.routes.helpers import days_ago, local

from .conftest import DESK, login, shot, sign_in

pytestmark = pytest.mark.slow

NO_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def audit_data(app, world):
    """Yesterday rep A1 checked the display at A1-001 (logo yes, 1 demo phone of 2: 66.7) with a
    photo that is the same picture rep A1b sent from A1-002 the day before; rep B1's photo in
    region B."""
    day = days_ago(1)
    rep = ApiClient(app.test_client(), world.rep_a1)
    other = ApiClient(app.test_client(), world.rep_a1b)
    far = ApiClient(app.test_client(), world.rep_b1)
    logo, demo = world.yes_item.id, world.number_item.id

    v_other = visit(other, world.store_a1b, local(day - timedelta(days=1), 10, 0))
    p_other = upload(other, 21, "f0f0f0f0f0f0f0f0")
    display_check(other, v_other, local(day - timedelta(days=1), 10, 5), [{"item_id": logo, "value": True}], [p_other])

    v = visit(rep, world.store_a1, local(day, 9, 0), out_after=40, notes="店长不在")
    p = upload(rep, 22, "f0f0f0f0f0f0f0f1")
    display_check(
        rep,
        v,
        local(day, 9, 10),
        [{"item_id": logo, "value": True}, {"item_id": demo, "value": 1}],
        [p],
        notes="演示机坏了一台",
    )
    v_far = visit(far, world.store_b1, local(day, 11, 0))
    p_far = upload(far, 23)
    display_check(
        far, v_far, local(day, 11, 5), [{"item_id": logo, "value": True}, {"item_id": demo, "value": 3}], [p_far]
    )
    return {"day": day, "visit": v, "photo": p, "other_visit": v_other, "other_photo": p_other, "far_photo": p_far}


def test_a_manager_opens_a_visit_from_the_timeline_and_audits_the_photo_feed(app, e2e_world, context_of):
    world = e2e_world
    data = audit_data(app, world)
    page = context_of().new_page()
    login(page, world.manager_a.username)
    expect(page.locator("[data-testid=manager-screens]")).to_be_visible()

    page.goto(f"/#/route/{world.rep_a1.id}/{data['day'].isoformat()}")
    rows = page.locator("[data-testid=timeline-visit]")
    expect(rows).to_have_count(1)
    rows.first.locator("[data-testid=visit-detail-link]").click()
    expect(page).to_have_url(re.compile(rf"#/visits/{data['visit']}$"))

    detail = page.locator("[data-testid=visit-detail]")
    expect(detail.locator("[data-testid=visit-title]")).to_have_text("Visit at 苏宁易购 天河城店")
    expect(detail.locator("[data-testid=visit-rep]")).to_have_text(world.rep_a1.display_name)
    expect(detail.locator("[data-testid=visit-in]")).to_contain_text("09:00")
    expect(detail.locator("[data-testid=visit-out]")).to_contain_text("09:40")
    expect(detail.locator("[data-testid=visit-notes]")).to_have_text("店长不在")
    expect(detail.locator("[data-testid=map] path.map-dot.visit-map-store")).to_have_count(1)
    expect(detail.locator("[data-testid=visit-map-in]")).to_have_count(1)
    # the checklist: item names, pass/fail, the score
    expect(detail.locator("[data-testid=visit-score]")).to_have_text("66.7")
    answers = detail.locator("[data-testid=visit-answer]")
    expect(answers).to_have_count(2)
    expect(answers.nth(0)).to_contain_text("Fascia logo intact")
    expect(answers.nth(0)).to_have_attribute("data-passed", "true")
    expect(answers.nth(1)).to_contain_text("Working demo phones")
    expect(answers.nth(1)).to_contain_text("Failed")
    # the photo: a thumbnail, flagged as recycled from the other store with a link to that visit
    thumb = detail.locator("[data-testid=visit-photo]")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_attribute("data-loaded", "true")
    note = detail.locator("[data-testid=recycled-note]")
    expect(note).to_contain_text("Recycled?")
    expect(note).to_contain_text("迪信通 体育西店")
    expect(note.locator("[data-testid=recycled-link]")).to_have_attribute("href", f"#/visits/{data['other_visit']}")
    shot(page, "visit-detail-desk-en")

    # the larger copy, closed with Esc; the focus comes back to the thumbnail
    thumb.click()
    viewer = page.locator("[data-testid=photo-viewer]")
    expect(viewer).to_be_visible()
    expect(viewer.locator("[data-testid=viewer-image]")).to_be_visible()
    expect(viewer.locator("[data-testid=viewer-close]")).to_be_focused()
    shot(page, "visit-detail-viewer-desk-en")
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(thumb).to_be_focused()

    # the photo feed: the region's two photos, newest first, none of region B's
    page.goto("/#/photos")
    feed = page.locator("[data-testid=photo-feed]")
    items = feed.locator("[data-testid=feed-item]")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-photo-id", data["photo"])
    expect(items.nth(1)).to_have_attribute("data-photo-id", data["other_photo"])
    expect(feed.locator(f"[data-photo-id='{data['far_photo']}']")).to_have_count(0)
    expect(items.nth(0)).to_have_attribute("data-recycled", "true")
    expect(items.nth(0).locator("[data-testid=feed-score]")).to_have_text("Score 66.7")
    expect(items.nth(0).locator("[data-testid=feed-checklist-item]").first).to_contain_text("Working demo phones")
    expect(items.nth(0).locator("[data-testid=feed-photo]")).to_have_attribute("data-loaded", "true")
    shot(page, "photo-feed-desk-en")
    # only the display checks that answered "Working demo phones"
    page.select_option("[data-testid=feed-item-filter]", label="Working demo phones")
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_have_attribute("data-photo-id", data["photo"])
    # a thumbnail opens the viewer; the store opens the visit
    items.nth(0).locator("[data-testid=feed-visit-link]").click()
    expect(page).to_have_url(re.compile(rf"#/visits/{data['visit']}$"))


@pytest.mark.parametrize(
    ("size", "locale", "name"), [(DESK, "zh-CN", "desk-zh"), (PHONE, "zh-CN", "phone-zh"), (PHONE, "en-GB", "phone-en")]
)
def test_the_screens_in_chinese_and_on_a_phone(app, e2e_world, context_of, size, locale, name):
    world = e2e_world
    data = audit_data(app, world)
    # a checklist item named at length (the demo's): the feed's filter lists it, within the screen
    db.session.add(
        ChecklistItem(
            code="SHELF",
            label_zh="柜台整洁、演示机摆放整齐且价签齐全清晰",
            label_en="Counter tidy, demo phones lined up and every price tag present and readable",
            answer_type="yes_no",
            sort_order=9,
        )
    )
    db.session.commit()
    page = context_of(locale, size).new_page()
    login(page, world.manager_a.username)
    page.goto(f"/#/visits/{data['visit']}")
    detail = page.locator("[data-testid=visit-detail]")
    expect(detail.locator("[data-testid=visit-score]")).to_have_text("66.7")
    expect(detail.locator("[data-testid=visit-photo]")).to_have_attribute("data-loaded", "true")
    if locale == "zh-CN":
        expect(detail.locator("[data-testid=visit-title]")).to_have_text("苏宁易购 天河城店 拜访详情")
        expect(detail.locator("[data-testid=recycled-note]")).to_contain_text("疑似重复照片")
    # nothing wider than the screen (the layout's width: a phone's innerWidth grows with the page)
    assert page.evaluate(NO_OVERFLOW)
    shot(page, f"visit-detail-{name}")
    page.goto("/#/photos")
    expect(page.locator("[data-testid=feed-item]")).to_have_count(2)
    expect(page.locator("[data-testid=feed-photo]").first).to_have_attribute("data-loaded", "true")
    assert page.evaluate(NO_OVERFLOW)
    shot(page, f"photo-feed-{name}")


def test_hq_audits_any_region_and_opens_a_visit(app, e2e_world, context_of):
    world = e2e_world
    data = audit_data(app, world)
    page = context_of().new_page()
    sign_in(page, world.hq.username)
    expect(page.get_by_role("link", name="Shipment imports")).to_be_visible()
    page.goto("/#/photos")
    items = page.locator("[data-testid=feed-item]")
    expect(items).to_have_count(3)  # both regions
    page.select_option("[data-testid=feed-region]", label=world.region_b.name)
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_have_attribute("data-photo-id", data["far_photo"])
    expect(items.nth(0)).to_have_attribute("data-recycled", "false")
    shot(page, "photo-feed-hq-desk-en")
    items.nth(0).locator("[data-testid=feed-photo]").click()
    expect(page.locator("[data-testid=viewer-image]")).to_be_visible()
    page.keyboard.press("Escape")
    items.nth(0).locator("[data-testid=feed-visit-link]").click()
    detail = page.locator("[data-testid=visit-detail]")
    expect(detail.locator("[data-testid=visit-title]")).to_have_text(f"Visit at {world.store_b1.name}")
    expect(detail.locator("[data-testid=visit-score]")).to_have_text("100")
    shot(page, "visit-detail-hq-desk-en")
