// The training step's reading of the phone (loadTraining) and what it records from the draft.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb } from '../../../db/index.js';
import { lang, setLang } from '../../../i18n/index.js';
import { attendeesToRecord, firstToQuiz, loadTraining, refusedTopic, tickedPeople } from './TrainingStep.js';

const QUIZ = [
  { question: 'a', choices: ['x', 'y'], answer: 1 },
  { question: 'b', choices: ['x', 'y'], answer: 0 },
  { question: 'c', choices: ['x', 'y', 'z'], answer: 2 },
];

let n = 0;
let db;
const row = (entity, id, data, extra = {}) => ({ entity, id: String(id), data, clock: {}, pending: false, ...extra });

beforeEach(async () => {
  db = createDb(`training-step-test-${++n}`);
  await db.entities.bulkPut([
    row('training_topic', 4, { id: 4, title: 'P30', quiz: QUIZ, active: true }),
    row('contact', 'c1', { id: 'c1', store_id: 12, name: '李娜', role: 'promoter' }, { storeId: '12' }),
    row('contact', 'c2', { id: 'c2', store_id: 12, name: '小张', role: 'promoter' }, { storeId: '12', pending: true }),
    row(
      'contact',
      'c3',
      { id: 'c3', store_id: 12, name: '走了', role: 'promoter', deleted_at: '2026-11-01T00:00:00Z' },
      { storeId: '12' },
    ),
    row(
      'shop_stock_count',
      's1',
      { id: 's1', store_id: 12, product_id: 3, on_hand: 2, counted_at: '2026-11-20T00:00:00Z' },
      { storeId: '12' },
    ),
    row(
      'training_session',
      't2',
      { id: 't2', store_id: 12, visit_id: 'v1', topic_id: 4, held_at: '2026-11-23T04:00:00Z' },
      { storeId: '12', pending: true },
    ),
    row(
      'training_session',
      't1',
      { id: 't1', store_id: 12, visit_id: 'v1', topic_id: 4, held_at: '2026-11-23T03:00:00Z' },
      { storeId: '12' },
    ),
    row(
      'training_session',
      't0',
      { id: 't0', store_id: 12, visit_id: 'v0', topic_id: 4, held_at: '2026-11-20T03:00:00Z' },
      { storeId: '12' },
    ),
  ]);
  await db.outbox.bulkAdd([
    {
      id: 1,
      name: 'training.record',
      args: { visit_id: 'v1' },
      status: 'rejected',
      error: { reason: 'training.unknown_contact' },
      label: 'P30',
    },
    {
      id: 2,
      name: 'training.record',
      args: { visit_id: 'v0' },
      status: 'rejected',
      error: { reason: 'x' },
      label: 'P30',
    },
    { id: 3, name: 'training.record', args: { visit_id: 'v1' }, status: 'pending', error: null, label: 'P30' },
    { id: 4, name: 'sellout.report', args: { visit_id: 'v1' }, status: 'rejected', error: null, label: '' },
  ]);
});

afterEach(() => db.close());

describe('loadTraining', () => {
  it("reads the store's live contacts, what it sells, this visit's sessions in order and their refusals", async () => {
    const data = await loadTraining(db, 12, 'v1');
    expect(data.topics.map((t) => t.id)).toEqual([4]);
    expect(data.contacts.map((c) => [c.id, c.pending])).toEqual([
      ['c1', false],
      ['c2', true],
    ]);
    expect([...data.sold]).toEqual([3]);
    expect(data.sessions.map((s) => [s.id, s.pending])).toEqual([
      ['t1', false],
      ['t2', true],
    ]);
    expect(data.refused.map((r) => r.id)).toEqual([1]);
  });
});

describe('what the step records', () => {
  const people = [
    { id: 'c1', name: '李娜' },
    { id: 'c2', name: '小张' },
    { id: 'c4', name: '王' },
  ];
  it('the ticked contacts in the list order, those gone left out', () => {
    expect(tickedPeople(people, ['c2', 'gone', 'c1']).map((p) => p.id)).toEqual(['c1', 'c2']);
  });

  it('the quiz goes on at the first promoter not done (answered to the end or skipped)', () => {
    expect(firstToQuiz(people, {}, QUIZ)).toBe(0);
    expect(firstToQuiz(people, { c1: [1, 0, 2], c2: [1] }, QUIZ)).toBe(1);
    expect(firstToQuiz(people, { c1: [1, 0, 2], c2: null }, QUIZ)).toBe(2);
    expect(firstToQuiz(people, { c1: [1, 0, 2], c2: null, c4: [0, 0, 0] }, QUIZ)).toBe(-1);
    // another promoter ticked after the results: their quiz next, the others' answers kept
    expect(firstToQuiz([...people, { id: 'c5' }], { c1: [1, 0, 2], c2: null, c4: [0, 0, 0] }, QUIZ)).toBe(3);
  });

  it('answers only for a quiz answered to the end; skipped or unfinished ones are not quizzed', () => {
    const answers = { c1: [1, 0, 2], c2: null, c4: [1] };
    expect(attendeesToRecord(people, answers, QUIZ)).toEqual([
      { contactId: 'c1', answers: [1, 0, 2] },
      { contactId: 'c2', answers: null },
      { contactId: 'c4', answers: null },
    ]);
    // A topic without quiz: nobody has answers.
    expect(attendeesToRecord(people.slice(0, 1), answers, [])).toEqual([{ contactId: 'c1', answers: null }]);
  });
});

describe('a refused training names its topic in the UI language', () => {
  const topics = new Map([['4', { id: 4, title: 'P30 产品知识', title_en: 'P30 product knowledge' }]]);
  const entry = { name: 'training.record', args: { topic_id: 4 }, label: 'P30 产品知识' };
  const before = lang();
  afterEach(() => setLang(before));

  it("the phone's topic, in English its English title (the label queued is the Chinese one)", () => {
    setLang('en');
    expect(refusedTopic(entry, topics)).toBe('P30 product knowledge');
    setLang('zh-CN');
    expect(refusedTopic(entry, topics)).toBe('P30 产品知识');
  });

  it('the label queued when the topic is no longer on the phone', () => {
    setLang('en');
    expect(refusedTopic({ ...entry, args: { topic_id: 9 } }, topics)).toBe('P30 产品知识');
    expect(refusedTopic({ args: {} }, topics)).toBe('');
  });
});
