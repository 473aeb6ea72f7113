// The channel screens' pure parts (channel.js) and REST client (channelApi.js): routes, the cover
// colours, region totals and map circles, sell-through series, queries, the server CSV download.
// Expected values computed by hand in the comments.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as api from '../../api.js';
import { setLang } from '../../i18n/index.js';
import {
  alignOnWeeks,
  alertQuery,
  agingQuery,
  coverTone,
  modelPickState,
  modelToPick,
  stockScreenQueries,
  regionCircles,
  regionTotals,
  rivalIds,
  roundCover,
  sellThroughSeries,
  sellThroughTableRows,
  seriesStyles,
  stockQuery,
  tabHref,
  tabOf,
  unitsRange,
} from './channel.js';
import * as capi from './channelApi.js';
import { OUR_COLOR, RIVAL_COLORS } from './market.js';

describe('channel routes', () => {
  it('names the tab of a route and the route of a tab', () => {
    expect(tabOf(undefined)).toBe('stock');
    expect(tabOf('aging')).toBe('aging');
    expect(tabOf('sell-through')).toBe('sell-through');
    expect(tabOf('nonsense')).toBe('stock');
    expect(tabHref('stock')).toBe('#/channel');
    expect(tabHref('fifo')).toBe('#/channel/fifo');
    expect(tabHref('alerts')).toBe('#/channel/alerts');
  });
});

describe('weeks of cover', () => {
  it('colours below 2 weeks low, above 12 high, no sales none', () => {
    expect(coverTone(null)).toBe('none');
    expect(coverTone(undefined)).toBe('none');
    expect(coverTone(0)).toBe('low');
    expect(coverTone('1.99')).toBe('low');
    expect(coverTone(2)).toBe('ok'); // "below 2" is low: 2 itself is not
    expect(coverTone(12)).toBe('ok');
    expect(coverTone(12.01)).toBe('high');
    expect(roundCover('3.25')).toBe(3.3);
    expect(roundCover(null)).toBeNull();
  });
});

const STOCK_ROWS = [
  // 广东: P30 stock 120 selling 10/wk, P40 stock 30 selling 5/wk → 150 / 15 = 10 weeks
  {
    region_id: 1,
    region_name: '广东大区',
    product_id: 7,
    shipped: 200,
    sold: 80,
    stock: 120,
    weekly_sales: 10,
    aging_units: 4,
    latitude: 23.1,
    longitude: 113.3,
  },
  {
    region_id: 1,
    region_name: '广东大区',
    product_id: 8,
    shipped: 40,
    sold: 10,
    stock: 30,
    weekly_sales: 5,
    aging_units: 0,
    latitude: 23.1,
    longitude: 113.3,
  },
  // 广西: stock 600, no sales → cover unknown; no position on one row only
  {
    region_id: 2,
    region_name: '广西大区',
    product_id: 7,
    shipped: 600,
    sold: 0,
    stock: 600,
    weekly_sales: 0,
    aging_units: 600,
    latitude: null,
    longitude: null,
  },
  {
    region_id: 2,
    region_name: '广西大区',
    product_id: 8,
    shipped: 0,
    sold: 0,
    stock: 0,
    weekly_sales: 0,
    aging_units: 0,
    latitude: 22.8,
    longitude: 108.3,
  },
  // 海南: no position at all
  {
    region_id: 3,
    region_name: '海南大区',
    product_id: 7,
    shipped: 6,
    sold: 5,
    stock: 1,
    weekly_sales: '1.5',
    aging_units: 0,
  },
];

describe('stock by region', () => {
  it('sums every model of a region, its cover being stock over weekly sales', () => {
    const totals = regionTotals(STOCK_ROWS);
    expect(totals.map((x) => x.region_id)).toEqual([2, 1, 3]); // largest stock first
    const gd = totals.find((x) => x.region_id === 1);
    expect(gd).toMatchObject({ shipped: 240, sold: 90, stock: 150, weekly_sales: 15, aging_units: 4, cover_weeks: 10 });
    const gx = totals.find((x) => x.region_id === 2);
    expect(gx).toMatchObject({ stock: 600, cover_weeks: null, latitude: 22.8, longitude: 108.3 });
    expect(totals.find((x) => x.region_id === 3).cover_weeks).toBe(0.67); // 1 / 1.5
  });

  it('draws a circle per located region, area by stock, colour by cover', () => {
    const circles = regionCircles(regionTotals(STOCK_ROWS), { min: 8, max: 34 });
    expect(circles.map((c) => c.id)).toEqual([2, 1]); // 海南 has no position
    const [gx, gd] = circles;
    expect(gx.radius).toBe(34); // the largest stock
    expect(gd.radius).toBe(21); // 8 + 26 × √(150 / 600) = 8 + 13
    expect(gx.tone).toBe('muted'); // no sales
    expect(gd.tone).toBe('ok'); // 10 weeks
    expect(gd).toMatchObject({ lat: 23.1, lon: 113.3, kind: 'dot' });
    expect(regionCircles([])).toEqual([]);
  });

  it('asks for regions, or a region’s partners, without empty filters', () => {
    expect(stockQuery({ group: 'region', region_id: '', product_id: '' })).toEqual({ group: 'region' });
    expect(stockQuery({ group: 'partner', region_id: '4', product_id: '7' })).toEqual({
      group: 'partner',
      region_id: '4',
      product_id: '7',
    });
    expect(agingQuery({ region_id: '', product_id: '7' })).toEqual({ product_id: '7' });
    expect(alertQuery({})).toEqual({ acknowledged: 'false' });
    expect(alertQuery({ kind: 'stock_out', acknowledged: '' })).toEqual({ kind: 'stock_out' });
    expect(alertQuery({ kind: 'bogus', region_id: '2' })).toEqual({ region_id: '2', acknowledged: 'false' });
  });
});

const ST_ROWS = [
  {
    week_start: '2026-11-16',
    model_key: 'p7',
    product_id: 7,
    name: '星澜 P30',
    name_en: 'Xinglan P30',
    card_units: 4,
    declared_units: 6,
    estimated_units: null,
  },
  {
    week_start: '2026-11-02',
    model_key: 'p7',
    product_id: 7,
    name: '星澜 P30',
    name_en: 'Xinglan P30',
    card_units: 3,
    declared_units: 0,
    estimated_units: null,
  },
  {
    week_start: '2026-11-16',
    model_key: 'c5',
    competitor_model_id: 5,
    name: 'OPPO Reno 12',
    card_units: null,
    declared_units: null,
    estimated_units: 12,
  },
];

describe('sell-through', () => {
  it('makes series over every week of the rows: ours as cards and declared, rivals estimated', () => {
    setLang('en');
    const { weeks, series } = sellThroughSeries(ST_ROWS);
    expect(weeks).toEqual(['2026-11-02', '2026-11-16']);
    expect(series.map((s) => [s.key, s.kind, s.label])).toEqual([
      ['p7:card', 'card', 'Xinglan P30'],
      ['p7:declared', 'declared', 'Xinglan P30'],
      ['c5:estimated', 'estimated', 'OPPO Reno 12'],
    ]);
    expect(series[0].values).toEqual([3, 4]);
    expect(series[1].values).toEqual([0, 6]);
    expect(series[2].values).toEqual([null, 12]); // no estimate in the first week: a gap
    setLang('zh-CN');
    expect(sellThroughSeries(ST_ROWS).series[0].label).toBe('星澜 P30');
  });

  it('styles cards solid, declared dotted in the same colour, rivals dashed', () => {
    const styles = seriesStyles(sellThroughSeries(ST_ROWS).series);
    expect(styles[0]).toEqual({ stroke: OUR_COLOR, width: 3, dash: null });
    expect(styles[1].stroke).toBe(OUR_COLOR);
    expect(styles[1].dash).toEqual([2, 4]);
    expect(styles[2]).toEqual({ stroke: RIVAL_COLORS[0], width: 1.5, dash: [6, 4] });
  });

  it('scales the units axis from 0 to the largest value plus 10 %', () => {
    expect(unitsRange(sellThroughSeries(ST_ROWS).series)).toEqual([0, 14]); // ceil(12 × 1.1 = 13.2)
    expect(unitsRange([])).toEqual([0, 1]);
  });

  it('lists the table newest week first, ours first', () => {
    expect(sellThroughTableRows(ST_ROWS).map((r) => `${r.week_start} ${r.model_key}`)).toEqual([
      '2026-11-16 p7',
      '2026-11-16 c5',
      '2026-11-02 p7',
    ]);
  });

  it("reads a product's rivals", () => {
    expect(rivalIds({ rival_model_ids: [5, '6'] })).toEqual([5, 6]);
    expect(rivalIds(null)).toEqual([]);
  });
});

describe('prices beside the sell-out', () => {
  it('puts the prices on the sell-out weeks: gaps where no price, other weeks left out', () => {
    const aligned = {
      periods: ['2026-11-09', '2026-11-16', '2026-11-23'],
      models: [
        { key: 'p7', median: [2999, 2899, 2799], min: [1, 2, 3], max: [4, 5, 6], n: [1, 2, 3], nPromo: [0, 0, 1] },
      ],
    };
    const on = alignOnWeeks(aligned, ['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(on.periods).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(on.models[0].median).toEqual([null, 2999, 2899]); // 11-23 is not a sell-out week
    expect(on.models[0].nPromo).toEqual([null, 0, 0]);
    expect(alignOnWeeks(aligned, [])).toBe(aligned);
  });
});

// --- the REST client ------------------------------------------------------------------------------

let calls;
let handler;
const reply = (status, body, headers = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

beforeEach(() => {
  calls = [];
  handler = () => reply(200, []);
  api.configure({
    baseUrl: 'http://test/api/v1',
    fetch: async (url, init) => {
      const u = new URL(url);
      const call = {
        method: init.method,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: init.headers,
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      };
      calls.push(call);
      return handler(call);
    },
  });
  api.setToken('tok');
});

afterEach(() => {
  api.setToken(null);
  api.configure({ baseUrl: '/api/v1', fetch: (...args) => globalThis.fetch(...args) });
});

describe('channel endpoints', () => {
  it('pages the stock with the filters and the page asked for', async () => {
    handler = () => reply(200, [{ region_id: 1 }], { 'X-Pagination': JSON.stringify({ total: 1, total_pages: 1 }) });
    const res = await capi.stock(stockQuery({ group: 'partner', region_id: '1' }), { page: 2, pageSize: 100 });
    expect(res.items).toEqual([{ region_id: 1 }]);
    expect(res.pagination).toEqual({ total: 1, total_pages: 1 });
    expect(calls[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/channel/stock',
      query: { group: 'partner', region_id: '1', page: '2', page_size: '100' },
    });
    expect(calls[0].headers.Authorization).toBe('Bearer tok');
  });

  it('counts the open alerts from the pagination header', async () => {
    handler = () => reply(200, [{ id: 1 }], { 'X-Pagination': JSON.stringify({ total: 17, total_pages: 17 }) });
    expect(await capi.openAlertCount()).toBe(17);
    expect(calls[0]).toMatchObject({
      path: '/api/v1/channel/alerts',
      query: { acknowledged: 'false', page_size: '1' },
    });
  });

  it('acknowledges by POST, and a refusal keeps its reason', async () => {
    handler = () => reply(200, { id: 9, acknowledged_at: '2026-11-20T02:00:00Z' });
    expect((await capi.acknowledge(9)).id).toBe(9);
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/channel/alerts/9/acknowledge' });
    handler = () => reply(403, { code: 'forbidden', message: 'No.', reason: 'channel.region_forbidden' });
    await expect(capi.aging({ region_id: 3 })).rejects.toMatchObject({
      status: 403,
      reason: 'channel.region_forbidden',
    });
  });

  it('pages the FIFO breaks, and reads every page of the sell-through', async () => {
    handler = (call) =>
      call.path.endsWith('/sell-through')
        ? reply(200, [{ week_start: `w${call.query.page}` }], {
            'X-Pagination': JSON.stringify({ total: 2, total_pages: 2, page: Number(call.query.page) }),
          })
        : reply(200, [{ region_id: 1 }], { 'X-Pagination': JSON.stringify({ total: 7, total_pages: 7 }) });
    const breaks = await capi.fifoBreaks({ region_id: 2 }, { page: 3, pageSize: 1 });
    expect(breaks.pagination.total).toBe(7);
    expect(calls[0]).toMatchObject({
      path: '/api/v1/channel/fifo-breaks',
      query: { region_id: '2', page: '3', page_size: '1' },
    });
    const weeks = await capi.sellThrough({ product_id: 5, weeks: 12 });
    expect(weeks.map((r) => r.week_start)).toEqual(['w1', 'w2']);
    expect(calls.slice(1).map((c) => c.query)).toEqual([
      { product_id: '5', weeks: '12', page: '1', page_size: '100' },
      { product_id: '5', weeks: '12', page: '2', page_size: '100' },
    ]);
    handler = () => reply(200, [{ region_id: 1, stock: 9 }]);
    expect(await capi.stockRegions({ product_id: 5 })).toEqual([{ region_id: 1, stock: 9 }]);
    expect(calls[3]).toMatchObject({ path: '/api/v1/channel/stock/regions', query: { product_id: '5' } });
  });

  it('downloads a server CSV through a signed link, never into the page', async () => {
    const url = '/api/v1/channel/aging.csv?lang=en&region_id=2&dl=signed';
    handler = () => reply(200, { url, expires_in: 60 });
    // The least of a document: what the anchor was made with, and that it was clicked and gone.
    const made = [];
    const doc = {
      body: { appendChild: (a) => made.push({ ...a, attached: true }) },
      createElement: (tag) => {
        const a = { tag, style: {}, attrs: {}, clicked: false };
        a.setAttribute = (k, v) => {
          a.attrs[k] = v;
        };
        a.click = () => {
          made.at(-1).clicked = true;
        };
        a.remove = () => {
          made.at(-1).removed = true;
        };
        return a;
      },
    };
    const res = await capi.downloadServerCsv(
      '/channel/aging.csv',
      { region_id: 2, product_id: '', lang: 'en' },
      { document: doc },
    );
    expect(res.url).toBe(url);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/auth/download-link',
      body: { path: '/api/v1/channel/aging.csv', query: { region_id: '2', lang: 'en' } },
    });
    expect(calls[0].headers.Authorization).toBe('Bearer tok');
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ tag: 'a', href: url, attrs: { download: '' }, clicked: true, removed: true });
    handler = () => reply(422, { code: 'invalid', message: 'No export.', reason: 'download.not_an_export' });
    await expect(capi.downloadServerCsv('/channel/x.csv', {}, { document: doc })).rejects.toMatchObject({
      status: 422,
      reason: 'download.not_an_export',
    });
    expect(made).toHaveLength(1); // nothing followed
  });
});

describe('sell-through without a model to show', () => {
  const products = [
    { id: 4, name: 'P20', active: true, rival_model_ids: [] },
    { id: 5, name: 'P30', active: true, rival_model_ids: [9] },
  ];

  it('says the product list failed or is empty (with a retry) instead of loading forever', () => {
    expect(modelPickState({ loaded: false })).toBe('loading');
    // The request failed: the look-up settles on [] with its error.
    expect(modelPickState({ loaded: true, products: [], productId: '', error: new Error('502') })).toBe('error');
    // No model of ours at all: nothing will ever be picked.
    expect(modelPickState({ loaded: true, products: [], productId: null })).toBe('empty');
    expect(modelPickState({ loaded: true, products: [], productId: '' })).toBe('empty');
    // Models came, none picked yet: the screen picks one (below) on its next render.
    expect(modelPickState({ loaded: true, products, productId: null })).toBe('loading');
    expect(modelPickState({ loaded: true, products, productId: '5' })).toBe('ready');
  });

  it('picks a model with rivals, else the first — also after a failed list left the saved pick empty', () => {
    expect(modelToPick(null, products)).toBe('5');
    expect(modelToPick('', products)).toBe('5');
    expect(modelToPick('', [products[0]])).toBe('4');
    expect(modelToPick('4', products)).toBeNull();
    expect(modelToPick(null, [])).toBeNull();
  });

  it('has its messages in both languages', async () => {
    const en = (await import('./i18n/en.js')).default;
    const zh = (await import('./i18n/zh-CN.js')).default;
    for (const dict of [en, zh])
      for (const key of ['channel.sellThrough.noModels', 'channel.sellThrough.modelsFailed'])
        expect(dict[key], key).toBeTypeOf('string');
  });
});

describe('stockScreenQueries', () => {
  it("a manager's fixed region: its partners, and above them the region's own row per model", () => {
    expect(stockScreenQueries({ region: 3 })).toEqual({
      group: 'partner',
      table: { group: 'partner', region_id: '3' },
      regionRows: { group: 'region', region_id: '3' },
    });
    // A model picked narrows both.
    expect(stockScreenQueries({ region: 3, product_id: '5' }).regionRows).toEqual({
      group: 'region',
      region_id: '3',
      product_id: '5',
    });
    // HQ drilled into a region: the same; the fixed region wins over a saved filter.
    expect(stockScreenQueries({ region_id: '4' }).regionRows).toEqual({ group: 'region', region_id: '4' });
    expect(stockScreenQueries({ region: 3, region_id: '4' }).table.region_id).toBe('3');
  });

  it('HQ without a region: the regions table, no second request', () => {
    expect(stockScreenQueries({ product_id: '5' })).toEqual({
      group: 'region',
      table: { group: 'region', product_id: '5' },
      regionRows: null,
    });
  });
});
