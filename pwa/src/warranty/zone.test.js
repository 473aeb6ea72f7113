// The 三包 windows on the phone count in the business time zone (the server's BUSINESS_TIMEZONE,
// learned from GET /app-config), not the zone the phone is set to: a clerk's phone set to UTC at
// 00:30 in Shanghai on day 8 refuses the return the server would refuse, one set to New Zealand
// time at 23:30 on day 7 still takes it, and the local record's day is the server's.
import 'fake-indexeddb/auto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, saveSession } from '../db/index.js';
import { createQueries } from '../db/queries.js';
import { createServiceActions, ServiceError, serviceEventsIn } from '../db/service.js';
import { createTrainingActions } from '../db/training.js';
import {
  businessToday,
  businessZone,
  learnBusinessZone,
  resetBusinessZone,
  STORAGE_KEY,
  setBusinessZone,
} from './zone.js';

const DEVICE_TZ = process.env.TZ;
const CARD_ID = 'c0000000-0000-4000-8000-000000000001';
const P30 = { id: 7, model_code: 'XL-P30', name: '星澜 P30', active: true, tac_codes: ['86012345'] };
const SCREEN = {
  id: 1,
  code: 'screen',
  name: '屏幕故障',
  name_en: 'Screen',
  is_fault: true,
  position: 1,
  active: true,
};

/** The day on the phone's own calendar (its zone): what the app must not date by. */
const deviceDay = (ms) => new Date(ms).toLocaleDateString('en-CA');

/** A phone set to `zone` (Node reads TZ again when it is assigned). */
function deviceIn(zone) {
  process.env.TZ = zone;
}

/** localStorage as a browser has it (Node has none): the zone is kept there for the offline day. */
class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(k) {
    return this.items.has(k) ? this.items.get(k) : null;
  }
  setItem(k, v) {
    this.items.set(k, String(v));
  }
  removeItem(k) {
    this.items.delete(k);
  }
}

let n = 0;
let db;

const put = (entity, data) =>
  db.entities.put({ entity, id: String(data.id), data, clock: null, pending: false, storeId: '12' });

beforeEach(async () => {
  resetBusinessZone();
  globalThis.localStorage = new MemoryStorage();
  db = createDb(`zone-test-${++n}`);
  await saveSession({ token: 't', user: { id: 31, role: 'clerk', store_id: 12 } }, db, () => 'client-clerk');
  await put('product', P30);
  await put('fault_code', SCREEN);
  // Bought 15 Nov 2026: returns until the 22nd (the server's terms).
  await put('warranty_card', {
    id: CARD_ID,
    imei: '860123456789014',
    product_id: 7,
    store_id: 12,
    purchase_date: '2026-11-15',
    terms: { return_until: '2026-11-22', exchange_until: '2026-11-30', repair_until: '2027-11-15' },
    voided_at: null,
    closed_kind: null,
  });
});

afterEach(() => {
  db.close();
  deviceIn(DEVICE_TZ);
  delete globalThis.localStorage;
});

afterAll(() => resetBusinessZone());

const service = (at) => createServiceActions({ db, now: () => at, uuid: () => 'e0000000-0000-4000-8000-000000000001' });

describe('the business time zone on the phone', () => {
  it('is the server default until the phone hears the server, then the one it said, kept for offline', async () => {
    expect(businessZone()).toBe('Asia/Shanghai');
    const asked = [];
    const zone = await learnBusinessZone(async (method, path) => {
      asked.push(`${method} ${path}`);
      return { map_tile_url: '', business_timezone: 'Europe/Berlin' };
    });
    expect(zone).toBe('Europe/Berlin');
    expect(asked).toEqual(['GET /app-config']);
    expect(globalThis.localStorage.getItem(STORAGE_KEY)).toBe('Europe/Berlin');
    // A new page, offline: the kept zone.
    resetBusinessZone();
    expect(businessZone()).toBe('Europe/Berlin');
    expect(await learnBusinessZone(() => Promise.reject(new TypeError('Failed to fetch')))).toBe('Europe/Berlin');
    // A zone the phone does not know is not taken.
    expect(setBusinessZone('Mars/Olympus_Mons')).toBe(false);
    expect(businessZone()).toBe('Europe/Berlin');
  });

  it("dates today by the business zone's calendar", () => {
    deviceIn('UTC');
    const at = Date.UTC(2026, 10, 22, 16, 30); // 00:30 on 23 Nov in Shanghai
    expect(deviceDay(at)).toBe('2026-11-22');
    expect(businessToday(at)).toBe('2026-11-23');
    setBusinessZone('America/New_York');
    expect(businessToday(at)).toBe('2026-11-22');
  });
});

describe('三包 windows on a phone set to another zone', () => {
  it('a phone set to UTC at 00:30 in Shanghai on day 8 refuses the return, as the server will', async () => {
    deviceIn('UTC');
    const at = Date.UTC(2026, 10, 22, 16, 30); // 23 Nov 00:30 in Shanghai; still the 22nd in UTC
    const err = await service(at)
      .recordReturn({ cardId: CARD_ID, faultCode: 'screen' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect({ reason: err.reason, params: err.params }).toEqual({
      reason: 'service.return_expired',
      params: { until: '2026-11-22', occurred_on: '2026-11-23' },
    });
    expect(await db.outbox.count()).toBe(0);
    // The card's page says the same: exchangeable, no longer returnable.
    const card = await createQueries(db, { now: () => at }).card(CARD_ID);
    expect(card.standing).toBe('exchangeable');
  });

  it('a phone set to New Zealand time at 23:30 in Shanghai on day 7 takes the return, on the business day', async () => {
    deviceIn('Pacific/Auckland');
    const at = Date.UTC(2026, 10, 22, 15, 30); // 22 Nov 23:30 in Shanghai; the 23rd in Auckland
    expect(deviceDay(at)).toBe('2026-11-23');
    const card = await createQueries(db, { now: () => at }).card(CARD_ID);
    expect(card.standing).toBe('returnable');
    const { eventId } = await service(at).recordReturn({ cardId: CARD_ID, faultCode: 'screen' });
    const [event] = await serviceEventsIn(db, CARD_ID);
    expect((await db.outbox.get(1)).args.occurred_at).toBe('2026-11-22T15:30:00.000Z');
    expect({ id: event.id, occurred_on: event.occurred_on }).toEqual({ id: eventId, occurred_on: '2026-11-22' });
  });
});

describe('training on a phone set to another zone', () => {
  it("checks the topic's dates on the business day", async () => {
    deviceIn('UTC');
    const at = Date.UTC(2026, 10, 30, 16, 30); // 1 Dec 00:30 in Shanghai; 30 Nov in UTC
    const topic = {
      id: 4,
      code: 'P30-NOV',
      title: 'P30 十一月',
      active: true,
      starts_on: '2026-11-01',
      ends_on: '2026-11-30',
      quiz: [],
    };
    await put('training_topic', topic);
    await put('contact', { id: 'k0000000-0000-4000-8000-000000000001', store_id: 12, name: '小王', role: 'promoter' });
    const actions = createTrainingActions({
      db,
      now: () => at,
      uuid: () => 's0000000-0000-4000-8000-000000000001',
      enqueue: async () => {
        throw new Error('nothing should be queued');
      },
      upsertContact: async () => null,
    });
    const err = await actions
      .recordTraining({
        storeId: 12,
        topicId: 4,
        durationMinutes: 30,
        attendees: [{ contactId: 'k0000000-0000-4000-8000-000000000001', answers: null }],
      })
      .catch((e) => e);
    expect(err?.reason).toBe('training.topic_not_current');
  });
});
