// Today's tasks (Today.js tasksDueIn): the rep's open tasks due within a week or overdue, read from
// the phone's database with each store's name, overdue first; not another rep's.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '../../db/index.js';
import { addDays, todayAt } from '../../db/tasks.js';
import { tasksDueIn } from './Today.js';

let db;
let n = 0;
const today = todayAt();
const row = (entity, id, data) => ({
  entity,
  id: String(id),
  data,
  clock: null,
  pending: false,
  storeId: String(data.store_id ?? data.id),
});
const task = (id, over) =>
  row('task', id, { id, store_id: 12, status: 'open', title: id, due_on: today, assignee_id: null, ...over });

beforeEach(async () => {
  db = createDb(`today-tasks-${++n}`);
  await db.entities.bulkPut([
    row('store', 12, { id: 12, name: '天河店' }),
    task('late', { due_on: addDays(today, -3) }),
    task('soon', { due_on: addDays(today, 2) }),
    task('far', { due_on: addDays(today, 30) }),
    task('done', { status: 'done' }),
    task('theirs', { assignee_id: 6 }),
    task('elsewhere', { store_id: 99 }),
  ]);
});

afterEach(() => db.close());

describe('tasksDueIn', () => {
  it("lists the rep's overdue and soon-due open tasks with the store's name", async () => {
    const items = await tasksDueIn(db, today, 5);
    expect(items.map((x) => x.task.id)).toEqual(['late', 'elsewhere', 'soon']);
    expect(items[0]).toMatchObject({ task: { overdue: true }, store: { name: '天河店' } });
    expect(items[1].store).toBeNull(); // a store not on the phone: shown by its number
  });

  it("shows a manager (no rep id) every rep's tasks", async () => {
    expect((await tasksDueIn(db, today, null)).map((x) => x.task.id)).toContain('theirs');
  });
});
