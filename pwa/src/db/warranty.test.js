// Warranty cards (store clerks) and IMEI spot checks (reps): the actions write the optimistic
// record and its outbox row in one transaction, refuse what the server would refuse, and the
// queries show each card's sync state — refused cards included, with the server's reason.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, getMeta, saveSession, setMeta } from './index.js';
import { createActions } from './actions.js';
import { createQueries } from './queries.js';
import { CardError } from '../warranty/card.js';
import { createEngine } from '../sync/engine.js';
import { createFakeServer } from '../sync/testing/fake-server.js';
import { putEntity } from './testRows.js';

let n = 0;
let db;
let clock;
let uuids;

const P30 = {
  id: 7,
  model_code: 'XL-P30',
  name: '星澜 P30',
  active: true,
  launch_date: '2026-03-01',
  tac_codes: ['86012345'],
  return_days: 7,
  exchange_days: 15,
  repair_months: 12,
};
const X9 = {
  id: 8,
  model_code: 'XL-X9',
  name: '星澜 X9',
  active: true,
  launch_date: null,
  tac_codes: ['35209900'],
  return_days: 7,
  exchange_days: 30,
  repair_months: 24,
};
const FREE = {
  id: 9,
  model_code: 'XL-A1',
  name: '星澜 A1',
  active: true,
  launch_date: null,
  tac_codes: [],
  return_days: 7,
  exchange_days: 15,
  repair_months: 12,
};
const IMEI_P30 = '860123456789014';
const IMEI_X9 = '352099001761481';

const put = (entity, data, extra = {}) => putEntity(db, entity, data, extra);

function makeActions() {
  return createActions({
    db,
    now: () => clock,
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
  });
}

const card = (extra = {}) => ({
  imei: IMEI_P30,
  productId: 7,
  serialNumber: 'SN-P30-0001',
  buyerName: '张三',
  buyerPhone: '+86 138-1234-5678',
  invoiceNumber: 'INV-001',
  purchaseDate: '2026-11-20',
  ...extra,
});

async function problemsOf(promise) {
  const err = await promise.then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(CardError);
  return Object.fromEntries(Object.entries(err.problems).map(([k, v]) => [k, v.key]));
}

beforeEach(async () => {
  db = createDb(`warranty-test-${++n}`);
  clock = Date.UTC(2026, 10, 23, 4, 0, 0); // 23 Nov 2026, noon in China, morning in Europe
  uuids = 0;
  await saveSession({ token: 't', user: { id: 31, role: 'clerk', store_id: 12 } }, db, () => 'client-clerk');
  await put('store', { id: 12, name: '天河店' });
  for (const p of [P30, X9, FREE]) await put('product', p);
});

afterEach(() => db.close());

describe('registerCard', () => {
  it('writes the pending card with its 三包 dates and the outbox row with the server args', async () => {
    const a = makeActions();
    const id = await a.registerCard(card({ buyerAddress: '  广州市天河区天河路 208 号 ' }));
    expect(id).toBe('00000000-0000-4000-8000-000000000001');
    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({ id: 1, name: 'warranty.register', status: 'pending', label: `XL-P30 · ${IMEI_P30}` });
    expect(row.args).toEqual({
      id,
      imei: IMEI_P30,
      product_id: 7,
      serial_number: 'SN-P30-0001',
      buyer_name: '张三',
      buyer_phone: '13812345678', // normalised
      buyer_address: '广州市天河区天河路 208 号',
      invoice_number: 'INV-001',
      purchase_date: '2026-11-20',
      registered_at: '2026-11-23T04:00:00.000Z',
    });
    const local = await db.entities.get(['warranty_card', id]);
    expect(local).toMatchObject({ pending: true, mutationId: 1, storeId: '12', base: null });
    expect(local.data).toMatchObject({
      store_id: 12,
      registered_by: 31,
      imei2: null,
      revision: 1,
      voided_at: null,
      terms: { return_until: '2026-11-27', exchange_until: '2026-12-05', repair_until: '2027-11-20' },
    });
  });

  it('refuses what the server would refuse, field by field', async () => {
    const a = makeActions();
    expect(await problemsOf(a.registerCard(card({ imei: '860123456789015' })))).toEqual({
      imei: 'imei.problem.checkDigit',
    });
    expect(await problemsOf(a.registerCard(card({ imei: '86012345678901' })))).toEqual({ imei: 'imei.problem.length' });
    expect(await problemsOf(a.registerCard(card({ imei: IMEI_X9 })))).toEqual({ imei: 'card.problem.tacOther' });
    expect(await problemsOf(a.registerCard(card({ imei: '490154203237518' })))).toEqual({ imei: 'card.problem.tac' });
    // Another model's TAC is refused even for a model with no TAC list (as the server does), and
    // the message names that model; IMEI 2 is checked the same way.
    const err = await a.registerCard(card({ productId: 9, imei: IMEI_X9 })).catch((e) => e);
    expect(err.problems.imei).toEqual({ key: 'card.problem.tacOther', vars: { model: 'XL-X9' } });
    expect(await problemsOf(a.registerCard(card({ imei2: IMEI_X9 })))).toEqual({ imei2: 'card.problem.tacOther' });
    expect(
      await problemsOf(
        a.registerCard(
          card({
            imei2: IMEI_P30,
            productId: 99,
            serialNumber: 'a b',
            buyerName: ' ',
            buyerPhone: '12345',
            invoiceNumber: '',
          }),
        ),
      ),
    ).toEqual({
      imei2: 'card.problem.sameImei',
      product_id: 'card.problem.model',
      serial_number: 'card.problem.serial',
      buyer_name: 'card.problem.required',
      buyer_phone: 'card.problem.phone',
      invoice_number: 'card.problem.required',
    });
    expect(await problemsOf(a.registerCard(card({ purchaseDate: '2026-11-30' })))).toEqual({
      purchase_date: 'card.problem.future',
    });
    expect(await problemsOf(a.registerCard(card({ purchaseDate: '2026-02-28' })))).toEqual({
      purchase_date: 'card.problem.beforeLaunch',
    });
    expect(await problemsOf(a.registerCard(card({ purchaseDate: '2026-02-30' })))).toEqual({
      purchase_date: 'card.problem.date',
    });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.entities.where('entity').equals('warranty_card').count()).toBe(0);

    // A model with no TAC list takes any valid IMEI; IMEI 2 is checked too.
    await a.registerCard(card({ productId: 9, imei: '490154203237518', imei2: '356938035643809' }));
    expect((await db.outbox.get(1)).args).toMatchObject({
      imei: '490154203237518',
      imei2: '356938035643809',
      product_id: 9,
    });
  });

  it('refuses an IMEI already registered on this phone, unless that card was refused', async () => {
    const a = makeActions();
    await a.registerCard(card());
    expect(await problemsOf(a.registerCard(card({ serialNumber: 'OTHER-1' })))).toEqual({
      imei: 'card.problem.duplicate',
    });
    await db.outbox.update(1, { status: 'rejected', error: { code: 'conflict', message: 'dup' } });
    await a.registerCard(card({ serialNumber: 'OTHER-1' }));
    expect(await db.outbox.count()).toBe(2);
  });

  it('sends a refused registration again, corrected, as a new mutation for the same card', async () => {
    const a = makeActions();
    const id = await a.registerCard(card());
    await db.outbox.update(1, {
      status: 'rejected',
      error: { code: 'invalid', message: 'Unknown invoice', field: 'invoice_number' },
    });
    await expect(a.registerCard(card({ id, replacing: 5 }))).rejects.toThrow();
    const again = await a.registerCard(card({ id, invoiceNumber: 'INV-002', replacing: 1 }));
    expect(again).toBe(id);
    const rows = await db.outbox.orderBy('id').toArray();
    expect(rows.map((r) => [r.id, r.status, r.args.invoice_number])).toEqual([[2, 'pending', 'INV-002']]);
    expect((await db.entities.get(['warranty_card', id])).data.invoice_number).toBe('INV-002');
  });
});

describe('correctCard', () => {
  it('queues the changed fields, re-checks them and shows the correction at once', async () => {
    await put('warranty_card', {
      id: 'card-1',
      store_id: 12,
      imei: IMEI_P30,
      imei2: null,
      product_id: 7,
      serial_number: 'SN1234',
      buyer_name: '李四',
      buyer_phone: '13900000000',
      buyer_address: '',
      invoice_number: 'A1',
      purchase_date: '2026-11-01',
      registered_at: '2026-11-01T02:00:00+00:00',
      revision: 1,
      terms: { return_until: '2026-11-08', exchange_until: '2026-11-16', repair_until: '2027-11-01' },
    });
    const a = makeActions();
    expect(await problemsOf(a.correctCard('card-1', { product_id: 8 }))).toEqual({ imei: 'card.problem.tacOther' });
    expect(await problemsOf(a.correctCard('card-1', { buyer_phone: '123' }))).toEqual({
      buyer_phone: 'card.problem.phone',
    });
    await expect(a.correctCard('card-1', { registered_at: 'x' })).rejects.toThrow(TypeError);
    await expect(a.correctCard('nope', { buyer_name: 'x' })).rejects.toThrow();

    await a.correctCard('card-1', { buyer_phone: '139 0000 0001', purchase_date: '2026-11-02' });
    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({
      name: 'warranty.correct',
      args: { id: 'card-1', fields: { buyer_phone: '13900000001', purchase_date: '2026-11-02' } },
    });
    const local = await db.entities.get(['warranty_card', 'card-1']);
    expect(local.pending).toBe(true);
    expect(local.data).toMatchObject({
      buyer_phone: '13900000001',
      terms: { return_until: '2026-11-09', repair_until: '2027-11-02' },
    });
    expect(local.base.data.buyer_phone).toBe('13900000000');
  });

  it("refuses to move a replacement card's inherited purchase date; its other fields correct", async () => {
    await put('warranty_card', {
      id: 'card-2',
      store_id: 12,
      imei: IMEI_P30,
      imei2: null,
      product_id: 7,
      serial_number: 'SN1234',
      buyer_name: '李四',
      buyer_phone: '13900000000',
      buyer_address: '',
      invoice_number: 'A1',
      purchase_date: '2026-11-01',
      registered_at: '2026-11-10T02:00:00+00:00',
      replaces_card_id: 'card-1',
      revision: 1,
      terms: { return_until: '2026-11-08', exchange_until: '2026-11-16', repair_until: '2027-11-01' },
    });
    const a = makeActions();
    const err = await a.correctCard('card-2', { purchase_date: '2026-11-09' }).catch((e) => e);
    expect(err).toBeInstanceOf(CardError);
    expect(err.problems).toEqual({
      purchase_date: { key: 'card.problem.purchaseDateInherited', vars: { date: '2026-11-01' } },
    });
    expect(await db.outbox.count()).toBe(0);
    // The same date sent along with another field is no move.
    await a.correctCard('card-2', { buyer_name: '李五', purchase_date: '2026-11-01' });
    const [row] = await db.outbox.toArray();
    expect(row.args).toEqual({ id: 'card-2', fields: { buyer_name: '李五', purchase_date: '2026-11-01' } });
  });
});

describe('spotCheck', () => {
  it('queues a Luhn-checked IMEI seen in a visit', async () => {
    const a = makeActions();
    expect(await problemsOf(a.spotCheck({ storeId: 12, visitId: 'v1', imei: '860123456789015' }))).toEqual({
      imei: 'imei.problem.checkDigit',
    });
    const id = await a.spotCheck({ storeId: '12', visitId: 'v1', imei: ' 8601 2345 6789 014 ' });
    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({
      name: 'imei.spot_check',
      args: { id, store_id: 12, visit_id: 'v1', imei: IMEI_P30, seen_at: '2026-11-23T04:00:00.000Z' },
    });
    expect((await db.entities.get(['imei_spot_check', id])).data).toMatchObject({
      rep_id: 31,
      shipment_match: null,
      store_id: 12,
    });
  });
});

describe('card and spot-check queries', () => {
  it('lists cards newest first with product, standing and sync state; filters by IMEI prefix', async () => {
    await put('warranty_card', {
      id: 'old',
      store_id: 12,
      imei: IMEI_X9,
      imei2: '356938035643809',
      product_id: 8,
      purchase_date: '2025-01-10',
      registered_at: '2025-01-10T03:00:00.000000+00:00',
      terms: { return_until: '2025-01-17', exchange_until: '2025-02-09', repair_until: '2027-01-10' },
      voided_at: null,
    });
    const a = makeActions();
    const id = await a.registerCard(card());
    const q = createQueries(db, { now: () => clock });
    const list = await q.cards();
    expect(list.map((c) => [c.id, c.sync.state, c.standing, c.product.model_code])).toEqual([
      [id, 'pending', 'returnable', 'XL-P30'],
      ['old', 'synced', 'repairable', 'XL-X9'],
    ]);
    expect((await q.cards({ imeiPrefix: '8601' })).map((c) => c.id)).toEqual([id]);
    expect((await q.cards({ imeiPrefix: '35693' })).map((c) => c.id)).toEqual(['old']); // IMEI 2
    expect(await q.cards({ imeiPrefix: '0' })).toEqual([]);
    expect((await q.card(id)).terms).toEqual({
      return_until: '2026-11-27',
      exchange_until: '2026-12-05',
      repair_until: '2027-11-20',
    });
    expect(await q.card('nope')).toBeNull();
  });

  it('shows a card refused by the server as refused, with the reason, after the sync', async () => {
    const server = createFakeServer();
    server.reject = (m) =>
      m.name === 'warranty.register' && m.args.imei === '490154203237518'
        ? {
            code: 'conflict',
            message: 'IMEI 490154203237518 is already registered (card of 2026-10-02).',
            field: 'imei',
          }
        : null;
    await setMeta(db, 'nextMutationId', 1);
    const a = makeActions();
    const good = await a.registerCard(card());
    const dup = await a.registerCard(card({ productId: 9, imei: '490154203237518', serialNumber: 'SN-2' }));
    const spot = await a.spotCheck({ storeId: 12, visitId: 'v1', imei: IMEI_X9 });
    for (const p of [P30, X9, FREE]) server.put('product', p.id, p);
    const q = createQueries(db, { now: () => clock });
    expect((await q.cards()).map((c) => c.sync.state)).toEqual(['pending', 'pending']);

    const engine = createEngine({
      db,
      api: server.api,
      now: () => clock,
      env: {},
      lock: false,
      storage: null,
      watch: false,
    });
    await engine.syncNow();
    engine.stop();

    expect(server.applied.map((m) => m.name)).toEqual(['warranty.register', 'imei.spot_check']);
    // The refused card's local record is gone with the pull; the list still shows it, refused.
    expect(await db.entities.get(['warranty_card', dup])).toBeUndefined();
    const byId = Object.fromEntries((await q.cards()).map((c) => [c.id, c]));
    expect(byId[good].sync.state).toBe('synced');
    expect(byId[dup].sync).toMatchObject({
      state: 'refused',
      name: 'warranty.register',
      error: { code: 'conflict', field: 'imei' },
    });
    expect(byId[dup]).toMatchObject({
      imei: '490154203237518',
      store_id: 12,
      product: { model_code: 'XL-A1' },
      standing: 'returnable',
    });
    expect((await q.card(dup)).sync.error.message).toMatch(/already registered/);
    expect(await getMeta(db, 'lastMutationId')).toBe(3);

    const checks = await q.spotChecks('v1');
    expect(checks.map((c) => [c.id, c.imei, c.sync.state])).toEqual([[spot, IMEI_X9, 'synced']]);
    expect(await q.spotChecks('other')).toEqual([]);

    // Discarding the refused card removes it from the list.
    await a.discardRejected(byId[dup].sync.mutationId);
    expect((await q.cards()).map((c) => c.id)).toEqual([good]);
  });

  it('shows a refused correction on the card, which keeps the server version', async () => {
    const server = createFakeServer();
    for (const p of [P30, X9, FREE]) server.put('product', p.id, p);
    server.put('store', 12, { id: 12, name: '天河店' });
    server.put('warranty_card', 'card-9', {
      id: 'card-9',
      store_id: 12,
      imei: IMEI_P30,
      imei2: null,
      product_id: 7,
      serial_number: 'SN9999',
      buyer_name: '王五',
      buyer_phone: '13700000000',
      buyer_address: '',
      invoice_number: 'X9',
      purchase_date: '2026-11-01',
      registered_at: '2026-11-01T02:00:00+00:00',
      revision: 1,
      terms: { return_until: '2026-11-08', exchange_until: '2026-11-16', repair_until: '2027-11-01' },
    });
    const engine = createEngine({
      db,
      api: server.api,
      now: () => clock,
      env: {},
      lock: false,
      storage: null,
      watch: false,
    });
    await engine.syncNow();
    const a = makeActions();
    await a.correctCard('card-9', { buyer_name: '王六' });
    const q = createQueries(db, { now: () => clock });
    expect(await q.card('card-9')).toMatchObject({
      buyer_name: '王六',
      sync: { state: 'pending', name: 'warranty.correct' },
    });

    server.reject = (m) =>
      m.name === 'warranty.correct'
        ? { code: 'conflict', message: 'This card was voided by HQ and can no longer be corrected.' }
        : null;
    await engine.syncNow();
    engine.stop();
    const card = await q.card('card-9');
    expect(card).toMatchObject({
      buyer_name: '王五',
      standing: 'repairable',
      sync: { state: 'refused', name: 'warranty.correct', error: { code: 'conflict' } },
    });
    expect((await q.cards()).map((c) => c.id)).toEqual(['card-9']);
  });
});
