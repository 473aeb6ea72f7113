import { describe, expect, it } from 'vitest';
import {
  addDays,
  BANDS,
  competitorRows,
  countEntry,
  estimateEntry,
  isDay,
  DEFAULT_PERIOD_DAYS,
  daysBetween,
  openStockOuts,
  phoneRows,
  reportEntry,
  salesPeriod,
  unitsOf,
  visitLatest,
  weekStart,
} from './phones.js';

describe('weekStart', () => {
  it('is the Monday of the ISO week (hand-checked on the 2026 calendar)', () => {
    expect(weekStart('2026-12-05')).toBe('2026-11-30'); // a Saturday
    expect(weekStart('2026-12-06')).toBe('2026-11-30'); // Sunday ends the ISO week
    expect(weekStart('2026-11-30')).toBe('2026-11-30'); // a Monday is its own week's start
    expect(weekStart('2026-12-07')).toBe('2026-12-07');
    expect(weekStart('2027-01-01')).toBe('2026-12-28'); // a Friday: the week began last year
    expect(weekStart('2024-03-01')).toBe('2024-02-26'); // across a leap day
  });
});

describe('salesPeriod', () => {
  it('starts the day after the last report ended, and ends today', () => {
    expect(salesPeriod({ lastEnd: '2026-11-28', today: '2026-12-05' })).toEqual({
      start: '2026-11-29',
      end: '2026-12-05',
      since: '2026-11-29',
    });
    // Across a month and a year end.
    expect(salesPeriod({ lastEnd: '2026-12-31', today: '2027-01-04' }).start).toBe('2027-01-01');
  });

  it('covers the last 7 days, both ends inclusive, when no report is known', () => {
    // 29 November … 5 December: 29, 30, 1, 2, 3, 4, 5 = 7 days.
    expect(salesPeriod({ lastEnd: null, today: '2026-12-05' })).toEqual({
      start: '2026-11-29',
      end: '2026-12-05',
      since: '2026-11-29',
    });
    // 25 February … 3 March 2026 (not a leap year): 25, 26, 27, 28, 1, 2, 3.
    expect(salesPeriod({ lastEnd: 'garbage', today: '2026-03-03' }).start).toBe('2026-02-25');
    const p = salesPeriod({ lastEnd: null, today: '2026-12-05' });
    expect(daysBetween(p.start, p.end) + 1).toBe(DEFAULT_PERIOD_DAYS);
  });

  it('never starts after it ends, nor spans more than 92 days (the server refuses both)', () => {
    // Reported up to today in an earlier visit: today alone.
    expect(salesPeriod({ lastEnd: '2026-12-05', today: '2026-12-05' })).toMatchObject({
      start: '2026-12-05',
      end: '2026-12-05',
    });
    // A last report half a year ago: the latest 92 days (2026-09-05 … 2026-12-05 inclusive).
    const p = salesPeriod({ lastEnd: '2026-06-01', today: '2026-12-05' });
    expect(p.start).toBe('2026-09-05');
    expect(addDays(p.start, 91)).toBe(p.end);
  });
});

describe('units', () => {
  it('takes whole numbers 0…100000 only', () => {
    expect(unitsOf('0')).toBe(0);
    expect(unitsOf(' 12 ')).toBe(12);
    expect(unitsOf('100000')).toBe(100000);
    expect(unitsOf('100001')).toBeNull();
    expect(unitsOf('1.5')).toBeNull();
    expect(unitsOf('-1')).toBeNull();
    expect(unitsOf('')).toBeNull();
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2028-02-29')).toBe(true);
  });
});

const products = [
  { id: 1, name: 'P30' },
  { id: 2, name: 'P40' },
];

describe('phoneRows', () => {
  const counts = [
    { id: 'c1', store_id: 7, product_id: 1, on_hand: 4, counted_at: '2026-11-20T03:00:00Z', visit_id: 'old' },
    { id: 'c2', store_id: 7, product_id: 1, on_hand: 2, counted_at: '2026-11-27T03:00:00Z', visit_id: 'old2' },
    { id: 'c3', store_id: 8, product_id: 1, on_hand: 9, counted_at: '2026-12-01T03:00:00Z', visit_id: 'x' },
    { id: 'c4', store_id: 7, product_id: 2, on_hand: 0, counted_at: '2026-12-05T02:00:00Z', visit_id: 'v' },
    { id: 'c5', store_id: 7, product_id: 2, on_hand: 3, counted_at: '2026-12-05T02:01:00Z', visit_id: 'v' },
  ];
  const reports = [
    {
      id: 'r1',
      store_id: 7,
      product_id: 1,
      units: 5,
      period_start: '2026-11-14',
      period_end: '2026-11-20',
      visit_id: 'old',
    },
    {
      id: 'r2',
      store_id: 7,
      product_id: 1,
      units: 3,
      period_start: '2026-11-21',
      period_end: '2026-11-27',
      visit_id: 'old2',
    },
    {
      id: 'r3',
      store_id: 8,
      product_id: 2,
      units: 9,
      period_start: '2026-11-21',
      period_end: '2026-12-01',
      visit_id: 'x',
    },
  ];

  it("shows this store's last count as the hint, this visit's latest count, and the period since the last report", () => {
    const rows = phoneRows({ products, counts, reports, storeId: 7, visitId: 'v', today: '2026-12-05' });
    expect(rows.map((r) => r.productId)).toEqual([1, 2]);
    const [p30, p40] = rows;
    expect(p30.lastCount.id).toBe('c2'); // the latest here, not store 8's
    expect(p30.count).toBeNull();
    expect(p30.period).toEqual({ start: '2026-11-28', end: '2026-12-05', since: '2026-11-28' });
    expect(p40.lastCount).toBeNull();
    expect(p40.count.id).toBe('c5'); // a count typed again in the visit corrects the first
    // No report of P40 at store 7 (store 8's does not count): the last 7 days, 29 Nov … 5 Dec.
    expect(p40.period.start).toBe('2026-11-29');
  });

  it('keeps the period a report of this visit was recorded with, and lists a product gone inactive this visit recorded', () => {
    const mine = {
      id: 'r9',
      store_id: 7,
      product_id: 3,
      units: 1,
      period_start: '2026-11-30',
      period_end: '2026-12-05',
      visit_id: 'v',
      reported_at: '2026-12-05T02:00:00Z',
    };
    const rows = phoneRows({
      products,
      counts: [],
      reports: [...reports, mine],
      storeId: 7,
      visitId: 'v',
      today: '2026-12-06',
    });
    expect(rows.map((r) => r.productId)).toEqual([1, 2, 3]);
    expect(rows[2].product).toBeNull();
    expect(rows[2].report.id).toBe('r9');
    expect(rows[2].period).toMatchObject({ start: '2026-11-30', end: '2026-12-05' });
  });
});

describe('what a row records', () => {
  it('a count: the number and the demo flag; the same count again records nothing', () => {
    expect(countEntry({ count: null }, '0')).toEqual({ onHand: 0, demoUnit: null });
    expect(countEntry({ count: null }, '3', true)).toEqual({ onHand: 3, demoUnit: true });
    expect(countEntry({ count: null }, 'x')).toBeNull();
    const row = { count: { on_hand: 3, demo_unit: true } };
    expect(countEntry(row, '3', true)).toBeNull();
    expect(countEntry(row, '3', false)).toEqual({ onHand: 3, demoUnit: false }); // the demo flag corrected
    expect(countEntry(row, '4', true)).toEqual({ onHand: 4, demoUnit: true });
  });

  it('a sold count: the number; the same again from the same source records nothing', () => {
    expect(reportEntry({ report: null }, '6', 'promoter')).toEqual({ units: 6 });
    expect(reportEntry({ report: { units: 6, source: 'promoter' } }, '6', 'promoter')).toBeNull();
    expect(reportEntry({ report: { units: 6, source: 'promoter' } }, '6', 'owner')).toEqual({ units: 6 });
    expect(reportEntry({ report: null }, '')).toBeNull();
  });

  it('a competitor estimate: a number or a band, never both; a number typed wins over a chip', () => {
    expect(estimateEntry({ text: '12', band: null, source: 'promoter' })).toEqual({ units: 12 });
    expect(estimateEntry({ text: '', band: '6-20', source: 'promoter' })).toEqual({ band: '6-20' });
    expect(estimateEntry({ text: '12', band: '6-20', source: 'promoter' })).toEqual({ units: 12 });
    expect(estimateEntry({ text: '1.5', band: '6-20', source: 'promoter' })).toBeNull();
    expect(estimateEntry({ text: '', band: '7', source: 'promoter' })).toBeNull();
    expect(estimateEntry({ text: '', band: null, source: 'promoter' })).toBeNull();
    expect(BANDS).toEqual(['0', '1-5', '6-20', '21-50', '50+']);
    const recorded = { units: null, band: '6-20', source: 'promoter' };
    expect(estimateEntry({ band: '6-20', source: 'promoter', recorded })).toBeNull();
    expect(estimateEntry({ band: '6-20', source: 'owner', recorded })).toEqual({ band: '6-20' });
    expect(
      estimateEntry({ text: '6', source: 'promoter', recorded: { units: 6, band: null, source: 'promoter' } }),
    ).toBeNull();
  });
});

describe('competitorRows', () => {
  it("lists the price grid's models, then others estimated here before; this visit's latest estimate", () => {
    const models = [
      { id: 10, name: 'Reno 12' },
      { id: 11, name: 'Find X8' },
      { id: 12, name: 'A3' },
    ];
    const estimates = [
      {
        id: 'e1',
        store_id: 7,
        competitor_model_id: 12,
        band: '1-5',
        reported_at: '2026-11-20T02:00:00Z',
        visit_id: 'old',
      },
      { id: 'e2', store_id: 7, competitor_model_id: 10, units: 4, reported_at: '2026-12-05T02:00:00Z', visit_id: 'v' },
      {
        id: 'e3',
        store_id: 7,
        competitor_model_id: 10,
        band: '6-20',
        reported_at: '2026-12-05T02:05:00Z',
        visit_id: 'v',
      },
      { id: 'e4', store_id: 9, competitor_model_id: 11, units: 1, reported_at: '2026-12-01T02:00:00Z', visit_id: 'x' },
    ];
    const rows = competitorRows({ modelIds: [10], models, estimates, storeId: 7, visitId: 'v' });
    expect(rows.map((r) => r.competitorModelId)).toEqual([10, 12]);
    expect(rows[0].estimate.id).toBe('e3');
    expect(rows[0].last).toBeNull();
    expect(rows[1].last.id).toBe('e1');
    expect(rows[1].model.name).toBe('A3');
  });
});

describe('openStockOuts', () => {
  const stores = [
    { id: 7, name: '天河店' },
    { id: 8, name: '北京路店' },
  ];
  const alert = (over) => ({
    id: 1,
    kind: 'stock_out',
    product_id: 1,
    region_id: 3,
    store_id: 7,
    week_start: '2026-11-30',
    count_id: 'c1',
    created_at: '2026-12-01T04:00:00Z',
    acknowledged_at: null,
    ...over,
  });

  it("lists the rep's open stock-out alerts, newest week first, then by store", () => {
    const alerts = [
      alert({ id: 1 }),
      alert({ id: 2, store_id: 8, product_id: 2 }),
      alert({ id: 3, week_start: '2026-11-23', product_id: 2 }),
      alert({ id: 4, acknowledged_at: '2026-12-02T00:00:00Z' }), // acknowledged
      alert({ id: 5, kind: 'cover_low', store_id: null }), // a region's alert, not the rep's
      alert({ id: 6, store_id: 99 }), // not a store on the phone
    ];
    const got = openStockOuts({ alerts, stores, products });
    expect(got.map((x) => x.alert.id)).toEqual([2, 1, 3]);
    expect(got[0].store.name).toBe('北京路店');
    expect(got[0].product.name).toBe('P40');
  });

  it('shows one line per store and model: the newest open alert of the weeks it stayed out', () => {
    const alerts = [
      alert({ id: 1, week_start: '2026-11-16', created_at: '2026-11-17T04:00:00Z' }),
      alert({ id: 2, week_start: '2026-11-30', created_at: '2026-12-01T04:00:00Z' }),
      alert({ id: 3, week_start: '2026-11-23', created_at: '2026-11-24T04:00:00Z' }),
      alert({ id: 4, week_start: '2026-12-07', acknowledged_at: '2026-12-08T00:00:00Z' }), // done
      alert({ id: 5, store_id: 8, week_start: '2026-11-23' }), // the same model at another store
      alert({ id: 6, product_id: 2, week_start: '2026-11-16' }), // another model at the same store
    ];
    const got = openStockOuts({ alerts, stores, products });
    expect(got.map((x) => x.alert.id)).toEqual([2, 5, 6]);
    // Same week (a re-raise): the later created_at wins.
    const twice = [alert({ id: 7 }), alert({ id: 8, created_at: '2026-12-02T04:00:00Z' })];
    expect(openStockOuts({ alerts: twice, stores, products }).map((x) => x.alert.id)).toEqual([8]);
  });

  it('drops an alert once the phone counted that model in stock there after it', () => {
    const counts = [
      { id: 'c1', store_id: 7, product_id: 1, on_hand: 0, counted_at: '2026-12-01T03:00:00Z' },
      { id: 'c2', store_id: 7, product_id: 1, on_hand: 5, counted_at: '2026-12-04T03:00:00Z' },
    ];
    expect(openStockOuts({ alerts: [alert({})], stores, products, counts })).toEqual([]);
    // Counted 0 again, or counted at another store: still out.
    const again = [counts[0], { ...counts[1], on_hand: 0 }, { ...counts[1], id: 'c3', store_id: 8 }];
    expect(openStockOuts({ alerts: [alert({})], stores, products, counts: again })).toHaveLength(1);
  });
});

describe('visitLatest', () => {
  const products = [
    { id: 1, name: 'P30' },
    { id: 2, name: 'P40' },
  ];
  const at = (h) => `2026-12-05T0${h}:00:00Z`;
  const base = { store_id: 7, visit_id: 'v' };

  it("lists a finished visit's latest count and report per model and estimate per (model, week), as check-out counts them", () => {
    const counts = [
      { ...base, id: 'c1', product_id: 1, on_hand: 3, counted_at: at(1) },
      { ...base, id: 'c2', product_id: 1, on_hand: 0, counted_at: at(2) }, // corrects c1
      { ...base, id: 'c3', product_id: 2, on_hand: 5, counted_at: at(3) },
      { ...base, id: 'c4', product_id: 2, on_hand: 9, counted_at: at(4), visit_id: 'earlier' }, // not this visit
      { ...base, id: 'c5', product_id: 2, on_hand: 1, counted_at: at(5), store_id: 8 }, // another store
    ];
    const reports = [
      {
        ...base,
        id: 'r1',
        product_id: 1,
        units: 6,
        reported_at: at(1),
        period_start: '2026-11-29',
        period_end: '2026-12-05',
      },
      {
        ...base,
        id: 'r2',
        product_id: 1,
        units: 4,
        reported_at: at(2),
        period_start: '2026-11-29',
        period_end: '2026-12-05',
      },
    ];
    const estimates = [
      { ...base, id: 'e1', competitor_model_id: 9, week_start: '2026-11-30', units: 7, reported_at: at(1) },
      {
        ...base,
        id: 'e2',
        competitor_model_id: 9,
        week_start: '2026-11-30',
        band: '6-20',
        units: null,
        reported_at: at(3),
      },
      { ...base, id: 'e3', competitor_model_id: 9, week_start: '2026-11-23', units: 2, reported_at: at(2) }, // last week's
      { ...base, id: 'e4', competitor_model_id: 10, week_start: '2026-11-30', units: 1, reported_at: at(4) },
    ];
    const got = visitLatest({ products, counts, reports, estimates, storeId: 7, visitId: 'v', today: '2026-12-05' });
    expect(got.counts.map((c) => c.id)).toEqual(['c2', 'c3']);
    expect(got.reports.map((r) => r.id)).toEqual(['r2']);
    expect(got.estimates.map((e) => e.id)).toEqual(['e3', 'e2', 'e4']);
  });

  it('lists nothing for a visit that recorded nothing', () => {
    expect(visitLatest({ products, storeId: 7, visitId: 'v', today: '2026-12-05' })).toEqual({
      counts: [],
      reports: [],
      estimates: [],
    });
  });
});
