import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, getMeta, saveSession, setMeta } from './index.js';
import { createActions, moneyOf } from './actions.js';
import { HLC } from '../protocol/hlc.js';
import { parsePush } from '../protocol/envelope.js';
import { sha256Hex } from '../protocol/sha256.js';

let n = 0;
let db;
let clock;
let uuids;

function makeActions(extra = {}) {
  return createActions({
    db,
    now: () => clock,
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
    ...extra,
  });
}

beforeEach(async () => {
  db = createDb(`actions-test-${++n}`);
  clock = Date.UTC(2026, 10, 23, 1, 14, 0);
  uuids = 0;
  await db.entities.put({
    entity: 'store',
    id: '12',
    data: { id: 12, name: '天河店', address: '天河路 1 号', latitude: 23.13, longitude: 113.33 },
    clock: { address: '001795435381200:00000:server', name: '001795435381100:00000:server' },
    pending: false,
    storeId: '12',
  });
});

afterEach(async () => {
  db.close();
});

describe('actions', () => {
  it('checkIn writes the pending visit and its outbox row with the server args', async () => {
    const a = makeActions();
    const id = await a.checkIn({ storeId: 12, position: { latitude: 23.1291, longitude: 113.3269, accuracy: 12 } });
    const clientId = await getMeta(db, 'clientId');
    expect(id).toBe('00000000-0000-4000-8000-000000000001');
    expect(clientId).toBe('00000000-0000-4000-8000-000000000002');

    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({
      id: 1,
      name: 'visit.check_in',
      status: 'pending',
      error: null,
      label: '天河店',
      createdAt: '2026-11-23T01:14:00.000Z',
      args: {
        id,
        store_id: 12,
        checked_in_at: '2026-11-23T01:14:00.000Z',
        latitude: 23.1291,
        longitude: 113.3269,
        accuracy_m: 12,
      },
    });
    expect(Object.keys(row.args).sort()).toEqual([
      'accuracy_m',
      'checked_in_at',
      'id',
      'latitude',
      'longitude',
      'store_id',
    ]);
    const hlc = HLC.parse(row.hlc);
    expect(hlc.node).toBe(clientId);
    expect(hlc.wallMs).toBe(clock);
    expect(await getMeta(db, 'lastHlc')).toBe(row.hlc);

    const visit = await db.entities.get(['visit', id]);
    expect(visit).toMatchObject({ pending: true, mutationId: 1, storeId: '12', base: null });
    expect(visit.data).toMatchObject({ id, store_id: 12, checked_out_at: null, accuracy_m: 12 });

    // A push of it passes the protocol's envelope validation.
    expect(() =>
      parsePush({
        client_id: clientId,
        protocol_version: 1,
        app_version: '0.1.0',
        mutations: [{ id: 1, name: row.name, args: row.args, hlc: row.hlc }],
      }),
    ).not.toThrow();
  });

  it('writes the record and the outbox row in one transaction: a failure half-way leaves neither', async () => {
    const a = makeActions();
    await setMeta(db, 'clientId', 'c0ffee00-rep-gz');
    await setMeta(db, 'nextMutationId', 5);
    // Mutation id 5 is taken in the outbox, so appending the outbox row (the last write) fails.
    await db.outbox.add({
      id: 5,
      name: 'x.y',
      args: {},
      hlc: '001718000000000:00000:c0ffee00-rep-gz',
      status: 'rejected',
    });
    await expect(a.recordStock({ storeId: 12, materialId: 3, kind: 'counted', quantity: 14 })).rejects.toThrow();
    expect(await db.entities.where('entity').equals('stock_movement').count()).toBe(0);
    expect(await getMeta(db, 'nextMutationId')).toBe(5);
    expect(await getMeta(db, 'lastHlc')).toBeUndefined();
    expect(await getMeta(db, 'overlays')).toBeUndefined();
    expect(await db.outbox.count()).toBe(1);
  });

  it('gives consecutive mutation ids and strictly increasing HLCs, kept across reopening the database', async () => {
    const a = makeActions();
    const name = db.name;
    await a.recordStock({ storeId: 12, materialId: 3, kind: 'delivered', quantity: 10 });
    await a.recordStock({ storeId: 12, materialId: 3, kind: 'used', quantity: 2 });
    db.close();

    db = createDb(name);
    clock -= 60_000; // the phone's clock went back a minute
    const b = makeActions();
    await b.recordStock({ storeId: 12, materialId: 3, kind: 'counted', quantity: 8 });
    await b.observePrice({ storeId: 12, productId: 7, shelfPrice: 2999 });

    const rows = await db.outbox.orderBy('id').toArray();
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    const hlcs = rows.map((r) => r.hlc);
    expect([...hlcs].sort()).toEqual(hlcs);
    expect(new Set(hlcs).size).toBe(4);
    expect(await getMeta(db, 'nextMutationId')).toBe(5);
    expect(new Set(rows.map((r) => HLC.parse(r.hlc).node)).size).toBe(1);
  });

  it('formats prices as strings with two decimals and wants exactly one model', async () => {
    expect(moneyOf(2999)).toBe('2999.00');
    expect(moneyOf(12.5)).toBe('12.50');
    expect(moneyOf('1,299')).toBe('1299.00');
    expect(moneyOf('0.5')).toBe('0.50');
    expect(moneyOf('1.005')).toBe('1.01');
    expect(moneyOf('')).toBeUndefined();
    expect(() => moneyOf('abc')).toThrow(TypeError);

    const a = makeActions();
    await expect(a.observePrice({ storeId: 12, shelfPrice: 1 })).rejects.toThrow(TypeError);
    await expect(a.observePrice({ storeId: 12, productId: 1, competitorModelId: 2, shelfPrice: 1 })).rejects.toThrow(
      TypeError,
    );
    const id = await a.observePrice({
      storeId: '12',
      visitId: 'v-1',
      competitorModelId: 31,
      shelfPrice: '2899',
      promoPrice: 2699.9,
      promoText: '国补',
      photoIds: ['p1'],
    });
    const [row] = await db.outbox.toArray();
    expect(row.args).toEqual({
      id,
      store_id: 12,
      competitor_model_id: 31,
      shelf_price: '2899.00',
      promo_price: '2699.90',
      promo_text: '国补',
      observed_at: '2026-11-23T01:14:00.000Z',
      visit_id: 'v-1',
      photo_ids: ['p1'],
    });
  });

  it('builds the other mutations as the server expects them', async () => {
    const a = makeActions();
    const visitId = await a.checkIn({
      storeId: 12,
      position: { latitude: 23.1, longitude: 113.3, accuracy: 8 },
      notes: '',
    });
    const checkId = await a.recordDisplayCheck({ visitId, answers: { 4: true, 5: 3 }, notes: 'ok', photoIds: [] });
    await a.checkOut(visitId, { position: { latitude: 23.1, longitude: 113.3, accuracy: 9 }, notes: 'done' });
    const intelId = await a.reportIntel({
      kind: 'opening',
      name: '新店',
      position: { latitude: 23.2, longitude: 113.4, accuracy: 30 },
      storeId: 12,
    });
    const rows = await db.outbox.orderBy('id').toArray();
    expect(rows.map((r) => r.name)).toEqual(['visit.check_in', 'display.check', 'visit.check_out', 'intel.report']);
    expect(rows[0].args.notes).toBeUndefined();
    expect(rows[1].args).toEqual({
      id: checkId,
      visit_id: visitId,
      checked_at: '2026-11-23T01:14:00.000Z',
      answers: [
        { item_id: 4, value: true },
        { item_id: 5, value: 3 },
      ],
      notes: 'ok',
    });
    expect(rows[2].args).toEqual({
      visit_id: visitId,
      checked_out_at: '2026-11-23T01:14:00.000Z',
      latitude: 23.1,
      longitude: 113.3,
      accuracy_m: 9,
      notes: 'done',
    });
    expect(rows[3].args).toEqual({
      id: intelId,
      kind: 'opening',
      name: '新店',
      reported_at: '2026-11-23T01:14:00.000Z',
      latitude: 23.2,
      longitude: 113.4,
      accuracy_m: 30,
      store_id: 12,
    });
    const visit = await db.entities.get(['visit', visitId]);
    expect(visit.mutationId).toBe(3);
    expect(visit.data.checked_out_at).toBe('2026-11-23T01:14:00.000Z');
    expect((await db.entities.get(['display_check', checkId])).data.store_id).toBe(12);
  });

  it('edits a store per field, with base = the HLCs the rep saw, and shows the edit at once', async () => {
    const a = makeActions();
    await a.updateStore(12, { address: '天河路 208 号', tier: 'A' });
    const [row] = await db.outbox.toArray();
    expect(row.args).toEqual({
      store_id: 12,
      fields: { address: '天河路 208 号', tier: 'A' },
      base: { address: '001795435381200:00000:server' },
    });
    const store = await db.entities.get(['store', '12']);
    expect(store.pending).toBe(true);
    expect(store.data).toMatchObject({ name: '天河店', address: '天河路 208 号', tier: 'A' });
    expect(store.clock.address).toBe(row.hlc);
    expect(store.base.data.address).toBe('天河路 1 号');

    // A second edit's base is the first (local) edit's HLC: no false conflict at the server.
    await a.updateStore(12, { address: '天河路 209 号' });
    const rows = await db.outbox.orderBy('id').toArray();
    expect(rows[1].args.base).toEqual({ address: row.hlc });
  });

  it('creates, edits and deletes contacts', async () => {
    const a = makeActions();
    const cid = await a.upsertContact(12, null, { name: '王店长', role: 'store_manager', phone: '13800000000' });
    await a.upsertContact(12, cid, { phone: '13900000000' });
    await a.deleteContact(12, cid);
    const rows = await db.outbox.orderBy('id').toArray();
    expect(rows.map((r) => r.name)).toEqual(['contact.upsert', 'contact.upsert', 'contact.delete']);
    expect(rows[0].args).toEqual({
      store_id: 12,
      id: cid,
      fields: { name: '王店长', role: 'store_manager', phone: '13800000000' },
      base: {},
    });
    expect(rows[1].args.base).toEqual({ phone: rows[0].hlc });
    expect(rows[2].args).toEqual({ store_id: 12, id: cid });
    const contact = await db.entities.get(['contact', cid]);
    expect(contact).toMatchObject({ pending: true, deleted: true, storeId: '12', mutationId: 3 });
  });

  it('addPhoto stores the downscaled blob with its sha256', async () => {
    const original = new Blob([new Uint8Array(5000).fill(7)], { type: 'image/png' });
    const resized = new Blob([new Uint8Array(1234).fill(9)], { type: 'image/jpeg' });
    const seen = [];
    const a = makeActions({
      resizeImage: async (b) => {
        seen.push(b);
        return resized;
      },
    });
    const id = await a.addPhoto(original);
    expect(seen).toEqual([original]);
    const photo = await db.photos.get(id);
    expect(photo).toMatchObject({
      id,
      size: 1234,
      offset: 0,
      status: 'pending',
      createdAt: '2026-11-23T01:14:00.000Z',
    });
    expect(photo.sha256).toBe(sha256Hex(new Uint8Array(1234).fill(9)));
    expect(photo.blob.size).toBe(1234);
    expect(await db.outbox.count()).toBe(0); // photos travel in their own lane
  });

  it('discards a refused entry, or sends it again corrected as a new mutation', async () => {
    const a = makeActions();
    await a.recordStock({ storeId: 12, materialId: 3, kind: 'counted', quantity: 14 });
    const moveId = (await db.outbox.get(1)).args.id;
    await a.recordStock({ storeId: 12, materialId: 4, kind: 'used', quantity: 1 });
    await db.outbox.update(1, { status: 'rejected', error: { code: 'invalid', message: 'quantity' } });
    await db.outbox.update(2, { status: 'rejected', error: { code: 'not_found', message: 'material' } });

    await expect(a.discardRejected(3)).rejects.toThrow();
    const newId = await a.resendRejected(1, { ...(await db.outbox.get(1)).args, quantity: 15 });
    expect(newId).toBe(3);
    expect(await db.outbox.get(1)).toBeUndefined();
    const resent = await db.outbox.get(3);
    expect(resent).toMatchObject({ name: 'stock.move', status: 'pending', args: { id: moveId, quantity: 15 } });
    expect((await db.entities.get(['stock_movement', moveId])).data.quantity).toBe(15);

    const second = (await db.outbox.get(2)).args.id;
    await a.discardRejected(2);
    expect(await db.outbox.get(2)).toBeUndefined();
    expect(await db.entities.get(['stock_movement', second])).toBeUndefined();
    expect(Object.values(await getMeta(db, 'overlays'))).toEqual([3]);
  });

  it('starts over as a new client when another user logs in', async () => {
    const a = makeActions();
    let k = 0;
    const ids = () => `client-${++k}-xxxxxxxx`;
    expect(await saveSession({ token: 't1', user: { id: 1 } }, db, ids)).toBe(false);
    const first = await getMeta(db, 'clientId');
    await a.recordStock({ storeId: 12, materialId: 3, kind: 'counted', quantity: 1 });
    expect(await saveSession({ token: 't2', user: { id: 1 } }, db, ids)).toBe(false);
    expect(await getMeta(db, 'clientId')).toBe(first);
    expect(await saveSession({ token: 't3', user: { id: 2 } }, db, ids)).toBe(true);
    expect(await getMeta(db, 'clientId')).not.toBe(first);
    expect(await getMeta(db, 'nextMutationId')).toBe(1);
    expect(await db.outbox.count()).toBe(0);
    expect((await getMeta(db, 'session')).token).toBe('t3');
  });
});

describe('savePlan', () => {
  const DAY = '2026-11-24';
  const serverPlan = (id, day, storeIds, extra = {}) =>
    db.entities.put({
      entity: 'visit_plan',
      id,
      data: {
        id,
        rep_id: 7,
        day,
        store_ids: storeIds,
        picked_store_ids: storeIds,
        distance_picked_m: 900,
        distance_planned_m: 800,
        note: 'from the manager',
        updated_at: '2026-11-22T10:00:00+00:00',
        ...extra,
      },
      clock: null,
      pending: false,
    });

  beforeEach(() => setMeta(db, 'session', { token: 't', user: { id: 7, role: 'rep' } }));

  it('writes the pending plan (in the order picked) and its plan.save outbox row, with a new id', async () => {
    const a = makeActions();
    const id = await a.savePlan({
      day: DAY,
      storeIds: [14, '12', 13],
      note: ' early ',
      start: { latitude: 23.13, longitude: 113.33 },
    });
    expect(id).toBe('00000000-0000-4000-8000-000000000001');
    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({ id: 1, name: 'plan.save', status: 'pending', label: DAY });
    expect(row.args).toEqual({
      id,
      day: DAY,
      store_ids: [14, 12, 13],
      optimise: true,
      note: 'early',
      start_latitude: 23.13,
      start_longitude: 113.33,
    });
    const plan = await db.entities.get(['visit_plan', id]);
    expect(plan).toMatchObject({ pending: true, mutationId: 1, base: null });
    expect(plan.data).toMatchObject({
      id,
      rep_id: 7,
      day: DAY,
      store_ids: [14, 12, 13],
      picked_store_ids: [14, 12, 13],
      note: 'early',
      distance_planned_m: null,
    });
    expect(plan.data.updated_at).toBe('2026-11-23T01:14:00.000Z');
    expect(await getMeta(db, 'overlays')).toEqual({ [`visit_plan:${id}`]: 1 });
    const clientId = await getMeta(db, 'clientId');
    expect(() =>
      parsePush({
        client_id: clientId,
        protocol_version: 1,
        app_version: '0.1.0',
        mutations: [{ id: 1, name: row.name, args: row.args, hlc: row.hlc }],
      }),
    ).not.toThrow();

    // Keeping the order picked; no start, no note.
    await a.savePlan({ day: '2026-11-23', storeIds: [12], optimise: false });
    expect((await db.outbox.get(2)).args).toEqual({
      id: '00000000-0000-4000-8000-000000000003',
      day: '2026-11-23',
      store_ids: [12],
      optimise: false,
      note: '',
    });
  });

  it('writes the plan and its outbox row in one transaction: a failure half-way leaves neither', async () => {
    const a = makeActions();
    await setMeta(db, 'clientId', 'c0ffee00-rep-gz');
    await setMeta(db, 'nextMutationId', 5);
    await db.outbox.add({
      id: 5,
      name: 'x.y',
      args: {},
      hlc: '001718000000000:00000:c0ffee00-rep-gz',
      status: 'rejected',
    });
    await expect(a.savePlan({ day: DAY, storeIds: [12, 13] })).rejects.toThrow();
    expect(await db.entities.where('entity').equals('visit_plan').count()).toBe(0);
    expect(await getMeta(db, 'nextMutationId')).toBe(5);
    expect(await getMeta(db, 'overlays')).toBeUndefined();
    expect(await db.outbox.count()).toBe(1);
  });

  it("reuses the id of the day's pulled plan (its stops replaced on top of it), else of its own pending plan", async () => {
    const a = makeActions();
    await serverPlan('server-plan', DAY, [13]);
    await serverPlan('other-day', '2026-11-25', [13]);
    await serverPlan('other-rep', DAY, [13], { rep_id: 8 });
    expect(await a.savePlan({ day: DAY, storeIds: [12, 14] })).toBe('server-plan');
    const row = await db.entities.get(['visit_plan', 'server-plan']);
    expect(row).toMatchObject({ pending: true, mutationId: 1 });
    expect(row.data).toMatchObject({ store_ids: [12, 14], note: '', rep_id: 7 });
    expect(row.base.data.store_ids).toEqual([13]);
    expect((await db.outbox.get(1)).args.id).toBe('server-plan');
    expect(await a.savePlan({ day: DAY, storeIds: [14] })).toBe('server-plan');
    expect((await db.entities.get(['visit_plan', 'server-plan'])).mutationId).toBe(2);

    // A day planned offline twice: the second save is the same plan.
    const own = await a.savePlan({ day: '2026-11-26', storeIds: [12] });
    expect(own).not.toMatch(/server|other/);
    expect(await a.savePlan({ day: '2026-11-26', storeIds: [12, 13] })).toBe(own);
    expect((await db.entities.where('entity').equals('visit_plan').toArray()).map((r) => r.id).sort()).toEqual(
      ['other-day', 'other-rep', own, 'server-plan'].sort(),
    );

    // Its own pending plan and, pulled meanwhile, the server's (another id): the server's id.
    await serverPlan('manager-plan', '2026-11-26', [14]);
    expect(await a.savePlan({ day: '2026-11-26', storeIds: [13] })).toBe('manager-plan');
  });

  it('refuses what the server would refuse, before writing anything', async () => {
    const a = makeActions();
    await expect(a.savePlan({ day: '24/11/2026', storeIds: [12] })).rejects.toThrow(/day/);
    await expect(a.savePlan({ day: DAY, storeIds: [] })).rejects.toThrow(/storeIds/);
    await expect(a.savePlan({ day: DAY, storeIds: [12, 12] })).rejects.toThrow(/twice/);
    await expect(a.savePlan({ day: DAY, storeIds: Array.from({ length: 41 }, (_, i) => i + 1) })).rejects.toThrow(/40/);
    await expect(a.savePlan({ day: DAY, storeIds: [12], start: { latitude: 'x', longitude: 1 } })).rejects.toThrow(
      /start/,
    );
    expect(await db.outbox.count()).toBe(0);
  });
});
