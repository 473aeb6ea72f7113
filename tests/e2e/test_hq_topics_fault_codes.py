"""HQ's desk screens for training topics (with their quiz) and 三包 fault codes, end to end: a real
browser (Debian's Chromium) at 1280×800 runs the built PWA against the real server.

- In Chinese, HQ adds a topic on the world's model with a quiz of 2 questions: the server refuses
  it (training.quiz_size) and the form says so next to the quiz, in Chinese, with the number found
  (2). A third question added, it is saved; it is listed as current and GET
  /training/topics?current=true has it with the 3 questions, their choices and the answers marked
  with the radios (hand-set below: 1, 0, 2).
- In English, with two fault codes there (screen at 10, battery at 20), HQ adds "water" (placed
  at the end, position 30), moves it above battery (positions 10, 20 → water 20, battery 30),
  renames it in English and deactivates it: the clerks' list no longer has it, HQ's full list
  shows it inactive."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, ApiClient

from .conftest import TIMEOUT_MS, shot

pytestmark = pytest.mark.slow

DESK = {"viewport": {"width": 1280, "height": 800}}


def desk(browser, live_server, locale):
    context = browser.new_context(**DESK, base_url=live_server, locale=locale, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
    context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
    return context


def sign_in_hq(page):
    page.goto("/")
    page.locator("input[name=username]").fill("hq")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()


def fill_question(form, index, question, choices, answer):
    q = form.locator("[data-testid=quiz-question]").nth(index)
    q.locator("[data-testid=quiz-question-zh]").fill(question)
    for _ in range(len(choices) - 2):
        q.locator("[data-testid=quiz-add-choice]").click()
    for n, text in enumerate(choices):
        q.locator("[data-testid=quiz-choice-zh]").nth(n).fill(text)
    q.locator("[data-testid=quiz-answer]").nth(answer).check()


QUESTIONS = [
    ("P30 的电池容量？", ["4000 mAh", "5000 mAh", "6000 mAh"], 1),
    ("P30 的屏幕尺寸？", ["6.7 英寸", "6.1 英寸"], 0),
    ("P30 支持几年保修？", ["半年", "两年", "一年"], 2),
]


def test_hq_adds_a_topic_with_a_quiz_refused_at_two_questions(app, browser, live_server, e2e_world):
    world = e2e_world
    hq = ApiClient(app.test_client(), world.hq)
    context = desk(browser, live_server, "zh-CN")
    try:
        page = context.new_page()
        sign_in_hq(page)
        page.locator("[data-testid=hq-nav-training]").click()
        page.locator("[data-testid=hq-tab-topics]").click()
        expect(page.locator("[data-testid=topics-empty]")).to_have_text("还没有培训主题。")
        page.locator("[data-testid=topic-new]").click()
        form = page.locator("[data-testid=topic-form]")
        form.locator("[data-testid=topic-code]").fill("P30-KNOW")
        form.locator("[data-testid=topic-title]").fill("P30 卖点培训")
        form.locator("[data-testid=topic-title_en]").fill("P30 selling points")
        form.locator("[data-testid=topic-product_id]").select_option(str(world.product.id))
        for n, (question, choices, answer) in enumerate(QUESTIONS[:2]):
            form.locator("[data-testid=quiz-add-question]").click()
            fill_question(form, n, question, choices, answer)
        form.locator("[data-testid=topic-save]").click()
        refusal = form.locator("[data-testid=topic-field-error][data-field=quiz]")
        expect(refusal).to_have_text("✗ 测验须有 3 到 5 道题（或不设测验），现有 2 道。")
        shot(page, "hq-topic-refused-zh")
        assert hq.get("/api/v1/training/topics").json == []  # nothing saved

        form.locator("[data-testid=quiz-add-question]").click()
        fill_question(form, 2, *QUESTIONS[2])
        form.locator("[data-testid=topic-save]").click()
        expect(page.locator("[data-testid=topic-saved]")).to_be_visible()
        expect(form).to_have_count(0)
        row = page.locator("[data-testid=topic-row][data-code=P30-KNOW]")
        expect(row.locator("[data-testid=topic-status]")).to_have_text("当前")
        expect(row).to_have_attribute("data-status", "current")
        shot(page, "hq-topics-zh")

        current = hq.get("/api/v1/training/topics?current=true")
        assert current.status_code == 200
        [topic] = [t for t in current.json if t["code"] == "P30-KNOW"]
        assert (topic["title"], topic["title_en"], topic["kind"], topic["product_id"]) == (
            "P30 卖点培训",
            "P30 selling points",
            "product",
            world.product.id,
        )
        assert [(q["question"], q["choices"], q["answer"]) for q in topic["quiz"]] == [
            (q, c, a) for q, c, a in QUESTIONS
        ]
        assert all(q["choices_en"] is None and q["question_en"] is None for q in topic["quiz"])

        # Editing it shows the saved quiz with its right answers marked.
        row.locator("[data-testid=topic-edit]").click()
        third = page.locator("[data-testid=topic-form] [data-testid=quiz-question]").nth(2)
        expect(third.locator("[data-testid=quiz-answer]").nth(2)).to_be_checked()
        expect(third.locator("[data-testid=quiz-choice-zh]").nth(1)).to_have_value("两年")
        shot(page, "hq-topic-edit-zh")

        # The fault codes, in Chinese: the English name under the Chinese one.
        body = {"code": "no_fault", "name": "无故障（不想要了）", "name_en": "No fault", "is_fault": False}
        assert hq.post("/api/v1/fault-codes", json=body).status_code == 201
        page.locator("[data-testid=hq-nav-quality]").click()
        page.locator("[data-testid=hq-tab-faults]").click()
        row = page.locator("[data-testid=fault-row][data-code=no_fault]")
        expect(row).to_contain_text("无故障（不想要了）No fault")
        expect(row).to_contain_text("非故障")
        shot(page, "hq-fault-codes-zh")
    finally:
        context.close()


def test_hq_adds_orders_and_deactivates_a_fault_code(app, browser, live_server, e2e_world):
    world = e2e_world
    client = app.test_client()
    hq, clerk = ApiClient(client, world.hq), ApiClient(client, world.clerk_a1)
    for code, name, name_en, position in (("screen", "屏幕", "Screen", 10), ("battery", "电池", "Battery", 20)):
        r = hq.post("/api/v1/fault-codes", json={"code": code, "name": name, "name_en": name_en, "position": position})
        assert r.status_code == 201, r.json
    context = desk(browser, live_server, "en")
    try:
        page = context.new_page()
        sign_in_hq(page)
        page.locator("[data-testid=hq-nav-quality]").click()
        page.locator("[data-testid=hq-tab-faults]").click()
        rows = page.locator("[data-testid=fault-row]")
        expect(rows).to_have_count(2)
        page.locator("[data-testid=fault-new]").click()
        form = page.locator("[data-testid=fault-form]")
        form.locator("[data-testid=fault-code]").fill("water")
        form.locator("[data-testid=fault-name]").fill("进水")
        form.locator("[data-testid=fault-name_en]").fill("Water")
        form.locator("[data-testid=fault-save]").click()
        expect(form).to_have_count(0)
        expect(rows).to_have_count(3)
        expect(rows.nth(2)).to_have_attribute("data-code", "water")
        water = hq.get("/api/v1/fault-codes").json[2]
        assert (water["code"], water["position"], water["is_fault"], water["active"]) == ("water", 30, True, True)

        # A code already there is refused at the code field, in English.
        page.locator("[data-testid=fault-new]").click()
        form.locator("[data-testid=fault-code]").fill("screen")
        form.locator("[data-testid=fault-name]").fill("屏幕2")
        form.locator("[data-testid=fault-save]").click()
        expect(form.locator("[data-testid=fault-field-error][data-field=code]")).to_have_text(
            "✗ A record with the same code already exists."
        )
        form.locator("[data-testid=fault-cancel]").click()

        page.locator("[data-testid=fault-row][data-code=water] [data-testid=fault-up]").click()
        expect(rows.nth(1)).to_have_attribute("data-code", "water")
        positions = {f["code"]: f["position"] for f in hq.get("/api/v1/fault-codes").json}
        assert positions == {"screen": 10, "water": 20, "battery": 30}

        page.locator("[data-testid=fault-row][data-code=water] [data-testid=fault-edit]").click()
        form.locator("[data-testid=fault-name_en]").fill("Water damage")
        form.locator("[data-testid=fault-save]").click()
        expect(page.locator("[data-testid=fault-row][data-code=water]")).to_contain_text("Water damage")
        shot(page, "hq-fault-codes-en")

        page.locator("[data-testid=fault-row][data-code=water] [data-testid=fault-deactivate]").click()
        expect(page.locator("[data-testid=fault-row][data-code=water]")).to_have_attribute("data-active", "false")
        assert [f["code"] for f in clerk.get("/api/v1/fault-codes").json] == ["screen", "battery"]
        everything = hq.get("/api/v1/fault-codes?include_inactive=true").json
        assert [(f["code"], f["active"], f["name_en"]) for f in everything] == [
            ("screen", True, "Screen"),
            ("water", False, "Water damage"),
            ("battery", True, "Battery"),
        ]
        shot(page, "hq-fault-codes-deactivated-en")

        # The topics screen in English (an empty list, the form's quiz editor).
        page.locator("[data-testid=hq-nav-training]").click()
        page.locator("[data-testid=hq-tab-topics]").click()
        page.locator("[data-testid=topic-new]").click()
        page.locator("[data-testid=quiz-add-question]").click()
        expect(page.locator("[data-testid=quiz-choice]")).to_have_count(2)
        shot(page, "hq-topic-new-en")
    finally:
        context.close()
