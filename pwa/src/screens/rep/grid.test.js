// The entry grids' rules (grid.js): rows, prefill, what typing records, "same as last time".
import { describe, expect, it } from 'vitest';
import {
  groupRows,
  invalidPrice,
  keyArgs,
  priceEntry,
  priceKey,
  priceRows,
  quantityOf,
  sameAsLast,
  stockEntry,
  stockRows,
} from './grid.js';

const NOW = Date.parse('2026-12-04T10:00:00Z');
const daysAgo = (n) => new Date(NOW - n * 24 * 3600 * 1000).toISOString();

const catalogue = {
  products: [
    { id: 1, name: 'P30' },
    { id: 2, name: 'P50' },
  ],
  brands: [
    { id: 10, name: 'OPPO' },
    { id: 11, name: 'vivo' },
  ],
  models: [
    { id: 100, brand_id: 11, name: 'X100' },
    { id: 101, brand_id: 10, name: 'Reno 12' },
    { id: 102, brand_id: 10, name: 'Find X7' },
    { id: 103, brand_id: 11, name: 'Y200' },
  ],
};
const stores = new Map([
  ['5', { id: 5, territory_id: 7 }],
  ['6', { id: 6, territory_id: 7 }],
  ['8', { id: 8, territory_id: 9 }],
]);
const obs = (id, fields) => ({ id, observed_at: daysAgo(3), ...fields });

describe('priceKey / keyArgs', () => {
  it('names our products p: and competitor models c:, and back', () => {
    expect(priceKey({ product_id: 12, competitor_model_id: null })).toBe('p:12');
    expect(priceKey({ product_id: null, competitor_model_id: 34 })).toBe('c:34');
    expect(keyArgs('p:12')).toEqual({ productId: 12 });
    expect(keyArgs('c:34')).toEqual({ competitorModelId: 34 });
  });
});

describe('priceRows', () => {
  const observations = [
    // At this store, an earlier visit: our P30 twice (the later counts), OPPO Reno 12.
    obs('a', { store_id: 5, visit_id: 'v0', product_id: 1, shelf_price: '2899.00', observed_at: daysAgo(20) }),
    obs('b', { store_id: 5, visit_id: 'v1', product_id: 1, shelf_price: '2999.00', observed_at: daysAgo(6) }),
    obs('c', { store_id: 5, visit_id: 'v1', competitor_model_id: 101, shelf_price: '2599.00' }),
    // Same territory, another store: vivo X100 recently, OPPO Find X7 too long ago.
    obs('d', { store_id: 6, competitor_model_id: 100, shelf_price: '3999.00', observed_at: daysAgo(10) }),
    obs('e', { store_id: 6, competitor_model_id: 102, shelf_price: '3899.00', observed_at: daysAgo(90) }),
    // Another territory: vivo Y200.
    obs('f', { store_id: 8, competitor_model_id: 103, shelf_price: '1599.00' }),
  ];
  const base = { catalogue, storeId: 5, territoryId: 7, visitId: 'v2', storesById: stores, now: NOW };

  it('lists our products, then competitor models seen here or nearby, by brand and name', () => {
    const rows = priceRows({ ...base, observations });
    expect(rows.map((r) => r.key)).toEqual(['p:1', 'p:2', 'c:101', 'c:100']);
  });

  it('prefills the last price at this store, and the nearby one as a hint only', () => {
    const rows = priceRows({ ...base, observations });
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey['p:1'].last.shelf_price).toBe('2999.00');
    expect(byKey['p:2'].last).toBeNull();
    expect(byKey['c:101'].last.shelf_price).toBe('2599.00');
    expect(byKey['c:100'].last).toBeNull();
    expect(byKey['c:100'].nearby.shelf_price).toBe('3999.00');
    expect(rows.every((r) => r.recorded === null)).toBe(true);
  });

  it('takes every store when the territory is unknown', () => {
    const rows = priceRows({ ...base, territoryId: null, observations });
    expect(rows.map((r) => r.key)).toEqual(['p:1', 'p:2', 'c:101', 'c:100', 'c:103']);
  });

  it("marks this visit's entries as recorded, the latest one winning, and keeps added models", () => {
    const visit = [
      ...observations,
      obs('g', { store_id: 5, visit_id: 'v2', product_id: 2, shelf_price: '4599.00', observed_at: daysAgo(0) }),
      obs('h', {
        store_id: 5,
        visit_id: 'v2',
        competitor_model_id: 101,
        shelf_price: '2499.00',
        observed_at: daysAgo(0),
      }),
      obs('i', {
        store_id: 5,
        visit_id: 'v2',
        competitor_model_id: 101,
        shelf_price: '2399.00',
        observed_at: new Date(NOW + 1000).toISOString(),
      }),
    ];
    const rows = priceRows({ ...base, observations: visit, extraKeys: ['c:103'] });
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(rows.map((r) => r.key)).toEqual(['p:1', 'p:2', 'c:101', 'c:100', 'c:103']);
    expect(byKey['p:2'].recorded.id).toBe('g');
    expect(byKey['c:101'].recorded.id).toBe('i');
    // This visit's entries are not "last time".
    expect(byKey['c:101'].last.id).toBe('c');
    expect(byKey['p:2'].last).toBeNull();
  });

  it('shows a retired model only when it was recorded this visit', () => {
    const retired = [obs('j', { store_id: 5, visit_id: 'v1', competitor_model_id: 999, shelf_price: '1.00' })];
    expect(priceRows({ ...base, observations: retired }).map((r) => r.key)).toEqual(['p:1', 'p:2']);
    const now = [obs('k', { store_id: 5, visit_id: 'v2', competitor_model_id: 999, shelf_price: '1.00' })];
    expect(priceRows({ ...base, observations: now }).map((r) => r.key)).toEqual(['p:1', 'p:2', 'c:999']);
  });
});

describe('groupRows', () => {
  it('folds the models seen only nearby, keeps ours, those seen here, recorded or added', () => {
    const rows = [
      { key: 'p:1', productId: 1, last: null, nearby: null, recorded: null },
      { key: 'c:101', competitorModelId: 101, last: { shelf_price: '1' }, nearby: null, recorded: null },
      { key: 'c:100', competitorModelId: 100, last: null, nearby: { shelf_price: '2' }, recorded: null },
      {
        key: 'c:102',
        competitorModelId: 102,
        last: null,
        nearby: { shelf_price: '3' },
        recorded: { shelf_price: '3' },
      },
      { key: 'c:103', competitorModelId: 103, last: null, nearby: { shelf_price: '4' }, recorded: null },
      { key: 'c:104', competitorModelId: 104, last: null, nearby: null, recorded: { shelf_price: '5' } },
    ];
    const g = groupRows(rows, ['c:103']);
    expect(g.own.map((r) => r.key)).toEqual(['p:1']);
    expect(g.here.map((r) => r.key)).toEqual(['c:101', 'c:103', 'c:104']);
    expect(g.nearby.map((r) => r.key)).toEqual(['c:100', 'c:102']);
  });
});

describe('priceEntry', () => {
  const row = { key: 'c:101', recorded: null };
  it('records what the rep typed as a price with two places', () => {
    expect(priceEntry(row, '2,599')).toEqual({ shelfPrice: '2599.00' });
    expect(priceEntry(row, ' ¥2599.5 ')).toEqual({ shelfPrice: '2599.50' });
  });
  it('records nothing for nothing, a non-price, or the price already recorded', () => {
    expect(priceEntry(row, '')).toBeNull();
    expect(priceEntry(row, 'abc')).toBeNull();
    expect(priceEntry(row, '-3')).toBeNull();
    const recorded = { key: 'c:101', recorded: { shelf_price: '2599.00' } };
    expect(priceEntry(recorded, '2599')).toBeNull();
    expect(priceEntry(recorded, '2499')).toEqual({ shelfPrice: '2499.00' });
  });
  it('tells an invalid price from an empty field', () => {
    expect(invalidPrice('')).toBe(false);
    expect(invalidPrice('12a')).toBe(true);
    expect(invalidPrice('12')).toBe(false);
  });
});

describe('sameAsLast', () => {
  it('records the last shelf price of every row that has one and was not recorded this visit', () => {
    const rows = [
      { key: 'p:1', last: { shelf_price: '2999.00', promo_price: '2799.00' }, recorded: null },
      { key: 'p:2', last: null, recorded: null },
      { key: 'c:101', last: { shelf_price: '2599.00' }, recorded: { shelf_price: '2499.00' } },
      { key: 'c:100', last: null, nearby: { shelf_price: '3999.00' }, recorded: null },
      { key: 'c:103', last: { shelf_price: '1599' }, recorded: null },
    ];
    expect(sameAsLast(rows)).toEqual([
      { key: 'p:1', productId: 1, shelfPrice: '2999.00' },
      { key: 'c:103', competitorModelId: 103, shelfPrice: '1599.00' },
    ]);
  });
  it('records nothing once every row is recorded', () => {
    expect(sameAsLast([{ key: 'p:1', last: { shelf_price: '1.00' }, recorded: { shelf_price: '1.00' } }])).toEqual([]);
  });
});

describe('stockRows', () => {
  const materials = [
    { id: 1, name: 'A' },
    { id: 2, name: 'B' },
    { id: 3, name: 'C' },
  ];
  it('lists every material when the store has no ledger yet', () => {
    expect(stockRows({ materials }).map((r) => r.materialId)).toEqual([1, 2, 3]);
  });
  it("lists the store's materials, this visit's and added ones, with the current stock", () => {
    const rows = stockRows({
      materials,
      stock: [{ material_id: 3, quantity: 4 }],
      movements: [
        { material_id: 1, kind: 'counted', quantity: 5, recorded_at: '2026-12-04T10:00:00Z' },
        { material_id: 1, kind: 'counted', quantity: 6, recorded_at: '2026-12-04T10:01:00Z' },
        { material_id: 1, kind: 'delivered', quantity: 2, recorded_at: '2026-12-04T10:00:30Z' },
      ],
      extraIds: [],
    });
    expect(rows.map((r) => r.materialId)).toEqual([1, 3]);
    expect(rows[0].counted.quantity).toBe(6);
    expect(rows[0].moves.map((m) => m.kind)).toEqual(['counted', 'delivered', 'counted']);
    expect(rows[1]).toMatchObject({ current: 4, counted: null, moves: [] });
    expect(stockRows({ materials, stock: [{ material_id: 3, quantity: 4 }], extraIds: [2] }).length).toBe(2);
  });
});

describe('stockEntry', () => {
  const row = { materialId: 1, counted: { quantity: 6 } };
  it('records a whole number with the chosen kind, a count by default', () => {
    expect(stockEntry(row, '7')).toEqual({ kind: 'counted', quantity: 7 });
    expect(stockEntry(row, '0')).toEqual({ kind: 'counted', quantity: 0 });
    expect(stockEntry(row, '5', 'delivered')).toEqual({ kind: 'delivered', quantity: 5 });
  });
  it('records nothing for a non-number or the count already recorded; a delivery may repeat', () => {
    expect(stockEntry(row, '')).toBeNull();
    expect(stockEntry(row, '2.5')).toBeNull();
    expect(stockEntry(row, '-1')).toBeNull();
    expect(stockEntry(row, '6')).toBeNull();
    expect(stockEntry(row, '6', 'delivered')).toEqual({ kind: 'delivered', quantity: 6 });
    expect(quantityOf(' 12 ')).toBe(12);
  });
});
