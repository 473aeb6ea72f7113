import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, getMeta, setMeta } from './index.js';
import { createQueries } from './queries.js';
import { createActions } from './actions.js';
import { pickDayPlan } from './plans.js';
import { createEngine } from '../sync/engine.js';
import { createFakeServer, createFakeTimers } from '../sync/testing/fake-server.js';
import { putEntity } from './testRows.js';

let n = 0;
let db;
let q;
// Times in Shanghai, the business zone (its calendar decides what "today" is, whatever zone the
// phone running the tests is set to).
const at = (day, hour, minute = 0) => new Date(Date.UTC(2026, 10, day, hour - 8, minute)).toISOString();
const NOW = Date.UTC(2026, 10, 23, 12 - 8, 0);

const put = (entity, data, extra = {}) => putEntity(db, entity, data, extra);

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

describe('plannedStores with a plan saved on this phone', () => {
  const TOMORROW = '2026-11-24';
  let k;
  const actions = () =>
    createActions({ db, now: () => NOW, uuid: () => `00000000-0000-4000-8000-${String(++k).padStart(12, '0')}` });
  beforeEach(() => {
    k = 0;
  });
  const ids = async (day) => (await q.plannedStores(day)).map((s) => s.id);
  const planRows = async () =>
    (await db.entities.where('entity').equals('visit_plan').toArray()).filter((r) => !r.deleted);

  it('shows a plan saved offline at once, in the order picked, as pending', async () => {
    const id = await actions().savePlan({ day: TOMORROW, storeIds: [3, 1, 2] });
    const list = await q.plannedStores(TOMORROW);
    expect(list.map((s) => [s.id, s.plan_order, s.plan_pending])).toEqual([
      [3, 1, true],
      [1, 2, true],
      [2, 3, true],
    ]);
    expect(list[0].plan_id).toBe(id);
    expect(await q.plannedStores()).toEqual([]); // today has none
    expect(await q.dayPlan(TOMORROW)).toMatchObject({ id, store_ids: [3, 1, 2], pending: true });
  });

  it("prefers its pending plan over the server's under another id, until the covering pull drops it", async () => {
    const own = await actions().savePlan({ day: TOMORROW, storeIds: [3, 1] });
    // Pulled meanwhile (taken before our push reached the server): the manager's plan of that day.
    await plan('manager', 7, TOMORROW, [2]);
    expect(await ids(TOMORROW)).toEqual([3, 1]);
    expect((await q.plannedStores(TOMORROW))[0].plan_id).toBe(own);
    // The push is acknowledged: still ours (the pulled plan predates it) until the pull covers it.
    await setMeta(db, 'lastMutationId', 1);
    expect(await ids(TOMORROW)).toEqual([3, 1]);
    // A second save that day goes on the server's plan (its id) and is the newest pending one.
    expect(await actions().savePlan({ day: TOMORROW, storeIds: [2, 3] })).toBe('manager');
    expect(await ids(TOMORROW)).toEqual([2, 3]);
    expect((await q.plannedStores(TOMORROW))[0].plan_id).toBe('manager');
  });

  it('picks the pending plan first (newest mutation), then the latest pulled one', () => {
    const row = (id, pending, mutationId, updatedAt) => ({
      id,
      pending,
      mutationId,
      data: { id, day: TOMORROW, updated_at: updatedAt },
    });
    const pulledOld = row('a', false, undefined, '2026-11-20T10:00:00Z');
    const pulledNew = row('b', false, undefined, '2026-11-22T10:00:00Z');
    const mine1 = row('c', true, 3, '2026-11-21T10:00:00Z');
    const mine2 = row('d', true, 5, '2026-11-19T10:00:00Z');
    expect(pickDayPlan([])).toBeNull();
    expect(pickDayPlan([pulledOld, pulledNew]).id).toBe('b');
    expect(pickDayPlan([pulledOld, mine1, pulledNew]).id).toBe('c');
    expect(pickDayPlan([mine1, pulledNew, mine2]).id).toBe('d');
  });

  it('after sync shows only the server plan (ordered, the id of its first save), never two', async () => {
    const server = createFakeServer();
    const timers = createFakeTimers(NOW);
    const engine = createEngine({
      db,
      api: server.api,
      now: () => timers.now,
      setTimeout: timers.setTimeout,
      clearTimeout: timers.clearTimeout,
      random: () => 1,
      env: {},
      lock: false,
      storage: null,
      watch: false,
      appVersion: '1.0.0-test',
    });
    try {
      // The manager planned tomorrow on the desk; this phone has not pulled it.
      server.put('visit_plan', 'desk-plan', {
        id: 'desk-plan',
        rep_id: 7,
        day: TOMORROW,
        store_ids: [2],
        note: '',
        updated_at: '2026-11-23T02:00:00Z',
      });
      const own = await actions().savePlan({ day: TOMORROW, storeIds: [3, 1, 2] });
      expect(own).not.toBe('desk-plan');
      expect(await ids(TOMORROW)).toEqual([3, 1, 2]);

      await engine.syncNow();
      expect(server.applied.map((m) => m.name)).toEqual(['plan.save']);
      const list = await q.plannedStores(TOMORROW);
      expect(list.map((s) => [s.id, s.plan_pending])).toEqual([
        [1, false],
        [2, false],
        [3, false],
      ]);
      expect(list[0].plan_id).toBe('desk-plan');
      expect((await planRows()).map((r) => [r.id, r.pending])).toEqual([['desk-plan', false]]);
      expect(await getMeta(db, 'overlays')).toEqual({});

      // Planned again: the same plan, replaced on the server, still one.
      expect(await actions().savePlan({ day: TOMORROW, storeIds: [2, 1], optimise: false })).toBe('desk-plan');
      expect(await ids(TOMORROW)).toEqual([2, 1]);
      await engine.syncNow();
      expect(await ids(TOMORROW)).toEqual([2, 1]);
      expect((await planRows()).map((r) => [r.id, r.pending])).toEqual([['desk-plan', false]]);
    } finally {
      engine.stop();
    }
  });
});

describe('dayVisits', () => {
  it("lists the user's visits of the day, planned or not, oldest first, with their store", async () => {
    await plan('p1', 7, '2026-11-23', [1]);
    await put('visit', { id: 'v1', store_id: 3, rep_id: 7, checked_in_at: at(23, 11), checked_out_at: null });
    await put('visit', { id: 'v2', store_id: 2, rep_id: 7, checked_in_at: at(23, 9), checked_out_at: at(23, 10) });
    await put('visit', { id: 'v3', store_id: 1, rep_id: 7, checked_in_at: at(22, 9) }); // yesterday
    await put('visit', { id: 'v4', store_id: 1, rep_id: 8, checked_in_at: at(23, 9) }); // another rep's
    await put('visit', { id: 'v5', store_id: 99, checked_in_at: at(23, 12) }, { pending: true }); // made here
    const list = await q.dayVisits();
    expect(list.map((v) => [v.id, v.store?.name ?? null])).toEqual([
      ['v2', '北京路店'],
      ['v1', '体育西店'],
      ['v5', null],
    ]);
    // Unplanned visits do not tick planned stores: store 1 was planned and not visited today.
    expect((await q.plannedStores()).map((s) => [s.id, s.visited])).toEqual([[1, false]]);
  });
});
