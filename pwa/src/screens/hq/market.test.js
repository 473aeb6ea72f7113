import { describe, expect, it } from 'vitest';
import { setLang } from '../../i18n/index.js';
import {
  addDays,
  alignTrends,
  boundsOf,
  defaultProduct,
  defaultRange,
  effectivePrice,
  evidencePhotoIds,
  isoWeek,
  lineStyles,
  OUR_COLOR,
  periodName,
  periodStarts,
  priceRange,
  roundPct,
  todayIn,
  trendTableRows,
  uplotData,
  weekStart,
} from './market.js';

const row = (period_start, model_key, median, extra = {}) => ({
  period: 'week',
  period_start,
  model_key,
  model: model_key === 'p1' ? '星澜 P30' : `OPPO ${model_key}`,
  brand: model_key === 'p1' ? null : 'OPPO',
  ours: model_key === 'p1',
  n: 4,
  n_promo: 1,
  median,
  min: median,
  max: median,
  ...extra,
});

describe('dates and periods', () => {
  it('computes ISO weeks across year ends', () => {
    expect(isoWeek('2026-05-11')).toEqual({ year: 2026, week: 20 });
    expect(isoWeek('2024-12-30')).toEqual({ year: 2025, week: 1 });
    expect(isoWeek('2021-01-03')).toEqual({ year: 2020, week: 53 });
    expect(isoWeek('nope')).toBeNull();
    expect(periodName('2026-05-11', 'week')).toBe('2026-W20');
    expect(periodName('2026-05-13', 'day')).toBe('2026-05-13');
  });

  it('finds the Monday of a week and adds days', () => {
    expect(weekStart('2026-05-17')).toBe('2026-05-11'); // a Sunday
    expect(weekStart('2026-05-11')).toBe('2026-05-11');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('lists the periods of a range and picks default ranges', () => {
    expect(periodStarts('2026-05-06', '2026-05-20', 'week')).toEqual(['2026-05-04', '2026-05-11', '2026-05-18']);
    expect(periodStarts('2026-05-30', '2026-06-01', 'day')).toEqual(['2026-05-30', '2026-05-31', '2026-06-01']);
    expect(periodStarts('2026-05-30', '2026-05-01', 'day')).toEqual([]);
    expect(defaultRange('week', '2026-05-14')).toEqual({ since: '2026-02-23', until: '2026-05-14' });
    expect(periodStarts(defaultRange('week', '2026-05-14').since, '2026-05-14', 'week')).toHaveLength(12);
    expect(defaultRange('day', '2026-05-14')).toEqual({ since: '2026-04-15', until: '2026-05-14' });
  });

  it("knows today's date in Shanghai", () => {
    // 2026-05-13 17:30 UTC is already the 14th in Shanghai (UTC+8).
    expect(todayIn('Asia/Shanghai', new Date(Date.UTC(2026, 4, 13, 17, 30)))).toBe('2026-05-14');
    expect(todayIn('UTC', new Date(Date.UTC(2026, 4, 13, 17, 30)))).toBe('2026-05-13');
  });
});

describe('alignTrends in English', () => {
  it('labels a model with its English names when the server sent them', () => {
    setLang('en');
    const r = { ...row('2026-05-04', 'c7', '2699.00'), brand_en: 'Huawei', model_en: 'Huawei Enjoy 70' };
    expect(alignTrends([r]).models[0]).toMatchObject({ label: 'Huawei Enjoy 70', brand: 'Huawei' });
    setLang('zh-CN');
    expect(alignTrends([r]).models[0]).toMatchObject({ label: r.model, brand: r.brand });
  });
});

describe('alignTrends', () => {
  const rows = [
    row('2026-05-04', 'c7', '2699.00', { min: '2599.00', max: '2799.00' }),
    row('2026-05-18', 'c7', '2399.00'),
    row('2026-05-04', 'p1', '2999.00'),
    row('2026-05-11', 'p1', '2949.50'),
    row('2026-05-18', 'p1', '2899.00'),
    row('2026-05-11', 'c3', '1999.00'),
  ];

  it('aligns every model on the same periods, gaps as null, ours first', () => {
    const { periods, models } = alignTrends(rows);
    expect(periods).toEqual(['2026-05-04', '2026-05-11', '2026-05-18']);
    expect(models.map((m) => m.key)).toEqual(['p1', 'c3', 'c7']);
    expect(models[0]).toMatchObject({ ours: true, label: '星澜 P30', median: [2999, 2949.5, 2899] });
    expect(models[1].median).toEqual([null, 1999, null]);
    expect(models[2]).toMatchObject({
      brand: 'OPPO',
      median: [2699, null, 2399],
      min: [2599, null, 2399],
      max: [2799, null, 2399],
    });
    expect(models[2].n).toEqual([4, null, 4]);
    expect(models[2].nPromo).toEqual([1, null, 1]);
  });

  it('adds the empty periods of the range between the first and the last one seen as gaps', () => {
    const range = { since: '2026-04-20', until: '2026-06-01', period: 'week' };
    const { periods, models } = alignTrends([row('2026-05-04', 'p1', '10'), row('2026-05-25', 'c2', '8')], range);
    expect(periods).toEqual(['2026-05-04', '2026-05-11', '2026-05-18', '2026-05-25']);
    expect(models[0].median).toEqual([10, null, null, null]);
    expect(models[1].median).toEqual([null, null, null, 8]);
    expect(alignTrends([row('2026-05-11', 'p1', '10')], range).periods).toEqual(['2026-05-11']);
  });

  it('makes uPlot data: x the period index, then one median array per model', () => {
    const aligned = alignTrends(rows);
    const data = uplotData(aligned);
    expect(data).toEqual([
      [0, 1, 2],
      [2999, 2949.5, 2899],
      [null, 1999, null],
      [2699, null, 2399],
    ]);
    expect(data.every((a) => a.length === 3)).toBe(true);
  });

  it('handles nothing', () => {
    expect(alignTrends([])).toEqual({ periods: [], models: [] });
    expect(alignTrends(null)).toEqual({ periods: [], models: [] });
    expect(uplotData({ periods: [], models: [] })).toEqual([[]]);
    expect(priceRange([])).toBeNull();
  });

  it('spans the min and max of all models in the y range', () => {
    const { models } = alignTrends(rows);
    const [lo, hi] = priceRange(models, 0);
    expect(lo).toBe(1999);
    expect(hi).toBe(2999);
    const [plo, phi] = priceRange(models);
    expect(plo).toBeCloseTo(1949);
    expect(phi).toBeCloseTo(3049);
  });

  it('draws ours wide and solid, rivals dashed in distinct colours', () => {
    const styles = lineStyles(alignTrends(rows).models);
    expect(styles[0]).toEqual({ stroke: OUR_COLOR, width: 3, dash: null });
    expect(styles[1].dash).toBeTruthy();
    expect(styles[1].stroke).not.toBe(styles[2].stroke);
    expect(styles[1].stroke).not.toBe(OUR_COLOR);
  });

  it('orders the table newest period first, ours first', () => {
    const table = trendTableRows(rows);
    expect(table.map((r) => `${r.period_start} ${r.model_key}`)).toEqual([
      '2026-05-18 p1',
      '2026-05-18 c7',
      '2026-05-11 p1',
      '2026-05-11 c3',
      '2026-05-04 p1',
      '2026-05-04 c7',
    ]);
  });
});

describe('defaultProduct', () => {
  it('opens on our first active model that has rivals, else on every model', () => {
    const products = [
      { id: 1, active: true, rival_model_ids: [] },
      { id: 2, active: false, rival_model_ids: [5] },
      { id: 3, active: true, rival_model_ids: [5, 6] },
    ];
    expect(defaultProduct(products)).toBe('3');
    expect(defaultProduct(products.slice(0, 2))).toBe('');
    expect(defaultProduct([])).toBe('');
  });
});

describe('alerts and stores', () => {
  it('rounds drops and picks the price that counts', () => {
    expect(roundPct(12.345)).toBe(12.3);
    expect(roundPct('8')).toBe(8);
    expect(roundPct(null)).toBeNull();
    expect(effectivePrice({ shelf_price: '2699.00', promo_price: '2499.00' })).toBe(2499);
    expect(effectivePrice({ shelf_price: '2699.00', promo_price: null })).toBe(2699);
  });

  it("lists an alert's photos once, both periods", () => {
    const alert = {
      previous_observations: [{ photo_ids: ['a', 'b'] }, { photo_ids: [] }],
      observations: [{ photo_ids: ['b', 'c'] }, {}],
    };
    expect(evidencePhotoIds(alert)).toEqual(['a', 'b', 'c']);
    expect(evidencePhotoIds(null)).toEqual([]);
  });

  it('bounds the points that have coordinates', () => {
    expect(
      boundsOf([
        { latitude: 23.1, longitude: 113.3 },
        { latitude: 22.8, longitude: 108.3 },
        { latitude: null, longitude: 1 },
      ]),
    ).toEqual([
      [22.8, 108.3],
      [23.1, 113.3],
    ]);
    expect(boundsOf([])).toBeNull();
  });
});
