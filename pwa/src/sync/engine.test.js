import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDb, getMeta, setMeta } from '../db/index.js';
import { createActions } from '../db/actions.js';
import { createQueries } from '../db/queries.js';
import { HLC } from '../protocol/hlc.js';
import {
  LOST_MUTATION,
  backoffDelay,
  createEngine,
  errorInfo,
  isTransient,
  retryDelay,
  syncState,
  withLock,
} from './engine.js';
import { LOST_MUTATION as REPLICA_LOST_MUTATION } from '../db/replica.js';
import { SyncError } from '../protocol/errors.js';
import { MAX_PULL_LIMIT } from '../protocol/envelope.js';
import { apiError, createFakeServer, createFakeTimers } from './testing/fake-server.js';

const CLIENT = 'c0ffee00-rep-gz';
let n = 0;
let db;
let server;
let timers;
let actions;
let queries;
let engines;

function engine(extra = {}) {
  const e = createEngine({
    db,
    api: server.api,
    now: () => timers.now,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    random: () => 1,
    env: {},
    lock: false,
    storage: null,
    watch: false,
    appVersion: '1.0.0-test',
    ...extra,
  });
  engines.push(e);
  return e;
}

/** Put `count` pending mutations straight into the outbox (valid envelopes, no local effects). */
async function fillOutbox(count, { from = 1 } = {}) {
  const rows = [];
  for (let id = from; id < from + count; id++) {
    rows.push({
      id,
      name: 'stock.move',
      args: {
        id: `move-${id}`,
        store_id: 12,
        material_id: 3,
        kind: 'delivered',
        quantity: id,
        recorded_at: '2026-11-23T01:00:00Z',
      },
      hlc: new HLC(1_718_000_000_000 + id, 0, CLIENT).encode(),
      status: 'pending',
      error: null,
      createdAt: new Date(1_718_000_000_000 + id).toISOString(),
      label: '',
    });
  }
  await db.outbox.bulkAdd(rows);
  await setMeta(db, 'nextMutationId', from + count);
}

const statuses = (e) => {
  const seen = [];
  e.subscribe((s) => seen.push(s));
  return seen;
};

beforeEach(async () => {
  db = createDb(`engine-test-${++n}`);
  server = createFakeServer();
  timers = createFakeTimers();
  engines = [];
  await setMeta(db, 'clientId', CLIENT);
  await setMeta(db, 'nextMutationId', 1);
  actions = createActions({ db, now: () => timers.now });
  queries = createQueries(db);
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const e of engines) e.stop();
  db.close();
});

describe('push', () => {
  it('pushes the outbox in id order, in batches of 200, and drops what the server acknowledged', async () => {
    await fillOutbox(450);
    const e = engine();
    await e.syncNow();
    expect(server.pushes.map((p) => p.mutations.length)).toEqual([200, 200, 50]);
    const ids = server.pushes.flatMap((p) => p.mutations.map((m) => m.id));
    expect(ids).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    expect(server.pushes[0]).toMatchObject({ client_id: CLIENT, protocol_version: 1, app_version: '1.0.0-test' });
    expect(server.applied).toHaveLength(450);
    expect(await db.outbox.count()).toBe(0);
    expect(await getMeta(db, 'lastMutationId')).toBe(450);
    const s = e.getStatus();
    expect(s).toMatchObject({ state: 'synced', pending: 0, rejected: 0, lastError: null, oldestPendingAt: null });
    expect(s.progress).toMatchObject({ done: 450, total: 450 });
  });

  it('keeps rejected entries with the server reason; they block nothing', async () => {
    server.reject = (m) => (m.id === 2 ? { code: 'not_found', message: 'No store 12.', field: 'store_id' } : null);
    await actions.recordStock({ storeId: 12, materialId: 3, kind: 'counted', quantity: 14 });
    await actions.recordStock({ storeId: 12, materialId: 3, kind: 'used', quantity: 1 });
    await actions.recordStock({ storeId: 12, materialId: 3, kind: 'used', quantity: 2 });
    const e = engine();
    await e.syncNow();
    const rows = await db.outbox.toArray();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: 2,
      status: 'rejected',
      error: { code: 'not_found', message: 'No store 12.', field: 'store_id' },
    });
    expect(server.applied.map((m) => m.id)).toEqual([1, 3]);
    expect(e.getStatus()).toMatchObject({ state: 'synced', pending: 0, rejected: 1 });

    // The rejected entry is not sent again; new entries go after it.
    await actions.recordStock({ storeId: 12, materialId: 3, kind: 'used', quantity: 3 });
    await e.syncNow();
    expect(server.pushes.at(-1).mutations.map((m) => m.id)).toEqual([4]);
    // The optimistic record of the refused mutation is gone once the server's state is pulled.
    expect((await db.entities.where('entity').equals('stock_movement').toArray()).every((r) => !r.pending)).toBe(true);
    expect(await db.entities.get(['stock_movement', rows[0].args.id])).toBeUndefined();
  });

  it('resends after a lost response: the server answers duplicate and nothing is applied twice', async () => {
    await fillOutbox(3);
    server.failPush.push('apply-then-drop');
    const e = engine();
    await e.syncNow();
    expect(server.applied.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(await db.outbox.count()).toBe(3); // the answer never came: keep everything
    expect(e.getStatus()).toMatchObject({ state: 'offline', lastError: { code: 'network' }, pending: 3 });

    timers.fire(); // the backoff retry
    await e.whenIdle();
    expect(server.pushes.at(-1).mutations.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(server.applied.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(await db.outbox.count()).toBe(0);
    expect(e.getStatus().state).toBe('synced');
  });

  it('backs off 1 s·2^n, capped at 5 minutes, on 503 and network errors, keeping the outbox', async () => {
    await fillOutbox(2);
    for (let i = 0; i < 12; i++) server.failPush.push(i % 2 ? apiError(0, 'network') : apiError(503, 'unavailable'));
    const e = engine();
    await e.syncNow();
    const delays = [];
    for (let i = 0; i < 11; i++) {
      const t = timers.fire();
      delays.push(t.ms);
      await e.whenIdle();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000]);
    expect(e.getStatus()).toMatchObject({ pending: 2 });
    expect(await db.outbox.count()).toBe(2);
    timers.fire(); // the 12 failures are used up
    await e.whenIdle();
    expect(await db.outbox.count()).toBe(0);
    expect(e.getStatus().state).toBe('synced');

    // Jitter keeps delays between half and all of the step.
    expect(backoffDelay(3, { random: () => 0 })).toBe(4000);
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(6000);
    expect(backoffDelay(20, { random: () => 1 })).toBe(300000);
  });

  it('honours Retry-After and retries at once on syncNow', async () => {
    await fillOutbox(1);
    server.failPush.push(apiError(503, 'unavailable', { retryAfter: 30 }));
    const e = engine();
    await e.syncNow();
    expect(timers.timers.map((t) => t.ms)).toEqual([30000]);
    expect(e.getStatus().state).toBe('waiting');
    await e.syncNow();
    expect(await db.outbox.count()).toBe(0);
    expect(timers.timers).toEqual([]);
  });

  it('on 409 mutation_gap resends from expected_id: rows it still has, stand-ins for those it lost', async () => {
    // The server lost mutations 6-9 (say, a restore). Locally 6 and 7 were acknowledged and are
    // gone, 8 was rejected (still listed), 9+ are pending.
    server.last.set(CLIENT, 5);
    await fillOutbox(5, { from: 8 });
    await db.outbox.update(8, { status: 'rejected', error: { code: 'invalid', message: 'x' } });
    const e = engine();
    await e.syncNow();
    const [gap, retry] = server.pushes;
    expect(gap.mutations[0].id).toBe(9);
    expect(retry.mutations.map((m) => [m.id, m.name])).toEqual([
      [6, LOST_MUTATION],
      [7, LOST_MUTATION],
      [8, 'stock.move'],
      [9, 'stock.move'],
      [10, 'stock.move'],
      [11, 'stock.move'],
      [12, 'stock.move'],
    ]);
    expect(retry.mutations[0].args).toEqual({});
    expect(HLC.parse(retry.mutations[0].hlc).node).toBe(CLIENT);
    expect(server.applied.map((m) => m.id)).toEqual([8, 9, 10, 11, 12]);
    expect(await db.outbox.count()).toBe(0);
    expect(await getMeta(db, 'lostMutations')).toEqual([6, 7]);
    expect(e.getStatus()).toMatchObject({ state: 'synced', lostMutations: 2 });
  });

  it('stops on 401 and on unsupported_protocol_version, keeping the outbox', async () => {
    await fillOutbox(2);
    server.failPush.push(apiError(401, 'unauthorized'));
    const e = engine();
    await e.syncNow();
    expect(e.getStatus()).toMatchObject({
      state: 'error',
      lastError: { code: 'unauthorized', status: 401 },
      pending: 2,
    });
    expect(timers.timers).toEqual([]); // no automatic retry storm

    server.failPush.push(apiError(400, 'unsupported_protocol_version', { details: { supported: [2] } }));
    await e.syncNow();
    expect(e.getStatus()).toMatchObject({ state: 'error', lastError: { code: 'unsupported_protocol_version' } });
    expect(await db.outbox.count()).toBe(2);

    await e.syncNow(); // logged in again / updated: goes through
    expect(await db.outbox.count()).toBe(0);
    expect(e.getStatus()).toMatchObject({ state: 'synced', lastError: null });
  });
});

describe('photos', () => {
  it('uploads in their own lane: a stuck photo does not delay records', async () => {
    const photoId = await actions.addPhoto(new Blob([new Uint8Array(10)]));
    await actions.recordStock({ storeId: 12, materialId: 3, kind: 'counted', quantity: 14 });
    let release;
    server.api.uploadPhoto = () => new Promise((resolve) => (release = resolve));
    const e = engine();
    const seen = statuses(e);
    await e.syncNow(); // resolves although the photo is still uploading
    expect(await db.outbox.count()).toBe(0);
    expect(server.applied).toHaveLength(1);
    expect((await db.photos.get(photoId)).status).toBe('pending');
    expect(e.getStatus()).toMatchObject({ state: 'syncing', photosPending: 1, pending: 0 });

    release({ id: photoId });
    await e.whenIdle();
    const photo = await db.photos.get(photoId);
    expect(photo).toMatchObject({ status: 'uploaded', blob: null, offset: 10 });
    expect(e.getStatus()).toMatchObject({ state: 'synced', photosPending: 0 });
    expect(seen.some((s) => s.state === 'syncing')).toBe(true);
  });

  it('reports byte progress, keeps blobs until the server has them, and sets refused photos aside', async () => {
    const a = await actions.addPhoto(new Blob([new Uint8Array(100)]));
    timers.now += 1;
    const b = await actions.addPhoto(new Blob([new Uint8Array(50)]));
    timers.now += 1;
    const c = await actions.addPhoto(new Blob([new Uint8Array(30)]));
    const calls = [];
    server.api.uploadPhoto = async (photo, onProgress) => {
      calls.push(photo.id);
      if (photo.id === a) throw apiError(422, 'invalid', { message: 'not an image' });
      if (photo.id === c && calls.filter((x) => x === c).length === 1) {
        onProgress(10, 30);
        throw apiError(0, 'network');
      }
      onProgress(photo.size, photo.size);
      return {};
    };
    const e = engine();
    const seen = statuses(e);
    await e.syncNow();
    await e.whenIdle();
    expect(calls).toEqual([a, b, c]);
    expect(await db.photos.get(a)).toMatchObject({ status: 'failed', error: { code: 'invalid' } });
    expect((await db.photos.get(a)).blob).not.toBeNull();
    expect(await db.photos.get(b)).toMatchObject({ status: 'uploaded', blob: null });
    expect(await db.photos.get(c)).toMatchObject({ status: 'pending', offset: 10 });
    expect((await db.photos.get(c)).blob.size).toBe(30);
    expect(seen.some((s) => s.progress.bytesTotal === 180 && s.progress.bytesDone === 50 + 10)).toBe(true);
    expect(e.getStatus()).toMatchObject({ state: 'offline', photosPending: 1, photosFailed: 1 });

    timers.fire();
    await e.whenIdle();
    expect((await db.photos.get(c)).status).toBe('uploaded');
  });
});

describe('pull', () => {
  it('pulls a paginated snapshot to the end and then only the changes', async () => {
    for (let i = 1; i <= 5; i++)
      server.put(
        'store',
        i,
        { id: i, name: `S${i}`, latitude: 23, longitude: 113 },
        { name: '001718000000000:00000:server' },
      );
    server.put('product', 7, { id: 7, name: 'X100', active: true });
    const e = engine({ pullLimit: 2 });
    await e.syncNow();
    expect(server.pulls.map((p) => p.limit)).toEqual([2, 2, 2]);
    expect(server.pulls[0]).toMatchObject({ cursor: null, clientId: CLIENT });
    expect((await queries.stores()).map((s) => s.id)).toEqual([1, 2, 3, 4, 5]);
    expect((await db.entities.get(['store', '3'])).clock).toEqual({ name: '001718000000000:00000:server' });
    const cursor = await getMeta(db, 'cursor');
    expect(JSON.parse(cursor)).toEqual({ seq: 6, snap: null });

    server.put('store', 2, { id: 2, name: 'S2 new', latitude: 23, longitude: 113 });
    server.del('product', 7);
    await e.syncNow();
    expect(server.pulls.at(-1).cursor).toBe(cursor);
    expect((await queries.store(2)).name).toBe('S2 new');
    expect(await db.entities.get(['product', '7'])).toBeUndefined();
  });

  it('asks for the largest page the protocol allows: a first pull of a rep is one request', async () => {
    for (let i = 1; i <= 3; i++) server.put('store', i, { id: i, name: `S${i}`, latitude: 23, longitude: 113 });
    await engine().syncNow();
    expect(server.pulls.map((p) => p.limit)).toEqual([MAX_PULL_LIMIT]);
  });

  it('stores each page atomically with its cursor: a page that fails leaves nothing half-applied', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    server.put('store', 1, { id: 1, name: 'S1' });
    server.put('store', 2, { id: 2, name: 'S2' });
    const e = engine({ pullLimit: 1 });
    const page1 = await server.api.pull({ cursor: null, limit: 1, clientId: CLIENT });
    server.failPull.push(
      () => page1,
      () => ({
        protocol_version: 1,
        reset: false,
        snapshot: true,
        has_more: true,
        last_mutation_id: 0,
        cursor: 'page-3',
        changes: [
          { entity: 'store', id: '2', op: 'put', data: { id: 2, name: 'S2' } },
          { entity: 'store', id: '3', op: 'put', data: { id: 3, bad: () => 0 } }, // cannot be stored: the page fails
        ],
      }),
    );
    await e.syncNow();
    expect(await getMeta(db, 'cursor')).toBe(page1.cursor);
    expect(await db.entities.get(['store', '1'])).toBeDefined();
    expect(await db.entities.get(['store', '2'])).toBeUndefined();
    expect(e.getStatus().state).toBe('error');

    timers.fire(); // retry: the page is pulled again from the stored cursor
    await e.whenIdle();
    expect(server.pulls.at(-1).cursor).toBe(page1.cursor);
    expect(await db.entities.get(['store', '2'])).toBeDefined();
  });

  it('drops the pending flag when the server version arrives, and keeps unacknowledged local edits on top', async () => {
    server.put(
      'store',
      12,
      { id: 12, name: '天河店', address: '天河路 1 号', tier: 'B' },
      { address: '001718000000000:00000:server' },
    );
    const e = engine();
    await e.syncNow();
    await actions.updateStore(12, { address: '天河路 208 号' });
    const editHlc = (await db.outbox.get(1)).hlc;
    const visitId = await actions.checkIn({ storeId: 12, position: { latitude: 23.1, longitude: 113.3, accuracy: 5 } });
    expect(await queries.store(12)).toMatchObject({ address: '天河路 208 号', pending: true });
    expect(await queries.visit(visitId)).toMatchObject({ store_id: 12, pending: true });

    // Someone else sets the tier. A pull taken before our mutations reached the server arrives
    // (last_mutation_id 0): its newer store goes underneath our unacknowledged edit.
    server.put(
      'store',
      12,
      { id: 12, name: '天河店', address: '天河路 1 号', tier: 'A' },
      { address: '001718000000000:00000:server', tier: '001718000000001:00000:server' },
    );
    const stale = await server.api.pull({ cursor: await getMeta(db, 'cursor'), limit: 500, clientId: CLIENT });
    server.failPull.push(() => stale);
    await e.syncNow();
    expect(server.applied.map((m) => m.name)).toEqual(['store.update', 'visit.check_in']);
    const row = await db.entities.get(['store', '12']);
    expect(row).toMatchObject({ pending: true, mutationId: 1 });
    expect(row.data).toMatchObject({ address: '天河路 208 号', tier: 'A' });
    expect(row.base.data).toMatchObject({ address: '天河路 1 号', tier: 'A' });
    expect(row.clock.tier).toBe('001718000000001:00000:server');

    // The next pull has them (last_mutation_id 2): the server's versions replace the local ones.
    await e.syncNow();
    expect(await queries.store(12)).toMatchObject({ address: '天河路 208 号', tier: 'A', pending: false });
    expect(await queries.visit(visitId)).toMatchObject({ pending: false });
    expect((await db.entities.get(['store', '12'])).clock).toEqual({
      address: editHlc,
      tier: '001718000000001:00000:server',
    });
    expect(await getMeta(db, 'overlays')).toEqual({});
  });

  it('on reset replaces all pulled data when the snapshot completes, keeping outbox and pending records', async () => {
    server.put('store', 1, { id: 1, name: 'Old 1' });
    server.put('store', 2, { id: 2, name: 'Old 2' });
    server.put('contact', 'c1', { id: 'c1', store_id: 2, name: 'Wang' });
    const e = engine({ pullLimit: 1 });
    await e.syncNow();
    expect(await db.entities.count()).toBe(3);
    server.failPush.push(apiError(503, 'unavailable')); // keep our entry unsent
    const localId = await actions.recordStock({ storeId: 3, materialId: 3, kind: 'counted', quantity: 1 });
    await e.syncNow();

    // The rep moved territory: the server answers reset with a fresh snapshot in two pages.
    const snap =
      (changes, more, cursor, reset = false) =>
      () => ({
        protocol_version: 1,
        reset,
        snapshot: true,
        has_more: more,
        last_mutation_id: 0,
        cursor,
        changes,
      });
    server.failPull.push(
      snap([{ entity: 'store', id: '3', op: 'put', data: { id: 3, name: 'New 3' } }], true, 'snap-2', true),
      snap([{ entity: 'store', id: '4', op: 'put', data: { id: 4, name: 'New 4' } }], true, 'snap-3'),
      apiError(0, 'network'),
    );
    server.api.push = async () => ({ last_mutation_id: 0, results: [] }); // (the push is not under test here)
    await db.outbox.update(1, { status: 'held' });
    timers.fire();
    await e.whenIdle();
    // Half-way: the old data is still there (the snapshot is not complete).
    expect((await queries.stores()).map((s) => s.id).sort()).toEqual([1, 2, 3, 4]);
    expect(await getMeta(db, 'sweep')).toBeTruthy();

    server.failPull.push(
      snap([{ entity: 'store', id: '5', op: 'put', data: { id: 5, name: 'New 5' } }], false, 'done'),
    );
    await e.syncNow();
    expect((await queries.stores()).map((s) => s.id).sort()).toEqual([3, 4, 5]);
    expect(await db.entities.get(['contact', 'c1'])).toBeUndefined();
    expect(await db.entities.get(['stock_movement', localId])).toMatchObject({ pending: true });
    expect(await db.outbox.count()).toBe(1);
    expect(await getMeta(db, 'cursor')).toBe('done');
    expect(await getMeta(db, 'sweep')).toBeUndefined();
  });

  it('a removed store takes its contacts with it; a deleted contact goes', async () => {
    server.put('store', 1, { id: 1, name: 'S1' });
    server.put('store', 2, { id: 2, name: 'S2' });
    server.put('contact', 'c1', { id: 'c1', store_id: 1, name: 'A' });
    server.put('contact', 'c2', { id: 'c2', store_id: 1, name: 'B' });
    server.put('contact', 'c3', { id: 'c3', store_id: 2, name: 'C' });
    const e = engine();
    await e.syncNow();
    expect(await db.entities.count()).toBe(5);
    server.remove('store', 1);
    server.del('contact', 'c3');
    await e.syncNow();
    expect(server.pulls.at(-1).cursor).not.toBeNull();
    expect((await db.entities.toArray()).map((r) => `${r.entity}:${r.id}`)).toEqual(['store:2']);
  });

  it('drops an invalid cursor and pulls a snapshot', async () => {
    server.put('store', 1, { id: 1, name: 'S1' });
    await setMeta(db, 'cursor', 'v1.garbage');
    await db.entities.put({ entity: 'store', id: '99', data: { id: 99 }, clock: null, pending: false, storeId: '99' });
    server.failPull.push(apiError(400, 'invalid_cursor', { field: 'cursor' }));
    const e = engine();
    await e.syncNow();
    expect(server.pulls.map((p) => p.cursor)).toEqual(['v1.garbage', null]);
    expect((await queries.stores()).map((s) => s.id)).toEqual([1]);
    expect(e.getStatus().state).toBe('synced');
  });

  it('takes the server HLC into the device clock', async () => {
    server.api.pull = async () => ({
      protocol_version: 1,
      reset: false,
      snapshot: false,
      has_more: false,
      last_mutation_id: 0,
      cursor: 'c',
      changes: [],
      server_hlc: '009999999999999:00007:server',
    });
    const e = engine();
    await e.syncNow();
    expect(await getMeta(db, 'lastHlc')).toBe(`009999999999999:00008:${CLIENT}`);
    await actions.recordStock({ storeId: 1, materialId: 1, kind: 'counted', quantity: 1 });
    expect((await db.outbox.get(1)).hlc > '009999999999999:00008').toBe(true);
  });
});

describe('triggers and tabs', () => {
  it('syncs in one tab at a time (Web Locks, ifAvailable)', async () => {
    await fillOutbox(1);
    const requests = [];
    let held = true;
    const lock = {
      request: async (name, opts, cb) => {
        requests.push([name, opts]);
        return cb(held ? null : { name });
      },
    };
    const e = engine({ lock });
    await e.syncNow();
    expect(requests).toContainEqual(['fieldsales-sync', { ifAvailable: true }]);
    expect(server.pushes).toHaveLength(0);
    expect(server.pulls).toHaveLength(0);
    expect(e.getStatus()).toMatchObject({ otherTab: true, pending: 1 });

    held = false;
    await e.syncNow();
    expect(server.pushes).toHaveLength(1);
    expect(e.getStatus()).toMatchObject({ otherTab: false, pending: 0 });
  });

  it('runs on start, online, becoming visible and every 60 s; asks for persistent storage once', async () => {
    const listeners = {};
    const target = () => ({
      addEventListener: (type, fn) => (listeners[type] = fn),
      removeEventListener: (type) => delete listeners[type],
    });
    const win = target();
    const doc = { ...target(), visibilityState: 'hidden' };
    let persistCalls = 0;
    const storage = {
      persisted: async () => false,
      persist: async () => {
        persistCalls++;
        return true;
      },
      estimate: async () => ({ usage: 1234, quota: 10_000 }),
    };
    const e = engine({ env: { window: win, document: doc, navigator: { onLine: true } }, storage });
    await e.start();
    await e.whenIdle();
    const runs = () => server.pulls.length;
    expect(runs()).toBe(1);
    expect(persistCalls).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(e.getStatus().storage).toEqual({ usage: 1234, quota: 10_000, persisted: false });

    listeners.online();
    await e.whenIdle();
    expect(runs()).toBe(2);
    doc.visibilityState = 'visible';
    listeners.visibilitychange();
    await e.whenIdle();
    expect(runs()).toBe(3);
    timers.fire((t) => t.ms === 60_000);
    await e.whenIdle();
    expect(runs()).toBe(4);
    expect(timers.timers.filter((t) => t.ms === 60_000)).toHaveLength(1); // re-armed

    e.stop();
    expect(Object.keys(listeners)).toEqual([]);
    expect(timers.timers).toEqual([]);
    const again = engine({ env: { window: target(), document: doc, navigator: {} }, storage });
    await again.start();
    expect(persistCalls).toBe(1); // asked once only
  });

  it('reports oldestPendingAt and a new outbox entry triggers a sync soon (live counts)', async () => {
    const e = engine({ watch: true });
    const seen = statuses(e);
    await e.start();
    await e.whenIdle();
    server.failPush.push(apiError(0, 'network'));
    timers.now = Date.UTC(2026, 10, 23, 1, 0, 0);
    await actions.recordStock({ storeId: 1, materialId: 1, kind: 'counted', quantity: 1 });
    for (let i = 0; i < 50 && !timers.timers.some((t) => t.ms === 500); i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen.at(-1)).toMatchObject({ pending: 1, oldestPendingAt: '2026-11-23T01:00:00.000Z' });
    timers.fire((t) => t.ms === 500);
    await e.whenIdle();
    expect(server.pushes).toHaveLength(1);
    expect(e.getStatus()).toMatchObject({ state: 'offline', pending: 1, oldestPendingAt: '2026-11-23T01:00:00.000Z' });
  });
});

describe('the pure parts, on their own', () => {
  const lane = (extra = {}) => ({ busy: false, offline: false, error: null, ...extra });
  const err = (e) => ({ ...errorInfo(e), transient: isTransient(e) });

  it('derives the state from the lanes', () => {
    expect(syncState([lane(), lane()])).toBe('synced');
    expect(syncState([lane(), lane()], { waiting: true })).toBe('waiting');
    expect(syncState([lane(), lane({ busy: true })], { waiting: true })).toBe('syncing');
    expect(syncState([lane({ offline: true, error: err(apiError(0, 'network')) }), lane()])).toBe('offline');
    expect(syncState([lane(), lane()], { browserOffline: true })).toBe('offline');
    expect(syncState([lane({ error: err(apiError(503, 'unavailable')) }), lane()], { waiting: true })).toBe('waiting'); // retried by itself
    expect(syncState([lane({ error: err(apiError(422, 'invalid')) }), lane()])).toBe('error');
    expect(syncState([lane(), lane({ error: err(new Error('IndexedDB closed')) })])).toBe('error'); // local: retried, but shown
    // A person must act: shown even while the other lane runs or the browser is offline.
    expect(
      syncState([lane({ error: err(apiError(401, 'unauthorized')) }), lane({ busy: true })], { browserOffline: true }),
    ).toBe('error');
  });

  it('tells transient failures from those a person must fix, and waits out Retry-After', () => {
    expect([0, 408, 429, 500, 503].map((status) => isTransient(apiError(status, 'x')))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([400, 401, 404, 409, 422].map((status) => isTransient(apiError(status, 'x')))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isTransient(new Error('quota'))).toBe(true);
    expect(isTransient(new SyncError('bad envelope'))).toBe(false);
    expect(errorInfo(apiError(0, 'network', { message: '' }))).toEqual({
      code: 'network',
      message: 'network',
      status: 0,
    });
    expect(errorInfo(new Error('boom'))).toEqual({ code: 'internal', message: 'boom', status: null });
    expect(errorInfo(apiError(400, 'invalid', { field: 'cursor', details: { a: 1 } }))).toMatchObject({
      field: 'cursor',
      details: { a: 1 },
    });
    // the rule that refused and its params, for the UI to say it in its language
    const gap = apiError(409, 'mutation_gap', { reason: 'mutation_gap', params: { expected_id: 6, got_id: 9 } });
    expect(errorInfo(gap)).toMatchObject({ reason: 'mutation_gap', params: { expected_id: 6, got_id: 9 } });
    expect(errorInfo(apiError(409, 'conflict'))).not.toHaveProperty('reason');
    const random = () => 1;
    expect(retryDelay(0, apiError(503, 'x'), { random })).toBe(1000);
    expect(retryDelay(0, apiError(503, 'x', { retryAfter: 30 }), { random })).toBe(30000);
    expect(retryDelay(5, apiError(503, 'x', { retryAfter: 3600 }), { random })).toBe(300000);
  });

  it('runs under a Web Lock only if it is free, and without one when there is no lock manager', async () => {
    let ran = 0;
    const fn = async () => void ran++;
    expect(await withLock(null, 'l', fn)).toBe(true);
    const asked = [];
    const lock = (granted) => ({
      request: async (name, opts, cb) => {
        asked.push([name, opts]);
        return cb(granted ? { name } : null);
      },
    });
    expect(await withLock(lock(false), 'fieldsales-sync', fn)).toBe(false);
    expect(await withLock(lock(true), 'fieldsales-sync', fn)).toBe(true);
    expect(ran).toBe(2);
    expect(asked).toEqual([
      ['fieldsales-sync', { ifAvailable: true }],
      ['fieldsales-sync', { ifAvailable: true }],
    ]);
    expect(LOST_MUTATION).toBe(REPLICA_LOST_MUTATION);
  });
});

describe('last sync', () => {
  it('starts from the last complete pull stored on the phone, and moves on after a sync', async () => {
    await setMeta(db, 'lastPulledAt', '2026-11-20T08:00:00.000Z');
    server.failPull.push(apiError(0, 'network', { message: 'offline' }));
    const e = engine();
    await e.start();
    await e.whenIdle();
    expect(e.getStatus().lastSyncAt).toBe('2026-11-20T08:00:00.000Z');
    await e.syncNow();
    await e.whenIdle();
    expect(e.getStatus().lastSyncAt).toBe(new Date(timers.now).toISOString());
  });
});
