import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, getMeta, saveSession, setMeta } from './index.js';
import {
  deleteDatabase,
  ensureOpen,
  isApiUrl,
  isPrecache,
  onDeletedElsewhere,
  wipeCaches,
  wipeLocalData,
  wipeWebStorage,
} from './wipe.js';

let idb;
let db;
const opened = [];

function dexie(name = 'fieldsales') {
  const d = createDb(name, { indexedDB: idb, IDBKeyRange });
  opened.push(d);
  return d;
}

/** Names of the databases that exist, and the rows of each of their stores. */
async function contents() {
  const out = {};
  for (const { name } of await idb.databases()) {
    const raw = await new Promise((resolve, reject) => {
      const req = idb.open(name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    out[name] = {};
    for (const store of raw.objectStoreNames) {
      out[name][store] = await new Promise((resolve, reject) => {
        const req = raw.transaction(store).objectStore(store).count();
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    raw.close();
  }
  return out;
}

class MemoryStorage {
  constructor(entries = {}) {
    this.map = new Map(Object.entries(entries));
  }
  get length() {
    return this.map.size;
  }
  key(i) {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
  clear() {
    this.map.clear();
  }
}

/** A CacheStorage keeping `{name: [url, …]}`. */
function memoryCaches(initial) {
  const store = new Map(Object.entries(initial).map(([name, urls]) => [name, new Set(urls)]));
  return {
    store,
    keys: async () => [...store.keys()],
    delete: async (name) => store.delete(name),
    open: async (name) => {
      if (!store.has(name)) store.set(name, new Set());
      const urls = store.get(name);
      return {
        keys: async () => [...urls].map((url) => ({ url })),
        delete: async (req) => urls.delete(typeof req === 'string' ? req : req.url),
      };
    },
  };
}

beforeEach(async () => {
  idb = new IDBFactory();
  db = dexie();
  await saveSession({ token: 'secret-token', user: { id: 31, role: 'clerk', store_id: 12 } }, db, () => 'client-a');
  await db.entities.put({
    entity: 'warranty_card',
    id: 'c1',
    data: { buyer_phone: '13812345678', buyer_address: '天河路 208 号' },
  });
  await db.outbox.put({ id: 1, name: 'warranty.register', args: { buyer_phone: '13812345678' }, status: 'pending' });
  await db.photos.put({ id: 'p1', blob: new Uint8Array([1, 2, 3]), status: 'pending' });
  await setMeta(db, 'overlays', { c1: { buyer_name: '张三' } });
});

afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});

describe('wipeLocalData', () => {
  it('deletes the app database and every other database of the origin', async () => {
    const other = dexie('workbox-background-sync');
    await other.meta.put({ key: 'queued', value: 'a request with a token' });
    other.close();
    expect(Object.keys(await contents()).sort()).toEqual(['fieldsales', 'workbox-background-sync']);

    const report = await wipeLocalData({ db, indexedDB: idb, caches: null, localStorage: null, sessionStorage: null });
    expect(report).toMatchObject({
      ok: true,
      databases: { fieldsales: 'deleted', 'workbox-background-sync': 'deleted' },
      errors: [],
    });
    expect(await contents()).toEqual({});
  });

  it('leaves the database closed until ensureOpen, then empty', async () => {
    await wipeLocalData({ db, indexedDB: idb, caches: null, localStorage: null, sessionStorage: null });
    // A late write (a stopped sync engine's last answer) cannot bring the data back.
    await expect(db.entities.put({ entity: 'contact', id: 'x', data: {} })).rejects.toThrow(/closed/i);
    expect(await contents()).toEqual({});
    await ensureOpen(db);
    expect(await db.entities.count()).toBe(0);
    expect(await getMeta(db, 'session')).toBeUndefined();
    expect(await getMeta(db, 'clientUserId')).toBeUndefined();
  });

  it('empties the tables first, so a delete blocked by another connection leaves nothing to read', async () => {
    // Another tab's connection that ignores versionchange (not the app's: it closes).
    const raw = await new Promise((resolve) => {
      const req = idb.open('fieldsales');
      req.onsuccess = () => resolve(req.result);
    });
    const report = await wipeLocalData({
      db,
      indexedDB: idb,
      caches: null,
      localStorage: null,
      sessionStorage: null,
      timeoutMs: 50,
    });
    expect(report.ok).toBe(false);
    expect(report.databases.fieldsales).toBe('blocked');
    for (const store of ['entities', 'outbox', 'photos', 'meta']) {
      const count = await new Promise((resolve) => {
        const req = raw.transaction(store).objectStore(store).count();
        req.onsuccess = () => resolve(req.result);
      });
      expect(count, store).toBe(0);
    }
    // The delete completes as soon as that connection lets go.
    raw.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await contents()).toEqual({});
  });

  it("is not blocked by the app's other tabs: they close and learn that they are signed out", async () => {
    const tab = dexie(); // the same database opened by another tab
    await tab.entities.count();
    const seen = [];
    onDeletedElsewhere(tab, (event) => seen.push(event.newVersion));
    const report = await wipeLocalData({
      db,
      indexedDB: idb,
      caches: null,
      localStorage: null,
      sessionStorage: null,
      timeoutMs: 2000,
    });
    expect(report.databases.fieldsales).toBe('deleted');
    expect(seen).toEqual([null]);
    expect(await contents()).toEqual({});
  });

  it('removes the caches but the precache, the API answers from the precache, and the web storage but the language and the business zone', async () => {
    const caches = memoryCaches({
      'workbox-precache-v2-http://localhost/': ['http://localhost/index.html', 'http://localhost/api/v1/sync/pull'],
      'api-data': ['http://localhost/api/v1/warranty-cards'],
      photos: ['http://localhost/api/v1/photos/p1/file'],
    });
    const local = new MemoryStorage({
      'fieldsales.lang': 'en',
      'fs.businessTimezone': 'Asia/Shanghai',
      'fieldsales.token': 'secret',
      draft: '13812345678',
    });
    const session = new MemoryStorage({ anything: 'x' });
    const report = await wipeLocalData({ db, indexedDB: idb, caches, localStorage: local, sessionStorage: session });
    expect(report.ok).toBe(true);
    expect([...caches.store.keys()]).toEqual(['workbox-precache-v2-http://localhost/']);
    expect([...caches.store.get('workbox-precache-v2-http://localhost/')]).toEqual(['http://localhost/index.html']);
    expect([...local.map.entries()]).toEqual([
      ['fieldsales.lang', 'en'],
      ['fs.businessTimezone', 'Asia/Shanghai'],
    ]);
    expect(session.length).toBe(0);
    expect(report.storage.sort()).toEqual(['anything', 'draft', 'fieldsales.token']);
  });

  it('never rejects: a failing part is reported and the rest is still removed', async () => {
    const caches = { keys: async () => Promise.reject(new Error('no caches')) };
    const local = new MemoryStorage({ token: 'secret' });
    const report = await wipeLocalData({ db, indexedDB: idb, caches, localStorage: local, sessionStorage: null });
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.message)).toEqual(['no caches']);
    expect(local.length).toBe(0);
    expect(await contents()).toEqual({});
  });
});

describe('helpers', () => {
  it('tells the precache and API answers apart', () => {
    expect(isPrecache('workbox-precache-v2-https://example.com/')).toBe(true);
    expect(isPrecache('fieldsales-precache-v2-https://example.com/')).toBe(true);
    expect(isPrecache('workbox-runtime-https://example.com/')).toBe(false);
    expect(isPrecache('api-data')).toBe(false);
    expect(isApiUrl('https://example.com/api/v1/sync/pull?cursor=1')).toBe(true);
    expect(isApiUrl('/api/v1/auth/me')).toBe(true);
    expect(isApiUrl('https://example.com/assets/index.js')).toBe(false);
  });

  it('deleteDatabase resolves once the database is gone', async () => {
    db.close();
    await expect(deleteDatabase(idb, 'fieldsales')).resolves.toBe('deleted');
    await expect(deleteDatabase(idb, 'never-existed')).resolves.toBe('deleted');
    expect(await contents()).toEqual({});
  });

  it('wipeCaches and wipeWebStorage accept absent storages', async () => {
    expect(await wipeCaches(undefined)).toEqual([]);
    expect(wipeWebStorage(null, null)).toEqual([]);
  });
});
