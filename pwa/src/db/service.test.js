// The clerk's 三包 service events on the phone: each action refuses what the server would refuse
// (window, closed or voided card, fault code, the replacement unit's IMEI) before queueing, queues
// the server's arguments, and shows its effect at once (the card closed, the new card of an
// exchange with the old card's purchase date); a refusal from the server shows on the card.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, getMeta, saveSession } from './index.js';
import { createQueries } from './queries.js';
import { applyPushResult } from './replica.js';
import {
  cardAllowance,
  createServiceActions,
  faultCodesIn,
  refreshRepairPoints,
  repairPointsIn,
  ServiceError,
  serviceEventsIn,
} from './service.js';
import { CardError } from '../warranty/card.js';
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
  tac_codes: ['35209900'],
  return_days: 7,
  exchange_days: 30,
  repair_months: 24,
};
const OLD_IMEI = '860123456789014';
const NEW_IMEI = '860123450000012';
const NEW_IMEI2 = '860123450000020';
const X9_IMEI = '352099000000014';
const CARD_ID = 'c0000000-0000-4000-8000-000000000001';

const FAULTS = [
  { id: 3, code: 'camera', name: '摄像头故障', name_en: 'Camera', is_fault: true, position: 3, active: true },
  { id: 1, code: 'screen', name: '屏幕故障', name_en: 'Screen', is_fault: true, position: 1, active: true },
  { id: 9, code: 'no_fault', name: '无理由退货', name_en: 'No fault', is_fault: false, position: 9, active: true },
  { id: 5, code: 'old', name: '旧代码', name_en: 'Old', is_fault: true, position: 0, active: false },
];

const put = (entity, data) => putEntity(db, entity, data);

/** A card as the server sends it (purchase on `purchase_date`, P30's 7 / 15 days, 12 months). */
function serverCard(purchase, extra = {}) {
  return {
    id: CARD_ID,
    imei: OLD_IMEI,
    imei2: null,
    product_id: 7,
    serial_number: 'SN-OLD-0001',
    buyer_name: '张三',
    buyer_phone: '13812345678',
    buyer_address: '广州市天河区',
    invoice_number: 'INV-001',
    purchase_date: purchase,
    store_id: 12,
    registered_by: 31,
    registered_at: `${purchase}T03:00:00+00:00`,
    received_at: `${purchase}T03:00:01+00:00`,
    revision: 1,
    corrected_at: null,
    voided_at: null,
    void_reason: null,
    closed_at: null,
    closed_kind: null,
    replaces_card_id: null,
    masked: false,
    terms: null,
    ...extra,
  };
}

async function putCard(purchase, extra = {}) {
  // terms as the server computes them (hand-computed from `purchase`)
  const terms = {
    '2026-11-20': { return_until: '2026-11-27', exchange_until: '2026-12-05', repair_until: '2027-11-20' },
    '2026-11-16': { return_until: '2026-11-23', exchange_until: '2026-12-01', repair_until: '2027-11-16' },
    '2026-11-15': { return_until: '2026-11-22', exchange_until: '2026-11-30', repair_until: '2027-11-15' },
    '2026-11-08': { return_until: '2026-11-15', exchange_until: '2026-11-23', repair_until: '2027-11-08' },
    '2026-11-07': { return_until: '2026-11-14', exchange_until: '2026-11-22', repair_until: '2027-11-07' },
    '2025-11-23': { return_until: '2025-11-30', exchange_until: '2025-12-08', repair_until: '2026-11-23' },
    '2025-11-22': { return_until: '2025-11-29', exchange_until: '2025-12-07', repair_until: '2026-11-22' },
  }[purchase];
  await put('warranty_card', serverCard(purchase, { terms, ...extra }));
}

function makeService() {
  return createServiceActions({
    db,
    now: () => clock,
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
  });
}

const queries = () => createQueries(db, { now: () => clock });

async function refusal(promise) {
  const err = await promise.then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  return { reason: err.reason, params: err.params };
}

beforeEach(async () => {
  db = createDb(`service-test-${++n}`);
  clock = Date.UTC(2026, 10, 23, 4, 0, 0); // 23 Nov 2026, noon in China (the tests run in UTC)
  uuids = 0;
  await saveSession({ token: 't', user: { id: 31, role: 'clerk', store_id: 12 } }, db, () => 'client-clerk');
  await put('store', { id: 12, name: '天河店' });
  for (const p of [P30, X9]) await put('product', p);
  for (const f of FAULTS) await put('fault_code', f);
});

afterEach(() => db.close());

describe('fault codes', () => {
  it('lists the active ones by position; the no-fault code for a return only', async () => {
    expect((await faultCodesIn(db, 'return')).map((f) => f.code)).toEqual(['screen', 'camera', 'no_fault']);
    expect((await faultCodesIn(db, 'exchange')).map((f) => f.code)).toEqual(['screen', 'camera']);
    expect((await faultCodesIn(db, 'repair')).map((f) => f.code)).toEqual(['screen', 'camera']);
  });
});

describe('what a card allows today', () => {
  it('day 7 after the purchase returns, day 8 does not; the exchange day 15 vs 16; the repair to its last day', async () => {
    const q = queries();
    await putCard('2026-11-16'); // today is day 7: return until 11-23
    let card = await q.card(CARD_ID);
    expect(cardAllowance(card, '2026-11-23')).toEqual({
      return: { allowed: true, reason: null, params: { until: '2026-11-23' } },
      exchange: { allowed: true, reason: null, params: { until: '2026-12-01' } },
      repair: { allowed: true, reason: null, params: { until: '2027-11-16' } },
    });
    await putCard('2026-11-15'); // day 8
    card = await q.card(CARD_ID);
    expect(cardAllowance(card, '2026-11-23').return).toEqual({
      allowed: false,
      reason: 'service.return_expired',
      params: { until: '2026-11-22', occurred_on: '2026-11-23' },
    });
    expect(cardAllowance(card, '2026-11-23').exchange.allowed).toBe(true);
    await putCard('2026-11-08'); // day 15
    expect(cardAllowance(await q.card(CARD_ID), '2026-11-23').exchange.allowed).toBe(true);
    await putCard('2026-11-07'); // day 16
    expect(cardAllowance(await q.card(CARD_ID), '2026-11-23').exchange).toEqual({
      allowed: false,
      reason: 'service.exchange_expired',
      params: { until: '2026-11-22', occurred_on: '2026-11-23' },
    });
    await putCard('2025-11-23'); // repair until today
    expect(cardAllowance(await q.card(CARD_ID), '2026-11-23').repair.allowed).toBe(true);
    await putCard('2025-11-22'); // repair until yesterday
    expect(cardAllowance(await q.card(CARD_ID), '2026-11-23').repair.reason).toBe('service.repair_expired');
  });

  it('a closed or voided card allows nothing', async () => {
    await putCard('2026-11-20', { closed_kind: 'returned', closed_at: '2026-11-21T02:00:00+00:00' });
    const closed = cardAllowance(await queries().card(CARD_ID), '2026-11-23');
    expect(closed.repair).toEqual({
      allowed: false,
      reason: 'service.card_closed',
      params: { closed_kind: 'returned' },
    });
    await putCard('2026-11-20', { voided_at: '2026-11-21T02:00:00+00:00' });
    expect(cardAllowance(await queries().card(CARD_ID), '2026-11-23').return.reason).toBe('service.card_voided');
  });
});

describe('recordReturn', () => {
  it('queues warranty.return with the server args; the card shows returned at once', async () => {
    await putCard('2026-11-20');
    const s = makeService();
    const { eventId } = await s.recordReturn({ cardId: CARD_ID, faultCode: 'screen', note: '  屏幕有亮点 ' });
    expect(eventId).toBe('00000000-0000-4000-8000-000000000001');
    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({ id: 1, name: 'warranty.return', status: 'pending', label: `XL-P30 · ${OLD_IMEI}` });
    expect(row.args).toEqual({
      id: eventId,
      card_id: CARD_ID,
      fault_code: 'screen',
      note: '屏幕有亮点',
      occurred_at: '2026-11-23T04:00:00.000Z',
    });
    const card = await queries().card(CARD_ID);
    expect(card).toMatchObject({
      closed_kind: 'returned',
      closed_at: '2026-11-23T04:00:00.000Z',
      standing: 'returned',
    });
    expect(card.sync).toMatchObject({ state: 'pending', mutationId: 1 });
    const [ev] = await serviceEventsIn(db, CARD_ID);
    expect(ev).toMatchObject({
      id: eventId,
      kind: 'return',
      card_id: CARD_ID,
      store_id: 12,
      product_id: 7,
      purchase_date: '2026-11-20',
      fault_code: 'screen',
      fault_code_id: 1,
      occurred_on: '2026-11-23',
      recorded_by: 31,
      replacing: false,
      sync: { state: 'pending' },
    });
    expect(ev.fault.name).toBe('屏幕故障');
    expect((await db.entities.get(['service_event', eventId])).storeId).toBe('12');
    // A second return of the closed card is refused on the phone.
    expect(await refusal(s.recordReturn({ cardId: CARD_ID, faultCode: 'screen' }))).toEqual({
      reason: 'service.card_closed',
      params: { closed_kind: 'returned' },
    });
    expect(await db.outbox.count()).toBe(1);
  });

  it('refuses on day 8, an unknown or inactive fault code, and queues nothing', async () => {
    await putCard('2026-11-15');
    const s = makeService();
    expect(await refusal(s.recordReturn({ cardId: CARD_ID, faultCode: 'screen' }))).toEqual({
      reason: 'service.return_expired',
      params: { until: '2026-11-22', occurred_on: '2026-11-23' },
    });
    await putCard('2026-11-20');
    expect(await refusal(s.recordReturn({ cardId: CARD_ID, faultCode: 'old' }))).toEqual({
      reason: 'service.unknown_fault_code',
      params: { fault_code: 'old' },
    });
    expect((await refusal(s.recordReturn({ cardId: CARD_ID, faultCode: 'melted' }))).reason).toBe(
      'service.unknown_fault_code',
    );
    await expect(s.recordReturn({ cardId: CARD_ID, faultCode: 'screen', note: 'x'.repeat(301) })).rejects.toThrow(
      /at most 300/,
    );
    expect(await db.outbox.count()).toBe(0);
    // The no-fault code goes for a return (the server decides whether policy allows it).
    await s.recordReturn({ cardId: CARD_ID, faultCode: 'no_fault' });
    expect((await db.outbox.get(1)).args.fault_code).toBe('no_fault');
  });

  it("shows the server's refusal on the card and in its history; the card is live again", async () => {
    await putCard('2026-11-20');
    const s = makeService();
    const { eventId } = await s.recordReturn({ cardId: CARD_ID, faultCode: 'screen' });
    const batch = [{ id: 1, name: 'warranty.return', args: (await db.outbox.get(1)).args }];
    const error = {
      code: 'conflict',
      message: 'no-fault returns are not allowed',
      reason: 'service.no_fault_not_allowed',
      params: {},
    };
    await applyPushResult(db, batch, { last_mutation_id: 1, results: [{ id: 1, status: 'rejected', error }] });
    let card = await queries().card(CARD_ID);
    expect(card.sync).toMatchObject({ state: 'refused', name: 'warranty.return', mutationId: 1, error });
    // The pull after the push drops the local effect: the card is the server's again.
    const { applyPullPage } = await import('./replica.js');
    await applyPullPage(db, { changes: [], cursor: 'c1', has_more: false, last_mutation_id: 1 });
    card = await queries().card(CARD_ID);
    expect(card.closed_kind).toBe(null);
    expect(card.standing).toBe('returnable');
    expect(card.sync.state).toBe('refused');
    const events = await serviceEventsIn(db, CARD_ID);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: eventId, kind: 'return', sync: { state: 'refused', error } });
  });
});

describe('recordExchange', () => {
  it('queues warranty.exchange; the new card inherits the purchase date and buyer, the old one is exchanged', async () => {
    await putCard('2026-11-20');
    const s = makeService();
    const { eventId, newCardId } = await s.recordExchange({
      cardId: CARD_ID,
      faultCode: 'camera',
      imei: ` ${NEW_IMEI} `,
      imei2: NEW_IMEI2,
      serialNumber: 'SN-NEW-0002',
    });
    expect([eventId, newCardId]).toEqual([
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
    ]);
    const [row] = await db.outbox.toArray();
    expect(row.name).toBe('warranty.exchange');
    expect(row.args).toEqual({
      id: eventId,
      card_id: CARD_ID,
      fault_code: 'camera',
      occurred_at: '2026-11-23T04:00:00.000Z',
      new_card: { id: newCardId, imei: NEW_IMEI, imei2: NEW_IMEI2, product_id: 7, serial_number: 'SN-NEW-0002' },
    });
    const q = queries();
    const old = await q.card(CARD_ID);
    expect(old).toMatchObject({ closed_kind: 'exchanged', standing: 'exchanged' });
    const fresh = await q.card(newCardId);
    expect(fresh).toMatchObject({
      imei: NEW_IMEI,
      imei2: NEW_IMEI2,
      product_id: 7,
      serial_number: 'SN-NEW-0002',
      purchase_date: '2026-11-20',
      buyer_name: '张三',
      buyer_phone: '13812345678',
      invoice_number: 'INV-001',
      store_id: 12,
      registered_at: '2026-11-23T04:00:00.000Z',
      replaces_card_id: CARD_ID,
      closed_kind: null,
      // the old card's dates: 三包 is not restarted
      terms: { return_until: '2026-11-27', exchange_until: '2026-12-05', repair_until: '2027-11-20' },
      standing: 'returnable',
      sync: { state: 'pending', mutationId: 1 },
    });
    // Both cards in the store's list, the new one first (registered now).
    expect((await q.cards()).map((c) => c.id)).toEqual([newCardId, CARD_ID]);
    // The new card's history names the exchange that made it.
    const [made] = await serviceEventsIn(db, newCardId);
    expect(made).toMatchObject({ id: eventId, kind: 'exchange', replacing: true, new_card_id: newCardId });
  });

  it('another model when picked: its periods give the new dates from the old purchase date', async () => {
    await putCard('2026-11-20');
    const { newCardId } = await makeService().recordExchange({
      cardId: CARD_ID,
      faultCode: 'screen',
      imei: X9_IMEI,
      productId: '8',
      serialNumber: 'SN-X9-0001',
    });
    expect((await db.outbox.get(1)).args.new_card.product_id).toBe(8);
    expect((await queries().card(newCardId)).terms).toEqual({
      return_until: '2026-11-27',
      exchange_until: '2026-12-20', // X9: 30 days
      repair_until: '2028-11-20', // X9: 24 months
    });
  });

  it('checks the new unit like a registration, and the window and fault like the server', async () => {
    await putCard('2026-11-20');
    const s = makeService();
    const problems = async (args) => {
      const err = await s.recordExchange({ cardId: CARD_ID, faultCode: 'screen', ...args }).catch((e) => e);
      expect(err).toBeInstanceOf(CardError);
      return Object.fromEntries(Object.entries(err.problems).map(([k, v]) => [k, v.key]));
    };
    expect(await problems({ imei: '860123450000013', serialNumber: 'SN-1234' })).toEqual({
      imei: 'imei.problem.checkDigit',
    });
    expect(await problems({ imei: X9_IMEI, serialNumber: 'SN-1234' })).toEqual({ imei: 'card.problem.tacOther' });
    expect(await problems({ imei: OLD_IMEI, serialNumber: 'x' })).toEqual({
      imei: 'card.problem.duplicate', // the old card is live until the exchange
      serial_number: 'card.problem.serial',
    });
    expect(await problems({ imei: '', serialNumber: 'SN-1234' })).toEqual({ imei: 'card.problem.required' });
    expect(await refusal(s.recordExchange({ cardId: CARD_ID, faultCode: 'no_fault', imei: NEW_IMEI }))).toEqual({
      reason: 'service.no_fault_only_return',
      params: {},
    });
    await putCard('2026-11-07'); // day 16
    expect(
      await refusal(s.recordExchange({ cardId: CARD_ID, faultCode: 'screen', imei: NEW_IMEI, serialNumber: 'SN-1' })),
    ).toEqual({ reason: 'service.exchange_expired', params: { until: '2026-11-22', occurred_on: '2026-11-23' } });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.entities.where('entity').equals('warranty_card').count()).toBe(1);
  });
});

describe('recordRepair', () => {
  it('needs a repair point; queues warranty.repair; the card stays live', async () => {
    await putCard('2026-11-20');
    const s = makeService();
    expect(await refusal(s.recordRepair({ cardId: CARD_ID, faultCode: 'screen' }))).toEqual({
      reason: 'service.repair_point_required',
      params: {},
    });
    await s.recordRepair({ cardId: CARD_ID, faultCode: 'screen', repairPoint: { kind: 'partner', id: 4 } });
    clock += 60_000;
    await s.recordRepair({ cardId: CARD_ID, faultCode: 'camera', repairPoint: { kind: 'store', id: '21' } });
    const rows = await db.outbox.toArray();
    expect(rows.map((r) => r.name)).toEqual(['warranty.repair', 'warranty.repair']);
    expect(rows[0].args).toMatchObject({ repair_partner_id: 4, fault_code: 'screen' });
    expect(rows[0].args).not.toHaveProperty('repair_store_id');
    expect(rows[1].args).toMatchObject({ repair_store_id: 21, fault_code: 'camera' });
    const card = await queries().card(CARD_ID);
    expect(card).toMatchObject({ closed_kind: null, standing: 'returnable' });
    const events = await serviceEventsIn(db, CARD_ID);
    // newest first
    expect(events.map((e) => [e.kind, e.repair_partner_id, e.repair_store_id])).toEqual([
      ['repair', null, 21],
      ['repair', 4, null],
    ]);
  });
});

describe('repair points', () => {
  it('are fetched online and kept for offline use; offline the kept ones stay', async () => {
    expect(await repairPointsIn(db)).toBe(null);
    const points = [
      { kind: 'store', id: 21, name: '天河服务网点', address: '天河路 1 号' },
      { kind: 'partner', id: 4, name: '粤修科技', address: null },
    ];
    const calls = [];
    const online = {
      request: async (method, path) => {
        calls.push([method, path]);
        return points;
      },
    };
    await refreshRepairPoints(db, online, () => clock);
    expect(calls).toEqual([['GET', '/repair-points']]);
    const kept = {
      items: [
        { kind: 'store', id: 21, name: '天河服务网点', address: '天河路 1 号' },
        { kind: 'partner', id: 4, name: '粤修科技', address: '' },
      ],
      fetchedAt: '2026-11-23T04:00:00.000Z',
    };
    expect(await repairPointsIn(db)).toEqual(kept);
    const offline = {
      request: async () => {
        throw Object.assign(new Error('offline'), { status: 0 });
      },
    };
    await expect(refreshRepairPoints(db, offline)).rejects.toThrow('offline');
    expect(await getMeta(db, 'repairPoints')).toEqual(kept);
  });
});

describe('keepRepairPoints', () => {
  it('asks the server when none are kept or they are older than 12 hours, else keeps them', async () => {
    const { keepRepairPoints } = await import('./service.js');
    let calls = 0;
    const api = {
      request: async () => {
        calls++;
        return [{ kind: 'partner', id: 4, name: '粤修科技', address: null }];
      },
    };
    await keepRepairPoints(db, api, () => clock);
    expect(calls).toBe(1);
    clock += 12 * 3600 * 1000 - 1;
    expect((await keepRepairPoints(db, api, () => clock)).items).toHaveLength(1);
    expect(calls).toBe(1);
    clock += 1;
    await keepRepairPoints(db, api, () => clock);
    expect(calls).toBe(2);
    // a failure keeps what was kept
    const down = {
      request: async () => {
        throw new Error('offline');
      },
    };
    clock += 13 * 3600 * 1000;
    expect((await keepRepairPoints(db, down, () => clock)).fetchedAt).toBe(
      new Date(clock - 13 * 3600 * 1000).toISOString(),
    );
  });
});
