"""Store names carry their pinyin (full syllables and initials), so the phone's offline store
search finds 体育西 by "tiyuxi" or "tyx" without a dictionary of its own."""

from __future__ import annotations

from backend.extensions import db
from backend.stores.pinyin import name_pinyin
from tests.sync.helpers import Device, snapshot


def test_name_pinyin_syllables_and_initials():
    assert name_pinyin("迪信通 体育西店") == {"full": "di xin tong ti yu xi dian", "initials": "dxttyxd"}
    # the phrase dictionary reads 重庆 as chong qing, 长安 as chang an (not zhong, zhang)
    assert name_pinyin("重庆长安店")["full"] == "chong qing chang an dian"
    # Latin words and digits stay whole and lower-case, in the initials too
    assert name_pinyin("OPPO专卖 3号店") == {"full": "oppo zhuan mai 3 hao dian", "initials": "oppozm3hd"}
    assert name_pinyin("(天河城)·B1") == {"full": "tian he cheng b1", "initials": "thcb1"}
    assert name_pinyin("") == name_pinyin(None) == {"full": "", "initials": ""}


def test_the_store_entity_and_the_rest_answer_carry_the_pinyin(world, api):
    device = Device(api(world.rep_a1))
    stores = {v["data"]["code"]: v["data"] for (entity, _id), v in snapshot(device).items() if entity == "store"}
    assert stores["A1-002"]["name"] == "迪信通 体育西店"
    assert stores["A1-002"]["name_pinyin"] == {"full": "di xin tong ti yu xi dian", "initials": "dxttyxd"}
    assert stores["A1-001"]["name_pinyin"]["initials"] == "snygthcd"  # 苏宁易购 天河城店

    r = api(world.hq).get(f"/api/v1/stores/{world.store_a1b.id}")
    assert r.status_code == 200 and r.json["name_pinyin"]["full"] == "di xin tong ti yu xi dian"


def test_a_renamed_store_sends_its_new_pinyin(world, api):
    world.store_a1b.name = "国美 北京路店"
    db.session.commit()
    r = api(world.hq).get(f"/api/v1/stores/{world.store_a1b.id}")
    assert r.json["name_pinyin"] == {"full": "guo mei bei jing lu dian", "initials": "gmbjld"}
