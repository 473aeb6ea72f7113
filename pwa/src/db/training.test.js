// Promoters' training on the phone (db/training.js): the topics a rep can pick, the scores, what
// the server would refuse, and the two actions — a promoter added on the spot goes out as
// `contact.upsert` (role promoter) before the `training.record` that names them.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, saveSession } from './index.js';
import { createActions } from './actions.js';
import {
  answersFit,
  attendeeChoices,
  averageShare,
  coversDay,
  currentTopics,
  durationOf,
  isCurrent,
  promoterProblem,
  scoredAttendees,
  scoreOf,
  sessionProblem,
  soldProducts,
  TrainingError,
} from './training.js';

const QUIZ = [
  { question: 'P30 的电池容量？', choices: ['4000', '5000', '6000'], answer: 1 },
  { question: '屏幕尺寸？', choices: ['6.1', '6.7'], answer: 1 },
  { question: '快充功率？', choices: ['33W', '67W', '80W', '100W'], answer: 2 },
];
const topic = (over) => ({
  id: 4,
  code: 'P30-KNOW',
  title: 'P30 产品知识',
  title_en: 'P30 product knowledge',
  kind: 'product',
  product_id: 3,
  starts_on: '2026-11-01',
  ends_on: '2026-12-31',
  active: true,
  quiz: QUIZ,
  ...over,
});

describe('topics', () => {
  it('is current when active and today within starts_on..ends_on, both ends included', () => {
    expect(isCurrent(topic(), '2026-11-01')).toBe(true);
    expect(isCurrent(topic(), '2026-12-31')).toBe(true);
    expect(isCurrent(topic(), '2026-10-31')).toBe(false);
    expect(isCurrent(topic(), '2027-01-01')).toBe(false);
    expect(isCurrent(topic({ active: false }), '2026-11-20')).toBe(false);
    expect(isCurrent(topic({ starts_on: null, ends_on: null }), '2030-01-01')).toBe(true);
  });

  it('covers a day within its dates whether active or not (what the server checks)', () => {
    expect(coversDay(topic({ active: false }), '2026-11-20')).toBe(true);
    expect(coversDay(topic({ active: false }), '2026-12-31')).toBe(true);
    expect(coversDay(topic({ active: false }), '2027-01-01')).toBe(false);
    expect(coversDay(topic(), '2026-10-31')).toBe(false);
    expect(coversDay(null, '2026-11-20')).toBe(false);
  });

  it('lists the current ones, a model the store sells first, then the newest', () => {
    const topics = [
      topic({ id: 1, code: 'PROMO', kind: 'promotion', product_id: null, starts_on: '2026-11-20' }),
      topic({ id: 2, code: 'P20', product_id: 2, starts_on: '2026-10-01' }),
      topic({ id: 3, code: 'OLD', ends_on: '2026-11-01' }),
      topic({ id: 4, code: 'P30', product_id: 3, starts_on: '2026-11-10' }),
    ];
    expect(currentTopics(topics, '2026-11-23', new Set([2])).map((t) => t.id)).toEqual([2, 1, 4]);
    expect(currentTopics(topics, '2026-11-23', []).map((t) => t.id)).toEqual([1, 4, 2]);
  });

  it('a store sells a model with a latest shelf count above 0 or sales declared', () => {
    const counts = [
      { product_id: 3, on_hand: 4, counted_at: '2026-11-20T02:00:00Z' },
      { product_id: 3, on_hand: 0, counted_at: '2026-11-22T02:00:00Z' }, // latest: out
      { product_id: 5, on_hand: 2, counted_at: '2026-11-22T02:00:00Z' },
    ];
    expect(
      [
        ...soldProducts(counts, [
          { product_id: 7, units: 1 },
          { product_id: 8, units: 0 },
        ]),
      ].sort(),
    ).toEqual([5, 7]);
  });
});

describe('scores', () => {
  it('counts the answers equal to the quiz answers', () => {
    expect(scoreOf(QUIZ, [1, 1, 2])).toBe(3);
    expect(scoreOf(QUIZ, [1, 0, 2])).toBe(2);
    expect(scoreOf(QUIZ, [0, 0, 0])).toBe(0);
    expect(scoreOf(QUIZ, null)).toBe(null);
    // Answers that do not fit the quiz (HQ changed it): no score, as the server keeps them.
    expect(scoreOf(QUIZ, [1, 1])).toBe(null);
    expect(scoreOf(QUIZ, [1, 2, 2])).toBe(null); // question 2 has 2 choices
    expect(scoreOf([], [0])).toBe(null);
    expect([answersFit(QUIZ, [0, 1, 3]), answersFit(QUIZ, [0, 1, 4]), answersFit(QUIZ, [-1, 0, 0])]).toEqual([
      true,
      false,
      false,
    ]);
    expect(
      scoredAttendees(QUIZ, [
        { contact_id: 'a', answers: [1, 0, 2] },
        { contact_id: 'b', answers: null },
        { contact_id: 'c', answers: [1, 0] },
      ]),
    ).toEqual([
      { contact_id: 'a', answers: [1, 0, 2], score: 2, quiz_size: 3 },
      { contact_id: 'b', answers: null, score: null, quiz_size: null },
      { contact_id: 'c', answers: [1, 0], score: null, quiz_size: null },
    ]);
    // 2/3 and 3/3: 83.3 % on average; the unquizzed one does not count.
    const share = averageShare([
      { score: 2, quiz_size: 3 },
      { score: 3, quiz_size: 3 },
      { score: null, quiz_size: null },
    ]);
    expect(Math.round(share * 1000) / 10).toBe(83.3);
    expect(averageShare([{ score: null }])).toBe(null);
  });

  it('lists promoters first, then the others, by name; deleted contacts left out', () => {
    const list = attendeeChoices([
      { id: 'm', name: '王店长', role: 'store_manager' },
      { id: 'p2', name: '李娜', role: 'promoter' },
      { id: 'x', name: '已删', role: 'promoter', deleted_at: '2026-11-01T00:00:00Z' },
      { id: 'p1', name: '陈晓', role: 'promoter' },
    ]);
    expect(list.map((c) => c.id)).toEqual(['p1', 'p2', 'm']); // 陈 (chén) before 李 (lǐ)
  });

  it('takes a duration of 1..480 whole minutes', () => {
    expect([durationOf('30'), durationOf(' 480 '), durationOf('1')]).toEqual([30, 480, 1]);
    expect([durationOf('0'), durationOf('481'), durationOf('2.5'), durationOf(''), durationOf('abc')]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('a promoter added on the spot needs a name; the phone is optional but a phone number', () => {
    expect(promoterProblem({ name: '  ', phone: '' })).toBe('trainStep.nameRequired');
    expect(promoterProblem({ name: '小张', phone: '' })).toBe(null);
    expect(promoterProblem({ name: '小张', phone: '138 0013 8000' })).toBe(null);
    expect(promoterProblem({ name: '小张', phone: 'abc' })).toBe('trainStep.phoneInvalid');
    expect(promoterProblem({ name: 'x'.repeat(101) })).toBe('trainStep.nameTooLong');
  });
});

describe('what the server would refuse', () => {
  const base = { topic: topic(), topicId: 4, today: '2026-11-23', contactIds: ['a', 'b'] };
  it('passes a quizzed and an unquizzed attendee', () => {
    expect(
      sessionProblem({
        ...base,
        attendees: [
          { contact_id: 'a', answers: [1, 0, 2] },
          { contact_id: 'b', answers: null },
        ],
      }),
    ).toBe(null);
  });

  it('passes what the server now keeps: a stopped topic within its dates, answers not fitting the quiz', () => {
    const keep = [
      { contact_id: 'a', answers: [1, 0] },
      { contact_id: 'b', answers: [1, 2, 0] },
    ];
    expect(sessionProblem({ ...base, topic: topic({ active: false }), attendees: keep })).toBe(null);
    expect(
      sessionProblem({ ...base, topic: topic({ quiz: [] }), attendees: [{ contact_id: 'a', answers: [0] }] }),
    ).toBe(null);
  });

  it.each([
    ['unknown topic', { topic: null, topicId: 9 }, [], 'training.unknown_topic', { topic_id: 9 }],
    ['topic over', { today: '2027-01-01' }, [], 'training.topic_not_current', { topic_id: 4 }],
    ['twice', {}, [{ contact_id: 'a' }, { contact_id: 'a' }], 'training.duplicate_attendee', { contact_id: 'a' }],
    ['not the store’s', {}, [{ contact_id: 'z' }], 'training.unknown_contact', { contact_id: 'z' }],
    [
      'stopped and over',
      { topic: topic({ active: false }), today: '2027-01-01' },
      [],
      'training.topic_not_current',
      {
        topic_id: 4,
      },
    ],
    [
      'not a whole number',
      {},
      [{ contact_id: 'a', answers: [1, 0.5, 0] }],
      'invalid_value',
      { field: 'attendees.0.answers.1' },
    ],
  ])('%s', (_name, over, attendees, reason, params) => {
    expect(sessionProblem({ ...base, ...over, attendees })).toEqual({ reason, params });
  });
});

let n = 0;
let db;
let uuids;

function makeActions() {
  return createActions({
    db,
    now: () => Date.UTC(2026, 10, 23, 3, 30, 0), // 11:30 in Shanghai, 2026-11-23
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
  });
}

const entity = (name, id, data, storeId) => ({
  entity: name,
  id: String(id),
  data,
  clock: {},
  pending: false,
  ...(storeId ? { storeId: String(storeId) } : {}),
});

beforeEach(async () => {
  db = createDb(`training-test-${++n}`);
  uuids = 0;
  await saveSession({ token: 't', user: { id: 21, role: 'rep' } }, db);
  await db.entities.bulkPut([
    entity('store', 12, { id: 12, name: '天河店' }, 12),
    entity('training_topic', 4, topic()),
    entity('training_topic', 5, topic({ id: 5, code: 'GONE', title: '旧主题', ends_on: '2026-10-31' })),
    entity('contact', 'c-li', { id: 'c-li', store_id: 12, name: '李娜', role: 'promoter', phone: '' }, 12),
    entity('contact', 'c-other', { id: 'c-other', store_id: 13, name: '别店', role: 'promoter' }, 13),
  ]);
});

afterEach(() => db.close());

describe('actions', () => {
  it('adds a promoter on the spot, then records the training naming them, in that outbox order', async () => {
    const a = makeActions();
    const cid = await a.addPromoter({ storeId: 12, name: ' 小张 ', phone: '13800138000' });
    const sid = await a.recordTraining({
      storeId: 12,
      visitId: 'v-1',
      topicId: 4,
      durationMinutes: '45',
      note: ' 新品到店 ',
      attendees: [
        { contactId: 'c-li', answers: [1, 0, 2] },
        { contactId: cid, answers: [1, 1, 2] },
      ],
    });
    const rows = await db.outbox.orderBy('id').toArray();
    expect(rows.map((r) => r.name)).toEqual(['contact.upsert', 'training.record']);
    expect(rows[0].args).toEqual({
      store_id: 12,
      id: cid,
      fields: { name: '小张', role: 'promoter', phone: '13800138000' },
      base: {},
    });
    expect(rows[1].args).toEqual({
      id: sid,
      store_id: 12,
      visit_id: 'v-1',
      topic_id: 4,
      held_at: '2026-11-23T03:30:00.000Z',
      duration_minutes: 45,
      note: '新品到店',
      attendees: [
        { contact_id: 'c-li', answers: [1, 0, 2] },
        { contact_id: cid, answers: [1, 1, 2] },
      ],
    });
    expect(rows[1].label).toBe('P30 产品知识');
    // On the phone at once, scored as the server will: 2 of 3 and 3 of 3.
    const row = await db.entities.get(['training_session', sid]);
    expect(row.pending).toBe(true);
    expect(row.storeId).toBe('12');
    expect(row.data).toMatchObject({
      store_id: 12,
      visit_id: 'v-1',
      rep_id: 21,
      held_on: expect.stringMatching(/^2026-11-23$/),
      attendees: [
        { contact_id: 'c-li', answers: [1, 0, 2], score: 2, quiz_size: 3 },
        { contact_id: cid, answers: [1, 1, 2], score: 3, quiz_size: 3 },
      ],
    });
    const contact = await db.entities.get(['contact', cid]);
    expect(contact.data).toMatchObject({ name: '小张', role: 'promoter', store_id: 12 });
  });

  it('records a promoter without a phone and a topic without quiz (answers null)', async () => {
    const a = makeActions();
    await db.entities.put(entity('training_topic', 6, topic({ id: 6, kind: 'promotion', product_id: null, quiz: [] })));
    const cid = await a.addPromoter({ storeId: 12, name: '小王' });
    const sid = await a.recordTraining({
      storeId: 12,
      topicId: 6,
      durationMinutes: 30,
      attendees: [{ contactId: cid }],
    });
    const [first, second] = await db.outbox.orderBy('id').toArray();
    expect(first.args.fields).toEqual({ name: '小王', role: 'promoter' });
    expect(second.args).toEqual({
      id: sid,
      store_id: 12,
      topic_id: 6,
      held_at: '2026-11-23T03:30:00.000Z',
      duration_minutes: 30,
      attendees: [{ contact_id: cid, answers: null }],
    });
  });

  it('queues a training on a topic stopped meanwhile and answers that no longer fit, unscored', async () => {
    const a = makeActions();
    await db.entities.put(entity('training_topic', 4, topic({ active: false })));
    const sid = await a.recordTraining({
      storeId: 12,
      topicId: 4,
      durationMinutes: 30,
      attendees: [{ contactId: 'c-li', answers: [1, 1] }],
    });
    const [row] = await db.outbox.toArray();
    expect(row.args.attendees).toEqual([{ contact_id: 'c-li', answers: [1, 1] }]);
    const local = await db.entities.get(['training_session', sid]);
    expect(local.data.attendees).toEqual([{ contact_id: 'c-li', answers: [1, 1], score: null, quiz_size: null }]);
  });

  it.each([
    ['a topic no longer current', { topicId: 5 }, 'training.topic_not_current'],
    [
      'a contact of another store',
      { attendees: [{ contactId: 'c-other', answers: null }] },
      'training.unknown_contact',
    ],
    ['an attendee twice', { attendees: [{ contactId: 'c-li' }, { contactId: 'c-li' }] }, 'training.duplicate_attendee'],
  ])('refuses %s before queueing anything, with the server reason', async (_name, over, reason) => {
    const a = makeActions();
    const call = a.recordTraining({
      storeId: 12,
      topicId: 4,
      durationMinutes: 30,
      attendees: [{ contactId: 'c-li', answers: [1, 1, 2] }],
      ...over,
    });
    await expect(call).rejects.toBeInstanceOf(TrainingError);
    await expect(call).rejects.toMatchObject({ reason });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.entities.where('entity').equals('training_session').count()).toBe(0);
  });

  it('refuses a duration out of 1..480, no attendee, a bad promoter', async () => {
    const a = makeActions();
    const ok = { storeId: 12, topicId: 4, attendees: [{ contactId: 'c-li' }] };
    await expect(a.recordTraining({ ...ok, durationMinutes: 0 })).rejects.toThrow(/durationMinutes/);
    await expect(a.recordTraining({ ...ok, durationMinutes: 481 })).rejects.toThrow(/durationMinutes/);
    await expect(a.recordTraining({ ...ok, durationMinutes: 30, attendees: [] })).rejects.toThrow(/attendee/);
    await expect(a.addPromoter({ storeId: 12, name: '' })).rejects.toThrow('trainStep.nameRequired');
    expect(await db.outbox.count()).toBe(0);
  });
});
