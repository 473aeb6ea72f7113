// The Dexie (IndexedDB) database `fieldsales` — the device's copy of everything the rep sees and
// the outbox of everything the rep did that the server has not acknowledged yet.
//
// Tables (pwa/README.md):
//   entities  [entity+id], entity, [entity+storeId]
//             {entity, id, data, clock, pending, storeId?, …}: pulled server state, plus optimistic
//             local records (`pending: true`, with `mutationId`, the local `patch` and the server's
//             version in `base`) until the server's version arrives. Ids are strings (as pull sends).
//   outbox    id (= mutation id), status
//             {id, name, args, hlc, status: 'pending' | 'rejected', error, createdAt, label}
//   photos    id, status
//             {id, blob, sha256, size, offset, status: 'pending' | 'uploaded' | 'failed', createdAt}
//   meta      key  {key, value}: clientId, nextMutationId, lastHlc, cursor, lastMutationId, session, …
//   drafts    visitId  {visitId, data, updatedAt} (version 2): what the rep typed in a visit and did
//             not record yet (db/drafts.js); never synced, dropped at check-out and on sign-out
import Dexie from 'dexie';

export const DB_NAME = 'fieldsales';

/** A (not yet opened) Dexie database with the app's schema; `name` is for tests. */
export function createDb(name = DB_NAME, options = {}) {
  const db = new Dexie(name, options);
  db.version(1).stores({
    entities: '[entity+id], entity, [entity+storeId]',
    outbox: 'id, status',
    photos: 'id, status',
    meta: 'key',
  });
  // Version 2 adds the visits' drafts; the other tables are unchanged (no upgrade function).
  db.version(2).stores({ drafts: 'visitId' });
  return db;
}

/** The app's database. */
export const db = createDb();

/** `meta[key]`, or `fallback` when unset. Works inside a transaction that includes `meta`. */
export async function getMeta(database, key, fallback = undefined) {
  const row = await database.meta.get(key);
  return row === undefined ? fallback : row.value;
}

/** Set `meta[key]` (undefined deletes it). */
export async function setMeta(database, key, value) {
  if (value === undefined) await database.meta.delete(key);
  else await database.meta.put({ key, value });
}

/** A random UUID (v4), from WebCrypto where available. */
export function randomUUID() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** This installation's client id (the node of its HLCs), created once and kept in `meta.clientId`. */
export async function ensureClientId(database = db, makeId = randomUUID) {
  return database.transaction('rw', database.meta, async () => {
    let id = await getMeta(database, 'clientId');
    if (!id) {
      id = makeId();
      await setMeta(database, 'clientId', id);
      if ((await getMeta(database, 'nextMutationId')) === undefined) await setMeta(database, 'nextMutationId', 1);
    }
    return id;
  });
}

// --- session ------------------------------------------------------------------------------------

/** The stored login `{token, expires_at, user}` or null. */
export async function loadSession(database = db) {
  return (await getMeta(database, 'session')) ?? null;
}

/**
 * Keep the login `{token, expires_at, user}` (as `api.login` answers). When another user than the
 * one this device's client id belongs to logs in, the device starts over as a new client
 * (SPEC.md §I.2: a client id is bound to one user): new client id and mutation counter, and the
 * previous user's outbox, photos and pulled data are dropped. Check `syncCounts()` first and warn
 * before letting another user log in over unsent work. Resolves to true when it started over.
 */
export async function saveSession(session, database = db, makeId = randomUUID) {
  const tables = [database.meta, database.entities, database.outbox, database.photos, database.drafts];
  return database.transaction('rw', tables, async () => {
    const userId = session?.user?.id ?? null;
    const owner = await getMeta(database, 'clientUserId');
    let restarted = false;
    if (owner !== undefined && owner !== null && userId !== null && owner !== userId) {
      await Promise.all([
        database.entities.clear(),
        database.outbox.clear(),
        database.photos.clear(),
        database.drafts.clear(),
      ]);
      for (const key of ['cursor', 'lastMutationId', 'sweep', 'conflicts', 'lostMutations', 'lastPulledAt'])
        await setMeta(database, key, undefined);
      await setMeta(database, 'clientId', makeId());
      await setMeta(database, 'nextMutationId', 1);
      restarted = true;
    } else if (!(await getMeta(database, 'clientId'))) {
      await setMeta(database, 'clientId', makeId());
      await setMeta(database, 'nextMutationId', 1);
    }
    if (userId !== null) await setMeta(database, 'clientUserId', userId);
    await setMeta(database, 'session', session);
    return restarted;
  });
}

/** Forget the login only (the outbox and data stay). Signing out removes everything instead:
 * db/wipe.js `wipeLocalData`. */
export async function clearSession(database = db) {
  await setMeta(database, 'session', undefined);
}
