// Removing everything of a user from the phone: on sign-out, and on sign-in when the phone's data
// belongs to someone else (app.js). What the user's data lives in:
//   IndexedDB      the Dexie database `fieldsales` (pulled records — buyers' phone numbers and
//                  addresses on a clerk's phone, contacts, visits and prices on a rep's — the outbox,
//                  the pending photos' blobs, the session and its token) and any other database of
//                  the origin (a library's or an older version's): every database is deleted
//   Cache Storage  every cache but the service worker's precache (the app shell, which must stay so
//                  that the app opens offline); from the precache, any `/api/` answer
//   Web Storage    localStorage but the device's settings (KEEP_LOCAL_STORAGE), all of sessionStorage
// The app's tables are emptied first, so that nothing is left to read even when the delete has
// to wait for another tab to let go of the database (`blocked`); the delete then completes as soon
// as that tab closes its connection (the app's tabs do when they see the `versionchange`: see
// onDeletedElsewhere).
import { db as defaultDb } from './index.js';
import { STORAGE_KEY as ZONE_KEY } from '../warranty/zone.js';

/** localStorage keys that are the device's settings, not a user's data: the UI language, and the
 * server's business time zone (public, warranty/zone.js: the next user's offline day counts in it). */
export const KEEP_LOCAL_STORAGE = ['fieldsales.lang', ZONE_KEY];
/** How long a delete blocked by another connection is waited for before the wipe reports it. */
export const BLOCKED_TIMEOUT_MS = 5000;

/** A Workbox precache (`workbox-precache-v2-…`, `<cacheId>-precache-v2-…`): the app shell. */
export function isPrecache(name) {
  return /(^|-)precache(-|$)/.test(name);
}

/** An answer of the API (`/api/…`), which is the user's data wherever it is cached. */
export function isApiUrl(url) {
  try {
    return new URL(url, 'http://localhost').pathname.startsWith('/api/');
  } catch {
    return false;
  }
}

/**
 * `indexedDB.deleteDatabase(name)`, awaited: 'deleted', or 'blocked' when another connection still
 * holds the database `timeoutMs` after the delete was blocked (the delete stays queued and completes
 * when it lets go). Rejects with the request's error.
 */
export function deleteDatabase(idb, name, { timeoutMs = BLOCKED_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    let timer = null;
    const done = (fn, value) => {
      if (timer !== null) clearTimeout(timer);
      fn(value);
    };
    const req = idb.deleteDatabase(name);
    req.onsuccess = () => done(resolve, 'deleted');
    req.onerror = () => done(reject, req.error);
    req.onblocked = () => {
      if (timer === null) timer = setTimeout(() => resolve('blocked'), timeoutMs);
    };
  });
}

/** Empty the tables of the Dexie database `db` (one transaction). */
async function clearTables(db) {
  await db.transaction('rw', db.tables, () => Promise.all(db.tables.map((table) => table.clear())));
}

async function databaseNames(idb, db) {
  const names = new Set([db.name]);
  if (typeof idb.databases === 'function') {
    for (const info of await idb.databases()) if (info?.name) names.add(info.name);
  }
  return [...names];
}

/** Delete every cache but the precache, and the API's answers from the precache. */
export async function wipeCaches(cacheStorage) {
  const removed = [];
  if (!cacheStorage) return removed;
  for (const name of await cacheStorage.keys()) {
    if (!isPrecache(name)) {
      await cacheStorage.delete(name);
      removed.push(name);
      continue;
    }
    const cache = await cacheStorage.open(name);
    for (const request of await cache.keys()) {
      if (isApiUrl(request.url)) {
        await cache.delete(request);
        removed.push(request.url);
      }
    }
  }
  return removed;
}

/** Remove the localStorage keys but `keep`, and all of sessionStorage. */
export function wipeWebStorage(local, session, keep = KEEP_LOCAL_STORAGE) {
  const removed = [];
  if (local) {
    const keys = [];
    for (let i = 0; i < local.length; i++) keys.push(local.key(i));
    for (const key of keys) {
      if (key !== null && !keep.includes(key)) {
        local.removeItem(key);
        removed.push(key);
      }
    }
  }
  if (session) {
    for (let i = 0; i < session.length; i++) removed.push(session.key(i));
    session.clear();
  }
  return removed;
}

function storageOf(name) {
  try {
    return globalThis[name] ?? null; // access itself throws where storage is disabled
  } catch {
    return null;
  }
}

/**
 * Remove every local store of the signed-in user (see the top of this file). `db` is left closed,
 * not to be opened again by a late write of a stopped sync engine: `ensureOpen(db)` before using it
 * (sign-in does). Never rejects: resolves to `{ok, databases: {name: 'deleted' | 'blocked' |
 * 'failed'}, caches: [removed], storage: [removed keys], errors: [Error]}`; `ok` is false when a
 * delete failed or is still blocked (the app's tables were emptied anyway).
 */
export async function wipeLocalData({
  db = defaultDb,
  indexedDB: idb = globalThis.indexedDB,
  caches: cacheStorage = globalThis.caches,
  localStorage: local = storageOf('localStorage'),
  sessionStorage: session = storageOf('sessionStorage'),
  timeoutMs = BLOCKED_TIMEOUT_MS,
} = {}) {
  const report = { ok: true, databases: {}, caches: [], storage: [], errors: [] };
  const fail = (err) => {
    report.ok = false;
    report.errors.push(err);
  };

  try {
    await clearTables(db);
  } catch (err) {
    fail(err); // a database that cannot be opened: the delete below is what counts
  }
  db.close({ disableAutoOpen: true });

  if (idb) {
    let names = [db.name];
    try {
      names = await databaseNames(idb, db);
    } catch (err) {
      fail(err);
    }
    await Promise.all(
      names.map(async (name) => {
        try {
          report.databases[name] = await deleteDatabase(idb, name, { timeoutMs });
          if (report.databases[name] !== 'deleted') report.ok = false;
        } catch (err) {
          report.databases[name] = 'failed';
          fail(err);
        }
      }),
    );
  }

  try {
    report.caches = await wipeCaches(cacheStorage);
  } catch (err) {
    fail(err);
  }
  try {
    report.storage = wipeWebStorage(local, session);
  } catch (err) {
    fail(err);
  }
  return report;
}

/** Open `db` again after a wipe (an empty database with the app's schema). */
export async function ensureOpen(db = defaultDb) {
  if (!db.isOpen()) await db.open();
  return db;
}

/**
 * Call `fn(event)` when another tab deletes `db` (a sign-out there): this tab's data is gone and
 * its session must end too. Dexie closes the connection by itself (its default `versionchange`
 * handler), so the delete is not blocked. Returns the unsubscribe function.
 */
export function onDeletedElsewhere(db, fn) {
  const handler = (event) => {
    if (!event?.newVersion) fn(event); // newVersion is null for a delete
  };
  db.on('versionchange', handler);
  return () => db.on('versionchange').unsubscribe(handler);
}
