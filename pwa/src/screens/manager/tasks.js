// Tasks for reps on the desk (issue 18), the pure part: the assign form's rules (a manager's one
// store, HQ's campaign over a region and tier), the request bodies, the campaign list's progress.
// The same checks as the server's (backend/tasks/schemas.py, service.py) so the form says what is
// wrong at the field before sending; the server's refusals land at the field too (`fieldOf`).

export const KINDS = ['display', 'material', 'price', 'training', 'other'];
/** The list's status filters, overdue first (what a manager looks at first). */
export const STATUSES = ['overdue', 'open', 'done', 'cancelled'];
export const TIERS = ['A', 'B', 'C'];
export const MAX_TITLE = 120;
export const MAX_NOTE = 500;
export const MAX_CAMPAIGN = 64;

/** Whether a kind's task needs a photo unless the assigner says otherwise (the server's default). */
export const needsPhotoDefault = (kind) => kind === 'display';

/** What a kind's task names: a training topic, a promo material, a model to price, or nothing. */
export function refOf(kind) {
  return { training: 'topic', material: 'material', price: 'model' }[kind] ?? null;
}

/** A new form: `today` the business day (the default due day is in a week). */
export function emptyForm(today, { kind = 'display' } = {}) {
  return {
    kind,
    storeId: null,
    storeName: '',
    storeTerritoryId: null,
    title: '',
    titleEdited: false,
    note: '',
    dueOn: addDays(today, 7),
    needsPhoto: needsPhotoDefault(kind),
    assigneeId: null,
    topicId: null,
    materialId: null,
    model: '', // 'p:<product id>' | 'c:<competitor model id>'
    campaign: '',
    regionId: null,
    tier: '',
  };
}

/**
 * The form after `patch`: a new kind resets its photo default and reference; the title follows
 * the kind and the reference (`titleFor(kind, refName)`) until the user edits it.
 */
export function updateForm(form, patch, titleFor) {
  const next = { ...form, ...patch };
  if ('kind' in patch && patch.kind !== form.kind) {
    next.needsPhoto = needsPhotoDefault(patch.kind);
    next.topicId = null;
    next.materialId = null;
    next.model = '';
  }
  if ('title' in patch) next.titleEdited = patch.title.trim() !== '';
  else if (!next.titleEdited && titleFor) next.title = titleFor(next);
  return next;
}

/** `day` plus `n` days ('YYYY-MM-DD'). */
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** A real calendar day 'YYYY-MM-DD' (not 2026-02-30). */
function isDay(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(s ?? ''))) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * What is wrong with the form, `{field: i18n key}` (empty: it can be sent). `batch`: HQ's (or a
 * manager's) campaign — a campaign name instead of one store. `today`: the business day.
 */
export function formProblems(form, today, { batch = false } = {}) {
  const p = {};
  if (batch) {
    const c = String(form.campaign ?? '').trim();
    if (!c) p.campaign = 'tasks.problem.campaign';
    else if (c.length > MAX_CAMPAIGN) p.campaign = 'tasks.problem.campaignLong';
  } else if (form.storeId == null) p.store_id = 'tasks.problem.store';
  if (!KINDS.includes(form.kind)) p.kind = 'tasks.problem.kind';
  const title = String(form.title ?? '').trim();
  if (!title) p.title = 'tasks.problem.title';
  else if (title.length > MAX_TITLE) p.title = 'tasks.problem.titleLong';
  if (String(form.note ?? '').length > MAX_NOTE) p.note = 'tasks.problem.noteLong';
  if (!isDay(form.dueOn)) p.due_on = 'tasks.problem.due';
  else if (form.dueOn < today) p.due_on = 'tasks.problem.duePast';
  const ref = refOf(form.kind);
  if (ref === 'topic' && form.topicId == null) p.topic_id = 'tasks.problem.topic';
  if (ref === 'material' && form.materialId == null) p.material_id = 'tasks.problem.material';
  if (ref === 'model' && !/^[pc]:\d+$/.test(form.model || '')) p.product_id = 'tasks.problem.model';
  return p;
}

/** The fields every task body has (POST /tasks and /tasks/batch). */
function common(form) {
  const body = {
    kind: form.kind,
    title: form.title.trim(),
    note: String(form.note ?? '').trim(),
    due_on: form.dueOn,
    needs_photo: Boolean(form.needsPhoto),
  };
  const ref = refOf(form.kind);
  if (ref === 'topic') body.topic_id = Number(form.topicId);
  if (ref === 'material') body.material_id = Number(form.materialId);
  if (ref === 'model') {
    const [side, id] = form.model.split(':');
    body[side === 'p' ? 'product_id' : 'competitor_model_id'] = Number(id);
  }
  return body;
}

/** POST /tasks's body: one store; `id` a client UUID (a resend after a lost answer makes no second task). */
export function taskBody(form, id) {
  const body = { id, store_id: Number(form.storeId), ...common(form) };
  if (form.assigneeId != null) body.assignee_id = Number(form.assigneeId);
  return body;
}

/** POST /tasks/batch's body: a campaign over the stores of a region and tier (each optional). */
export function batchBody(form) {
  const filter = {};
  if (form.regionId != null) filter.region_id = Number(form.regionId);
  if (form.tier) filter.tier = form.tier;
  return { campaign: form.campaign.trim(), filter, ...common(form) };
}

/** The form field a server refusal is about (its `params.field`, or the reason's), or null. */
export function fieldOf(err) {
  const field = err?.params?.field ?? null;
  if (field) return field === 'competitor_model_id' ? 'product_id' : field;
  if (err?.reason === 'task.assignee_not_covering') return 'assignee_id';
  if (err?.reason === 'task.due_in_past') return 'due_on';
  if (err?.reason === 'task.one_price_target') return 'product_id';
  return null;
}

/**
 * HQ's campaigns from the tasks that have one: `[{campaign, total, open, overdue, done, cancelled,
 * stores, createdAt}]`, the newest first. `overdue` ⊂ `open` (as GET /tasks/summary counts).
 */
export function campaignsOf(tasks) {
  const by = new Map();
  for (const task of tasks || []) {
    if (!task?.campaign) continue;
    let c = by.get(task.campaign);
    if (!c) {
      c = {
        campaign: task.campaign,
        total: 0,
        open: 0,
        overdue: 0,
        done: 0,
        cancelled: 0,
        stores: new Set(),
        createdAt: '',
      };
      by.set(task.campaign, c);
    }
    c.total += 1;
    c.stores.add(task.store_id);
    if (task.status === 'open') c.open += 1;
    if (task.status === 'open' && task.overdue) c.overdue += 1;
    if (task.status === 'done') c.done += 1;
    if (task.status === 'cancelled') c.cancelled += 1;
    if (String(task.created_at ?? '') > c.createdAt) c.createdAt = String(task.created_at);
  }
  return [...by.values()]
    .map((c) => ({ ...c, stores: c.stores.size }))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.campaign.localeCompare(b.campaign));
}

/** Done share of the tasks not cancelled, 0..1 (null: none). */
export function progressOf({ done = 0, open = 0 } = {}) {
  const n = done + open;
  return n ? done / n : null;
}
