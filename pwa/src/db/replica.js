// The replica: everything the sync engine reads from and writes to the local database, as plain
// functions of the database (`fn(db, …)`), each its own IndexedDB transaction (or joining the
// caller's). The engine (sync/engine.js) only decides *when* to sync — lanes, locks, backoff,
// triggers, the push/pull loop against the API — and asks the replica *what* is stored:
//   outbox    outboxCounts (the one count of the outbox and the photo queue: the engine's status
//             and the screens' badges), pendingCount, outboxRows, outboxByRecord, nextPushBatch
//             (the next batch to push, with stand-ins after a `mutation_gap`), applyPushResult;
//   pull      readCursor, dropCursor, applyPullPage (one page of changes stored in one transaction
//             with its cursor: new server rows, pending rows rebased over them, deletions, the
//             sweep of a complete snapshot and the overlays a pull has caught up with);
//   photos    photoQueue, savePhotoOffset, photoUploaded, photoRefused;
//   identity  syncClientId.
// Split out of the engine's closure (issue 12, step 4) so that storage and the sync loop can be
// read, tested and changed apart — modelled on PowerSync's storage adapter (BucketStorageAdapter:
// saveSyncData, getCrudBatch, hasCrud, getClientId … behind its streaming sync loop). What is
// stored and the wire format are SPEC.md Part I's; db/overlay.js builds the rows of optimistic
// local records, db/index.js documents the tables.
import { getMeta, setMeta } from './index.js';
import { clientIdIn, nextHlcIn, receiveHlcIn } from './clock.js';
import { overlayKey, rebase, reverted, serverRow } from './overlay.js';

/** Name of the stand-in sent for mutations the server expects but this device no longer has
 * (after a `mutation_gap`): unknown to the server, so it is acknowledged as `rejected /
 * unknown_mutation` and the ids after it can be applied. */
export const LOST_MUTATION = 'sync.lost';

const iso = (ms) => new Date(ms).toISOString();

// --- identity -------------------------------------------------------------------------------------

/** This installation's client id (created on first use), in its own transaction. */
export async function syncClientId(db) {
  return db.transaction('rw', db.meta, async () => clientIdIn(db));
}

// --- outbox ---------------------------------------------------------------------------------------

/** How many outbox entries wait to be pushed. */
export async function pendingCount(db) {
  return db.outbox.where('status').equals('pending').count();
}

/**
 * `{pending, rejected, photosPending, photosFailed, oldestPendingAt}`: the outbox and the photo
 * queue counted in one read transaction (the engine's status, the screens' badges, the warning
 * before another user signs in). `oldestPendingAt` is the earliest `createdAt` of a pending entry
 * or photo. Works inside Dexie's `liveQuery`.
 */
export async function outboxCounts(db) {
  return db.transaction('r', db.outbox, db.photos, async () => {
    const [pending, rejected, photosPending, photosFailed, first, photos] = await Promise.all([
      pendingCount(db),
      db.outbox.where('status').equals('rejected').count(),
      db.photos.where('status').equals('pending').count(),
      db.photos.where('status').equals('failed').count(),
      db.outbox.where('status').equals('pending').first(),
      db.photos.where('status').equals('pending').toArray(),
    ]);
    const times = [first?.createdAt, ...photos.map((p) => p.createdAt)].filter(Boolean).sort();
    return { pending, rejected, photosPending, photosFailed, oldestPendingAt: times[0] ?? null };
  });
}

/** Every outbox entry not yet acknowledged (`pending`) or refused (`rejected`), oldest first. */
export async function outboxRows(db) {
  return db.outbox.orderBy('id').toArray();
}

/** Outbox entries of mutation `names`, by the id of the record they are about (`args.id`, as a
 * string) → entries oldest first. */
export async function outboxByRecord(db, names) {
  const rows = (await outboxRows(db)).filter((r) => names.includes(r.name));
  const map = new Map();
  for (const r of rows) {
    const key = String(r.args?.id);
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(r);
  }
  return map;
}

/**
 * The next mutations to push, `[{id, name, args, hlc, lost?}]` in id order (empty: nothing
 * pending): consecutive ids from the first pending entry — or from `gapStart`, the id the server
 * expects after a `mutation_gap`, when lower — up to `size` of them. Below the first pending id,
 * entries still listed (rejected) are sent again and ids no longer on the device become
 * LOST_MUTATION stand-ins (`lost: true`) with a fresh HLC (`now()`: wall clock, ms). Stops at the
 * first id after that which is neither pending nor there.
 */
export async function nextPushBatch(db, { gapStart = null, size, now = () => Date.now() }) {
  const first = await db.outbox.where('status').equals('pending').first();
  if (!first) return [];
  const start = gapStart !== null && gapStart < first.id ? gapStart : first.id;
  const rows = await db.outbox
    .where('id')
    .between(start, start + size, true, false)
    .toArray();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const batch = [];
  for (let id = start; id < start + size; id++) {
    const row = byId.get(id);
    if (row && (row.status === 'pending' || id < first.id)) {
      batch.push({ id, name: row.name, args: row.args, hlc: row.hlc });
    } else if (!row && id < first.id) {
      // The server expects a mutation this device no longer has: send a stand-in.
      const hlc = await db.transaction('rw', db.meta, async () => nextHlcIn(db, now()));
      batch.push({ id, name: LOST_MUTATION, args: {}, hlc, lost: true });
    } else {
      break;
    }
  }
  return batch;
}

/**
 * Store the server's answer `res` (`{last_mutation_id, results: [{id, status, error?,
 * conflicts?}]}`) to a pushed `batch` in one transaction: applied, duplicate and merged entries
 * leave the outbox (a merge's conflicts are kept in `meta.conflicts`, the last 50), refused ones
 * stay as `rejected` with the server's error, entries without a result are acknowledged when
 * `last_mutation_id` covers them, stand-ins the server accounted for are remembered in
 * `meta.lostMutations`. Resolves to `{acknowledged, lostMutations}`: how many entries of the batch
 * were answered, and the number of lost mutations so far when this answer added some (else null).
 */
export async function applyPushResult(db, batch, res, { now = () => Date.now() } = {}) {
  const last = Number.isInteger(res?.last_mutation_id) ? res.last_mutation_id : null;
  const results = new Map((res?.results ?? []).map((r) => [r.id, r]));
  let acknowledged = 0;
  let lostMutations = null;
  await db.transaction('rw', db.outbox, db.meta, async () => {
    const conflicts = [];
    const lost = [];
    for (const m of batch) {
      const r = results.get(m.id);
      if (m.lost) {
        if (r || (last !== null && m.id <= last)) lost.push(m.id);
        continue;
      }
      if (!r) {
        if (last !== null && m.id <= last) {
          await db.outbox.delete(m.id);
          acknowledged++;
        }
        continue;
      }
      if (r.status === 'rejected') {
        await db.outbox.update(m.id, {
          status: 'rejected',
          error: r.error ?? { code: 'rejected', message: 'Refused by the server.' },
          rejectedAt: iso(now()),
        });
      } else {
        if (r.status === 'merged' && r.conflicts?.length) {
          conflicts.push({ mutationId: m.id, name: m.name, args: m.args, conflicts: r.conflicts, at: iso(now()) });
        }
        await db.outbox.delete(m.id);
      }
      acknowledged++;
    }
    if (last !== null) {
      const known = (await getMeta(db, 'lastMutationId')) ?? 0;
      if (last > known) await setMeta(db, 'lastMutationId', last);
    }
    if (conflicts.length) {
      const kept = (await getMeta(db, 'conflicts')) ?? [];
      await setMeta(db, 'conflicts', [...kept, ...conflicts].slice(-50));
    }
    if (lost.length) {
      const kept = (await getMeta(db, 'lostMutations')) ?? [];
      await setMeta(db, 'lostMutations', [...kept, ...lost].slice(-1000));
      lostMutations = kept.length + lost.length;
    }
  });
  return { acknowledged, lostMutations };
}

// --- pull -----------------------------------------------------------------------------------------

/** The pull cursor stored with the last page applied, or null (pull a snapshot). */
export async function readCursor(db) {
  return (await getMeta(db, 'cursor')) ?? null;
}

/** Forget the pull cursor (the server refused it: the next pull is a snapshot). */
export async function dropCursor(db) {
  await db.transaction('rw', db.meta, async () => setMeta(db, 'cursor', undefined));
}

/** One change of a page (inside applyPullPage's transaction). `existing`: 'entity:id' → the row
 * stored; `overlays`: the pending rows' 'entity:id' → mutation id, both updated as it goes. */
async function applyChange(db, ch, lastMutationId, gen, existing, overlays) {
  const id = String(ch.id);
  const key = overlayKey(ch.entity, id);
  const row = existing.get(key);
  if (ch.op === 'put') {
    let next;
    if (row?.pending && row.mutationId > lastMutationId) {
      next = rebase(row, ch.data, ch.clock, gen); // local effects not yet in: keep them on top
    } else {
      next = serverRow(ch.entity, id, ch.data, ch.clock, gen);
      delete overlays[key];
    }
    await db.entities.put(next);
    existing.set(key, next);
  } else if (ch.op === 'delete' || ch.op === 'remove') {
    await db.entities.delete([ch.entity, id]);
    existing.delete(key);
    delete overlays[key];
    if (ch.entity === 'store') {
      // What hangs on a store that left the scope goes with it.
      const contacts = await db.entities.where('[entity+storeId]').equals(['contact', id]).primaryKeys();
      await db.entities.bulkDelete(contacts);
      for (const [, cid] of contacts) delete overlays[overlayKey('contact', cid)];
    }
  }
  // Unknown ops (a newer server) are ignored.
}

/** The last page of a pull (inside applyPullPage's transaction): sweep a complete snapshot, drop
 * the overlays the server has caught up with, note the time. */
async function finishPull(db, lastMutationId, sweep, overlays, now) {
  if (sweep) {
    // A fresh snapshot is complete: what it did not contain is gone (pending local records stay).
    const stale = await db.entities.filter((r) => !r.pending && r.gen !== sweep.gen).primaryKeys();
    await db.entities.bulkDelete(stale);
    await setMeta(db, 'sweep', undefined);
  }
  // The server's state now includes every mutation ≤ lastMutationId: drop their local overlays.
  for (const [key, mid] of Object.entries(overlays)) {
    if (mid > lastMutationId) continue;
    const at = key.indexOf(':');
    const pk = [key.slice(0, at), key.slice(at + 1)];
    const row = await db.entities.get(pk);
    if (row?.pending && row.mutationId <= lastMutationId) {
      const back = sweep && row.gen !== sweep.gen ? null : reverted(row);
      if (back) await db.entities.put(back);
      else await db.entities.delete(pk);
    }
    delete overlays[key];
  }
  await setMeta(db, 'lastPulledAt', iso(now()));
}

/**
 * Store one pull page `page` (`{changes, cursor, has_more, reset, last_mutation_id,
 * server_hlc}`, SPEC.md §I.4) in one transaction with its cursor, so that a page is stored whole
 * or not at all. `fromScratch` (pulled without a cursor) or `page.reset` starts a new generation:
 * once the snapshot's last page is stored, pulled rows it did not contain are removed. A put over
 * a pending row whose mutation the server has not applied yet (`mutationId > last_mutation_id`)
 * keeps the local effects on top of the new server version; on the last page (`has_more` false)
 * every overlay the server has caught up with is dropped. `receiveHlc` (default true) takes the
 * page's `server_hlc` into the device clock (`meta.lastHlc`, `now()`: wall clock in ms) within the
 * same transaction — false when the caller accounts for it itself. Resolves to the number of
 * changes in the page.
 */
export async function applyPullPage(db, page, { fromScratch = false, now = () => Date.now(), receiveHlc = true } = {}) {
  const changes = Array.isArray(page?.changes) ? page.changes : [];
  const lastMutationId = Number.isInteger(page?.last_mutation_id) ? page.last_mutation_id : 0;
  await db.transaction('rw', db.entities, db.meta, async () => {
    let sweep = (await getMeta(db, 'sweep')) ?? null;
    if (page.reset || fromScratch) {
      // A snapshot from the start: replace all pulled data with it once it is complete.
      const gen = ((await getMeta(db, 'lastGen')) ?? 0) + 1;
      await setMeta(db, 'lastGen', gen);
      sweep = { gen };
      await setMeta(db, 'sweep', sweep);
    }
    const overlays = { ...((await getMeta(db, 'overlays')) ?? {}) };
    const keys = changes.map((ch) => [ch.entity, String(ch.id)]);
    const rows = await db.entities.bulkGet(keys);
    const existing = new Map();
    for (const r of rows) if (r) existing.set(overlayKey(r.entity, r.id), r);
    for (const ch of changes) await applyChange(db, ch, lastMutationId, sweep?.gen, existing, overlays);
    if (!page.has_more) await finishPull(db, lastMutationId, sweep, overlays, now);
    await setMeta(db, 'overlays', overlays);
    await setMeta(db, 'cursor', page.cursor);
    const known = (await getMeta(db, 'lastMutationId')) ?? 0;
    if (lastMutationId > known) await setMeta(db, 'lastMutationId', lastMutationId);
    if (page.server_hlc && receiveHlc) await receiveHlcIn(db, page.server_hlc, now());
  });
  return changes.length;
}

// --- photos ---------------------------------------------------------------------------------------

/** The photos waiting to be uploaded, oldest first. */
export async function photoQueue(db) {
  return (await db.photos.where('status').equals('pending').toArray()).sort((a, b) =>
    String(a.createdAt).localeCompare(String(b.createdAt)),
  );
}

/** Remember how far an interrupted upload got (best effort: a failure is ignored). */
export async function savePhotoOffset(db, id, offset) {
  await db.photos.update(id, { offset }).catch(() => {});
}

/** The server has `photo`: mark it uploaded and drop its blob. */
export async function photoUploaded(db, photo, { now = () => Date.now() } = {}) {
  await db.photos.update(photo.id, { status: 'uploaded', blob: null, offset: photo.size, uploadedAt: iso(now()) });
}

/** The server refused photo `id` for good: set it aside (`failed`) with `error`, keeping the blob. */
export async function photoRefused(db, id, error) {
  await db.photos.update(id, { status: 'failed', error });
}
