"""Touch targets (issue 15): on a 393×851 phone every visible interactive element — button, link,
input, select, [role=button], summary — is at least 44×44 CSS pixels, on the screens a rep goes
through: Login, Today (and Plan a day, Settings), Store, Visit (every step opened) and Outbox.
The failure lists each offender with its size and where it is.

Left out, and why:
- a checkbox or radio inside a <label>: the label is what the finger hits (a tap on it toggles the
  input), so the label's box is measured instead of the input's;
- elements visually hidden on purpose (1×1 px or less, e.g. a file input opened by its styled
  label): nobody can tap them, their label is measured as a link/label instead;
- a link inline inside running text (<a> with display:inline inside a <p>): part of a sentence,
  where WCAG 2.5.8 exempts it (none on these screens today; the exception keeps the test about
  controls).
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.stores.models import StoreContact

from .conftest import login, shot

pytestmark = pytest.mark.slow

SYNC_TIMEOUT_MS = 30_000
PHONE_393 = {"width": 393, "height": 851}
MIN = 44

OFFENDERS = """(min) => {
  const out = [];
  const sel = 'button, a[href], input, select, [role=button], summary';
  for (const el of document.querySelectorAll(sel)) {
    if (el.type === 'hidden') continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue; // not rendered (inside a closed <details>…)
    if (box.width <= 1 || box.height <= 1) continue; // visually hidden on purpose
    if ((el.type === 'checkbox' || el.type === 'radio') && el.closest('label')) {
      box = el.closest('label').getBoundingClientRect();
    }
    if (el.tagName === 'A' && style.display === 'inline' && el.closest('p')) continue;
    if (box.width + 0.5 < min || box.height + 0.5 < min) {
      const id = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : '';
      const names = typeof el.className === 'string' ? el.className.trim().split(/\\s+/).filter(Boolean) : [];
      const cls = names.map((c) => `.${c}`).join('');
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30);
      out.push(`${el.tagName.toLowerCase()}${id}${cls} "${text}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return out;
}"""


def offenders(page, screen: str) -> list[str]:
    page.wait_for_timeout(300)  # fonts and late sections settle
    return [f"{screen}: {o}" for o in page.evaluate(OFFENDERS, MIN)]


def test_every_interactive_element_is_at_least_44px(phone, e2e_world):
    world = e2e_world
    # A contact with a phone number: the store page's call button (40 px before issue 15).
    db.session.add(
        StoreContact(id=uuid.uuid4(), store_id=world.store_a1.id, name="王店长", role="manager", phone="13800138000")
    )
    db.session.commit()
    context = phone(position=(world.store_a1.latitude, world.store_a1.longitude))
    page = context.new_page()
    page.set_viewport_size(PHONE_393)
    found: list[str] = []

    page.goto("/")
    expect(page.locator("[data-testid=login-form]")).to_be_visible()
    found += offenders(page, "Login")

    login(page, "rep_a1")
    expect(page.locator("[data-testid=sync-status]")).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("[data-testid=here-card]")).to_be_visible()
    expect(page.locator("[data-testid=store-list]")).to_be_visible()
    found += offenders(page, "Today")

    # Reached from Today: Plan a day (its up/down/remove buttons once stores are picked) and Settings.
    page.goto("/#/plan")
    page.locator("[data-testid=plan-candidate]").first.click()
    expect(page.locator("[data-testid=plan-picked-store]")).to_have_count(1)
    found += offenders(page, "Plan a day")
    page.goto("/#/settings")
    expect(page.locator("[data-testid=settings-screen]")).to_be_visible()
    found += offenders(page, "Settings")

    page.goto(f"/#/store/{world.store_a1.id}")
    expect(page.locator("[data-testid=store-screen]")).to_be_visible()
    expect(page.locator("a[href='tel:13800138000']")).to_be_visible()
    found += offenders(page, "Store")

    # A visit, offline (so the Outbox has entries to show), with every step opened.
    context.set_offline(True)
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    shot(page, "touch-visit")
    found += offenders(page, "Visit")

    page.goto("/#/outbox")
    expect(page.locator("[data-testid=outbox-entry]").first).to_be_visible()
    found += offenders(page, "Outbox")

    assert not found, f"{len(found)} touch target(s) under {MIN}x{MIN} px at 393x851:\n" + "\n".join(found)
