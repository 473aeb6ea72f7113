// The sync engine: the client side of sync_protocol/SPEC.md Part I.
//
// Two independent lanes:
//   records  push the outbox in id order, in batches of 200, then pull until `has_more` is false,
//            each page stored in one transaction together with its cursor;
//   photos   upload pending photos (resumable), one after the other, and drop each blob once the
//            server has the photo. Records never wait behind photos.
// Each lane retries transient failures (no network, 5xx, 429) with exponential backoff — 1 s·2^n,
// at most 5 minutes, with jitter — and stops on errors only a person can fix (401: log in again;
// `unsupported_protocol_version`: update the app; other 4xx: a bug), keeping the outbox.
// Runs on start(), the window's `online`, the page becoming visible, every 60 s, syncNow(), a
// new outbox entry, and a service worker message `{type: 'fieldsales-sync'}` (Background Sync).
// Only one tab syncs at a time (Web Locks, `ifAvailable`).
import { liveQuery } from 'dexie';
import * as defaultApi from '../api.js';
import { db as defaultDb, getMeta, setMeta } from '../db/index.js';
import { clientIdIn, nextHlcIn, receiveHlcIn } from '../db/clock.js';
import { markOverlay, overlayKey, rebase, reverted, serverRow } from '../db/overlay.js';
import { buildPush } from '../protocol/envelope.js';
import { SyncError } from '../protocol/errors.js';
import { version as packageVersion } from '../../package.json';

export const LOCK_NAME = 'fieldsales-sync';
export const PHOTO_LOCK_NAME = 'fieldsales-sync-photos';
export const SYNC_TAG = 'fieldsales-sync';
export const BATCH_SIZE = 200;
export const PULL_LIMIT = 500;
export const PERIOD_MS = 60_000;
export const BASE_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 5 * 60_000;
/** Name of the stand-in sent for mutations the server expects but this device no longer has
 * (after a `mutation_gap`): unknown to the server, so it is acknowledged as `rejected /
 * unknown_mutation` and the ids after it can be applied. */
export const LOST_MUTATION = 'sync.lost';

/** Milliseconds to wait after `failures` consecutive failures: 1 s·2^n capped, "equal jitter" (½–1×). */
export function backoffDelay(failures, { baseMs = BASE_BACKOFF_MS, maxMs = MAX_BACKOFF_MS, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

const FATAL_CODES = new Set(['unauthorized', 'unsupported_protocol_version', 'forbidden']);

function errorInfo(e) {
  const info = {
    code: e?.code || (e?.status === 0 ? 'network' : 'internal'),
    message: e?.message || String(e),
    status: e?.status ?? null,
  };
  if (e?.field) info.field = e.field;
  if (e?.details) info.details = e.details;
  return info;
}

/** Retry later by itself (network, server trouble, or a local hiccup) rather than wait for a person. */
function isTransient(e) {
  if (e && typeof e.status === 'number') return e.status === 0 || e.status >= 500 || e.status === 429 || e.status === 408;
  return !(e instanceof SyncError); // IndexedDB and other local failures: try again later
}

const iso = (ms) => new Date(ms).toISOString();

/**
 * `createEngine({db, api?, clock?, lock?, now?, setTimeout?, clearTimeout?, random?, env?,
 * storage?, appVersion?, batchSize?, pullLimit?, periodMs?, watch?})` →
 * `{start(), stop(), syncNow(), subscribe(fn), getStatus(), whenIdle()}`.
 *
 * - `api`: `{push(body), pull({cursor, limit, clientId}), uploadPhoto(photo, onProgress)}` (api.js).
 * - `clock`: `{receive(serverHlc)}` accounting for the server's HLCs (default: the HLC persisted in
 *   `meta.lastHlc`); `now()`: wall clock in ms.
 * - `lock`: a Web Locks `LockManager` (`navigator.locks`); `false` for none.
 * - `env`: where `addEventListener` (`window`), `document` and `navigator` come from (globalThis).
 */
export function createEngine(options = {}) {
  const {
    db = defaultDb,
    api = defaultApi,
    now = () => Date.now(),
    random = Math.random,
    env = globalThis,
    appVersion = packageVersion,
    batchSize = BATCH_SIZE,
    pullLimit = PULL_LIMIT,
    periodMs = PERIOD_MS,
    watch = true,
  } = options;
  const setT = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const clearT = options.clearTimeout ?? ((t) => globalThis.clearTimeout(t));
  const navigator = env.navigator;
  const lock = options.lock === undefined ? navigator?.locks ?? null : options.lock;
  const storage = options.storage === undefined ? navigator?.storage ?? null : options.storage;
  const clock = options.clock ?? {
    receive: (remote) => db.transaction('rw', db.meta, async () => receiveHlcIn(db, remote, now())),
  };

  const status = {
    state: 'synced',
    pending: 0,
    rejected: 0,
    photosPending: 0,
    photosFailed: 0,
    progress: { done: 0, total: 0, bytesDone: 0, bytesTotal: 0, pulled: 0 },
    oldestPendingAt: null,
    lastError: null,
    lastSyncAt: null,
    nextRetryAt: null,
    otherTab: false,
    lostMutations: 0,
    storage: { usage: null, quota: null, persisted: null },
  };
  const listeners = new Set();
  const newLane = (name) => ({ name, running: null, busy: false, again: false, failures: 0, timer: null, nextAt: 0, error: null, offline: false });
  const rec = newLane('records');
  const pho = newLane('photos');
  let started = false;
  let stopped = false;
  let periodic = null;
  let kickTimer = null;
  let subscription = null;
  const cleanups = [];

  // --- status ---------------------------------------------------------------------------------

  function computeState() {
    const err = rec.error || pho.error;
    if (err && FATAL_CODES.has(err.code)) return 'error';
    if (rec.busy || pho.busy) return 'syncing';
    if (rec.offline || pho.offline || navigator?.onLine === false) return 'offline';
    if (err && (!err.transient || err.status === null)) return 'error'; // a person must act, or a local failure

    if (status.pending || status.photosPending) return 'waiting';
    return 'synced';
  }

  function emit() {
    status.state = computeState();
    const err = rec.error || pho.error;
    status.lastError = err ? { ...err } : null;
    const next = [rec.nextAt, pho.nextAt].filter((t) => t > now());
    status.nextRetryAt = next.length ? iso(Math.min(...next)) : null;
    const snapshot = structuredClone(status);
    for (const fn of listeners) {
      try {
        fn(snapshot);
      } catch (e) {
        console.error('sync status listener failed', e);
      }
    }
  }

  function setCounts(c) {
    status.pending = c.pending;
    status.rejected = c.rejected;
    status.photosPending = c.photosPending;
    status.photosFailed = c.photosFailed;
    status.oldestPendingAt = c.oldestPendingAt;
  }

  async function readCounts() {
    return db.transaction('r', db.outbox, db.photos, async () => {
      const [pending, rejected, photosPending, photosFailed, first, photos] = await Promise.all([
        db.outbox.where('status').equals('pending').count(),
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

  async function refreshCounts() {
    try {
      setCounts(await readCounts());
    } catch {
      // a closed database (tab closing) must not break the sync loop
    }
    emit();
  }

  async function refreshStorage() {
    if (!storage) return;
    try {
      if (storage.estimate) {
        const e = await storage.estimate();
        status.storage.usage = e.usage ?? null;
        status.storage.quota = e.quota ?? null;
      }
      if (storage.persisted) status.storage.persisted = await storage.persisted();
    } catch {
      // not available (private mode …)
    }
  }

  async function askPersistence() {
    if (!storage?.persist) return;
    try {
      if (storage.persisted && (await storage.persisted())) {
        status.storage.persisted = true;
        return;
      }
      if (await getMeta(db, 'persistAsked')) return;
      await setMeta(db, 'persistAsked', true);
      status.storage.persisted = await storage.persist();
    } catch {
      // ignore: the browser decides
    }
  }

  // --- lanes ----------------------------------------------------------------------------------

  async function withLock(name, fn) {
    if (!lock?.request) {
      await fn();
      return true;
    }
    return lock.request(name, { ifAvailable: true }, async (granted) => {
      if (!granted) return false;
      await fn();
      return true;
    });
  }

  function scheduleRetry(lane, e) {
    const retryAfterMs = e?.retryAfter ? e.retryAfter * 1000 : 0;
    const delay = Math.min(MAX_BACKOFF_MS, Math.max(backoffDelay(lane.failures, { random }), retryAfterMs));
    lane.failures += 1;
    lane.nextAt = now() + delay;
    if (lane.timer !== null) clearT(lane.timer);
    lane.timer = setT(() => {
      lane.timer = null;
      runLane(lane);
    }, delay);
    registerBackgroundSync();
  }

  function failed(lane, e) {
    const info = errorInfo(e);
    info.transient = isTransient(e);
    lane.error = info;
    lane.offline = info.code === 'network';
    if (info.transient) scheduleRetry(lane, e);
    if (!(e instanceof SyncError) && !(typeof e?.status === "number")) console.error("sync failed", e);
  }

  function runLane(lane) {
    if (stopped) return Promise.resolve();
    if (lane.running) {
      lane.again = true;
      return lane.running;
    }
    if (lane.timer !== null) {
      clearT(lane.timer);
      lane.timer = null;
    }
    const work = lane === rec ? syncRecords : syncPhotos;
    const lockName = lane === rec ? LOCK_NAME : PHOTO_LOCK_NAME;
    lane.busy = true;
    lane.running = (async () => {
      try {
        let ok = true;
        do {
          lane.again = false;
          emit();
          let ranHere = false;
          try {
            ranHere = await withLock(lockName, async () => {
              await work();
            });
            if (ranHere) {
              lane.failures = 0;
              lane.nextAt = 0;
              lane.error = null;
              lane.offline = false;
            }
            status.otherTab = !ranHere;
          } catch (e) {
            ok = false;
            failed(lane, e);
          }
          await refreshCounts();
        } while (ok && lane.again && !stopped);
      } finally {
        if (lane === rec) await refreshStorage();
        lane.running = null;
        lane.busy = false;
        emit();
      }
    })();
    return lane.running;
  }

  /** Run both lanes; `force` (syncNow, online, visible) skips a backoff wait. */
  function kick({ force = false } = {}) {
    if (stopped) return Promise.resolve();
    const runs = [];
    for (const lane of [rec, pho]) {
      if (!force && lane.nextAt > now()) continue; // waiting out a backoff
      if (force) lane.nextAt = 0;
      runs.push(runLane(lane));
    }
    return Promise.all(runs).then(() => undefined);
  }

  // --- records: push --------------------------------------------------------------------------

  async function nextBatch(gapStart) {
    const first = await db.outbox.where('status').equals('pending').first();
    if (!first) return [];
    const start = gapStart !== null && gapStart < first.id ? gapStart : first.id;
    const rows = await db.outbox.where('id').between(start, start + batchSize, true, false).toArray();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const batch = [];
    for (let id = start; id < start + batchSize; id++) {
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

  async function applyPushResult(batch, res) {
    const last = Number.isInteger(res?.last_mutation_id) ? res.last_mutation_id : null;
    const results = new Map((res?.results ?? []).map((r) => [r.id, r]));
    let acknowledged = 0;
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
        status.lostMutations = kept.length + lost.length;
      }
    });
    if (res?.server_hlc) await clock.receive(res.server_hlc);
    return acknowledged;
  }

  async function pushAll(clientId) {
    let gapStart = null;
    let gaps = 0;
    status.progress.done = 0;
    status.progress.total = await db.outbox.where('status').equals('pending').count();
    emit();
    while (!stopped) {
      const batch = await nextBatch(gapStart);
      if (!batch.length) return;
      const body = buildPush({ clientId, appVersion, mutations: batch });
      let res;
      try {
        res = await api.push(body);
      } catch (e) {
        const expected = e?.details?.expected_id;
        if (e?.status === 409 && e.code === 'mutation_gap' && Number.isInteger(expected) && expected < batch[0].id && gaps < 3) {
          gapStart = Math.max(1, expected);
          gaps += 1;
          continue;
        }
        throw e;
      }
      status.progress.done += await applyPushResult(batch, res);
      gapStart = null;
      await refreshCounts();
    }
  }

  // --- records: pull --------------------------------------------------------------------------

  async function applyChange(ch, lastMutationId, gen, existing, overlays) {
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

  async function finishPull(lastMutationId, sweep, overlays) {
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

  async function applyPage(res, fromScratch) {
    const changes = Array.isArray(res?.changes) ? res.changes : [];
    const lastMutationId = Number.isInteger(res?.last_mutation_id) ? res.last_mutation_id : 0;
    await db.transaction('rw', db.entities, db.meta, async () => {
      let sweep = (await getMeta(db, 'sweep')) ?? null;
      if (res.reset || fromScratch) {
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
      rows.forEach((r) => r && existing.set(overlayKey(r.entity, r.id), r));
      for (const ch of changes) await applyChange(ch, lastMutationId, sweep?.gen, existing, overlays);
      if (!res.has_more) await finishPull(lastMutationId, sweep, overlays);
      await setMeta(db, 'overlays', overlays);
      await setMeta(db, 'cursor', res.cursor);
      const known = (await getMeta(db, 'lastMutationId')) ?? 0;
      if (lastMutationId > known) await setMeta(db, 'lastMutationId', lastMutationId);
      if (res.server_hlc) await receiveServerHlc(res.server_hlc);
    });
    status.progress.pulled += changes.length;
  }

  async function receiveServerHlc(text) {
    if (options.clock) return; // a custom clock is told after the transaction
    await receiveHlcIn(db, text, now());
  }

  async function pullAll(clientId) {
    let restarted = false;
    status.progress.pulled = 0;
    while (!stopped) {
      const cursor = (await getMeta(db, 'cursor')) ?? null;
      let res;
      try {
        res = await api.pull({ cursor, limit: pullLimit, clientId });
      } catch (e) {
        if (e?.status === 400 && e.code === 'invalid_cursor' && cursor !== null && !restarted) {
          restarted = true; // drop the cursor and pull a snapshot
          await db.transaction('rw', db.meta, async () => setMeta(db, 'cursor', undefined));
          continue;
        }
        throw e;
      }
      await applyPage(res, cursor === null);
      if (options.clock && res?.server_hlc) await clock.receive(res.server_hlc);
      emit();
      if (!res.has_more) return;
    }
  }

  async function syncRecords() {
    const clientId = await db.transaction('rw', db.meta, async () => clientIdIn(db));
    await pushAll(clientId);
    if (stopped) return;
    await pullAll(clientId);
    status.lastSyncAt = iso(now());
  }

  // --- photos ---------------------------------------------------------------------------------

  async function syncPhotos() {
    const queue = (await db.photos.where('status').equals('pending').toArray()).sort((a, b) =>
      String(a.createdAt).localeCompare(String(b.createdAt)),
    );
    let bytesDone = 0;
    status.progress.bytesDone = 0;
    status.progress.bytesTotal = queue.reduce((n, p) => n + (p.size || 0), 0);
    emit();
    for (const photo of queue) {
      if (stopped) return;
      let offset = photo.offset || 0;
      const onProgress = (done) => {
        offset = done;
        status.progress.bytesDone = bytesDone + done;
        emit();
      };
      try {
        await api.uploadPhoto(photo, onProgress);
      } catch (e) {
        if (offset !== (photo.offset || 0)) await db.photos.update(photo.id, { offset }).catch(() => {});
        if (isTransient(e) || FATAL_CODES.has(e?.code) || e?.status === 401) throw e;
        // Refused for good (not an image, too large, id taken): set it aside, go on with the others.
        await db.photos.update(photo.id, { status: 'failed', error: errorInfo(e) });
        continue;
      }
      // The server has it: the blob can go.
      await db.photos.update(photo.id, { status: 'uploaded', blob: null, offset: photo.size, uploadedAt: iso(now()) });
      bytesDone += photo.size || 0;
      status.progress.bytesDone = bytesDone;
      await refreshCounts();
    }
  }

  // --- triggers -------------------------------------------------------------------------------

  function registerBackgroundSync() {
    try {
      const sw = navigator?.serviceWorker;
      if (!sw?.ready) return;
      sw.ready.then((reg) => reg?.sync?.register(SYNC_TAG)).catch(() => {});
    } catch {
      // not available
    }
  }

  function listen(target, type, fn) {
    if (!target?.addEventListener) return;
    target.addEventListener(type, fn);
    cleanups.push(() => target.removeEventListener(type, fn));
  }

  function armPeriodic() {
    if (stopped) return;
    periodic = setT(() => {
      periodic = null;
      kick();
      armPeriodic();
    }, periodMs);
  }

  function kickSoon() {
    if (kickTimer !== null || stopped) return;
    kickTimer = setT(() => {
      kickTimer = null;
      kick();
    }, 500);
  }

  function watchOutbox() {
    if (!watch) return;
    let lastPending = null;
    subscription = liveQuery(() => readCounts()).subscribe({
      next: (c) => {
        setCounts(c);
        emit();
        if (lastPending !== null && c.pending + c.photosPending > lastPending) kickSoon();
        lastPending = c.pending + c.photosPending;
      },
      error: () => {},
    });
  }

  return {
    /** Begin: listen to triggers, ask for persistent storage, sync now. Resolves after the first records run. */
    start() {
      if (started) return rec.running ?? Promise.resolve();
      started = true;
      stopped = false;
      const win = env.window ?? (env.addEventListener ? env : null);
      listen(win, 'online', () => {
        rec.offline = pho.offline = false;
        kick({ force: true });
      });
      listen(win, 'offline', () => emit());
      const doc = env.document;
      listen(doc, 'visibilitychange', () => {
        if (doc.visibilityState === 'visible') kick({ force: true });
      });
      listen(navigator?.serviceWorker, 'message', (event) => {
        if (event?.data?.type === SYNC_TAG) kick({ force: true });
      });
      armPeriodic();
      watchOutbox();
      registerBackgroundSync();
      askPersistence().then(refreshStorage).then(emit);
      kick({ force: true });
      return rec.running ?? Promise.resolve();
    },

    /** Stop listening and timing (a run in progress finishes its current request). */
    stop() {
      stopped = true;
      started = false;
      for (const fn of cleanups.splice(0)) fn();
      for (const t of [periodic, kickTimer, rec.timer, pho.timer]) if (t !== null) clearT(t);
      periodic = kickTimer = rec.timer = pho.timer = null;
      subscription?.unsubscribe();
      subscription = null;
    },

    /** Sync now, whatever the backoff says. Resolves when the records lane (push + pull) is done;
     * photos keep uploading in their lane (see whenIdle). */
    syncNow() {
      if (stopped) stopped = false;
      kick({ force: true });
      return rec.running ?? Promise.resolve();
    },

    /** Call `fn(status)` now and on every change; returns the unsubscribe function. */
    subscribe(fn) {
      listeners.add(fn);
      fn(structuredClone({ ...status, state: computeState() }));
      return () => listeners.delete(fn);
    },

    /** The current status. */
    getStatus() {
      return structuredClone({ ...status, state: computeState() });
    },

    /** Resolves when neither lane is running. */
    async whenIdle() {
      while (rec.running || pho.running) await Promise.all([rec.running, pho.running]);
    },
  };
}
