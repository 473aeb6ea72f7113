"""Names of our products, competitors' brands and models and promo materials in the UI's language
(issue 15): the price and material grids show name_en in English and the Chinese name in
Chinese, from the catalogue the phone pulled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backend.catalogue.models import CompetitorBrand, CompetitorModel
from backend.extensions import db

from .conftest import login, shot
from .test_rep_grid import check_in, observe, row
from .test_rep_visit import wait_synced

pytestmark = pytest.mark.slow


def test_the_price_grid_names_models_in_english_and_in_chinese(phone, e2e_world):
    world = e2e_world
    world.product.name_en = "Xinglan P30"
    world.material.name_en = "P30 poster"
    huawei = CompetitorBrand(name="华为", name_en="Huawei")
    db.session.add(huawei)
    db.session.flush()
    enjoy = CompetitorModel(brand_id=huawei.id, name="畅享 70", name_en="Enjoy 70", list_price=Decimal("1199.00"))
    db.session.add(enjoy)
    db.session.flush()
    observe(world, world.store_a1, "1099.00", 3, cmodel=enjoy)  # so the store's grid lists it
    db.session.commit()

    page = phone(locale="en-US").new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    check_in(page, world.store_a1)
    ours, theirs = row(page, f"p:{world.product.id}"), row(page, f"c:{enjoy.id}")
    expect(ours).to_contain_text("Xinglan P30")
    expect(theirs).to_contain_text("Huawei Enjoy 70")
    poster = page.locator(f"[data-testid=stock-row][data-material-id='{world.material.id}']")
    expect(poster).to_contain_text("P30 poster")
    shot(page, "names-en")

    page.evaluate("localStorage.setItem('fieldsales.lang', 'zh-CN')")
    page.reload()
    expect(ours).to_contain_text("星澜 P30")
    expect(theirs).to_contain_text("华为 畅享 70")
    expect(theirs).not_to_contain_text("Huawei")
    expect(poster).to_contain_text("P30 海报")
    shot(page, "names-zh")
