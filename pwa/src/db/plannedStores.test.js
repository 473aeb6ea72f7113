import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, setMeta } from './index.js';
import { createQueries } from './queries.js';

let n = 0;
let db;
let q;
// Local times (the phone's calendar decides what "today" is).
const at = (day, hour, minute = 0) => new Date(2026, 10, day, hour, minute).toISOString();
const NOW = new Date(2026, 10, 23, 12, 0).getTime();

const put = (entity, data, extra = {}) =>
  db.entities.put({
    entity,
    id: String(data.id),
    data,
    clock: null,
    pending: false,
    storeId: entity === 'store' ? String(data.id) : data.store_id != null ? String(data.store_id) : undefined,
    ...extra,
  });

const plan = (id, repId, day, storeIds, extra = {}) =>
  put('visit_plan', {
    id,
    rep_id: repId,
    day,
    store_ids: storeIds,
    picked_store_ids: [...storeIds].reverse(),
    distance_picked_m: 9000,
    distance_planned_m: 6000,
    note: '',
    updated_at: '2026-11-22T10:00:00+00:00',
    ...extra,
  });

beforeEach(async () => {
  db = createDb(`planned-test-${++n}`);
  q = createQueries(db, { now: () => NOW });
  await setMeta(db, 'session', { token: 't', user: { id: 7, role: 'rep' } });
  for (const [id, name] of [
    [1, '天河店'],
    [2, '北京路店'],
    [3, '体育西店'],
  ]) {
    await put('store', { id, code: `S${id}`, name, latitude: 23.13, longitude: 113.3 + id / 100 });
  }
});

afterEach(() => db.close());

describe('plannedStores', () => {
  it('is empty without a plan for the day', async () => {
    expect(await q.plannedStores()).toEqual([]);
    await plan('p0', 7, '2026-11-22', [1, 2]);
    expect(await q.plannedStores()).toEqual([]);
    expect((await q.plannedStores('2026-11-22')).map((s) => s.id)).toEqual([1, 2]);
  });

  it("gives today's stores in plan order, marking those visited today", async () => {
    await plan('p1', 7, '2026-11-23', [3, 1, 2], { note: 'start early' });
    await put('visit', { id: 'v1', store_id: 1, rep_id: 7, checked_in_at: at(23, 9, 30), checked_out_at: at(23, 10) });
    await put('visit', { id: 'v2', store_id: 2, rep_id: 7, checked_in_at: at(22, 15), checked_out_at: at(22, 16) }); // yesterday
    // A check-in made on this phone, not yet synced (no rep_id in the optimistic record).
    await put('visit', { id: 'v3', store_id: 3, checked_in_at: at(23, 8), checked_out_at: null }, { pending: true });
    const list = await q.plannedStores();
    expect(list.map((s) => [s.id, s.name, s.plan_order, s.visited])).toEqual([
      [3, '体育西店', 1, true],
      [1, '天河店', 2, true],
      [2, '北京路店', 3, false],
    ]);
    expect(list[0].plan_id).toBe('p1');
    expect(list[0].plan_note).toBe('start early');
  });

  it("counts only the signed-in user's plan and visits", async () => {
    await plan('other', 8, '2026-11-23', [2]); // a rep of the manager's region, synced to the manager's phone
    await plan('mine', 7, '2026-11-23', [1, 2]);
    await put('visit', { id: 'v9', store_id: 1, rep_id: 8, checked_in_at: at(23, 9) });
    const list = await q.plannedStores();
    expect(list.map((s) => [s.id, s.visited])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(list[0].plan_id).toBe('mine');
  });

  it('keeps a store not on this phone, in its place', async () => {
    await plan('p2', 7, '2026-11-23', [1, 99, 2]);
    const list = await q.plannedStores();
    expect(list.map((s) => s.id)).toEqual([1, 99, 2]);
    expect(list[1]).toMatchObject({ id: 99, unknown: true, plan_order: 2, visited: false });
  });

  it('leaves out a plan deleted on this phone and follows the latest of the day', async () => {
    await plan('old', 7, '2026-11-23', [2], { updated_at: '2026-11-20T10:00:00+00:00' });
    await plan('new', 7, '2026-11-23', [3, 1], { updated_at: '2026-11-22T11:00:00+00:00' });
    expect((await q.plannedStores()).map((s) => s.id)).toEqual([3, 1]);
    await db.entities.update(['visit_plan', 'new'], { deleted: true });
    expect((await q.plannedStores()).map((s) => s.id)).toEqual([2]);
  });
});
