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
//
// The engine decides when and in what order to sync and keeps the status; what is read from and
// written to the local database — the outbox and its counts, the push answers, the pull pages
// with their cursor and the rebase of pending local records, the photo queue — is db/replica.js
// (plain functions of the database, tested on their own). The engine itself only keeps its own
// flag `meta.persistAsked`.
import { liveQuery } from 'dexie';
import * as defaultApi from '../api.js';
import { db as defaultDb, getMeta, setMeta } from '../db/index.js';
import { createPersistentClock } from '../db/clock.js';
import {
  LOST_MUTATION,
  applyPullPage,
  applyPushResult,
  dropCursor,
  nextPushBatch,
  outboxCounts,
  pendingCount,
  photoQueue,
  photoRefused,
  photoUploaded,
  readCursor,
  savePhotoOffset,
  syncClientId,
} from '../db/replica.js';
import { buildPush } from '../protocol/envelope.js';
import { SyncError } from '../protocol/errors.js';
import { version as packageVersion } from '../../package.json';

export const LOCK_NAME = 'fieldsales-sync';
export const PHOTO_LOCK_NAME = 'fieldsales-sync-photos';
export const SYNC_TAG = 'fieldsales-sync';
export const BATCH_SIZE = 200;
/**
 * Items per pull page: the most the protocol allows (SPEC.md: 1–5000). A rep's first pull (300
 * stores, 90 days: ~4,200 items) is then one request instead of nine: the server's work per
 * request (sign-in check, read transaction, a query per kind) once, and one compressed body,
 * which compresses better whole (brotli 217 KB instead of 272 KB; bench/pull_profile.py).
 */
export const PULL_LIMIT = 5000;
export const PERIOD_MS = 60_000;
export const BASE_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 5 * 60_000;
/** The stand-in for a lost mutation (db/replica.js), exported here too as before. */
export { LOST_MUTATION };

/** Milliseconds to wait after `failures` consecutive failures: 1 s·2^n capped, "equal jitter" (½–1×). */
export function backoffDelay(
  failures,
  { baseMs = BASE_BACKOFF_MS, maxMs = MAX_BACKOFF_MS, random = Math.random } = {},
) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Wait after `failures` consecutive failures ending with error `e`: backoffDelay, or the
 * server's `Retry-After` (`e.retryAfter`, seconds) when longer, at most MAX_BACKOFF_MS. */
export function retryDelay(failures, e, { random = Math.random } = {}) {
  const retryAfterMs = e?.retryAfter ? e.retryAfter * 1000 : 0;
  return Math.min(MAX_BACKOFF_MS, Math.max(backoffDelay(failures, { random }), retryAfterMs));
}

/** Error codes that stop the engine until a person acts (log in again, update the app). */
export const FATAL_CODES = new Set(['unauthorized', 'unsupported_protocol_version', 'forbidden']);

/** What the status reports of an error: `{code, message, status, field?, details?, reason?, params?}`
 * (reason and params: for the UI to say it in its language, i18n reasonText). */
export function errorInfo(e) {
  const info = {
    code: e?.code || (e?.status === 0 ? 'network' : 'internal'),
    message: e?.message || String(e),
    status: e?.status ?? null,
  };
  if (e?.field) info.field = e.field;
  if (e?.details) info.details = e.details;
  if (e?.reason) {
    info.reason = e.reason;
    info.params = e.params || {};
  }
  return info;
}

/** Retry later by itself (network, server trouble, or a local hiccup) rather than wait for a person. */
export function isTransient(e) {
  if (e && typeof e.status === 'number')
    return e.status === 0 || e.status >= 500 || e.status === 429 || e.status === 408;
  return !(e instanceof SyncError); // IndexedDB and other local failures: try again later
}

const iso = (ms) => new Date(ms).toISOString();

/**
 * The status' `state` from the lanes (`[records, photos]`, each `{busy, offline, error}`, error as
 * errorInfo plus `transient`): 'error' for an error a person must fix, else 'syncing' while a lane
 * runs, 'offline' (a lane found no network, or the browser says so: `browserOffline`), 'error'
 * for a refusal or a local failure, 'waiting' while something is left to send (`waiting`), else
 * 'synced'.
 */
export function syncState(lanes, { browserOffline = false, waiting = false } = {}) {
  const err = lanes.map((lane) => lane.error).find(Boolean);
  if (err && FATAL_CODES.has(err.code)) return 'error';
  if (lanes.some((lane) => lane.busy)) return 'syncing';
  if (lanes.some((lane) => lane.offline) || browserOffline) return 'offline';
  if (err && (!err.transient || err.status === null)) return 'error'; // a person must act, or a local failure
  if (waiting) return 'waiting';
  return 'synced';
}

/**
 * Run `fn` holding the Web Lock `name` if no other tab holds it (`ifAvailable`): resolves to true
 * when `fn` ran, false when another tab had the lock. Without a `lock` manager `fn` just runs.
 */
export async function withLock(lock, name, fn) {
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
  const lock = options.lock === undefined ? (navigator?.locks ?? null) : options.lock;
  const storage = options.storage === undefined ? (navigator?.storage ?? null) : options.storage;
  const clock = options.clock ?? createPersistentClock(db, { now });

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
  const newLane = (name) => ({
    name,
    running: null,
    busy: false,
    again: false,
    failures: 0,
    timer: null,
    nextAt: 0,
    error: null,
    offline: false,
  });
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
    return syncState([rec, pho], {
      browserOffline: navigator?.onLine === false,
      waiting: Boolean(status.pending || status.photosPending),
    });
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

  async function refreshCounts() {
    try {
      setCounts(await outboxCounts(db));
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

  function scheduleRetry(lane, e) {
    const delay = retryDelay(lane.failures, e, { random });
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
    if (!(e instanceof SyncError) && !(typeof e?.status === 'number')) console.error('sync failed', e);
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
            ranHere = await withLock(lock, lockName, async () => {
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

  async function pushAll(clientId) {
    let gapStart = null;
    let gaps = 0;
    status.progress.done = 0;
    status.progress.total = await pendingCount(db);
    emit();
    while (!stopped) {
      const batch = await nextPushBatch(db, { gapStart, size: batchSize, now });
      if (!batch.length) return;
      const body = buildPush({ clientId, appVersion, mutations: batch });
      let res;
      try {
        res = await api.push(body);
      } catch (e) {
        const expected = e?.details?.expected_id;
        if (
          e?.status === 409 &&
          e.code === 'mutation_gap' &&
          Number.isInteger(expected) &&
          expected < batch[0].id &&
          gaps < 3
        ) {
          gapStart = Math.max(1, expected);
          gaps += 1;
          continue;
        }
        throw e;
      }
      const { acknowledged, lostMutations } = await applyPushResult(db, batch, res, { now });
      if (lostMutations !== null) status.lostMutations = lostMutations;
      if (res?.server_hlc) await clock.receive(res.server_hlc);
      status.progress.done += acknowledged;
      gapStart = null;
      await refreshCounts();
    }
  }

  // --- records: pull --------------------------------------------------------------------------

  async function pullAll(clientId) {
    let restarted = false;
    status.progress.pulled = 0;
    while (!stopped) {
      const cursor = await readCursor(db);
      let res;
      try {
        res = await api.pull({ cursor, limit: pullLimit, clientId });
      } catch (e) {
        if (e?.status === 400 && e.code === 'invalid_cursor' && cursor !== null && !restarted) {
          restarted = true; // drop the cursor and pull a snapshot
          await dropCursor(db);
          continue;
        }
        throw e;
      }
      // The default clock is the one in `meta`: the page's server HLC goes in with the page; a
      // custom clock is told after the transaction.
      status.progress.pulled += await applyPullPage(db, res, {
        fromScratch: cursor === null,
        now,
        receiveHlc: !options.clock,
      });
      if (options.clock && res?.server_hlc) await clock.receive(res.server_hlc);
      emit();
      if (!res.has_more) return;
    }
  }

  async function syncRecords() {
    const clientId = await syncClientId(db);
    await pushAll(clientId);
    if (stopped) return;
    await pullAll(clientId);
    status.lastSyncAt = iso(now());
  }

  // --- photos ---------------------------------------------------------------------------------

  async function syncPhotos() {
    const queue = await photoQueue(db);
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
        if (offset !== (photo.offset || 0)) await savePhotoOffset(db, photo.id, offset);
        if (isTransient(e) || FATAL_CODES.has(e?.code) || e?.status === 401) throw e;
        // Refused for good (not an image, too large, id taken): set it aside, go on with the others.
        await photoRefused(db, photo.id, errorInfo(e));
        continue;
      }
      // The server has it: the blob can go.
      await photoUploaded(db, photo, { now });
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
    subscription = liveQuery(() => outboxCounts(db)).subscribe({
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
      // "Synced n min ago" after a reload too: the last complete pull this phone stored.
      getMeta(db, 'lastPulledAt')
        .then((at) => {
          if (at && !status.lastSyncAt) {
            status.lastSyncAt = at;
            emit();
          }
        })
        .catch(() => {});
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
