// The visit open on this phone (model.js openVisits): the user's own. A manager's phone holds the
// region's visits, and a rep's open visit there is not the manager's to continue.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.js';
import { openVisits } from './model.js';

let db;
let n = 0;
const ago = (minutes) => new Date(Date.now() - minutes * 60_000).toISOString();
const visit = (id, over) => ({
  entity: 'visit',
  id,
  data: { id, store_id: 12, rep_id: 5, checked_in_at: ago(30), checked_out_at: null, ...over },
  clock: null,
  pending: false,
  storeId: '12',
});

beforeEach(async () => {
  db = createDb(`open-visits-${++n}`);
  await db.entities.bulkPut([
    visit('reps', { rep_id: 5, checked_in_at: ago(10) }),
    visit('managers', { rep_id: 2, checked_in_at: ago(40) }),
    visit('done', { rep_id: 2, checked_out_at: ago(5) }),
    visit('stale', { rep_id: 2, checked_in_at: ago(20 * 60) }),
  ]);
});

afterEach(() => db.close());

describe('openVisits', () => {
  it("gives a user only their own open visit, not a rep's on a manager's phone", async () => {
    expect((await openVisits(db, { repId: 2 })).map((v) => v.id)).toEqual(['managers']);
    expect((await openVisits(db, { repId: '5' })).map((v) => v.id)).toEqual(['reps']);
    expect(await openVisits(db, { repId: 9 })).toEqual([]);
  });

  it('without a user, every open visit of the last hours, newest first', async () => {
    expect((await openVisits(db)).map((v) => v.id)).toEqual(['reps', 'managers']);
  });

  it('counts a visit checked in on this phone before its rep is known', async () => {
    await db.entities.put(visit('local', { rep_id: null, checked_in_at: ago(1) }));
    expect((await openVisits(db, { repId: 2 })).map((v) => v.id)).toEqual(['local', 'managers']);
  });
});
