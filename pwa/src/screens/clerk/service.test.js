// What the card's page says about each 三包 service (ServiceActions.allowanceText), in both
// languages: the last day when allowed, the rule and its date when not.
import { afterEach, describe, expect, it } from 'vitest';
import './i18n/index.js';
import { reasonText, setLang } from '../../i18n/index.js';
import { cardAllowance } from '../../db/service.js';
import { allowanceText } from './ServiceActions.js';

const KINDS = ['return', 'exchange', 'repair'];

const card = (extra = {}) => ({
  id: 'c1',
  terms: { return_until: '2026-11-22', exchange_until: '2026-11-30', repair_until: '2027-11-15' },
  voided_at: null,
  closed_kind: null,
  sync: { state: 'synced' },
  ...extra,
});

afterEach(() => setLang('zh-CN'));

describe('allowanceText', () => {
  it('says the last day, or the rule and its date (day 8 after the purchase), in zh-CN', () => {
    setLang('zh-CN');
    const a = cardAllowance(card(), '2026-11-23');
    expect(allowanceText('return', a.return)).toBe('退货期已过（截至 2026年11月22日）。');
    expect(allowanceText('exchange', a.exchange)).toBe('可换货，截至 2026年11月30日。');
    expect(allowanceText('repair', a.repair)).toBe('保修期内，截至 2027年11月15日。');
  });

  it('in English', () => {
    setLang('en');
    const a = cardAllowance(card(), '2026-12-01');
    expect(allowanceText('return', a.return)).toBe('Return period over (ended Nov 22, 2026).');
    expect(allowanceText('exchange', a.exchange)).toBe('Exchange period over (ended Nov 30, 2026).');
    expect(allowanceText('repair', a.repair)).toBe('Repair under warranty until Nov 15, 2027.');
  });

  it('a closed, voided or unregistered card: one rule for every kind', () => {
    setLang('zh-CN');
    const closed = cardAllowance(card({ closed_kind: 'returned' }), '2026-11-20');
    expect(KINDS.map((k) => allowanceText(k, closed[k]))).toEqual(Array(3).fill('已退货：这张卡已关闭。'));
    const voided = cardAllowance(card({ voided_at: '2026-11-21T00:00:00Z', closed_kind: 'exchanged' }), '2026-11-20');
    expect(allowanceText('repair', voided.repair)).toBe('这张卡已作废。'); // void wins
    const refused = cardAllowance(card({ sync: { state: 'refused', name: 'warranty.register' } }), '2026-11-20');
    expect(allowanceText('return', refused.return)).toBe('这张卡未在服务器登记成功。');
  });

  it("the server's refusal of the same rule says the same dates (its `until` read as a day)", () => {
    setLang('zh-CN');
    expect(
      reasonText({ reason: 'service.return_expired', params: { until: '2026-11-22', occurred_on: '2026-11-23' } }),
    ).toBe('退货期已过：可退货至 2026年11月22日，办理日期为 2026年11月23日。');
  });
});
