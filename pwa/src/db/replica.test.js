// The replica's functions on their own, over a fake IndexedDB (no engine, no server): what the
// sync engine stores for each push answer and pull page, and what it reads from the outbox.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, getMeta, setMeta } from './index.js';
import { applyOverlay } from './overlay.js';
import { createQueries } from './queries.js';
import { HLC } from '../protocol/hlc.js';
import {
  LOST_MUTATION,
  applyPullPage,
  applyPushResult,
  dropCursor,
  nextPushBatch,
  outboxByRecord,
  outboxCounts,
  outboxRows,
  pendingCount,
  photoQueue,
  photoRefused,
  photoUploaded,
  readCursor,
  savePhotoOffset,
  syncClientId,
} from './replica.js';

const CLIENT = 'c0ffee00-rep-gz';
const NOW = Date.UTC(2026, 10, 23, 2, 0, 0);
const now = () => NOW;
let n = 0;
let db;

beforeEach(async () => {
  db = createDb(`replica-test-${++n}`);
  await setMeta(db, 'clientId', CLIENT);
  await setMeta(db, 'nextMutationId', 1);
});

afterEach(() => db.close());

/** An outbox entry as db/actions.js writes it. */
const entry = (id, extra = {}) => ({
  id,
  name: 'stock.move',
  args: { id: `move-${id}`, store_id: 12 },
  hlc: new HLC(1_718_000_000_000 + id, 0, CLIENT).encode(),
  status: 'pending',
  error: null,
  createdAt: new Date(1_718_000_000_000 + id * 1000).toISOString(),
  label: '',
  ...extra,
});

const photo = (id, extra = {}) => ({
  id,
  blob: new Blob([new Uint8Array(4)]),
  size: 4,
  offset: 0,
  status: 'pending',
  createdAt: '2026-11-23T01:00:00.000Z',
  ...extra,
});

/** A pull page (SPEC.md §I.4) with `changes`. */
const page = (changes, extra = {}) => ({
  protocol_version: 1,
  reset: false,
  snapshot: false,
  has_more: false,
  last_mutation_id: 0,
  cursor: 'next',
  changes,
  ...extra,
});
const put = (entity, id, data, clock) => ({
  entity,
  id: String(id),
  op: 'put',
  data: { id, ...data },
  ...(clock ? { clock } : {}),
});

/** A local optimistic change, as an action writes it (mutation `mutationId`). */
const overlay = (entity, id, patch, mutationId, opts = {}) =>
  db.transaction('rw', db.entities, db.meta, () => applyOverlay(db, entity, id, patch, { mutationId, ...opts }));

const keys = async () => (await db.entities.toArray()).map((r) => `${r.entity}:${r.id}`).sort();

describe('outbox reads', () => {
  it('counts the outbox and the photo queue in one function, for the engine and the screens', async () => {
    expect(await outboxCounts(db)).toEqual({
      pending: 0,
      rejected: 0,
      photosPending: 0,
      photosFailed: 0,
      oldestPendingAt: null,
    });
    await db.outbox.bulkAdd([
      entry(1, { status: 'rejected', createdAt: '2026-11-20T00:00:00.000Z' }), // refused: not waiting
      entry(2, { createdAt: '2026-11-22T00:00:00.000Z' }),
      entry(3, { createdAt: '2026-11-21T00:00:00.000Z' }), // (ids, not times, order the outbox)
    ]);
    await db.photos.bulkAdd([
      photo('a', { createdAt: '2026-11-21T12:00:00.000Z' }),
      photo('b', { status: 'failed', createdAt: '2026-11-01T00:00:00.000Z' }),
      photo('c', { status: 'uploaded', blob: null, createdAt: '2026-11-01T00:00:00.000Z' }),
    ]);
    const counts = {
      pending: 2,
      rejected: 1,
      photosPending: 1,
      photosFailed: 1,
      oldestPendingAt: '2026-11-21T12:00:00.000Z',
    };
    expect(await outboxCounts(db)).toEqual(counts);
    expect(await pendingCount(db)).toBe(2);
    expect(await createQueries(db).syncCounts()).toEqual(counts);

    await db.photos.delete('a');
    expect((await outboxCounts(db)).oldestPendingAt).toBe('2026-11-22T00:00:00.000Z'); // the first pending entry's
  });

  it('lists the outbox oldest first, and by the record each entry is about', async () => {
    await db.outbox.bulkAdd([
      entry(3, { name: 'warranty.correct', args: { id: 'card-1' } }),
      entry(1, { name: 'warranty.register', args: { id: 'card-1' } }),
      entry(2, { name: 'warranty.register', args: { id: 'card-2' }, status: 'rejected' }),
      entry(4),
    ]);
    expect((await outboxRows(db)).map((r) => r.id)).toEqual([1, 2, 3, 4]);
    const map = await outboxByRecord(db, ['warranty.register', 'warranty.correct']);
    expect([...map.keys()]).toEqual(['card-1', 'card-2']);
    expect(map.get('card-1').map((r) => r.id)).toEqual([1, 3]);
    expect(map.get('card-2')[0].status).toBe('rejected');
  });
});

describe('nextPushBatch', () => {
  it('takes consecutive pending entries from the first one, up to the batch size', async () => {
    expect(await nextPushBatch(db, { size: 200, now })).toEqual([]);
    await db.outbox.bulkAdd([1, 2, 3, 4, 5].map((id) => entry(id)));
    const batch = await nextPushBatch(db, { size: 3, now });
    expect(batch).toEqual(
      [1, 2, 3].map((id) => ({ id, name: 'stock.move', args: { id: `move-${id}`, store_id: 12 }, hlc: entry(id).hlc })),
    );
  });

  it('stops before an entry that is not pending; the next batch starts after it', async () => {
    await db.outbox.bulkAdd([entry(1), entry(2, { status: 'rejected' }), entry(3)]);
    expect((await nextPushBatch(db, { size: 200, now })).map((m) => m.id)).toEqual([1]);
    await db.outbox.delete(1); // acknowledged
    expect((await nextPushBatch(db, { size: 200, now })).map((m) => m.id)).toEqual([3]);
  });

  it('after a mutation_gap resends from the expected id: rows still listed, stand-ins for the lost ones', async () => {
    await db.outbox.bulkAdd([entry(8, { status: 'rejected' }), entry(9), entry(10)]);
    const batch = await nextPushBatch(db, { gapStart: 6, size: 200, now });
    expect(batch.map((m) => [m.id, m.name, Boolean(m.lost)])).toEqual([
      [6, LOST_MUTATION, true],
      [7, LOST_MUTATION, true],
      [8, 'stock.move', false],
      [9, 'stock.move', false],
      [10, 'stock.move', false],
    ]);
    expect(batch[0].args).toEqual({});
    const [h6, h7] = [HLC.parse(batch[0].hlc), HLC.parse(batch[1].hlc)];
    expect(h6.node).toBe(CLIENT);
    expect(batch[1].hlc > batch[0].hlc).toBe(true);
    expect(h7.wallMs).toBe(NOW);
    expect(await getMeta(db, 'lastHlc')).toBe(batch[1].hlc); // the device clock moved on
    // A gap start above the first pending id changes nothing.
    expect((await nextPushBatch(db, { gapStart: 10, size: 200, now })).map((m) => m.id)).toEqual([9, 10]);
  });
});

describe('applyPushResult', () => {
  it('drops acknowledged entries, keeps refused ones with the reason, and notes conflicts and lost mutations', async () => {
    await db.outbox.bulkAdd([1, 2, 3, 4, 5, 6].map((id) => entry(id)));
    await setMeta(db, 'conflicts', [{ mutationId: 0 }]);
    const batch = [
      { id: 1, name: LOST_MUTATION, args: {}, hlc: 'h', lost: true },
      ...[2, 3, 4, 5, 6].map((id) => ({ id, name: 'stock.move', args: entry(id).args, hlc: entry(id).hlc })),
    ];
    const conflict = [{ field: 'address', kept: 'server' }];
    const res = await applyPushResult(
      db,
      batch,
      {
        last_mutation_id: 5,
        results: [
          { id: 1, status: 'rejected', error: { code: 'unknown_mutation' } },
          { id: 2, status: 'applied' },
          { id: 3, status: 'rejected', error: { code: 'not_found', message: 'No store 12.', field: 'store_id' } },
          { id: 4, status: 'merged', conflicts: conflict },
          // 5: no result, but covered by last_mutation_id; 6: neither
        ],
      },
      { now },
    );
    expect(res).toEqual({ acknowledged: 4, lostMutations: 1 });
    const rows = await db.outbox.toArray();
    expect(rows.map((r) => r.id)).toEqual([1, 3, 6]); // the stand-in's id was never in the outbox: 1 stays as it was
    expect(rows[1]).toMatchObject({
      status: 'rejected',
      error: { code: 'not_found', field: 'store_id' },
      rejectedAt: new Date(NOW).toISOString(),
    });
    expect(rows[2].status).toBe('pending');
    expect(await getMeta(db, 'lastMutationId')).toBe(5);
    expect(await getMeta(db, 'conflicts')).toEqual([
      { mutationId: 0 },
      { mutationId: 4, name: 'stock.move', args: entry(4).args, conflicts: conflict, at: new Date(NOW).toISOString() },
    ]);
    expect(await getMeta(db, 'lostMutations')).toEqual([1]);
  });

  it('never lowers lastMutationId; a refusal without a reason gets one', async () => {
    await setMeta(db, 'lastMutationId', 9);
    await db.outbox.add(entry(10));
    const res = await applyPushResult(
      db,
      [{ id: 10, name: 'stock.move', args: {}, hlc: 'h' }],
      { last_mutation_id: 3, results: [{ id: 10, status: 'rejected' }] },
      { now },
    );
    expect(res).toEqual({ acknowledged: 1, lostMutations: null });
    expect(await getMeta(db, 'lastMutationId')).toBe(9);
    expect((await db.outbox.get(10)).error).toEqual({ code: 'rejected', message: 'Refused by the server.' });
  });
});

describe('applyPullPage', () => {
  it('stores server rows with their clock and store, then the cursor and last_mutation_id', async () => {
    const changes = [
      put('store', 1, { name: 'S1' }, { name: '001718000000000:00000:server' }),
      put('contact', 'c1', { store_id: 1, name: 'Wang' }),
    ];
    expect(await readCursor(db)).toBeNull();
    expect(await applyPullPage(db, page(changes, { last_mutation_id: 4, cursor: 'c-1' }), { now })).toBe(2);
    expect(await db.entities.get(['store', '1'])).toEqual({
      entity: 'store',
      id: '1',
      data: { id: 1, name: 'S1' },
      clock: { name: '001718000000000:00000:server' },
      pending: false,
      storeId: '1',
    });
    expect(await db.entities.get(['contact', 'c1'])).toMatchObject({ storeId: '1', clock: null, pending: false });
    expect(await readCursor(db)).toBe('c-1');
    expect(await getMeta(db, 'lastMutationId')).toBe(4);
    expect(await getMeta(db, 'lastPulledAt')).toBe(new Date(NOW).toISOString());
    await dropCursor(db);
    expect(await readCursor(db)).toBeNull();
  });

  it('keeps local effects the server has not seen on top of its newer version (rebase)', async () => {
    await applyPullPage(db, page([put('store', 12, { name: '天河店', address: '1 号', tier: 'B' })]), { now });
    await overlay('store', 12, { address: '208 号' }, 3, { editable: true, hlc: 'local-hlc' });
    await applyPullPage(
      db,
      page([put('store', 12, { name: '天河店', address: '1 号', tier: 'A' }, { tier: 'server-hlc' })], {
        last_mutation_id: 2,
      }),
      { now },
    );
    const row = await db.entities.get(['store', '12']);
    expect(row).toMatchObject({ pending: true, mutationId: 3, patch: { address: '208 号' } });
    expect(row.data).toEqual({ id: 12, name: '天河店', address: '208 号', tier: 'A' });
    expect(row.base).toEqual({
      data: { id: 12, name: '天河店', address: '1 号', tier: 'A' },
      clock: { tier: 'server-hlc' },
    });
    expect(row.clock).toEqual({ tier: 'server-hlc', address: 'local-hlc' });
    expect(await getMeta(db, 'overlays')).toEqual({ 'store:12': 3 });

    // Once the server has mutation 3, its version replaces the local one.
    await applyPullPage(
      db,
      page([put('store', 12, { name: '天河店', address: '208 号', tier: 'A' }, { address: 'local-hlc' })], {
        last_mutation_id: 3,
      }),
      { now },
    );
    expect(await db.entities.get(['store', '12'])).toMatchObject({ pending: false, data: { address: '208 号' } });
    expect((await db.entities.get(['store', '12'])).patch).toBeUndefined();
    expect(await getMeta(db, 'overlays')).toEqual({});
  });

  it('on the last page drops the local effects of mutations the server has applied or refused', async () => {
    await applyPullPage(db, page([put('store', 1, { name: 'Server name' })]), { now });
    await overlay('store', 1, { name: 'Refused rename' }, 1); // refused: the server's name comes back
    await overlay('stock_movement', 'm1', { id: 'm1', store_id: 1 }, 2); // refused creation: goes
    await overlay('stock_movement', 'm2', { id: 'm2', store_id: 1 }, 5); // not pushed yet: stays
    await applyPullPage(db, page([], { has_more: true, last_mutation_id: 2 }), { now });
    expect(await db.entities.count()).toBe(3); // not before the pull is complete
    await applyPullPage(db, page([], { last_mutation_id: 2 }), { now });
    expect(await db.entities.get(['store', '1'])).toMatchObject({ pending: false, data: { name: 'Server name' } });
    expect(await db.entities.get(['stock_movement', 'm1'])).toBeUndefined();
    expect(await db.entities.get(['stock_movement', 'm2'])).toMatchObject({ pending: true });
    expect(await getMeta(db, 'overlays')).toEqual({ 'stock_movement:m2': 5 });
  });

  it('deletes, and a store that leaves the scope takes its contacts; unknown ops are ignored', async () => {
    await applyPullPage(
      db,
      page([
        put('store', 1, { name: 'S1' }),
        put('store', 2, { name: 'S2' }),
        put('contact', 'c1', { store_id: 1 }),
        put('contact', 'c2', { store_id: 1 }),
        put('contact', 'c3', { store_id: 2 }),
      ]),
      { now },
    );
    await overlay('contact', 'c2', { name: 'edited' }, 7);
    await applyPullPage(
      db,
      page([
        { entity: 'store', id: '1', op: 'remove' },
        { entity: 'contact', id: 'c3', op: 'delete' },
        { entity: 'store', id: '2', op: 'frobnicate', data: { id: 2, name: 'ignored' } },
      ]),
      { now },
    );
    expect(await keys()).toEqual(['store:2']);
    expect((await db.entities.get(['store', '2'])).data.name).toBe('S2');
    expect(await getMeta(db, 'overlays')).toEqual({});
  });

  it('a snapshot from scratch replaces the pulled data once its last page is stored; pending rows stay', async () => {
    await applyPullPage(db, page([put('store', 1, { name: 'Old 1' }), put('store', 2, { name: 'Old 2' })]), {
      fromScratch: true,
      now,
    });
    expect(await getMeta(db, 'lastGen')).toBe(1);
    await overlay('stock_movement', 'm1', { id: 'm1', store_id: 3 }, 9);

    await applyPullPage(
      db,
      page([put('store', 3, { name: 'New 3' })], { reset: true, has_more: true, cursor: 's-1' }),
      { now },
    );
    expect(await getMeta(db, 'sweep')).toEqual({ gen: 2 });
    expect(await keys()).toEqual(['stock_movement:m1', 'store:1', 'store:2', 'store:3']); // half-way: old data still there
    await applyPullPage(db, page([put('store', 4, { name: 'New 4' })], { cursor: 's-2' }), { now });
    expect(await keys()).toEqual(['stock_movement:m1', 'store:3', 'store:4']);
    expect((await db.entities.get(['store', '4'])).gen).toBe(2);
    expect(await getMeta(db, 'sweep')).toBeUndefined();
    expect(await readCursor(db)).toBe('s-2');
  });

  it('stores a page whole or not at all', async () => {
    await applyPullPage(db, page([put('store', 1, { name: 'S1' })], { cursor: 'c-1' }), { now });
    const bad = page([put('store', 2, { name: 'S2' }), put('store', 3, { bad: () => 0 })], {
      cursor: 'c-2',
      last_mutation_id: 8,
    });
    await expect(applyPullPage(db, bad, { now })).rejects.toThrow();
    expect(await keys()).toEqual(['store:1']);
    expect(await readCursor(db)).toBe('c-1');
    expect(await getMeta(db, 'lastMutationId')).toBeUndefined();
  });

  it("takes the page's server HLC into the device clock, unless the caller does", async () => {
    const hlc = '009999999999999:00007:server';
    await applyPullPage(db, page([], { server_hlc: hlc }), { now, receiveHlc: false });
    expect(await getMeta(db, 'lastHlc')).toBeUndefined();
    await applyPullPage(db, page([], { server_hlc: hlc }), { now });
    expect(await getMeta(db, 'lastHlc')).toBe(`009999999999999:00008:${CLIENT}`);
  });
});

describe('photos and identity', () => {
  it('queues pending photos oldest first and records their upload, progress and refusal', async () => {
    await db.photos.bulkAdd([
      photo('b', { createdAt: '2026-11-23T02:00:00.000Z' }),
      photo('a', { createdAt: '2026-11-23T01:00:00.000Z' }),
      photo('x', { status: 'uploaded', blob: null }),
    ]);
    const queue = await photoQueue(db);
    expect(queue.map((p) => p.id)).toEqual(['a', 'b']);
    await savePhotoOffset(db, 'a', 2);
    expect((await db.photos.get('a')).offset).toBe(2);
    await photoUploaded(db, queue[0], { now });
    expect(await db.photos.get('a')).toMatchObject({
      status: 'uploaded',
      blob: null,
      offset: 4,
      uploadedAt: new Date(NOW).toISOString(),
    });
    await photoRefused(db, 'b', { code: 'invalid', message: 'not an image' });
    expect(await db.photos.get('b')).toMatchObject({ status: 'failed', error: { code: 'invalid' } });
    expect((await db.photos.get('b')).blob).not.toBeNull();
    expect(await photoQueue(db)).toEqual([]);
    await savePhotoOffset(db, 'gone', 1); // nothing there: no error
  });

  it('gives the client id, created on first use', async () => {
    expect(await syncClientId(db)).toBe(CLIENT);
    await setMeta(db, 'clientId', undefined);
    await setMeta(db, 'nextMutationId', undefined);
    const id = await syncClientId(db);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await syncClientId(db)).toBe(id);
    expect(await getMeta(db, 'nextMutationId')).toBe(1);
  });
});
