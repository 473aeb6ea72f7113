// The market functions of api.js (HQ's REST client). (Reading every page for an export:
// screens/desk/desk.test.js.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as api from '../../api.js';
import { cleanQuery } from './marketCommon.js';

let calls;
let handler;

function reply(status, body, headers = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

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

describe('market endpoints', () => {
  it('asks for price trends with the filters given, and nothing empty', async () => {
    handler = () => reply(200, [{ model_key: 'c1', median: '2699.00' }]);
    const rows = await api.marketPriceTrends(
      cleanQuery({
        period: 'week',
        region_id: '',
        brand_id: '3',
        product_id: '7',
        with_rivals: 'true',
        since: '2026-05-04',
      }),
    );
    expect(rows).toEqual([{ model_key: 'c1', median: '2699.00' }]);
    expect(calls[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/market/price-trends',
      query: { period: 'week', brand_id: '3', product_id: '7', with_rivals: 'true', since: '2026-05-04' },
    });
    expect(calls[0].headers.Authorization).toBe('Bearer tok');
  });

  it('counts the unacknowledged alerts from the X-Pagination header', async () => {
    handler = () => reply(200, [{ id: 1 }], { 'X-Pagination': JSON.stringify({ total: 7, total_pages: 7, page: 1 }) });
    expect(await api.marketUnacknowledgedCount()).toBe(7);
    expect(calls[0]).toMatchObject({ path: '/api/v1/market/alerts', query: { acknowledged: 'false', page_size: '1' } });
  });

  it('reads an alert, acknowledges it, and lists promotions, store changes and material use', async () => {
    handler = (c) =>
      reply(200, c.method === 'POST' ? { id: 4, acknowledged_at: 'x' } : c.path.endsWith('/4') ? { id: 4 } : []);
    await api.marketAlert(4);
    await api.acknowledgeAlert(4);
    await api.marketAlerts({ acknowledged: 'false' }, { page: 2, pageSize: 50 });
    await api.marketPromotions({ region_id: 2 }, { page: 1, pageSize: 50 });
    await api.marketStoreChanges({ kind: 'closing' });
    await api.marketMaterialUse({ since: '2026-05-01' });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/v1/market/alerts/4',
      'POST /api/v1/market/alerts/4/acknowledge',
      'GET /api/v1/market/alerts',
      'GET /api/v1/market/promotions',
      'GET /api/v1/market/store-changes',
      'GET /api/v1/market/material-use',
    ]);
    expect(calls[2].query).toEqual({ acknowledged: 'false', page: '2', page_size: '50' });
    expect(calls[3].query).toEqual({ region_id: '2', page: '1', page_size: '50' });
    expect(calls[4].query).toEqual({ kind: 'closing' });
  });

  it("fetches a photo's file as a Blob with the bearer token, and refusals as ApiError", async () => {
    handler = () =>
      new Response(new Uint8Array([0xff, 0xd8, 0xff]), { status: 200, headers: { 'Content-Type': 'image/jpeg' } });
    const blob = await api.photoFile('0b0c', 'thumb');
    expect(blob.size).toBe(3);
    expect(calls[0]).toMatchObject({ method: 'GET', path: '/api/v1/photos/0b0c/file', query: { variant: 'thumb' } });
    expect(calls[0].headers.Authorization).toBe('Bearer tok');
    handler = () => reply(409, { code: 'conflict', status: 409, message: 'not ready' });
    await expect(api.photoFile('0b0c', 'display')).rejects.toMatchObject({ status: 409, message: 'not ready' });
    handler = () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(api.photoFile('0b0c')).rejects.toMatchObject({ status: 0, code: 'network' });
  });
});
