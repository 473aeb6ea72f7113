// The phones step's three actions (issue 16): the arguments each mutation carries (the server's
// POST bodies), its optimistic local record, and the input refused on the phone before it is
// queued (nothing written then).
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from './index.js';
import { createActions } from './actions.js';
import { describeMutation } from './mutations.js';
import { SellOutError } from './actions.js';
import {
  addDays,
  BAND_UNITS,
  BANDS,
  daysBetween,
  estimateFault,
  isDay,
  periodFault,
  weekFault,
  weekStart,
} from './sellout.js';
import { reasonText, setLang } from '../i18n/index.js';
import en from '../i18n/en.js';
import zh from '../i18n/zh-CN.js';

let n = 0;
let db;
let uuids;
// Saturday 5 December 2026, 10:14 in Guangzhou (02:14 UTC).
const NOW = Date.UTC(2026, 11, 5, 2, 14, 0);
const VISIT = '11111111-1111-4111-8111-111111111111';

function makeActions() {
  return createActions({
    db,
    now: () => NOW,
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
  });
}

beforeEach(async () => {
  db = createDb(`sellout-test-${++n}`);
  uuids = 0;
  await db.entities.bulkPut([
    { entity: 'store', id: '12', data: { id: 12, name: '天河店' }, pending: false, storeId: '12' },
    { entity: 'product', id: '3', data: { id: 3, name: '星澜 P30', name_en: 'Xinglan P30' }, pending: false },
    { entity: 'competitor_model', id: '9', data: { id: 9, name: 'Reno 12' }, pending: false },
  ]);
});

afterEach(() => db.close());

const outbox = () => db.outbox.orderBy('id').toArray();
const local = (entity, id) => db.entities.get([entity, id]);

// The same cases backend/sellout/rules.py passes (tests/sellout/test_rules.py): hand-worked.
const VECTORS = JSON.parse(readFileSync(new URL('../../../tests/vectors/sellout_rules.json', import.meta.url), 'utf8'));

describe('tests/vectors/sellout_rules.json', () => {
  it('week_start: the Monday of the ISO week', () => {
    for (const [day, monday] of VECTORS.week_start) expect(weekStart(day), day).toBe(monday);
  });

  it('band_units: the units a band counts for, every band', () => {
    for (const [band, units] of VECTORS.band_units) expect(BAND_UNITS[band], band).toBe(units);
    expect(Object.keys(BAND_UNITS).sort()).toEqual([...BANDS].sort());
  });

  it("week: a Monday of a week begun (the phone's day one ahead at most)", () => {
    for (const c of VECTORS.week) expect(weekFault(c.week_start, c.today), JSON.stringify(c)).toBe(c.reason);
  });

  it('estimate: units or band, exactly one', () => {
    for (const c of VECTORS.estimate) expect(estimateFault(c.units, c.band), JSON.stringify(c)).toBe(c.reason);
  });

  it('period: in order, 92 days at most, not ending after tomorrow', () => {
    for (const c of VECTORS.period) expect(periodFault(c.start, c.end, c.today), JSON.stringify(c)).toBe(c.reason);
  });
});

describe('calendar days', () => {
  it('adds days and finds Mondays across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-09-05', '2026-12-05')).toBe(91);
    expect(weekStart('2026-12-05')).toBe('2026-11-30');
    expect(isDay('2026-13-01')).toBe(false);
  });
});

describe('countShopStock', () => {
  it('queues shop_stock.count with the server body, and shows the count at once (pending)', async () => {
    const actions = makeActions();
    const id = await actions.countShopStock({ storeId: '12', visitId: VISIT, productId: 3, onHand: 0, demoUnit: true });
    const [row] = await outbox();
    expect(row.name).toBe('shop_stock.count');
    expect(row.label).toBe('星澜 P30');
    expect(row.args).toEqual({
      id,
      store_id: 12,
      visit_id: VISIT,
      product_id: 3,
      on_hand: 0, // out of stock is a count of 0, sent as such
      demo_unit: true,
      counted_at: '2026-12-05T02:14:00.000Z',
    });
    const rec = await local('shop_stock_count', id);
    expect(rec.pending).toBe(true);
    expect(rec.storeId).toBe('12');
    expect(rec.data).toMatchObject({ on_hand: 0, demo_unit: true, store_id: 12, product_id: 3, visit_id: VISIT });
    expect(
      describeMutation(row, '天河店', { t: (k, v) => `${k}${v ? JSON.stringify(v) : ''}`, fmt: { number: String } }),
    ).toBe('天河店 · 星澜 P30 · phones.outOfStock · phones.demo');
  });

  it('leaves demo_unit out when not asked, keeps false; refuses a negative, a fraction or more than 100000', async () => {
    const actions = makeActions();
    const a = await actions.countShopStock({ storeId: 12, productId: 3, onHand: '4' });
    const b = await actions.countShopStock({ storeId: 12, productId: 3, onHand: 4, demoUnit: false });
    const [ra, rb] = await outbox();
    expect(ra.args).not.toHaveProperty('demo_unit');
    expect(ra.args).not.toHaveProperty('visit_id');
    expect(ra.args.on_hand).toBe(4);
    expect(rb.args.demo_unit).toBe(false);
    expect((await local('shop_stock_count', a)).data.demo_unit).toBeNull();
    expect((await local('shop_stock_count', b)).data.demo_unit).toBe(false);
    for (const onHand of [-1, 1.5, 100001, '', 'x'])
      await expect(actions.countShopStock({ storeId: 12, productId: 3, onHand })).rejects.toThrow(TypeError);
    await expect(actions.countShopStock({ storeId: 12, productId: 3, onHand: 1, demoUnit: 'yes' })).rejects.toThrow(
      /demoUnit/,
    );
    expect(await db.outbox.count()).toBe(2);
  });
});

describe('reportSellOut', () => {
  it('queues sellout.report with its period and source', async () => {
    const actions = makeActions();
    const id = await actions.reportSellOut({
      storeId: 12,
      visitId: VISIT,
      productId: 3,
      units: 6,
      periodStart: '2026-11-29',
      periodEnd: '2026-12-05',
      source: 'promoter',
    });
    const [row] = await outbox();
    expect(row.name).toBe('sellout.report');
    expect(row.args).toEqual({
      id,
      store_id: 12,
      visit_id: VISIT,
      product_id: 3,
      units: 6,
      period_start: '2026-11-29',
      period_end: '2026-12-05',
      source: 'promoter',
      reported_at: '2026-12-05T02:14:00.000Z',
    });
    expect((await local('sellout_report', id)).data).toMatchObject({ units: 6, period_end: '2026-12-05' });
    const line = describeMutation(row, '天河店', {
      t: (k, v) => en[k].replace(/\{(\w+)\}/g, (_, x) => v[x]),
      fmt: { number: String },
    });
    expect(line).toBe('天河店 · 星澜 P30 · 6 sold 2026-11-29 – 2026-12-05 · Promoter');
  });

  it('refuses a period ending before it starts, longer than 92 days, a day that is not one, an unknown source', async () => {
    const actions = makeActions();
    const base = { storeId: 12, productId: 3, units: 1, source: 'promoter' };
    await expect(
      actions.reportSellOut({ ...base, periodStart: '2026-12-05', periodEnd: '2026-12-04' }),
    ).rejects.toThrow(/before/);
    // 3 September to 4 December: 93 days.
    await expect(
      actions.reportSellOut({ ...base, periodStart: '2026-09-03', periodEnd: '2026-12-04' }),
    ).rejects.toThrow(/92/);
    await expect(
      actions.reportSellOut({ ...base, periodStart: '2026-11-31', periodEnd: '2026-12-04' }),
    ).rejects.toThrow(/periodStart/);
    await expect(
      actions.reportSellOut({ ...base, source: 'neighbour', periodStart: '2026-12-01', periodEnd: '2026-12-04' }),
    ).rejects.toThrow(/source/);
    // 92 days inclusive is the longest the server takes: accepted.
    await actions.reportSellOut({ ...base, periodStart: '2026-09-04', periodEnd: '2026-12-04' });
    expect(await db.outbox.count()).toBe(1);
  });

  it('refuses a period ending after tomorrow (sellout.period_future), said in both languages, nothing queued', async () => {
    const actions = makeActions();
    const base = { storeId: 12, productId: 3, units: 1, source: 'promoter' };
    // Today is 5 December: ending on the 7th is refused; tomorrow, the 6th, is taken (a phone a day ahead).
    const err = await actions
      .reportSellOut({ ...base, periodStart: '2026-12-01', periodEnd: '2026-12-07' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(SellOutError);
    expect(err.reason).toBe('sellout.period_future');
    expect(await db.outbox.count()).toBe(0);
    try {
      setLang('en');
      expect(reasonText(err)).toBe('The period ends in the future.');
      setLang('zh-CN');
      expect(reasonText(err)).toBe('统计期的结束日在未来。');
    } finally {
      setLang('zh-CN');
    }
    await actions.reportSellOut({ ...base, periodStart: '2026-12-01', periodEnd: '2026-12-06' });
    expect(await db.outbox.count()).toBe(1);
  });
});

describe('reportCompetitorSellOut', () => {
  it("queues sellout.competitor with a band, this week's Monday by default", async () => {
    const actions = makeActions();
    const id = await actions.reportCompetitorSellOut({
      storeId: 12,
      visitId: VISIT,
      competitorModelId: 9,
      band: '6-20',
      source: 'competitor_promoter',
    });
    const [row] = await outbox();
    expect(row.name).toBe('sellout.competitor');
    expect(row.label).toBe('Reno 12');
    expect(row.args).toEqual({
      id,
      store_id: 12,
      visit_id: VISIT,
      competitor_model_id: 9,
      week_start: '2026-11-30',
      band: '6-20',
      source: 'competitor_promoter',
      reported_at: '2026-12-05T02:14:00.000Z',
    });
    expect((await local('competitor_sellout', id)).data).toMatchObject({ band: '6-20', units: null });
  });

  it('takes a number of units (0 too) instead; never both, never neither, a Monday only', async () => {
    const actions = makeActions();
    await actions.reportCompetitorSellOut({ storeId: 12, competitorModelId: 9, units: 0, source: 'owner' });
    const [row] = await outbox();
    expect(row.args.units).toBe(0);
    expect(row.args).not.toHaveProperty('band');
    const base = { storeId: 12, competitorModelId: 9, source: 'owner' };
    await expect(actions.reportCompetitorSellOut({ ...base, units: 3, band: '1-5' })).rejects.toThrow(/exactly one/);
    await expect(actions.reportCompetitorSellOut(base)).rejects.toThrow(/exactly one/);
    await expect(actions.reportCompetitorSellOut({ ...base, band: '5-10' })).rejects.toThrow(/band/);
    await expect(actions.reportCompetitorSellOut({ ...base, units: 1, weekStart: '2026-12-01' })).rejects.toThrow(
      /Monday/,
    );
    await actions.reportCompetitorSellOut({ ...base, units: 1, weekStart: '2026-11-23' });
    expect((await outbox()).map((r) => r.args.week_start)).toEqual(['2026-11-30', '2026-11-23']);
  });

  it('refuses a week that has not begun (sellout.week_future), nothing queued', async () => {
    const actions = makeActions();
    const base = { storeId: 12, competitorModelId: 9, source: 'owner', units: 2 };
    // Saturday 5 December: even a phone a day ahead is on Sunday, still the week of 30 November.
    const err = await actions.reportCompetitorSellOut({ ...base, weekStart: '2026-12-07' }).catch((e) => e);
    expect(err).toBeInstanceOf(SellOutError);
    expect(err.reason).toBe('sellout.week_future');
    expect(reasonText(err)).toBe('这一周还没有开始。');
    const both = await actions.reportCompetitorSellOut({ ...base, band: '1-5' }).catch((e) => e);
    expect(both.reason).toBe('sellout.units_and_band');
    expect(await db.outbox.count()).toBe(0);
  });

  it('has its labels and the lines its outbox shows in both languages', () => {
    for (const dict of [en, zh]) {
      for (const key of [
        'mutation.shop_stock.count',
        'mutation.sellout.report',
        'mutation.sellout.competitor',
        'phones.outOfStock',
        'phones.onHand',
        'phones.demo',
        'phones.soldLine',
        'phones.weekUnits',
        'phones.weekBand',
        'phones.source.promoter',
        'phones.source.clerk',
        'phones.source.owner',
        'phones.source.competitor_promoter',
        'phones.source.rep_estimate',
      ])
        expect(dict[key], key).toBeTypeOf('string');
    }
  });
});
