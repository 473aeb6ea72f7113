// The quality and training-coverage screens' pure parts (quality.js), their REST calls
// (qualityApi.js, against a fetch that records the requests) and their routes in the manager's
// app. Expected values computed by hand in the comments.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as api from '../../api.js';
import { setLang } from '../../i18n/index.js';
import { pageOf, PAGES } from '../manager/pages.js';
import {
  alertedIds,
  countText,
  defaultPeriod,
  faultsText,
  fraction,
  gapTopic,
  hasFigures,
  modelToShow,
  qualityQuery,
  rateText,
  returnExchangeRate,
  scoreText,
  sortCoverage,
  sortGaps,
  sortModels,
  weeklySeries,
} from './quality.js';
import * as qapi from './qualityApi.js';

beforeEach(() => setLang('en'));
afterEach(() => setLang('zh-CN'));

describe('quality queries', () => {
  it('defaults to the last 12 weeks from a Monday', () => {
    // Thursday 2026-12-03: its week starts Monday 2026-11-30; 11 weeks earlier: 2026-09-14.
    expect(defaultPeriod('2026-12-03')).toEqual({ since: '2026-09-14', until: '2026-12-03' });
    // A Monday itself starts the 12th week.
    expect(defaultPeriod('2026-11-30')).toEqual({ since: '2026-09-14', until: '2026-11-30' });
  });

  it('leaves empty filters out of the query', () => {
    expect(qualityQuery({ since: '2026-09-14', until: '2026-12-03', region_id: '' })).toEqual({
      since: '2026-09-14',
      until: '2026-12-03',
    });
    expect(qualityQuery({ since: '2026-09-14', until: '2026-12-03', region_id: '2' })).toEqual({
      since: '2026-09-14',
      until: '2026-12-03',
      region_id: '2',
    });
    expect(qualityQuery()).toEqual({});
  });
});

describe('rates and counts', () => {
  it('shows a rate per 1,000 to one decimal, a dash without sales', () => {
    expect(rateText(5)).toBe('5');
    expect(rateText('12.345')).toBe('12.3');
    expect(rateText(0)).toBe('0');
    expect(rateText(null)).toBe('–');
    expect(rateText(undefined)).toBe('–');
    expect(countText(1234)).toBe('1,234');
    expect(countText(null)).toBe('–');
  });

  it('adds returns and exchanges per 1,000 units', () => {
    // (2 + 1) / 400 × 1000 = 7.5
    expect(returnExchangeRate({ units_sold: 400, returns: 2, exchanges: 1 })).toBe(7.5);
    expect(returnExchangeRate({ units_sold: 0, returns: 0, exchanges: 0 })).toBeNull();
  });

  it('names the top faults in the UI language with their counts', () => {
    const faults = [
      { code: 'screen', name: '屏幕', name_en: 'Screen', count: 3 },
      { code: 'battery', name: '电池', name_en: null, count: 2 },
    ];
    expect(faultsText(faults)).toBe('Screen 3 · 电池 2');
    setLang('zh-CN');
    expect(faultsText(faults)).toBe('屏幕 3 · 电池 2');
    expect(faultsText([])).toBe('–');
    expect(faultsText(undefined)).toBe('–');
  });
});

const MODELS = [
  {
    product_id: 1,
    model_code: 'XL-P30',
    units_sold: 400,
    return_per_1000: 5,
    exchange_per_1000: 2.5,
    repair_per_1000: 10,
  },
  {
    product_id: 2,
    model_code: 'XL-P40',
    units_sold: 50,
    return_per_1000: 40,
    exchange_per_1000: 0,
    repair_per_1000: null,
  },
  {
    product_id: 3,
    model_code: 'XL-A10',
    units_sold: 400,
    return_per_1000: 1,
    exchange_per_1000: 1,
    repair_per_1000: 2,
  },
];

describe('the model table', () => {
  it('orders by units sold (ties by model code) or by a rate, largest first', () => {
    expect(sortModels(MODELS, 'units').map((r) => r.product_id)).toEqual([3, 1, 2]); // 400 A10, 400 P30, 50
    expect(sortModels(MODELS, 'return').map((r) => r.product_id)).toEqual([2, 1, 3]); // 40, 5, 1
    expect(sortModels(MODELS, 'exchange').map((r) => r.product_id)).toEqual([1, 3, 2]); // 2.5, 1, 0
    expect(sortModels(MODELS, 'repair').map((r) => r.product_id)).toEqual([1, 3, 2]); // 10, 2, none last
    expect(sortModels(MODELS, 'nonsense').map((r) => r.product_id)).toEqual([3, 1, 2]);
    expect(MODELS.map((r) => r.product_id)).toEqual([1, 2, 3]); // not sorted in place
  });

  it('shows the chosen model, else the first alerted one, else the first row', () => {
    const rows = sortModels(MODELS, 'units');
    expect(modelToShow('1', rows, [])).toBe('1');
    expect(modelToShow(null, rows, [{ product_id: 2 }])).toBe('2');
    expect(modelToShow('9', rows, [{ product_id: 8 }])).toBe('3'); // neither in the table
    expect(modelToShow(null, [], [{ product_id: 2 }])).toBeNull();
    expect([...alertedIds([{ product_id: 2 }, { product_id: 5 }])]).toEqual(['2', '5']);
  });

  it('tags and opens first only the alerts nobody acknowledged (the list may show all)', () => {
    const rows = sortModels(MODELS, 'units');
    const alerts = [
      { id: 7, product_id: 2, acknowledged_at: '2026-12-05T03:00:00Z' },
      { id: 8, product_id: 1, acknowledged_at: null },
    ];
    expect([...alertedIds(alerts)]).toEqual(['1']);
    expect(modelToShow(null, rows, alerts)).toBe('1');
    expect(modelToShow(null, rows, [alerts[0]])).toBe('3'); // acknowledged only: the first row
  });
});

describe('a model week by week', () => {
  it('makes one series per kind, oldest week first, a gap where nothing sold', () => {
    const rows = [
      { week: '2026-11-16', units_sold: 200, return_per_1000: 5, exchange_per_1000: 0, repair_per_1000: 10 },
      { week: '2026-11-02', units_sold: 100, return_per_1000: 10, exchange_per_1000: 20, repair_per_1000: 0 },
      { week: '2026-11-09', units_sold: 0, return_per_1000: null, exchange_per_1000: null, repair_per_1000: null },
    ];
    const chart = weeklySeries(rows);
    expect(chart.weeks).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(chart.series).toEqual([
      { kind: 'return', values: [10, null, 5] },
      { kind: 'exchange', values: [20, null, 0] },
      { kind: 'repair', values: [0, null, 10] },
    ]);
    expect(hasFigures(chart)).toBe(true);
    expect(hasFigures(weeklySeries([{ week: '2026-11-09', units_sold: 0 }]))).toBe(false);
    // Weeks before the first sale are left out; a week without sales after it stays (a gap).
    const launched = weeklySeries([
      { week: '2026-10-19', units_sold: 0 },
      { week: '2026-10-26', units_sold: 0 },
      ...rows,
    ]);
    expect(launched.weeks).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(launched.series[0].values).toEqual([10, null, 5]);
    expect(weeklySeries(null)).toEqual({
      weeks: [],
      series: [
        { kind: 'return', values: [] },
        { kind: 'exchange', values: [] },
        { kind: 'repair', values: [] },
      ],
    });
  });
});

describe('training coverage', () => {
  it('gives a share in 0…1, none when there is nothing to train', () => {
    expect(fraction(3, 8)).toBe(0.375);
    expect(fraction(0, 5)).toBe(0);
    expect(fraction(2, 0)).toBeNull();
    expect(fraction(null, null)).toBeNull();
    expect(fraction(9, 8)).toBe(1); // never over the bar
  });

  it('shows the average score as a percentage to one decimal', () => {
    // scores 2/3 and 3/3 → (66.67 + 100) / 2 = 83.3
    expect(scoreText(83.33333)).toBe('83.3%');
    expect(scoreText(100)).toBe('100%');
    expect(scoreText(null)).toBe('–');
  });

  it('lists the least covered topic first', () => {
    const rows = [
      { topic_id: 1, code: 'P30', stores_trained: 3, stores_total: 4 }, // 0.75
      { topic_id: 2, code: 'PROMO', stores_trained: 1, stores_total: 4 }, // 0.25
      { topic_id: 3, code: 'EMPTY', stores_trained: 0, stores_total: 0 }, // no store: last
      { topic_id: 4, code: 'A10', stores_trained: 1, stores_total: 4 }, // 0.25, A10 before PROMO
    ];
    expect(sortCoverage(rows).map((r) => r.topic_id)).toEqual([4, 2, 1, 3]);
  });

  it('orders the gaps by region, store, model and names their topic in the UI language', () => {
    const gaps = [
      {
        store_id: 7,
        store_name: '乙店',
        region_id: 2,
        product_id: 1,
        model_code: 'XL-P30',
        topic_id: 5,
        topic_title: 'P30 卖点',
      },
      {
        store_id: 6,
        store_name: '甲店',
        region_id: 2,
        product_id: 1,
        model_code: 'XL-P30',
        topic_id: null,
        topic_title: null,
      },
      {
        store_id: 9,
        store_name: '丙店',
        region_id: 1,
        product_id: 1,
        model_code: 'XL-P30',
        topic_id: 5,
        topic_title: 'P30 卖点',
      },
    ];
    expect(sortGaps(gaps).map((g) => g.store_id)).toEqual([9, 6, 7]);
    const topics = [{ topic_id: 5, title: 'P30 卖点', title_en: 'P30 selling points' }];
    expect(gapTopic(gaps[0], topics)).toBe('P30 selling points');
    setLang('zh-CN');
    expect(gapTopic(gaps[0], topics)).toBe('P30 卖点');
    expect(gapTopic(gaps[1], topics)).toBeNull(); // no current topic for the model
    expect(gapTopic({ topic_id: 8, topic_title: '其他' }, topics)).toBe('其他');
  });
});

describe('the manager reaches both screens', () => {
  it('routes #/quality and #/training to manager pages with a nav entry', () => {
    expect(pageOf(['quality'])).toBe('quality');
    expect(pageOf(['training'])).toBe('training');
    expect(PAGES.map(([key]) => key)).toEqual(expect.arrayContaining(['quality', 'training']));
  });
});

describe('quality REST calls', () => {
  let calls;
  beforeEach(() => {
    calls = [];
    api.setToken('tok');
    api.configure({
      baseUrl: '/api/v1',
      fetch: async (url, init) => {
        calls.push({ url: String(url), init });
        const body = String(url).includes('/quality/alerts') ? { not: 'a list' } : [{ ok: 1 }];
        return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
      },
    });
  });
  afterEach(() => {
    api.setToken(null);
    api.configure({ baseUrl: '/api/v1', fetch: (...args) => globalThis.fetch(...args) });
  });

  it('asks each endpoint with its query and answers a list', async () => {
    expect(await qapi.models({ since: '2026-09-14', until: '2026-12-03', region_id: '2' })).toEqual([{ ok: 1 }]);
    await qapi.weekly({ product_id: 1, weeks: 12 });
    await qapi.regions({ product_id: 1, since: '2026-09-14', until: '2026-12-03' });
    expect(await qapi.alerts({})).toEqual([]); // not a list: nothing
    await qapi.coverage({ region_id: 2 });
    await qapi.gaps({});
    const paths = calls.map((c) => new URL(c.url, 'http://x'));
    expect(paths.map((u) => u.pathname)).toEqual([
      '/api/v1/quality/models',
      '/api/v1/quality/weekly',
      '/api/v1/quality/regions',
      '/api/v1/quality/alerts',
      '/api/v1/training/coverage',
      '/api/v1/training/gaps',
    ]);
    expect(Object.fromEntries(paths[0].searchParams)).toEqual({
      since: '2026-09-14',
      until: '2026-12-03',
      region_id: '2',
    });
    expect(Object.fromEntries(paths[1].searchParams)).toEqual({ product_id: '1', weeks: '12' });
    expect(Object.fromEntries(paths[4].searchParams)).toEqual({ region_id: '2' });
    expect(calls[0].init.headers.Authorization).toBe('Bearer tok');
  });
});
