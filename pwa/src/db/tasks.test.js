// Tasks on the phone (db/tasks.js): what Today, the store and the visit list, what the server
// would refuse, and `task.complete` — queued offline, the task done at once, the server's state
// back after a refusal.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, saveSession } from './index.js';
import { createActions } from './actions.js';
import { applyPullPage, applyPushResult } from './replica.js';
import {
  addDays,
  allTasks,
  completionProblem,
  dueSoon,
  isOverdue,
  sortOpen,
  TaskError,
  tasksOfStore,
  tasksOfVisit,
} from './tasks.js';

const TODAY = '2026-11-23';
const task = (over) => ({
  id: '7a4d2f6e-0000-4000-8000-000000000001',
  store_id: 12,
  assignee_id: null,
  kind: 'display',
  title: '整理 P30 展台',
  note: '',
  due_on: TODAY,
  needs_photo: true,
  campaign: null,
  status: 'open',
  done_at: null,
  done_by: null,
  done_visit_id: null,
  photo_ids: [],
  ...over,
});

describe('the rules', () => {
  it('adds calendar days across months and years', () => {
    expect(addDays('2026-11-30', 1)).toBe('2026-12-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('calls an open task overdue the day after its due day, never a done or cancelled one', () => {
    expect(isOverdue(task({ due_on: '2026-11-22' }), TODAY)).toBe(true);
    expect(isOverdue(task({ due_on: TODAY }), TODAY)).toBe(false);
    expect(isOverdue(task({ due_on: '2026-11-22', status: 'done' }), TODAY)).toBe(false);
    expect(isOverdue(task({ due_on: '2026-11-22', status: 'cancelled' }), TODAY)).toBe(false);
  });

  it('lists open tasks overdue first, then by due day', () => {
    const list = sortOpen(
      [
        task({ id: 'a', due_on: '2026-11-25' }),
        task({ id: 'b', due_on: '2026-11-20' }),
        task({ id: 'c', due_on: '2026-11-24', status: 'done' }),
        task({ id: 'd', due_on: TODAY }),
        task({ id: 'e', due_on: '2026-11-22' }),
      ],
      TODAY,
    );
    expect(list.map((x) => [x.id, x.overdue])).toEqual([
      ['b', true],
      ['e', true],
      ['d', false],
      ['a', false],
    ]);
  });

  it('keeps the order for any tasks: overdue ones first, due days ascending within each', () => {
    let seed = 7; // a small LCG: the same 300 random lists every run
    const rand = (k) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    for (let round = 0; round < 300; round++) {
      const rows = Array.from({ length: rand(12) }, (_, i) =>
        task({ id: String(i), due_on: addDays(TODAY, rand(41) - 20), status: ['open', 'done', 'cancelled'][rand(3)] }),
      );
      const list = sortOpen(rows, TODAY);
      expect(list.length).toBe(rows.filter((r) => r.status === 'open').length);
      for (let i = 1; i < list.length; i++) {
        const [a, b] = [list[i - 1], list[i]];
        expect(Number(a.overdue) >= Number(b.overdue)).toBe(true);
        if (a.overdue === b.overdue) expect(a.due_on <= b.due_on).toBe(true);
      }
    }
  });

  it("shows on Today the overdue and the soon-due tasks, not another rep's", () => {
    const list = dueSoon(
      [
        task({ id: 'late', due_on: '2026-10-01' }),
        task({ id: 'soon', due_on: addDays(TODAY, 7) }),
        task({ id: 'later', due_on: addDays(TODAY, 8) }),
        task({ id: 'mine', due_on: TODAY, assignee_id: 5 }),
        task({ id: 'theirs', due_on: TODAY, assignee_id: 6 }),
      ],
      TODAY,
      { userId: 5 },
    );
    expect(list.map((x) => x.id)).toEqual(['late', 'mine', 'soon']);
  });

  it("lists at a visit the store's open tasks and those done at this visit", () => {
    const { open, done } = tasksOfVisit(
      [
        task({ id: 'o' }),
        task({ id: 'here', status: 'done', done_visit_id: 'v1', done_at: '2026-11-23T02:00:00Z' }),
        task({ id: 'before', status: 'done', done_visit_id: 'v0' }),
      ],
      'v1',
      TODAY,
    );
    expect(open.map((x) => x.id)).toEqual(['o']);
    expect(done.map((x) => x.id)).toEqual(['here']);
  });

  it('refuses what the server would: unknown, cancelled, done, a photo missing', () => {
    expect(completionProblem(null, [], 'x').reason).toBe('task.not_found');
    expect(completionProblem(task({ status: 'cancelled' })).reason).toBe('task.cancelled');
    expect(completionProblem(task({ status: 'done' })).reason).toBe('task.already_done');
    expect(completionProblem(task(), []).reason).toBe('task.photo_required');
    expect(completionProblem(task(), ['p1'])).toBeNull();
    expect(completionProblem(task({ needs_photo: false }), [])).toBeNull();
  });
});

let n = 0;
let db;
let clock;
let uuids;

const actions = () =>
  createActions({
    db,
    now: () => clock,
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
    resizeImage: async (b) => b,
  });

const put = (data) => ({ entity: 'task', id: data.id, op: 'put', data, clock: null });
const page = (changes, over = {}) => ({ changes, cursor: `c-${++n}`, has_more: false, last_mutation_id: 0, ...over });

beforeEach(async () => {
  db = createDb(`tasks-test-${++n}`);
  clock = Date.UTC(2026, 10, 23, 3, 0, 0);
  uuids = 0;
  await saveSession({ token: 't', expires_at: '2026-12-01T00:00:00Z', user: { id: 5, role: 'rep' } }, db);
  await applyPullPage(db, page([put(task()), put(task({ id: 'other-store', store_id: 13, needs_photo: false }))]), {
    fromScratch: true,
  });
});

afterEach(() => db.close());

describe('completeTask', () => {
  it('stores the pulled tasks by store', async () => {
    expect((await tasksOfStore(db, 12)).map((x) => x.id)).toEqual([task().id]);
    expect((await allTasks(db)).length).toBe(2);
  });

  it('queues task.complete with the server args and shows the task done at once, offline', async () => {
    const a = actions();
    const photo = await a.addPhoto(new Blob(['jpeg bytes'], { type: 'image/jpeg' }));
    const completion = await a.completeTask({
      taskId: task().id,
      visitId: 'visit-1',
      note: ' 已整理 ',
      photoIds: [photo],
    });
    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({
      name: 'task.complete',
      status: 'pending',
      label: '整理 P30 展台',
      args: {
        task_id: task().id,
        completion_id: completion,
        visit_id: 'visit-1',
        done_at: '2026-11-23T03:00:00.000Z',
        note: '已整理',
        photo_ids: [photo],
      },
    });
    const [shown] = await tasksOfStore(db, 12);
    expect(shown).toMatchObject({
      status: 'done',
      done_by: 5,
      done_visit_id: 'visit-1',
      pending: true,
      photo_ids: [photo],
    });
    expect(tasksOfVisit([shown], 'visit-1', TODAY).done.length).toBe(1);
  });

  it('refuses before queueing: a photo needed, a task done or unknown', async () => {
    const a = actions();
    await expect(a.completeTask({ taskId: task().id, visitId: 'v' })).rejects.toMatchObject({
      name: 'TaskError',
      reason: 'task.photo_required',
    });
    await expect(a.completeTask({ taskId: 'nope' })).rejects.toBeInstanceOf(TaskError);
    await a.completeTask({ taskId: 'other-store', visitId: null });
    await expect(a.completeTask({ taskId: 'other-store' })).rejects.toMatchObject({ reason: 'task.already_done' });
    await expect(a.completeTask({ taskId: 'other-store', note: 'x'.repeat(301) })).rejects.toThrow(TypeError);
    const eleven = Array.from({ length: 11 }, (_, i) => `p${i}`);
    await expect(a.completeTask({ taskId: task().id, photoIds: eleven })).rejects.toThrow('at most 10 photos');
    expect(await db.outbox.count()).toBe(1);
  });

  it('after a refusal (cancelled meanwhile) shows the server state and keeps the reason in the outbox', async () => {
    const a = actions();
    await a.completeTask({ taskId: 'other-store' });
    const batch = await db.outbox.toArray();
    await applyPushResult(db, batch, {
      last_mutation_id: 1,
      results: [{ id: 1, status: 'rejected', error: { code: 'rejected', reason: 'task.cancelled', params: {} } }],
    });
    await applyPullPage(
      db,
      page([put(task({ id: 'other-store', store_id: 13, needs_photo: false, status: 'cancelled' }))], {
        last_mutation_id: 1,
      }),
    );
    const [shown] = await tasksOfStore(db, 13);
    expect(shown).toMatchObject({ status: 'cancelled', pending: false });
    const [row] = await db.outbox.toArray();
    expect(row).toMatchObject({ status: 'rejected', error: { reason: 'task.cancelled' } });
  });

  it('after the server applied it, the pulled done task replaces the local one', async () => {
    const a = actions();
    await a.completeTask({ taskId: 'other-store', visitId: 'v9' });
    await applyPushResult(db, await db.outbox.toArray(), {
      last_mutation_id: 1,
      results: [{ id: 1, status: 'applied' }],
    });
    const server = task({
      id: 'other-store',
      store_id: 13,
      needs_photo: false,
      status: 'done',
      done_by: 5,
      done_visit_id: 'v9',
      done_at: '2026-11-23T03:00:00Z',
    });
    await applyPullPage(db, page([put(server)], { last_mutation_id: 1 }));
    const [shown] = await tasksOfStore(db, 13);
    expect(shown).toMatchObject({ status: 'done', pending: false, done_at: '2026-11-23T03:00:00Z' });
    expect(await db.outbox.count()).toBe(0);
  });
});
