// Tasks for reps on the phone (issue 18): a manager or HQ assigns a task to a store (fix the
// display, deliver posters, check a price, train the promoters on a topic) with a due date and
// whether it needs a photo; it reaches the phone by sync (entity `task`, stored like every pulled
// record in `entities`, indexed by its store through `[entity+storeId]`) and the rep completes it
// at a visit, offline: `task.complete` (SPEC.md §I.3.1) is queued with a completion id (the
// server's idempotency key) and the task shows done at once (the overlay, db/overlay.js).
//
// Overdue is not stored: an open task whose due day is before today on the business calendar
// (zone.js businessToday: the server's business day, whatever zone the phone is set to). The pure rules below are what Today, the store
// screen, the visit's task step (screens/rep/steps/TaskStep.js) and the action share.
import { businessToday } from '../warranty/zone.js';

/** The kinds of task (backend/tasks/models.py TaskKind). */
export const KINDS = ['display', 'material', 'price', 'training', 'other'];
/** A completion's note (the contract: ≤ 300 characters). */
export const MAX_NOTE = 300;
/** A completion's photos (backend/tasks/schemas.py MAX_COMPLETION_PHOTOS). */
export const MAX_PHOTOS = 10;
/** Today lists the open tasks due within this many days (and every overdue one). */
export const DUE_SOON_DAYS = 7;

/**
 * A completion the server would refuse, refused on the phone before anything is queued: `reason`
 * is the server's code (backend/core/reasons.py `task.*`), so the screen says it in the UI
 * language (i18n reasonText, `err.<reason>`). A TypeError like the other refused arguments.
 */
export class TaskError extends TypeError {
  constructor(reason, params = {}, message = reason) {
    super(message);
    this.name = 'TaskError';
    this.reason = reason;
    this.params = params;
  }
}

/** 'YYYY-MM-DD' of a due date as pulled (a date, or an ISO datetime). */
const dayOf = (v) => String(v ?? '').slice(0, 10);

/** `day` plus `n` days, 'YYYY-MM-DD' (calendar arithmetic on a day's UTC midnight: no time zone
 * involved, the same in every zone the phone may be set to — not "the UTC day of an instant"). */
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Whether a task is open. */
export const isOpen = (task) => Boolean(task) && (task.status ?? 'open') === 'open';

/** Whether a task is open and its due day is before `today`. */
export function isOverdue(task, today) {
  return isOpen(task) && Boolean(task.due_on) && dayOf(task.due_on) < today;
}

/** Open tasks, overdue first, then by due day, then by title; each with `overdue`. */
export function sortOpen(tasks, today) {
  return (tasks || [])
    .filter(isOpen)
    .map((task) => ({ ...task, overdue: isOverdue(task, today) }))
    .sort(
      (a, b) =>
        Number(b.overdue) - Number(a.overdue) ||
        dayOf(a.due_on).localeCompare(dayOf(b.due_on)) ||
        String(a.title ?? '').localeCompare(String(b.title ?? ''), 'zh-CN') ||
        String(a.id).localeCompare(String(b.id)),
    );
}

/**
 * The open tasks Today shows: the overdue ones and those due within `days` of `today`, in
 * sortOpen's order. A task assigned to another rep by name is left out (`userId`: the rep's id;
 * a task without an assignee is any covering rep's).
 */
export function dueSoon(tasks, today, { days = DUE_SOON_DAYS, userId = null } = {}) {
  const until = addDays(today, days);
  return sortOpen(tasks, today).filter(
    (task) =>
      dayOf(task.due_on) <= until &&
      (userId == null || task.assignee_id == null || String(task.assignee_id) === String(userId)),
  );
}

/** The tasks a visit shows: the store's open ones, then those completed at this visit. */
export function tasksOfVisit(tasks, visitId, today) {
  const done = (tasks || [])
    .filter(
      (task) => task.status === 'done' && task.done_visit_id != null && String(task.done_visit_id) === String(visitId),
    )
    .sort((a, b) => String(a.done_at ?? '').localeCompare(String(b.done_at ?? '')));
  return { open: sortOpen(tasks, today), done };
}

/**
 * Why the server would refuse completing `task` with `photoIds`, as `{reason, params}`, or null:
 * not on the phone (`task.not_found`), cancelled (`task.cancelled`), done already
 * (`task.already_done`), a photo needed and none given (`task.photo_required`).
 */
export function completionProblem(task, photoIds = [], taskId = null) {
  if (!task) return { reason: 'task.not_found', params: { task_id: taskId } };
  if (task.status === 'cancelled')
    return { reason: 'task.cancelled', params: { task_id: task.id, cancelled_at: task.cancelled_at ?? '' } };
  if (task.status === 'done')
    return {
      reason: 'task.already_done',
      params: { task_id: task.id, done_at: task.done_at ?? '', done_by_name: task.done_by_name ?? '' },
    };
  if (task.needs_photo && !(photoIds || []).length)
    return { reason: 'task.photo_required', params: { task_id: task.id } };
  return null;
}

// --- reads ----------------------------------------------------------------------------------------

const live = (rows) =>
  rows.filter((r) => !r.deleted && r.data).map((r) => ({ ...r.data, pending: Boolean(r.pending) }));

/** Every task on the phone (pulled, with local completions on top), `pending` when not synced. */
export async function allTasks(db) {
  return live(await db.entities.where('entity').equals('task').toArray());
}

/** The tasks of one store on the phone. */
export async function tasksOfStore(db, storeId) {
  return live(
    await db.entities
      .where('[entity+storeId]')
      .equals(['task', String(storeId)])
      .toArray(),
  );
}

/** A task on the phone, or null. */
export async function taskById(db, id) {
  const row = await db.entities.get(['task', String(id)]);
  return row && !row.deleted && row.data ? { ...row.data, pending: Boolean(row.pending) } : null;
}

// --- the action -----------------------------------------------------------------------------------

const isoOf = (ms) => new Date(ms).toISOString();

/** The task actions over `db` (db/actions.js createActions adds them to its own). */
export function createTaskActions({ db, now, uuid, enqueue }) {
  /**
   * Mark task `taskId` done (`task.complete`), at visit `visitId` (optional), with `note` (≤ 300)
   * and `photoIds` (photos kept with addPhoto; they upload in their own lane, maybe later).
   * Refused before queueing (TaskError) for what the server would refuse. The completion id is
   * new each time: the server applies a resend of the same one once. → the completion id.
   */
  async function completeTask({ taskId, visitId, note, photoIds } = {}) {
    if (taskId === undefined || taskId === null || taskId === '') throw new TypeError('taskId is required');
    const text = String(note ?? '').trim();
    if (text.length > MAX_NOTE) throw new TypeError(`note: at most ${MAX_NOTE} characters`);
    const photos = Array.isArray(photoIds) ? photoIds.map(String) : [];
    if (photos.length > MAX_PHOTOS) throw new TypeError(`at most ${MAX_PHOTOS} photos`);
    const task = await taskById(db, taskId);
    const problem = completionProblem(task, photos, String(taskId));
    if (problem)
      throw new TaskError(problem.reason, problem.params, `${problem.reason} ${JSON.stringify(problem.params)}`);
    const completionId = uuid();
    const args = {
      task_id: String(taskId),
      completion_id: completionId,
      visit_id: visitId !== undefined && visitId !== null && visitId !== '' ? String(visitId) : null,
      done_at: isoOf(now()),
      note: text,
      photo_ids: photos,
    };
    await enqueue('task.complete', args, task.title ?? '');
    return completionId;
  }

  return { completeTask };
}

/** Today on the business calendar at `ms` (for the screens). */
export const todayAt = (ms = Date.now()) => businessToday(ms);
