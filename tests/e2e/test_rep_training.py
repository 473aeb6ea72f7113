"""The visit's training step (issue 17: 培训导购), end to end: a real browser on a phone viewport
(393×851), the built PWA, the real server. Offline, the rep checks in, opens the folded step (a
visit that skips it costs no tap), picks HQ's current P30 topic, ticks the store's promoter, adds
one met on the spot (queued as a contact first), picks 60 minutes, and hands the phone to each
promoter for the 3-question quiz: the phone scores each offline (2 of 3, 3 of 3). Back online,
the outbox drains in order (check-in, contact, training) and the server holds the session once,
with each attendee's answers and scores as answered. In English, a promoter quizzed and a store
manager not: the server holds answers null for the one who skipped."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.extensions import db
from backend.stores.models import StoreContact
from backend.stores.service import delete_contact
from backend.training.models import TrainingAttendance, TrainingSession, TrainingTopic
from backend.visits.models import Visit

from .conftest import login, shot, wait_for_service_worker, wait_until
from .test_rep_visit import SYNC_TIMEOUT_MS, open_step, sync_status, wait_synced

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the phones' time zone (conftest: timezone_id)
# P30's quiz; the right answers are 1, 1, 2.
QUIZ = [
    {
        "question": "P30 的电池容量是多少？",
        "question_en": "What is the P30's battery capacity?",
        "choices": ["4000 mAh", "5000 mAh", "6000 mAh"],
        "choices_en": ["4000 mAh", "5000 mAh", "6000 mAh"],
        "answer": 1,
    },
    {
        "question": "P30 的屏幕尺寸？",
        "question_en": "The P30's screen size?",
        "choices": ["6.1 英寸", "6.7 英寸"],
        "choices_en": ['6.1"', '6.7"'],
        "answer": 1,
    },
    {
        "question": "P30 的快充功率？",
        "question_en": "The P30's fast charging?",
        "choices": ["33W", "67W", "80W", "100W"],
        "choices_en": ["33W", "67W", "80W", "100W"],
        "answer": 2,
    },
]


def phone_today() -> date:
    return datetime.now(SHANGHAI).date()


def screen(page, testid: str | None, name: str) -> None:
    """With E2E_SCREENSHOTS=<dir>: what the phone shows (393×851) with `testid` at the top (None:
    where the app itself scrolled)."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        if testid:
            page.locator(f"[data-testid={testid}]").first.evaluate(
                "el => { el.scrollIntoView(); window.scrollBy(0, -150); }"
            )
        page.screenshot(path=str(Path(folder) / f"{name}-phone.png"))


@pytest.fixture
def training_world(e2e_world):
    """A current P30 topic with a 3-question quiz, a current promotion topic without one, an
    ended topic (not offered), and at store A1 a promoter (李娜) and a store manager (王店长)."""
    world = e2e_world
    today = phone_today()
    world.topic = TrainingTopic(
        code="P30-KNOW",
        title="P30 产品知识",
        title_en="P30 product knowledge",
        kind="product",
        product_id=world.product.id,
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=30),
        active=True,
        quiz=QUIZ,
    )
    world.promo = TrainingTopic(
        code="PROMO-1111",
        title="双十一促销政策",
        title_en="Singles' Day promotion",
        kind="promotion",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=10),
        active=True,
        quiz=[],
    )
    world.ended = TrainingTopic(
        code="OLD",
        title="旧主题",
        title_en="Old topic",
        kind="skills",
        starts_on=today - timedelta(days=60),
        ends_on=today - timedelta(days=1),
        active=True,
        quiz=[],
    )
    world.promoter = StoreContact(id=uuid.uuid4(), store_id=world.store_a1.id, name="李娜", role="promoter", phone="")
    world.manager = StoreContact(
        id=uuid.uuid4(), store_id=world.store_a1.id, name="王店长", role="store_manager", phone="13900000000"
    )
    db.session.add_all([world.topic, world.promo, world.ended, world.promoter, world.manager])
    db.session.commit()
    return world


def check_in(page, store) -> str:
    page.goto(f"/#/store/{store.id}")
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    return page.locator("[data-testid=visit-screen]").get_attribute("data-visit-id")


# Whether the visit's draft on the phone (IndexedDB `fieldsales`, table `drafts`) holds `n` quiz
# answers of contact `cid`: [visit_id, cid, n].
DRAFT_ANSWERS = """async ([visitId, cid, n]) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('fieldsales');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const row = await new Promise((resolve, reject) => {
    const r = db.transaction('drafts').objectStore('drafts').get(visitId);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  const answers = row?.data?.training?.answers?.[cid];
  return Array.isArray(answers) && answers.length === n;
}"""


def answer_quiz(step, name: str, choices: list[int], score: int) -> None:
    """The promoter `name` answers the quiz one question at a time; their score shows."""
    quiz = step.locator("[data-testid=training-quiz]")
    expect(step.locator("[data-testid=training-quiz-person]")).to_have_text(name)
    for i, choice in enumerate(choices, start=1):
        expect(quiz).to_have_attribute("data-question", str(i))
        button = step.locator(f"[data-testid=training-choice][data-choice='{choice}']")
        assert button.bounding_box()["height"] >= 44  # a big button, for a thumb
        button.click()
    expect(step.locator("[data-testid=training-quiz-score]")).to_have_attribute("data-score", str(score))
    expect(step.locator("[data-testid=training-quiz-score]")).to_have_attribute("data-size", "3")


def session_of(visit_id: str):
    return db.session.scalars(select(TrainingSession).where(TrainingSession.visit_id == uuid.UUID(visit_id))).all()


def attendance_of(session_id) -> dict[str, tuple]:
    rows = db.session.scalars(select(TrainingAttendance).where(TrainingAttendance.session_id == session_id)).all()
    out = {}
    for r in rows:
        contact = db.session.get(StoreContact, r.contact_id)
        out[contact.name] = (r.answers, r.score, r.quiz_size)
    return out


def test_offline_training_with_quiz_syncs_with_the_scores(phone, training_world):
    world = training_world
    page = phone().new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    wait_for_service_worker(page)  # a reload offline below: the app from its precache
    page.context.set_offline(True)
    expect(sync_status(page)).to_have_attribute("data-state", "offline")

    visit_id = check_in(page, world.store_a1)
    step = page.locator("[data-testid=step-training]")
    # Folded: the visit shows the step's title only, until the rep opens it.
    assert step.get_attribute("open") is None
    expect(step.locator("summary")).to_contain_text("培训导购")
    step = open_step(page, "step-training")
    expect(step.locator("[data-testid=training-body]")).to_have_attribute("data-loaded", "true")

    # The current topics only (the ended one is not offered); P30 (sold here? not counted yet) and
    # the promotion, the newest first.
    topics = step.locator("[data-testid=training-topic]")
    expect(topics).to_have_count(2)
    expect(topics.nth(0)).to_contain_text("双十一促销政策")
    expect(topics.nth(1)).to_contain_text("P30 产品知识")
    expect(topics.nth(1)).to_contain_text("测验 3 题")
    topics.nth(1).click()
    expect(topics.nth(1)).to_have_attribute("aria-checked", "true")

    # The store's contacts, the promoter first; 李娜 ticked, a promoter met here added on the spot.
    people = step.locator("[data-testid=training-person]")
    expect(people).to_have_count(2)
    expect(people.nth(0)).to_contain_text("李娜")
    expect(people.nth(0)).to_contain_text("导购员")
    expect(people.nth(1)).to_contain_text("王店长")
    people.nth(0).locator("input").check()
    step.locator("[data-testid=training-add]").click()
    step.locator("[data-testid=training-add-save]").click()
    expect(step.locator("[data-testid=training-error]")).to_have_text("请填写导购姓名。")
    step.locator("[data-testid=training-add-name]").fill("小张")
    step.locator("[data-testid=training-add-phone]").fill("13800138000")
    step.locator("[data-testid=training-add-save]").click()
    expect(people).to_have_count(3)
    added = step.locator("[data-testid=training-person]", has_text="小张")
    expect(added.locator("input")).to_be_checked()
    expect(added).to_contain_text("待同步")

    # 30 minutes by default; 60 picked.
    expect(step.locator("[data-testid=training-minutes]")).to_have_value("30")
    step.locator("[data-testid=training-duration][data-minutes='60']").click()
    expect(step.locator("[data-testid=training-minutes]")).to_have_value("60")
    shot(page, "training-01-zh-setup")
    screen(page, "step-training", "training-01-zh-setup")

    start = step.locator("[data-testid=training-start]")
    expect(start).to_have_text("开始测验（2 人）")
    start.click()
    # 李娜 first (the list's order): 1, 0, 2 → 2 of 3 right.
    expect(step.locator("[data-testid=training-question]")).to_have_text("P30 的电池容量是多少？")
    expect(step.locator("[data-testid=training-quiz-progress]")).to_contain_text("导购 1/2 · 第 1/3 题")
    screen(page, None, "training-02-zh-question")  # the quiz scrolled to the top by the app
    answer_quiz(step, "李娜", [1, 0, 2], score=2)
    expect(step.locator("[data-testid=training-quiz-score]")).to_have_text("答对 2/3 题")
    screen(page, "training-quiz", "training-03-zh-score")
    step.locator("[data-testid=training-quiz-next]").click()  # 下一位：小张
    # 小张 answers the first question, then the page reloads (offline): the quiz goes on where it
    # was — the same promoter at the second question, 李娜's answers kept (the visit's draft).
    quiz = step.locator("[data-testid=training-quiz]")
    expect(step.locator("[data-testid=training-quiz-person]")).to_have_text("小张")
    step.locator("[data-testid=training-choice][data-choice='1']").click()
    expect(quiz).to_have_attribute("data-question", "2")
    # The draft is written to IndexedDB just after each tap: the reload once it is there.
    page.wait_for_function(DRAFT_ANSWERS, arg=[visit_id, quiz.get_attribute("data-contact-id"), 1])
    page.reload()
    expect(page.locator("[data-testid=visit-screen]")).to_have_attribute("data-visit-id", visit_id)
    step = open_step(page, "step-training")
    quiz = step.locator("[data-testid=training-quiz]")
    expect(step.locator("[data-testid=training-quiz-person]")).to_have_text("小张")
    expect(quiz).to_have_attribute("data-question", "2")
    expect(step.locator("[data-testid=training-quiz-progress]")).to_contain_text("导购 2/2 · 第 2/3 题")
    for choice in (1, 2):
        step.locator(f"[data-testid=training-choice][data-choice='{choice}']").click()
    expect(step.locator("[data-testid=training-quiz-score]")).to_have_attribute("data-score", "3")
    step.locator("[data-testid=training-quiz-next]").click()  # 查看结果
    rows = step.locator("[data-testid=training-review-row]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("答对 2/3 题")
    expect(rows.nth(1)).to_contain_text("答对 3/3 题")
    screen(page, "training-review", "training-04-zh-review")
    # Back to change the duration (30, then 60 again): the answers stay, no quiz to redo.
    step.locator("[data-testid=training-edit]").click()
    step.locator("[data-testid=training-duration][data-minutes='30']").click()
    step.locator("[data-testid=training-duration][data-minutes='60']").click()
    expect(start).to_have_text("查看结果")
    start.click()
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("答对 2/3 题")
    expect(rows.nth(1)).to_contain_text("答对 3/3 题")
    step.locator("[data-testid=training-record]").click()

    # Recorded on the phone, waiting for the sync; the step is done and the summary counts it.
    saved = step.locator("[data-testid=training-saved]")
    expect(saved).to_have_count(1)
    expect(saved).to_contain_text("P30 产品知识")
    expect(saved).to_contain_text("2 人")
    expect(saved).to_contain_text("60 分钟")
    expect(saved).to_contain_text("平均正确率 83%")  # (2/3 + 3/3) / 2
    expect(step.locator("[data-testid=saved-entry] .tag")).to_have_text("待同步")
    expect(step.locator("summary .tag-ok")).to_be_visible()
    expect(page.locator("[data-testid=checkout-summary] [data-summary=training]")).to_have_text("1 次")
    shot(page, "training-05-zh-recorded")
    screen(page, "step-training", "training-05-zh-recorded")

    db.session.rollback()
    assert db.session.get(Visit, uuid.UUID(visit_id)) is None  # offline: nothing reached the server

    page.goto("/#/outbox")
    entries = page.locator("[data-testid=outbox-pending] [data-testid=outbox-entry]")
    expect(entries).to_have_count(3)  # check-in, the contact, the training — in that order
    expect(entries.nth(1)).to_contain_text("联系人")
    expect(entries.nth(2)).to_contain_text("P30 产品知识")
    expect(entries.nth(2)).to_contain_text("60 分钟")
    page.context.set_offline(False)
    expect(page.locator("[data-testid=outbox-empty]")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    wait_synced(page)

    sessions = wait_until(lambda: session_of(visit_id), message="the training session")
    assert len(sessions) == 1
    s = sessions[0]
    assert (s.store_id, s.topic_id, s.duration_minutes, s.rep_id, s.held_on) == (
        world.store_a1.id,
        world.topic.id,
        60,
        world.rep_a1.id,
        phone_today(),
    )
    assert attendance_of(s.id) == {"李娜": ([1, 0, 2], 2, 3), "小张": ([1, 1, 2], 3, 3)}
    new = db.session.scalars(select(StoreContact).where(StoreContact.name == "小张")).one()
    assert (new.store_id, new.role, new.phone) == (world.store_a1.id, "promoter", "13800138000")

    # Pulled back: the step shows it recorded (synced, not pending) after a reload.
    page.goto(f"/#/visit/{visit_id}")
    step = open_step(page, "step-training")
    expect(step.locator("[data-testid=training-saved]")).to_have_count(1)
    expect(step.locator("[data-testid=saved-entry] .tag")).to_have_count(0)
    expect(step.locator("[data-testid=training-attendee]")).to_have_count(2)


def test_training_in_english_one_quizzed_one_not(phone, training_world):
    world = training_world
    page = phone(locale="en").new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)

    visit_id = check_in(page, world.store_a1)
    step = open_step(page, "step-training")
    expect(step.locator("summary")).to_contain_text("Train promoters")
    step.locator("[data-testid=training-topic]", has_text="P30 product knowledge").click()
    step.locator("[data-testid=training-person]", has_text="李娜").locator("input").check()
    step.locator("[data-testid=training-person]", has_text="王店长").locator("input").check()
    expect(step.locator("[data-testid=training-person]", has_text="王店长")).to_contain_text("Store manager")
    # A duration typed instead of picked.
    minutes = step.locator("[data-testid=training-minutes]")
    minutes.fill("0")
    expect(step.locator("[data-testid=training-start]")).to_be_disabled()
    minutes.fill("45")
    shot(page, "training-11-en-setup")
    screen(page, "step-training", "training-11-en-setup")
    step.locator("[data-testid=training-start]").click()
    expect(step.locator("[data-testid=training-question]")).to_have_text("What is the P30's battery capacity?")
    expect(step.locator("[data-testid=training-quiz-progress]")).to_contain_text("Promoter 1 of 2 · question 1 of 3")
    screen(page, "training-quiz", "training-12-en-question")
    answer_quiz(step, "李娜", [0, 1, 2], score=2)
    expect(step.locator("[data-testid=training-quiz-score]")).to_have_text("2 of 3 right")
    step.locator("[data-testid=training-quiz-reveal]").click()  # the rep goes through the answers
    expect(step.locator(".train-marks li").nth(0)).to_contain_text("right answer: B. 5000 mAh")
    screen(page, "training-quiz", "training-13-en-score")
    step.locator("[data-testid=training-quiz-next]").click()
    # The store manager does not take the quiz.
    expect(step.locator("[data-testid=training-quiz-person]")).to_have_text("王店长")
    step.locator("[data-testid=training-quiz-skip]").click()
    rows = step.locator("[data-testid=training-review-row]")
    expect(rows.nth(1)).to_contain_text("not quizzed")
    screen(page, "training-review", "training-14-en-review")
    step.locator("[data-testid=training-record]").click()
    expect(step.locator("[data-testid=training-saved]")).to_contain_text("2 people · 45 min · average 67% right")
    expect(page.locator("[data-testid=checkout-summary] [data-summary=training]")).to_have_text("1 session")
    wait_synced(page)
    sessions = wait_until(lambda: session_of(visit_id), message="the training session")
    assert [(s.duration_minutes, s.topic_id) for s in sessions] == [(45, world.topic.id)]
    assert attendance_of(sessions[0].id) == {"李娜": ([0, 1, 2], 2, 3), "王店长": (None, None, None)}
    page.reload()
    step = open_step(page, "step-training")
    expect(step.locator("[data-testid=training-another]")).to_be_visible()
    shot(page, "training-15-en-recorded")
    screen(page, "step-training", "training-15-en-recorded")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_right_answers_stay_hidden_for_the_next_promoter(phone, training_world, locale):
    """The phone goes from one promoter to the next: a promoter's results show their score only;
    which answers were right, and the right ones, show behind the rep's tap (after which the quiz
    cannot be answered again), and are hidden again when the next promoter takes the phone."""
    world = training_world
    page = phone(locale=locale).new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    check_in(page, world.store_a1)
    step = open_step(page, "step-training")
    step.locator(f"[data-testid=training-topic][data-topic-id='{world.topic.id}']").click()
    for name in ("李娜", "王店长"):
        step.locator("[data-testid=training-person]", has_text=name).locator("input").check()
    step.locator("[data-testid=training-start]").click()
    marks = step.locator("[data-testid=training-quiz-marks]")
    reveal = step.locator("[data-testid=training-quiz-reveal]")
    redo = step.locator("[data-testid=training-quiz-redo]")

    answer_quiz(step, "李娜", [1, 0, 2], score=2)
    expect(marks).to_have_count(0)
    expect(step.locator("[data-testid=training-quiz]")).not_to_contain_text("6.7")
    expect(redo).to_be_visible()
    screen(page, "training-quiz", f"training-21-{locale}-score-only")
    reveal.click()
    right = {"zh-CN": "正确答案：B. 6.7 英寸", "en": 'right answer: B. 6.7"'}[locale]
    expect(marks.locator("li").nth(1)).to_contain_text(right)
    expect(marks.locator("li.grid-ok")).to_have_count(2)
    expect(redo).to_have_count(0)  # seen the answers: no second try
    screen(page, "training-quiz", f"training-22-{locale}-answers")
    step.locator("[data-testid=training-quiz-next]").click()

    # Back from the next promoter's first question: the one who saw the answers gets their score
    # again, not a fresh quiz (no second try by way of Back), the answers hidden, still no redo.
    expect(step.locator("[data-testid=training-quiz-person]")).to_have_text("王店长")
    step.locator("[data-testid=training-quiz-back]").click()
    expect(step.locator("[data-testid=training-quiz-person]")).to_have_text("李娜")
    expect(step.locator("[data-testid=training-quiz-score]")).to_have_attribute("data-score", "2")
    expect(marks).to_have_count(0)
    expect(redo).to_have_count(0)
    step.locator("[data-testid=training-quiz-next]").click()

    answer_quiz(step, "王店长", [0, 1, 2], score=2)
    expect(marks).to_have_count(0)
    expect(reveal).to_be_visible()
    expect(redo).to_be_visible()
    expect(step.locator("[data-testid=training-quiz]")).not_to_contain_text("5000")


def test_a_topic_stopped_while_offline_still_takes_the_training(phone, training_world):
    """HQ stops the promotion topic while the rep is offline: the training recorded on it is
    still taken at the sync (the topic's dates cover the day; `active` only decides what phones
    offer), nothing refused, the attendance on the server."""
    world = training_world
    page = phone().new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    page.context.set_offline(True)
    visit_id = check_in(page, world.store_a1)
    step = open_step(page, "step-training")
    step.locator("[data-testid=training-topic]", has_text="双十一促销政策").click()
    step.locator("[data-testid=training-person]", has_text="李娜").locator("input").check()
    step.locator("[data-testid=training-start]").click()
    expect(step.locator("[data-testid=training-saved]")).to_contain_text("双十一促销政策")

    world.promo.active = False
    db.session.commit()
    page.context.set_offline(False)
    wait_synced(page)
    sessions = wait_until(lambda: session_of(visit_id), message="the training session")
    assert [s.topic_id for s in sessions] == [world.promo.id]
    assert attendance_of(sessions[0].id) == {"李娜": (None, None, None)}
    expect(step.locator("[data-testid=training-refused]")).to_have_count(0)
    expect(step.locator("[data-testid=training-saved]")).to_contain_text("双十一促销政策")


def test_a_training_the_server_refuses_says_why_in_the_step(phone, training_world):
    """The promoter is removed from the store's contacts (by the region's manager, on another
    device) while the rep is offline: the training naming her is refused at the sync, and the
    step says so with the server's reason in the rep's language."""
    world = training_world
    page = phone().new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    page.context.set_offline(True)
    visit_id = check_in(page, world.store_a1)
    step = open_step(page, "step-training")
    step.locator("[data-testid=training-topic]", has_text="双十一促销政策").click()
    step.locator("[data-testid=training-person]", has_text="李娜").locator("input").check()
    record = step.locator("[data-testid=training-start]")
    expect(record).to_have_text("记录培训")  # no quiz: recorded at once
    record.click()
    expect(step.locator("[data-testid=training-saved]")).to_contain_text("双十一促销政策")

    delete_contact(world.manager_a, world.store_a1.id, world.promoter.id)
    db.session.commit()
    page.context.set_offline(False)
    refused = step.locator("[data-testid=training-refused]")
    expect(refused).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    expect(refused.locator(".grow")).to_have_text(
        "培训“双十一促销政策”被服务器拒绝：这位参训人员已从门店联系人中删除。"
    )
    # Refused, it is no longer shown as recorded: the form is there to record it again.
    expect(step.locator("[data-testid=training-saved]")).to_have_count(0)
    expect(step.locator("[data-testid=training-setup]")).to_be_visible()
    screen(page, "step-training", "training-21-zh-refused")
    # Discarded from the step (as from the outbox): the refusal and the outbox entry go.
    page.once("dialog", lambda d: d.accept())
    refused.locator("[data-testid=training-refused-discard]").click()
    expect(refused).to_have_count(0)
    expect(sync_status(page)).not_to_have_attribute("data-shown", "refused")
    db.session.rollback()
    assert db.session.get(Visit, uuid.UUID(visit_id)) is not None  # the check-in went through
    assert session_of(visit_id) == []
