// Today's stock-out card reads the `channel_alert` records sync brings (issue 16): the open
// stock-out alerts of stores on the phone, with their store and model, and none once the phone
// counted the model in stock there after the alert.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.js';
import { stockOutsIn } from './Today.js';

let db;
let n = 0;
const row = (entity, data, extra = {}) => ({
  entity,
  id: String(data.id),
  data,
  pending: false,
  ...(data.store_id != null ? { storeId: String(data.store_id) } : {}),
  ...extra,
});

beforeEach(async () => {
  db = createDb(`stockouts-test-${++n}`);
  await db.entities.bulkPut([
    row('store', { id: 7, name: '天河店' }, { storeId: '7' }),
    row('product', { id: 1, name: '星澜 P30', name_en: 'Xinglan P30' }),
    row('channel_alert', {
      id: 41,
      kind: 'stock_out',
      product_id: 1,
      region_id: 3,
      store_id: 7,
      week_start: '2026-11-30',
      stock: 0,
      weekly_sales: 6.5,
      cover_weeks: 0,
      count_id: 'c1',
      created_at: '2026-12-01T04:00:00Z',
      acknowledged_at: null,
    }),
    row('channel_alert', {
      id: 42,
      kind: 'cover_low',
      product_id: 1,
      region_id: 3,
      store_id: null,
      week_start: '2026-11-30',
    }),
    row('shop_stock_count', { id: 'c1', store_id: 7, product_id: 1, on_hand: 0, counted_at: '2026-12-01T03:00:00Z' }),
  ]);
});

afterEach(() => db.close());

describe('stockOutsIn', () => {
  it("lists the open stock-out alert of the rep's store with its store and model", async () => {
    const got = await stockOutsIn(db);
    expect(got.map((x) => [x.alert.id, x.store.name, x.product.name])).toEqual([[41, '天河店', '星澜 P30']]);
  });

  it('drops it once a later count has the model in stock, or once acknowledged', async () => {
    await db.entities.put(
      row('shop_stock_count', { id: 'c2', store_id: 7, product_id: 1, on_hand: 2, counted_at: '2026-12-04T03:00:00Z' }),
    );
    expect(await stockOutsIn(db)).toEqual([]);
    await db.entities.delete(['shop_stock_count', 'c2']);
    expect(await stockOutsIn(db)).toHaveLength(1);
    const alert = await db.entities.get(['channel_alert', '41']);
    await db.entities.put({ ...alert, data: { ...alert.data, acknowledged_at: '2026-12-02T00:00:00Z' } });
    expect(await stockOutsIn(db)).toEqual([]);
  });
});
