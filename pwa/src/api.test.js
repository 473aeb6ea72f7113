import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as api from './api.js';
import { ApiError } from './api.js';

let calls;
let handler;

function reply(status, body, headers = {}) {
  return new Response(body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

beforeEach(() => {
  calls = [];
  handler = () => reply(200, {});
  api.configure({
    baseUrl: 'http://test/api/v1',
    fetch: async (url, init) => {
      const u = new URL(url);
      let body = init.body;
      if (body instanceof Blob) body = new Uint8Array(await body.arrayBuffer());
      const call = {
        method: init.method,
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: init.headers,
        body,
      };
      calls.push(call);
      return handler(call);
    },
  });
  api.setToken(null);
});

afterEach(() => api.setToken(null));

describe('requests and errors', () => {
  it('logs in, then sends the bearer token', async () => {
    handler = (c) =>
      c.path.endsWith('/auth/login') ? reply(200, { token: 'tok', user: { id: 3 } }) : reply(200, { id: 3 });
    const res = await api.login('rep', 'secret');
    expect(res.user.id).toBe(3);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/auth/login',
      body: '{"username":"rep","password":"secret"}',
    });
    expect(calls[0].headers.Authorization).toBeUndefined();
    await api.me();
    expect(calls[1].headers.Authorization).toBe('Bearer tok');
    handler = () => reply(204);
    await api.logout();
    expect(calls[2]).toMatchObject({ method: 'POST', path: '/api/v1/auth/logout' });
    expect(api.getToken()).toBeNull();
  });

  it('turns JSON error bodies into ApiError {status, code, message, field}', async () => {
    handler = () =>
      reply(409, {
        code: 'mutation_gap',
        status: 409,
        message: 'Mutation 9 follows 5',
        details: { expected_id: 6, got_id: 9 },
      });
    const e = await api.push({}).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({
      status: 409,
      code: 'mutation_gap',
      message: 'Mutation 9 follows 5',
      details: { expected_id: 6, got_id: 9 },
    });

    handler = () =>
      reply(422, {
        code: 'invalid',
        status: 422,
        message: 'json.latitude: bad',
        field: 'latitude',
        errors: { json: { latitude: ['bad'] } },
      });
    expect(await api.me().catch((x) => x)).toMatchObject({ status: 422, code: 'invalid', field: 'latitude' });

    // the rule that refused and its params, for the UI to say in its language
    handler = () =>
      reply(409, {
        code: 'conflict',
        status: 409,
        message: 'A store with code GZ-1 already exists.',
        reason: 'store.code_taken',
        params: { store_code: 'GZ-1' },
      });
    expect(await api.me().catch((x) => x)).toMatchObject({
      code: 'conflict',
      reason: 'store.code_taken',
      params: { store_code: 'GZ-1' },
    });

    handler = () => reply(503, { code: 'unavailable', status: 503, message: 'down' }, { 'Retry-After': '5' });
    const down = await api.pull().catch((x) => x);
    expect(down).toMatchObject({ status: 503, code: 'unavailable', retryAfter: 5, isTransient: true });

    handler = () => reply(404, '<html>not json</html>');
    expect(await api.me().catch((x) => x)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('reports a failed connection as {status: 0, code: network}', async () => {
    handler = () => {
      throw new TypeError('Failed to fetch');
    };
    const e = await api.me().catch((x) => x);
    expect(e).toMatchObject({ status: 0, code: 'network', isNetwork: true, isTransient: true });
  });

  it('pulls with cursor, limit and client id in the query', async () => {
    await api.pull({ cursor: 'v1.abc', limit: 200, clientId: 'c0ffee00' });
    expect(calls[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/sync/pull',
      query: { cursor: 'v1.abc', limit: '200', client_id: 'c0ffee00' },
    });
    await api.pull({});
    expect(calls[1].query).toEqual({});
  });
});

describe('uploadPhoto', () => {
  const bytes = new Uint8Array(600 * 1024).map((_, i) => i % 251);
  const photo = {
    id: '5b0e0000-0000-4000-8000-000000000001',
    blob: new Blob([bytes], { type: 'image/jpeg' }),
    sha256: 'ab'.repeat(32),
    size: bytes.length,
  };

  /** A resumable upload endpoint keeping `received` bytes; `interfere(call)` may answer instead. */
  function resumableServer({ interfere = () => null, startAt = 0 } = {}) {
    const state = { received: startAt, complete: false };
    handler = (c) => {
      const special = interfere(c, state);
      if (special) return special;
      if (c.method === 'POST')
        return reply(201, { offset: state.received, size: photo.size, complete: state.complete });
      if (c.method === 'PATCH') {
        const offset = Number(c.query.offset);
        if (offset !== state.received) {
          return reply(409, {
            code: 'conflict',
            status: 409,
            message: 'at',
            errors: { query: { offset: ['x'] } },
            details: { offset: state.received, size: photo.size },
          });
        }
        state.received += c.body.length;
        if (state.received === photo.size) {
          state.complete = true;
          return reply(201, { id: photo.id, size_bytes: photo.size, status: 'received' });
        }
        return reply(202, { offset: state.received, size: photo.size, complete: false });
      }
      return reply(500, {});
    };
    return state;
  }

  it('starts, then sends 256 KiB chunks from the server offset, reporting progress', async () => {
    resumableServer();
    const progress = [];
    const res = await api.uploadPhoto(photo, (done, total) => progress.push([done, total]));
    expect(res).toMatchObject({ id: photo.id, status: 'received' });
    expect(calls.map((c) => `${c.method} ${c.query.offset ?? ''}`)).toEqual([
      'POST ',
      'PATCH 0',
      'PATCH 262144',
      'PATCH 524288',
    ]);
    expect(calls[0].body).toBe(JSON.stringify({ sha256: photo.sha256, size: photo.size }));
    expect(calls[0].path).toBe(`/api/v1/photos/${photo.id}/upload`);
    expect(calls[1].headers['Content-Type']).toBe('application/octet-stream');
    expect(calls[1].body.length).toBe(262144);
    expect(calls[3].body.length).toBe(600 * 1024 - 524288);
    expect(Buffer.from(calls[2].body).equals(Buffer.from(bytes.subarray(262144, 524288)))).toBe(true);
    expect(progress.at(-1)).toEqual([photo.size, photo.size]);
    expect(progress.map((p) => p[0])).toEqual([0, 262144, 524288, photo.size]);
  });

  it('resumes where the server is: from POST after an interruption, and from a 409 details.offset', async () => {
    resumableServer({ startAt: 262144 });
    await api.uploadPhoto(photo);
    expect(calls.map((c) => `${c.method} ${c.query.offset ?? ''}`)).toEqual(['POST ', 'PATCH 262144', 'PATCH 524288']);

    calls.length = 0;
    let once = true;
    resumableServer({
      startAt: 524288,
      interfere: (c) => {
        if (c.method === 'POST' && once) {
          once = false;
          return reply(200, { offset: 0, size: photo.size, complete: false }); // stale answer
        }
        return null;
      },
    });
    await api.uploadPhoto(photo);
    expect(calls.map((c) => `${c.method} ${c.query.offset ?? ''}`)).toEqual(['POST ', 'PATCH 0', 'PATCH 524288']);
  });

  it('is done at once when the server already has the photo', async () => {
    handler = () => reply(200, { offset: photo.size, size: photo.size, complete: true });
    const progress = [];
    await api.uploadPhoto(photo, (d) => progress.push(d));
    expect(calls).toHaveLength(1);
    expect(progress).toEqual([photo.size]);
  });

  it('starts again once when the server discards the upload on a sha256 mismatch', async () => {
    let mismatches = 1;
    const state = resumableServer({
      interfere: (c, st) => {
        if (c.method === 'PATCH' && st.received + c.body.length === photo.size && mismatches > 0) {
          mismatches--;
          st.received = 0;
          return reply(422, {
            code: 'invalid',
            status: 422,
            message: 'sha256 does not match',
            field: 'sha256',
            errors: { json: { sha256: ['x'] } },
            details: { offset: 0 },
          });
        }
        return null;
      },
    });
    await api.uploadPhoto(photo);
    expect(state.complete).toBe(true);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(2);
  });

  it('falls back to the one-shot PUT where the resumable endpoints are not deployed', async () => {
    for (const status of [404, 405]) {
      calls.length = 0;
      handler = (c) =>
        c.method === 'PUT' ? reply(201, { id: photo.id }) : reply(status, { code: 'not_found', status, message: 'no' });
      const progress = [];
      await api.uploadPhoto(photo, (d, t) => progress.push([d, t]));
      expect(calls.map((c) => c.method)).toEqual(['POST', 'PUT']);
      expect(calls[1]).toMatchObject({ path: `/api/v1/photos/${photo.id}`, query: { sha256: photo.sha256 } });
      expect(calls[1].headers['Content-Type']).toBe('image/jpeg');
      expect(calls[1].body.length).toBe(photo.size);
      expect(progress).toEqual([[photo.size, photo.size]]);
    }
  });

  it('passes other refusals on (409 id taken with other bytes)', async () => {
    handler = () =>
      reply(409, {
        code: 'conflict',
        status: 409,
        message: 'Photo already exists with different content.',
        errors: { json: { id: ['x'] } },
      });
    expect(await api.uploadPhoto(photo).catch((x) => x)).toMatchObject({ status: 409, code: 'conflict', field: 'id' });
  });
});

describe('HQ endpoints', () => {
  it('reads paginated lists with their X-Pagination header', async () => {
    handler = () =>
      reply(200, [{ id: 2 }, { id: 1 }], {
        'X-Pagination': '{"total": 41, "total_pages": 3, "page": 2, "first_page": 1, "last_page": 3}',
      });
    const res = await api.shipmentImports({ page: 2, pageSize: 20 });
    expect(calls[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/shipment-imports',
      query: { page: '2', page_size: '20' },
    });
    expect(res).toEqual({
      items: [{ id: 2 }, { id: 1 }],
      pagination: { total: 41, total_pages: 3, page: 2, first_page: 1, last_page: 3 },
    });

    handler = () => reply(200, []);
    expect(await api.diversionFlags({ partner_id: 4, product_id: undefined }, { page: 1 })).toEqual({
      items: [],
      pagination: null,
    });
    expect(calls[1]).toMatchObject({ path: '/api/v1/diversion/flags', query: { partner_id: '4', page: '1' } });
    await api.shipmentImportErrors(7, { page: 3, pageSize: 50 });
    expect(calls[2]).toMatchObject({
      path: '/api/v1/shipment-imports/7/errors',
      query: { page: '3', page_size: '50' },
    });
    await api.warrantyCards({ imei: '860123456789014' });
    expect(calls[3]).toMatchObject({ path: '/api/v1/warranty-cards', query: { imei: '860123456789014' } });
  });

  it('uploads a shipment CSV as the multipart field `file`', async () => {
    let form = null;
    api.configure({
      fetch: async (url, init) => {
        form = init.body;
        calls.push({ method: init.method, path: new URL(url).pathname, headers: init.headers });
        return reply(202, { id: 9, filename: 'ship.csv', status: 'queued', progress: 0 });
      },
    });
    const file = new File(['imei,model,ship_date,region,partner\n'], 'ship.csv', { type: 'text/csv' });
    const imp = await api.uploadShipmentImport(file);
    expect(imp).toMatchObject({ id: 9, status: 'queued' });
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/shipment-imports' });
    expect(calls[0].headers['Content-Type']).toBeUndefined(); // the browser sets the multipart boundary
    expect(form).toBeInstanceOf(FormData);
    expect(form.get('file').name).toBe('ship.csv');
  });

  it('asks for summaries by dimension, voids cards, and reads string error codes', async () => {
    handler = () => reply(200, [{ id: 3, name: '苏宁', count: 5 }]);
    expect(await api.diversionSummary('partner', { sold_region_id: 2 })).toEqual([{ id: 3, name: '苏宁', count: 5 }]);
    expect(calls[0]).toMatchObject({
      path: '/api/v1/diversion/summary',
      query: { by: 'partner', sold_region_id: '2' },
    });
    handler = () => reply(409, { code: 'conflict', message: 'Already void.', field: 'id' });
    const e = await api.voidCard('c-1', 'mistake').catch((x) => x);
    expect(e).toMatchObject({ status: 409, code: 'conflict', message: 'Already void.', field: 'id' });
    expect(calls[1]).toMatchObject({
      method: 'POST',
      path: '/api/v1/warranty-cards/c-1/void',
      body: '{"reason":"mistake"}',
    });
  });
});
