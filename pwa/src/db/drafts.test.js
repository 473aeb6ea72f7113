import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, saveSession } from './index.js';
import { dropDraft, loadDraft, mergeDraft, saveDraft } from './drafts.js';
import { createActions, VisitOpenError } from './actions.js';
import { wipeLocalData } from './wipe.js';

describe('mergeDraft', () => {
  it('merges fields into their section, drops null sections, undefined fields and empty sections', () => {
    const a = mergeDraft({}, { display: { answers: { 1: true } } });
    expect(a).toEqual({ display: { answers: { 1: true } } });
    const b = mergeDraft(a, { display: { notes: 'x' }, finish: { notes: 'n' } });
    expect(b).toEqual({ display: { answers: { 1: true }, notes: 'x' }, finish: { notes: 'n' } });
    expect(a).toEqual({ display: { answers: { 1: true } } }); // pure
    expect(mergeDraft(b, { display: null })).toEqual({ finish: { notes: 'n' } });
    expect(mergeDraft(b, { finish: { notes: undefined } })).toEqual({ display: b.display });
    expect(mergeDraft(null, null)).toEqual({});
  });
});

let n = 0;
let db;
let clock;
let uuids;
const POS = { latitude: 23.13, longitude: 113.33, accuracy: 10 };

beforeEach(async () => {
  db = createDb(`drafts-test-${++n}`);
  clock = Date.UTC(2026, 11, 4, 2, 0, 0);
  uuids = 0;
  for (const [id, name] of [
    ['12', '天河店'],
    ['13', '体育西店'],
  ])
    await db.entities.put({ entity: 'store', id, data: { id: Number(id), name }, pending: false, storeId: id });
});
afterEach(() => db.close());

const actions = () =>
  createActions({ db, now: () => clock, uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}` });

describe('drafts in IndexedDB', () => {
  it('survive a new connection (a reload), are dropped by recording and by check-out', async () => {
    const a = actions();
    const visitId = await a.checkIn({ storeId: 12, position: POS });
    await saveDraft(db, visitId, { display: { answers: { 4: true, 5: '2' } } });
    await saveDraft(db, visitId, { finish: { notes: '店长不在' } });
    db.close();
    db = createDb(db.name); // the page reloaded
    expect(await loadDraft(db, visitId)).toEqual({
      display: { answers: { 4: true, 5: '2' } },
      finish: { notes: '店长不在' },
    });
    const b = actions();
    await b.recordDisplayCheck({ visitId, answers: { 4: true, 5: 2 } });
    expect(await loadDraft(db, visitId)).toEqual({ finish: { notes: '店长不在' } });
    await b.checkOut(visitId, {});
    expect(await loadDraft(db, visitId)).toEqual({});
    expect(await db.drafts.count()).toBe(0);
    await saveDraft(db, 'v2', { finish: { notes: 'x' } });
    await dropDraft(db, 'v2');
    expect(await db.drafts.count()).toBe(0);
  });

  it('are wiped on sign-out and when another user signs in', async () => {
    await saveSession({ token: 't', user: { id: 1 } }, db);
    await saveDraft(db, 'v1', { display: { notes: 'x' } });
    await saveSession({ token: 't2', user: { id: 2 } }, db);
    expect(await db.drafts.count()).toBe(0);
    await saveDraft(db, 'v1', { display: { notes: 'y' } });
    const report = await wipeLocalData({ db, caches: null, localStorage: null, sessionStorage: null });
    expect(report.databases[db.name]).toBe('deleted');
    db = createDb(db.name);
    expect(await db.drafts.count()).toBe(0);
  });
});

describe('one open visit at a time', () => {
  it('checkIn is refused while a visit is open at any store, and allowed after check-out', async () => {
    const a = actions();
    const first = await a.checkIn({ storeId: 12, position: POS });
    const refused = await a.checkIn({ storeId: 13, position: POS }).catch((e) => e);
    expect(refused).toBeInstanceOf(VisitOpenError);
    expect(refused).toMatchObject({ code: 'visit_open_elsewhere', storeId: 12, visitId: first });
    await expect(a.checkIn({ storeId: 12, position: POS })).rejects.toBeInstanceOf(VisitOpenError);
    expect((await db.outbox.toArray()).map((r) => r.name)).toEqual(['visit.check_in']); // nothing written
    await a.checkOut(first, {});
    expect(await a.checkIn({ storeId: 13, position: POS })).toMatch(/^00000000-/);
  });

  it('a visit left open over 16 hours (a forgotten check-out) no longer blocks', async () => {
    const a = actions();
    await a.checkIn({ storeId: 12, position: POS });
    clock += 17 * 3600 * 1000;
    expect(await a.checkIn({ storeId: 13, position: POS })).toMatch(/^00000000-/);
  });
});
