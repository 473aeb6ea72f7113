// The rep's "today" is the business day (the server's BUSINESS_TIMEZONE, warranty/zone.js), not
// the day of the zone the phone is set to: at 16:30 UTC on 5 December 2026 it is already 00:30 on
// the 6th in Shanghai. A phone left on UTC (or one set to New Zealand time, a day ahead of UTC)
// must still put visits, plans, tasks and sell-out periods on the day the server does — otherwise
// the plan of "today" is not shown and a period ending on the server's today is refused.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, setMeta } from './index.js';
import { createActions } from './actions.js';
import { createQueries } from './queries.js';
import { addDays, isDay, weekStart } from './sellout.js';
import { addDays as addTaskDays, isOverdue, sortOpen, todayAt } from './tasks.js';
import { planDays } from '../screens/rep/model.js';
import { tasksDueIn } from '../screens/rep/Today.js';
import {
  businessToday,
  businessZone,
  learnBusinessZone,
  onBusinessZone,
  resetBusinessZone,
  setBusinessZone,
} from '../warranty/zone.js';
import { putEntity } from './testRows.js';

const DEVICE_TZ = process.env.TZ;
/** A phone set to `zone` (Node reads TZ again when it is assigned). */
const deviceIn = (zone) => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
};

// Saturday 5 December 2026 16:30 UTC = Sunday the 6th, 00:30 in Shanghai.
const AT = Date.UTC(2026, 11, 5, 16, 30);
const iso = (ms) => new Date(ms).toISOString();
const MIN = 60_000;

let n = 0;
let db;
let uuids;

const put = (entity, data, extra = {}) => putEntity(db, entity, data, extra);

beforeEach(async () => {
  resetBusinessZone();
  deviceIn('UTC');
  db = createDb(`business-day-test-${++n}`);
  uuids = 0;
  await setMeta(db, 'session', { token: 't', user: { id: 7, role: 'rep' } });
  await put('store', { id: 1, code: 'S1', name: '天河店', latitude: 23.13, longitude: 113.31 });
  await put('store', { id: 2, code: 'S2', name: '北京路店', latitude: 23.13, longitude: 113.32 });
  await put('product', { id: 3, name: '星澜 P30' });
  await put('competitor_model', { id: 9, name: 'Reno 12' });
});

afterEach(() => {
  db.close();
  deviceIn(DEVICE_TZ);
  resetBusinessZone();
});

const actionsAt = (at) =>
  createActions({ db, now: () => at, uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}` });

describe("Today's day on a phone set to UTC, 00:30 in Shanghai", () => {
  it('planDays gives the business today and tomorrow', () => {
    expect(planDays(new Date(AT))).toEqual({ today: '2026-12-06', tomorrow: '2026-12-07' });
    expect(planDays(AT)).toEqual({ today: '2026-12-06', tomorrow: '2026-12-07' });
    // Across a month's end: 31 December 16:30 UTC is 1 January in Shanghai.
    expect(planDays(Date.UTC(2026, 11, 31, 16, 30))).toEqual({ today: '2027-01-01', tomorrow: '2027-01-02' });
  });

  it("counts a visit checked in 20 minutes ago as today's, and one 40 minutes ago as yesterday's", async () => {
    await put('visit', { id: 'now', store_id: 1, rep_id: 7, checked_in_at: iso(AT - 20 * MIN), checked_out_at: null });
    await put('visit', {
      id: 'before-midnight',
      store_id: 2,
      rep_id: 7,
      checked_in_at: iso(AT - 40 * MIN), // 23:50 on the 5th in Shanghai, though 15:50 on the 5th in UTC too
      checked_out_at: iso(AT - 35 * MIN),
    });
    const q = createQueries(db, { now: () => AT });
    expect((await q.dayVisits()).map((v) => v.id)).toEqual(['now']);
    expect((await q.dayVisits('2026-12-05')).map((v) => v.id)).toEqual(['before-midnight']);
  });

  it("shows the server's plan of the business today, marking the store visited since midnight", async () => {
    await put('visit_plan', { id: 'p6', rep_id: 7, day: '2026-12-06', store_ids: [1, 2], note: '' });
    await put('visit_plan', { id: 'p5', rep_id: 7, day: '2026-12-05', store_ids: [2], note: '' });
    await put('visit', { id: 'v', store_id: 1, rep_id: 7, checked_in_at: iso(AT - 20 * MIN), checked_out_at: null });
    const q = createQueries(db, { now: () => AT });
    expect((await q.dayPlan()).id).toBe('p6');
    expect((await q.plannedStores()).map((s) => [s.id, s.plan_id, s.visited])).toEqual([
      [1, 'p6', true],
      [2, 'p6', false],
    ]);
  });

  it('follows the zone the server said (New York: still the 5th there)', async () => {
    await learnBusinessZone(async () => ({ business_timezone: 'America/New_York' }));
    await put('visit', { id: 'v', store_id: 1, rep_id: 7, checked_in_at: iso(AT - 20 * MIN), checked_out_at: null });
    expect(planDays(AT).today).toBe('2026-12-05');
    expect((await createQueries(db, { now: () => AT }).dayVisits()).map((v) => v.id)).toEqual(['v']);
  });
});

describe('a phone set to New Zealand time, 23:30 in Shanghai', () => {
  // 5 December 15:30 UTC: 23:30 on the 5th in Shanghai, 04:30 on the 6th in Auckland.
  const LATE = Date.UTC(2026, 11, 5, 15, 30);

  it("is still on the business day: today's plan and visits are the 5th's", async () => {
    deviceIn('Pacific/Auckland');
    expect(planDays(new Date(LATE))).toEqual({ today: '2026-12-05', tomorrow: '2026-12-06' });
    await put('visit', { id: 'v', store_id: 1, rep_id: 7, checked_in_at: iso(LATE - 10 * MIN), checked_out_at: null });
    const q = createQueries(db, { now: () => LATE });
    expect((await q.dayVisits()).map((v) => v.id)).toEqual(['v']);
    expect(todayAt(LATE)).toBe('2026-12-05');
  });
});

describe("tasks' today", () => {
  it('is the business day: a task due on the 5th is overdue at 00:30 on the 6th in Shanghai', async () => {
    expect(todayAt(AT)).toBe('2026-12-06');
    const due5 = { id: 't5', store_id: 1, status: 'open', title: 'posters', due_on: '2026-12-05', assignee_id: null };
    const due6 = { ...due5, id: 't6', due_on: '2026-12-06' };
    expect(isOverdue(due5, todayAt(AT))).toBe(true);
    expect(sortOpen([due6, due5], todayAt(AT)).map((t) => [t.id, t.overdue])).toEqual([
      ['t5', true],
      ['t6', false],
    ]);
    await put('task', due5);
    const [item] = await tasksDueIn(db, todayAt(AT), 7);
    expect(item.task).toMatchObject({ id: 't5', overdue: true });
  });
});

describe('sell-out periods and weeks on the business day', () => {
  const base = { storeId: 12, productId: 3, units: 4, source: 'promoter' };

  it('takes a period ending on the business tomorrow, refuses one ending the day after', async () => {
    // Business today is the 6th: the server takes a period ending on the 7th (FUTURE_DAYS = 1).
    const actions = actionsAt(AT);
    await actions.reportSellOut({ ...base, periodStart: '2026-11-30', periodEnd: '2026-12-06' });
    await actions.reportSellOut({ ...base, periodStart: '2026-12-01', periodEnd: '2026-12-07' });
    const err = await actions
      .reportSellOut({ ...base, periodStart: '2026-12-02', periodEnd: '2026-12-08' })
      .catch((e) => e);
    expect(err.reason).toBe('sellout.period_future');
    expect((await db.outbox.orderBy('id').toArray()).map((r) => r.args.period_end)).toEqual([
      '2026-12-06',
      '2026-12-07',
    ]);
  });

  it("a competitor estimate's default week is the business week: Monday the 7th from 00:00 in Shanghai", async () => {
    // Sunday 6 December 16:30 UTC: Monday the 7th, 00:30 in Shanghai; still Sunday on a UTC phone.
    const monday = Date.UTC(2026, 11, 6, 16, 30);
    await actionsAt(monday).reportCompetitorSellOut({
      storeId: 12,
      competitorModelId: 9,
      band: '1-5',
      source: 'promoter',
    });
    const [row] = await db.outbox.toArray();
    expect(row.args.week_start).toBe('2026-12-07');
  });
});

describe('calendar arithmetic is the same in every device zone', () => {
  // sellout.js and tasks.js add days on a day's UTC midnight: no zone is involved (a guard, not a
  // fix: a change to local-time arithmetic would fail here on a phone far from UTC).
  for (const zone of ['Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Shanghai', 'UTC']) {
    it(`in ${zone}`, () => {
      deviceIn(zone);
      expect(addDays('2026-12-06', 1)).toBe('2026-12-07');
      expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
      expect(isDay('2026-12-06')).toBe(true);
      expect(isDay('2026-02-29')).toBe(false);
      expect(weekStart('2026-12-06')).toBe('2026-11-30');
      expect(addTaskDays('2026-12-31', 1)).toBe('2027-01-01');
    });
  }
});

describe('the zone learned from the server is told to the screens', () => {
  it('calls the listeners when the zone changes, not when it stays the same', async () => {
    const heard = [];
    const off = onBusinessZone((z) => heard.push(z));
    expect(businessZone()).toBe('Asia/Shanghai');
    await learnBusinessZone(async () => ({ business_timezone: 'Asia/Shanghai' }));
    expect(heard).toEqual([]); // the default it already used: nothing to render again
    setBusinessZone('Europe/Berlin');
    setBusinessZone('Europe/Berlin');
    setBusinessZone('Mars/Olympus_Mons'); // not a zone: ignored
    expect(heard).toEqual(['Europe/Berlin']);
    off();
    setBusinessZone('Asia/Tokyo');
    expect(heard).toEqual(['Europe/Berlin']);
    expect(businessToday(AT)).toBe('2026-12-06'); // 01:30 in Tokyo
  });

  it('tells them when the answer arrives after the first render', async () => {
    let answer;
    const asked = learnBusinessZone(() => new Promise((resolve) => (answer = resolve)));
    const heard = [];
    onBusinessZone((z) => heard.push([z, planDays(AT).today]));
    expect(planDays(AT).today).toBe('2026-12-06'); // the default until the server answers
    answer({ business_timezone: 'America/New_York' });
    expect(await asked).toBe('America/New_York');
    expect(heard).toEqual([['America/New_York', '2026-12-05']]);
  });
});
