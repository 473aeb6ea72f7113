// The training-topics and fault-codes screens' pure parts: a topic's status on a day, the list
// order, the form ↔ body round trip, the local check of English choices, removing a choice (the
// right answer follows it), which server fields the form shows an error at; the fault codes' order
// and the PATCHes a move sends. Expected values worked out by hand in the comments. The strings
// of both screens exist in zh-CN and English.
import { describe, expect, it } from 'vitest';
import { moveChanges, nextPosition, sortCodes } from './FaultCodes.js';
import en from './i18n/en.js';
import zh from './i18n/zh-CN.js';
import {
  bodyFromForm,
  emptyForm,
  emptyQuestion,
  formFromTopic,
  localProblems,
  placedField,
  removeChoice,
  sortTopics,
  topicStatus,
} from './TrainingTopics.js';

const topic = (over) => ({ id: 1, code: 'T', active: true, starts_on: null, ends_on: null, ...over });

describe('topicStatus', () => {
  const today = '2026-12-05';
  it('is current on its first and last day, open ends included', () => {
    expect(topicStatus(topic({ starts_on: '2026-12-05', ends_on: '2026-12-05' }), today)).toBe('current');
    expect(topicStatus(topic({}), today)).toBe('current');
  });
  it('is upcoming the day before it starts, ended the day after its last day', () => {
    expect(topicStatus(topic({ starts_on: '2026-12-06' }), today)).toBe('upcoming');
    expect(topicStatus(topic({ ends_on: '2026-12-04' }), today)).toBe('ended');
  });
  it('is inactive whatever its dates when not active', () => {
    expect(topicStatus(topic({ active: false, starts_on: '2026-12-01' }), today)).toBe('inactive');
  });
  it('sorts current, upcoming, ended, inactive; then first day, code', () => {
    const rows = [
      topic({ id: 1, code: 'Z', active: false }),
      topic({ id: 2, code: 'B', ends_on: '2026-01-01' }),
      topic({ id: 3, code: 'C', starts_on: '2027-01-01' }),
      topic({ id: 4, code: 'B', starts_on: '2026-11-01' }),
      topic({ id: 5, code: 'A', starts_on: '2026-11-01' }),
    ];
    expect(sortTopics(rows, today).map((r) => r.id)).toEqual([5, 4, 3, 2, 1]);
  });
});

describe('topic form', () => {
  const server = {
    id: 7,
    code: 'P50-K',
    title: 'P50 卖点',
    title_en: null,
    kind: 'product',
    product_id: 3,
    starts_on: '2026-12-01',
    ends_on: null,
    active: true,
    quiz: [{ question: '电池？', question_en: null, choices: ['4000', '5000', '6000'], choices_en: null, answer: 1 }],
  };
  it('round-trips a server topic into the same body', () => {
    const form = formFromTopic(server);
    expect(form.product_id).toBe('3');
    expect(form.quiz[0].choices_en).toEqual(['', '', '']);
    const { id, ...body } = server;
    expect(bodyFromForm(form)).toEqual(body);
  });
  it('trims, sends blanks as null and English choices when given', () => {
    const form = {
      ...emptyForm(),
      code: ' T1 ',
      title: ' 标题 ',
      title_en: '  ',
      quiz: [{ ...emptyQuestion(), question: ' 问 ', choices: [' 甲', '乙 '], choices_en: ['A', ' B '], answer: 1 }],
    };
    expect(bodyFromForm(form)).toEqual({
      code: 'T1',
      title: '标题',
      title_en: null,
      kind: 'product',
      product_id: null,
      starts_on: null,
      ends_on: null,
      active: true,
      quiz: [{ question: '问', question_en: null, choices: ['甲', '乙'], choices_en: ['A', 'B'], answer: 1 }],
    });
  });
  it('refuses English choices given for some choices only, at that question', () => {
    const q = { ...emptyQuestion(), choices: ['甲', '乙'] };
    const form = { ...emptyForm(), quiz: [q, { ...q, choices_en: ['A', ''] }] };
    expect(localProblems(form)).toEqual({ 'quiz.1.choices_en': 'topics.enChoicesAll' });
    expect(localProblems({ ...form, quiz: [q] })).toEqual({});
  });
  it('removing a choice keeps the right answer on its choice', () => {
    const q = { ...emptyQuestion(), choices: ['a', 'b', 'c'], choices_en: ['A', 'B', 'C'], answer: 2 };
    const after = removeChoice({ ...emptyForm(), quiz: [q] }, 0, 0).quiz[0];
    expect(after).toMatchObject({ choices: ['b', 'c'], choices_en: ['B', 'C'], answer: 1 });
    // the right one removed: back to the first; two choices left: nothing removed
    expect(removeChoice({ ...emptyForm(), quiz: [q] }, 0, 2).quiz[0].answer).toBe(0);
    const two = { ...q, choices: ['a', 'b'], choices_en: ['', ''], answer: 1 };
    expect(removeChoice({ ...emptyForm(), quiz: [two] }, 0, 0).quiz[0]).toBe(two);
  });
  it('places the server fields the form shows, not others', () => {
    expect(placedField('quiz')).toBe(true);
    expect(placedField('quiz.2.choices')).toBe(true);
    expect(placedField('quiz.0.answer')).toBe(true);
    expect(placedField('code')).toBe(true);
    expect(placedField('quiz.0.other')).toBe(false);
    expect(placedField(null)).toBe(false);
  });
});

describe('fault codes order', () => {
  const rows = sortCodes([
    { id: 3, code: 'c', position: 20 },
    { id: 1, code: 'a', position: 10 },
    { id: 2, code: 'b', position: 10 },
  ]);
  it('orders by position then id', () => {
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
  });
  it('moving up renumbers 10, 20, 30 and sends only the changed positions', () => {
    // [1@10, 2@10, 3@20] → move 3 up → [1, 3, 2] = 10, 20, 30: 1 unchanged, 3 stays 20, 2 → 30
    expect(moveChanges(rows, 2, -1)).toEqual([{ id: 2, position: 30 }]);
    // move 1 down → [2, 1, 3] = 10, 20, 30: 2 unchanged, 1 → 20, 3 → 30
    expect(moveChanges(rows, 0, 1)).toEqual([
      { id: 1, position: 20 },
      { id: 3, position: 30 },
    ]);
  });
  it('cannot move past either end', () => {
    expect(moveChanges(rows, 0, -1)).toEqual([]);
    expect(moveChanges(rows, 2, 1)).toEqual([]);
  });
  it('adds after the largest position', () => {
    expect(nextPosition(rows)).toBe(30);
    expect(nextPosition([])).toBe(10);
  });
});

describe('strings', () => {
  it('every topics / faults string is in both languages', () => {
    const keys = (o) => Object.keys(o).filter((k) => /^(topics|faults)\./.test(k));
    expect(keys(en).length).toBeGreaterThan(60);
    expect(keys(zh).sort()).toEqual(keys(en).sort());
  });
});
