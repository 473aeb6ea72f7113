import { describe, expect, it } from 'vitest';
import { planBody, replaceSummary } from './plan.js';

const names = { 1: '苏宁易购 天河城店', 2: '迪信通 体育西店', 3: '国美 北京路店', 7: '星澜 正佳店' };
const nameOf = (id) => names[id] || `#${id}`;

describe('saving over a plan', () => {
  it('names the stores the replacement adds, removes and keeps', () => {
    const s = replaceSummary(
      {
        plan_id: 'p',
        updated_at: '2026-12-05T01:02:03.456789+00:00',
        updated_by: 5,
        updated_by_name: '王经理',
        stores: 6,
        added: [7],
        removed: [3, 9],
        kept: [2, 1],
        order_changed: true,
        note_changed: false,
      },
      nameOf,
    );
    expect(s.added).toEqual([{ id: 7, name: '星澜 正佳店' }]);
    expect(s.removed).toEqual([
      { id: 3, name: '国美 北京路店' },
      { id: 9, name: '#9' },
    ]);
    expect(s.kept.map((x) => x.name)).toEqual(['迪信通 体育西店', '苏宁易购 天河城店']);
    expect(s).toMatchObject({ orderChanged: true, noteChanged: false, stores: 6, by: '王经理' });
    expect(s.updatedAt).toBe('2026-12-05T01:02:03.456789+00:00');
  });

  it('copes with params it does not know', () => {
    expect(replaceSummary(null, nameOf)).toMatchObject({
      added: [],
      removed: [],
      kept: [],
      stores: 0,
      updatedAt: null,
    });
  });

  it('the confirmation sends the plan it replaces, a first save does not', () => {
    const base = { id: 'x', repId: 4, day: '2026-12-06', storeIds: [1, 2] };
    expect(planBody(base)).not.toHaveProperty('replaces');
    expect(planBody({ ...base, replaces: '2026-12-05T01:02:03+00:00' }).replaces).toBe('2026-12-05T01:02:03+00:00');
  });
});
