import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from './index.js';
import { createActions } from './actions.js';
import {
  catalogueIn,
  createQueries,
  dayPlanIn,
  haversineM,
  nearbyStoresIn,
  openVisitIn,
  plannedStoresIn,
  recordsIn,
  searchStoresIn,
  storeHistoryIn,
  storeIn,
  storesIn,
  syncInfoIn,
  syncOf,
  visitRecordsIn,
} from './queries.js';
import { putEntity } from './testRows.js';

let n = 0;
let db;
let q;

const put = (entity, data, extra = {}) => putEntity(db, entity, data, extra);

beforeEach(async () => {
  db = createDb(`queries-test-${++n}`);
  q = createQueries(db);
  await put('store', {
    id: 1,
    code: 'GZ-001',
    name: '天河店',
    address: '天河路 1 号',
    latitude: 23.1301,
    longitude: 113.3301,
  });
  await put('store', {
    id: 2,
    code: 'GZ-002',
    name: '北京路店',
    name_pinyin: { full: 'bei jing lu dian', initials: 'bjld' }, // as the server sends it
    address: '北京路 9 号',
    latitude: 23.125,
    longitude: 113.27,
  });
  await put('store', {
    id: 3,
    code: 'SZ-001',
    name: 'Futian Mall',
    address: '福田',
    latitude: 22.54,
    longitude: 114.05,
  });
  await put('contact', { id: 'c1', store_id: 1, name: '王', role: 'owner' });
  await put('contact', { id: 'c2', store_id: 1, name: '李', role: 'promoter' }, { deleted: true, pending: true });
  await put('visit', {
    id: 'v1',
    store_id: 1,
    checked_in_at: '2026-11-20T01:00:00Z',
    checked_out_at: '2026-11-20T01:30:00Z',
  });
  await put('visit', { id: 'v2', store_id: 1, checked_in_at: '2026-11-22T09:00:00+08:00', checked_out_at: null });
  await put('price_observation', {
    id: 'p1',
    store_id: 1,
    product_id: 7,
    shelf_price: '2999.00',
    observed_at: '2026-11-20T01:10:00Z',
  });
  await put('price_observation', {
    id: 'p2',
    store_id: 1,
    product_id: 7,
    shelf_price: '2899.00',
    observed_at: '2026-11-22T01:10:00Z',
  });
  await put('price_observation', {
    id: 'p3',
    store_id: 1,
    competitor_model_id: 31,
    shelf_price: '1999.00',
    observed_at: '2026-11-21T01:10:00Z',
  });
  const move = (id, kind, quantity, at, material = 3) =>
    put('stock_movement', { id, store_id: 1, material_id: material, kind, quantity, recorded_at: at });
  await move('m1', 'delivered', 50, '2026-11-01T00:00:00Z');
  await move('m2', 'counted', 20, '2026-11-10T00:00:00Z');
  await move('m3', 'used', 3, '2026-11-11T00:00:00Z');
  await move('m4', 'delivered', 10, '2026-11-12T00:00:00Z');
  await move('m5', 'returned', 2, '2026-11-13T00:00:00.000000+00:00');
  await move('m6', 'used', 5, '2026-11-02T00:00:00Z'); // before the count: does not matter
  await move('m7', 'delivered', 4, '2026-11-05T00:00:00Z', 9);
  await put('product', { id: 7, name: 'X100', active: true });
  await put('product', { id: 8, name: 'Old', active: false });
  await put('checklist_item', { id: 2, label_zh: 'b', sort_order: 2, active: true });
  await put('checklist_item', { id: 1, label_zh: 'a', sort_order: 1, active: true });
});

afterEach(() => db.close());

describe('queries', () => {
  it('lists, searches and finds nearby stores', async () => {
    expect((await q.stores()).map((s) => s.id).sort()).toEqual([1, 2, 3]);
    expect((await q.searchStores('gz-')).map((s) => s.id).sort()).toEqual([1, 2]);
    expect((await q.searchStores('北京')).map((s) => s.id)).toEqual([2]);
    // pinyin of the name: syllables, initials, a mix, any case and spacing; not a store without it
    for (const text of ['beijing', 'BJL', 'beijl', 'jing lu', "bei'jing"]) {
      expect(
        (await q.searchStores(text)).map((s) => s.id),
        text,
      ).toEqual([2]);
    }
    expect(await q.searchStores('beijingx')).toEqual([]);
    expect((await q.searchStores('futian')).map((s) => s.id)).toEqual([3]); // by its Latin name
    const near = await q.nearbyStores(23.13, 113.33, 2);
    expect(near.map((s) => s.id)).toEqual([1, 2]);
    expect(near[0].distance_m).toBeLessThan(50);
    expect(near[1].distance_m).toBeGreaterThan(5000);
    expect(Math.round(haversineM(0, 0, 0, 1))).toBe(111195);
  });

  it('gives a store with its contacts (locally deleted ones left out)', async () => {
    const s = await q.store(1);
    expect(s.name).toBe('天河店');
    expect(s.pending).toBe(false);
    expect(s.contacts.map((c) => c.id)).toEqual(['c1']);
    expect(await q.store(99)).toBeNull();
  });

  it('computes the store history: last visit, latest price per model, current stock', async () => {
    const h = await q.storeHistory(1);
    expect(h.lastVisit.id).toBe('v2');
    expect(h.visits.map((v) => v.id)).toEqual(['v2', 'v1']);
    expect(h.lastPrices.map((p) => p.id)).toEqual(['p2', 'p3']);
    expect(h.stock).toEqual([
      {
        material_id: 3,
        quantity: 20 - 3 + 10 - 2,
        last_counted_at: '2026-11-10T00:00:00Z',
        last_movement_at: '2026-11-13T00:00:00.000000+00:00',
        pending: false,
      },
      { material_id: 9, quantity: 4, last_counted_at: null, last_movement_at: '2026-11-05T00:00:00Z', pending: false },
    ]);
  });

  it('includes optimistic local records at once', async () => {
    const a = createActions({ db, now: () => Date.UTC(2026, 10, 23, 2, 0, 0) });
    await a.recordStock({ storeId: 1, materialId: 3, kind: 'used', quantity: 1 });
    const h = await q.storeHistory(1);
    expect(h.stock[0]).toMatchObject({ material_id: 3, quantity: 24, pending: true });
    expect((await q.openVisit(1)).id).toBe('v2');
    const counts = await q.syncCounts();
    expect(counts).toEqual({
      pending: 1,
      rejected: 0,
      photosPending: 0,
      photosFailed: 0,
      oldestPendingAt: '2026-11-23T02:00:00.000Z',
    });
    expect((await q.outbox()).map((r) => r.name)).toEqual(['stock.move']);
  });

  it('gives the catalogue for pickers', async () => {
    const c = await q.catalogue();
    expect(c.products.map((p) => p.id)).toEqual([7]);
    expect(c.checklistItems.map((i) => i.id)).toEqual([1, 2]);
    expect(c.regions).toEqual([]);
  });

  it('are plain functions of the database too, which createQueries binds', async () => {
    expect(await storesIn(db)).toEqual(await q.stores());
    expect(await searchStoresIn(db, 'gz-')).toEqual(await q.searchStores('gz-'));
    expect(await nearbyStoresIn(db, 23.13, 113.33, 1)).toEqual(await q.nearbyStores(23.13, 113.33, 1));
    expect(await storeIn(db, 1)).toEqual(await q.store(1));
    expect(await storeHistoryIn(db, 1)).toEqual(await q.storeHistory(1));
    expect(await catalogueIn(db)).toEqual(await q.catalogue());
    expect((await openVisitIn(db)).id).toBe('v2');
    expect((await visitRecordsIn(db, 'v1')).stockMovements).toEqual([]);
    expect((await recordsIn(db, 'contact')).map((c) => c.id)).toEqual(['c1']);
    expect(await syncInfoIn(db)).toEqual({ lastPulledAt: null, lastMutationId: 0, clientId: null });
    expect(await q.syncInfo()).toEqual(await syncInfoIn(db));
  });

  it('take the day explicitly where "today" matters; createQueries defaults it from its clock', async () => {
    await db.meta.put({ key: 'session', value: { user: { id: 7 } } });
    await put('visit_plan', {
      id: 'plan-1',
      rep_id: 7,
      day: '2026-11-24',
      store_ids: [2, 99],
      note: 'n',
      updated_at: '2026-11-23T00:00:00Z',
    });
    const bound = createQueries(db, { now: () => Date.UTC(2026, 10, 24, 2, 0, 0) });
    expect((await plannedStoresIn(db, '2026-11-24')).map((s) => [s.id, s.plan_order, Boolean(s.unknown)])).toEqual([
      [2, 1, false],
      [99, 2, true],
    ]);
    expect(await bound.plannedStores()).toEqual(await plannedStoresIn(db, '2026-11-24'));
    expect(await plannedStoresIn(db, '2026-11-25')).toEqual([]);
    expect((await dayPlanIn(db, '2026-11-24')).id).toBe('plan-1');
    expect(await bound.dayPlan()).toEqual(await dayPlanIn(db, '2026-11-24'));
  });

  it('tells where a record stands with the server (syncOf)', () => {
    expect(syncOf(null, [])).toEqual({ state: 'synced', error: null, mutationId: null, name: null });
    expect(syncOf({ pending: true, mutationId: 4 })).toEqual({
      state: 'pending',
      error: null,
      mutationId: 4,
      name: null,
    });
    const entries = [
      { id: 1, name: 'warranty.register', status: 'rejected', error: { code: 'x' } },
      { id: 2, name: 'warranty.correct', status: 'rejected', error: { code: 'y' } },
      { id: 3, name: 'warranty.correct', status: 'pending' },
    ];
    expect(syncOf(null, entries)).toEqual({
      state: 'refused',
      error: { code: 'x' },
      mutationId: 1,
      name: 'warranty.register',
    });
    expect(syncOf(null, entries.slice(1))).toEqual({
      state: 'refused',
      error: { code: 'y' },
      mutationId: 2,
      name: 'warranty.correct',
    });
    expect(syncOf(null, entries.slice(2))).toEqual({
      state: 'pending',
      error: null,
      mutationId: 3,
      name: 'warranty.correct',
    });
  });
});
