// The desk's task form and campaign list (screens/manager/tasks.js): the server's checks at the
// field, the request bodies, the kind's defaults and prefilled title, the campaigns' progress.
import { describe, expect, it } from 'vitest';
import {
  batchBody,
  campaignsOf,
  emptyForm,
  fieldOf,
  formProblems,
  progressOf,
  refOf,
  taskBody,
  updateForm,
} from './tasks.js';

const TODAY = '2026-11-23';
const titleFor = (f) => `title:${f.kind}:${f.materialId ?? ''}`;

describe('the assign form', () => {
  it('starts on a display task due in a week, with a photo', () => {
    const f = emptyForm(TODAY);
    expect(f).toMatchObject({ kind: 'display', dueOn: '2026-11-30', needsPhoto: true, storeId: null });
  });

  it('follows the kind: photo default, reference reset, title prefilled until edited', () => {
    let f = updateForm(emptyForm(TODAY), {}, titleFor);
    expect(f.title).toBe('title:display:');
    f = updateForm(f, { kind: 'material' }, titleFor);
    expect(f).toMatchObject({ needsPhoto: false, title: 'title:material:' });
    f = updateForm(f, { materialId: 4 }, titleFor);
    expect(f.title).toBe('title:material:4');
    f = updateForm(f, { title: 'Posters for the 双11 window' }, titleFor);
    f = updateForm(f, { materialId: 5 }, titleFor);
    expect(f.title).toBe('Posters for the 双11 window'); // edited: kept
    f = updateForm(f, { kind: 'display' }, titleFor);
    expect(f).toMatchObject({ needsPhoto: true, materialId: null });
    f = updateForm(f, { title: '' }, titleFor); // emptied: prefilled again from now on
    f = updateForm(f, { kind: 'training' }, titleFor);
    expect(f.title).toBe('title:training:');
  });

  it('says at the field what the server would refuse', () => {
    const base = { ...emptyForm(TODAY), title: 'x', storeId: 12 };
    expect(formProblems(base, TODAY)).toEqual({});
    expect(formProblems({ ...base, storeId: null }, TODAY)).toHaveProperty('store_id');
    expect(formProblems({ ...base, title: '  ' }, TODAY)).toHaveProperty('title');
    expect(formProblems({ ...base, title: 'x'.repeat(121) }, TODAY)).toHaveProperty('title');
    expect(formProblems({ ...base, note: 'x'.repeat(501) }, TODAY)).toHaveProperty('note');
    expect(formProblems({ ...base, dueOn: '2026-11-22' }, TODAY).due_on).toBe('tasks.problem.duePast');
    expect(formProblems({ ...base, dueOn: TODAY }, TODAY)).toEqual({});
    expect(formProblems({ ...base, dueOn: '2026-02-30' }, TODAY).due_on).toBe('tasks.problem.due');
    expect(formProblems({ ...base, kind: 'training' }, TODAY)).toHaveProperty('topic_id');
    expect(formProblems({ ...base, kind: 'material' }, TODAY)).toHaveProperty('material_id');
    expect(formProblems({ ...base, kind: 'price' }, TODAY)).toHaveProperty('product_id');
    expect(formProblems({ ...base, kind: 'price', model: 'c:7' }, TODAY)).toEqual({});
    const batch = { ...base, storeId: null };
    expect(formProblems(batch, TODAY, { batch: true })).toEqual({ campaign: 'tasks.problem.campaign' });
    expect(formProblems({ ...batch, campaign: 'c'.repeat(65) }, TODAY, { batch: true })).toHaveProperty('campaign');
    expect(formProblems({ ...batch, campaign: '双11 陈列' }, TODAY, { batch: true })).toEqual({});
  });

  it('builds POST /tasks with the kind’s one reference, the assignee when named', () => {
    const f = {
      ...emptyForm(TODAY),
      storeId: '12',
      title: ' 检查价格 ',
      kind: 'price',
      model: 'p:3',
      needsPhoto: false,
    };
    expect(taskBody(f, 'u-1')).toEqual({
      id: 'u-1',
      store_id: 12,
      kind: 'price',
      title: '检查价格',
      note: '',
      due_on: '2026-11-30',
      needs_photo: false,
      product_id: 3,
    });
    expect(taskBody({ ...f, model: 'c:7', assigneeId: 5 }, 'u-2')).toMatchObject({
      competitor_model_id: 7,
      assignee_id: 5,
    });
    expect(taskBody({ ...f, kind: 'training', topicId: 4 }, 'u-3')).toMatchObject({ topic_id: 4 });
    expect(taskBody({ ...f, kind: 'training', topicId: 4 }, 'u-3')).not.toHaveProperty('product_id');
  });

  it('builds POST /tasks/batch over a region and tier (each optional)', () => {
    const f = { ...emptyForm(TODAY), campaign: ' 双11 ', title: '整改陈列', regionId: 2, tier: 'A' };
    expect(batchBody(f)).toEqual({
      campaign: '双11',
      filter: { region_id: 2, tier: 'A' },
      kind: 'display',
      title: '整改陈列',
      note: '',
      due_on: '2026-11-30',
      needs_photo: true,
    });
    expect(batchBody({ ...f, regionId: null, tier: '' }).filter).toEqual({});
  });

  it('puts a server refusal at its field', () => {
    expect(fieldOf({ reason: 'task.reference_required', params: { field: 'topic_id', kind: 'training' } })).toBe(
      'topic_id',
    );
    expect(fieldOf({ reason: 'task.assignee_not_covering', params: {} })).toBe('assignee_id');
    expect(fieldOf({ reason: 'task.due_in_past', params: { due_on: '2026-11-01', today: TODAY } })).toBe('due_on');
    expect(fieldOf({ reason: 'task.no_stores', params: {} })).toBeNull();
    expect(fieldOf(null)).toBeNull();
    expect(refOf('price')).toBe('model');
    expect(refOf('other')).toBeNull();
  });
});

describe('campaigns', () => {
  it('groups the tasks by campaign with their progress, newest first', () => {
    const rows = campaignsOf([
      { campaign: 'A', store_id: 1, status: 'open', overdue: true, created_at: '2026-11-01T00:00:00Z' },
      { campaign: 'A', store_id: 2, status: 'done', created_at: '2026-11-01T00:00:00Z' },
      { campaign: 'A', store_id: 3, status: 'cancelled', created_at: '2026-11-01T00:00:00Z' },
      { campaign: 'B', store_id: 1, status: 'open', overdue: false, created_at: '2026-11-20T00:00:00Z' },
      { campaign: null, store_id: 9, status: 'open' },
    ]);
    expect(rows.map((c) => c.campaign)).toEqual(['B', 'A']);
    expect(rows[1]).toMatchObject({ total: 3, open: 1, overdue: 1, done: 1, cancelled: 1, stores: 3 });
    expect(progressOf(rows[1])).toBe(0.5); // cancelled ones do not count
    expect(progressOf({ done: 0, open: 0 })).toBeNull();
  });
});
