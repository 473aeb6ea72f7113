// The display check's rules on the phone. The score cases are tests/vectors/display_score.json,
// which the server's rule passes too (tests/visits/test_checklist_on_fail.py): the score the rep
// sees while answering is the one the server records.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  allCompliant,
  answersToSend,
  checkScore,
  findings,
  formScore,
  missingEvidence,
  roundTenth,
  scoreOf,
  unsavedSections,
  visitSummary,
} from './checklist.js';

const VECTORS = JSON.parse(
  readFileSync(new URL('../../../../tests/vectors/display_score.json', import.meta.url), 'utf8'),
);
const ITEMS = new Map(VECTORS.items.map((i) => [i.id, i]));

describe('score: the same as the server (display_score.json)', () => {
  it.each(VECTORS.cases.map((c) => [c.name, c]))('%s', (_name, c) => {
    expect(scoreOf(c.answers.map(([id, value]) => ({ item: ITEMS.get(id), value })))).toBe(c.score);
  });

  it("rounds like Python's round(x, 1)", () => {
    expect([6.25, 6.75, 0.25, 93.75, 12.5, 66.66666666666667, 42.857142857142854].map(roundTenth)).toEqual([
      6.2, 6.8, 0.2, 93.8, 12.5, 66.7, 42.9,
    ]);
  });

  it('nothing answered has no score; a form scores its answered items only', () => {
    const checklist = VECTORS.items.slice(0, 4);
    expect(formScore(checklist, {})).toBeNull();
    expect(formScore(checklist, { 1: true, 3: '1', 4: '' })).toBe(66.7);
  });
});

const CHECKLIST = [
  { id: 1, code: 'A', answer_type: 'yes_no', weight: 2, on_fail: 'reason' },
  { id: 2, code: 'B', answer_type: 'number', target: 3, weight: 1, on_fail: 'photo_or_reason' },
  { id: 3, code: 'C', answer_type: 'yes_no', weight: 1, on_fail: 'photo' },
  { id: 4, code: 'D', answer_type: 'yes_no', weight: 1 },
];

describe('all compliant and what a failed item needs', () => {
  it('answers every item with its passing answer: the score is 100', () => {
    const answers = allCompliant(CHECKLIST);
    expect(answers).toEqual({ 1: true, 2: '3', 3: true, 4: true });
    expect(formScore(CHECKLIST, answers)).toBe(100);
    // then one item changed
    expect(formScore(CHECKLIST, { ...answers, 1: false })).toBe(60);
  });

  it('a failed item asks for what its on_fail says', () => {
    const none = { reason: '', hasPhoto: false };
    expect(missingEvidence(CHECKLIST[0], false, none)).toBe('reason');
    expect(missingEvidence(CHECKLIST[0], false, { reason: '  ', hasPhoto: true })).toBe('reason');
    expect(missingEvidence(CHECKLIST[0], false, { reason: '装修', hasPhoto: false })).toBeNull();
    expect(missingEvidence(CHECKLIST[1], '2', none)).toBe('photo_or_reason');
    expect(missingEvidence(CHECKLIST[1], '2', { reason: '', hasPhoto: true })).toBeNull();
    expect(missingEvidence(CHECKLIST[1], '3', none)).toBeNull(); // at target: passes
    expect(missingEvidence(CHECKLIST[2], false, { reason: 'x', hasPhoto: false })).toBe('photo');
    expect(missingEvidence(CHECKLIST[3], false, none)).toBeNull(); // no requirement
    expect(missingEvidence(CHECKLIST[0], undefined, none)).toBeNull(); // not answered
  });

  it('sends the reason with failed answers only, numbers as numbers', () => {
    expect(answersToSend(CHECKLIST, { 1: false, 2: '5', 4: true }, { 1: ' 装修中 ', 2: 'stale', 3: 'x' })).toEqual([
      { item_id: 1, value: false, reason: '装修中' },
      { item_id: 2, value: 5 },
      { item_id: 4, value: true },
    ]);
  });
});

describe('a recorded check and the visit summary', () => {
  const check = {
    answers: [
      { item_id: 1, value: false, reason: '装修中' },
      { item_id: 2, value: 1 },
      { item_id: 4, value: true },
      { item_id: 99, value: false },
    ],
    photo_ids: ['p1'],
  };

  it('findings are the failed items with their reasons; the score is computed while on the phone', () => {
    expect(findings(CHECKLIST, check).map((f) => [f.item.code, f.value, f.reason])).toEqual([
      ['A', false, '装修中'],
      ['B', 1, ''],
    ]);
    expect(checkScore(CHECKLIST, check)).toBe(25);
    expect(checkScore(CHECKLIST, { ...check, score: 80 })).toBe(80); // the server's, once synced
  });

  it('an empty visit is empty and lacks the checklist and a photo', () => {
    expect(visitSummary({ checklist: CHECKLIST })).toEqual({
      score: null,
      answered: 0,
      checks: 0,
      materials: 0,
      prices: 0,
      phones: 0,
      intel: 0,
      trainings: 0,
      tasks: null,
      photos: 0,
      lacks: ['checklist', 'photo'],
      unsaved: [],
      empty: true,
      ask: true,
    });
  });

  it('a visit with only a training recorded is not empty; one ticked and not recorded asks first', () => {
    const s = visitSummary({ checklist: CHECKLIST, trainings: [{ id: 's1' }] });
    expect(s).toMatchObject({ trainings: 1, empty: false, ask: false, unsaved: [] });
    // Promoters ticked on a topic, nothing recorded: the check-out would drop it, so it asks.
    const draft = { training: { topicId: 4, ticked: ['c1'], phase: 'quiz' } };
    const t = visitSummary({ checklist: CHECKLIST, draft });
    expect(t.unsaved).toEqual(['training']);
    expect(t.lacks).toContain('unsaved.training');
    expect(t.ask).toBe(true);
    // A topic picked and nobody ticked (or the step's "record another" opened) is not unsaved.
    expect(visitSummary({ draft: { training: { topicId: 4, ticked: [] } } }).unsaved).toEqual([]);
    expect(visitSummary({ draft: { training: { again: true, ticked: [] } } }).unsaved).toEqual([]);
  });

  it('a visit with a check, prices and photos lacks nothing', () => {
    const s = visitSummary({
      checklist: CHECKLIST,
      checks: [check],
      movements: [{}, {}],
      // Two models priced; the second one's price typed again (a correction) adds no model.
      prices: [{ competitor_model_id: 7, photo_ids: ['p2'] }, { product_id: 3 }, { product_id: 3 }],
      reports: [{}],
    });
    expect(s).toMatchObject({
      score: 25,
      answered: 4,
      materials: 2,
      prices: 2,
      intel: 1,
      photos: 2,
      lacks: [],
      empty: false,
    });
    expect(s.ask).toBe(false); // complete: the check-out is one tap
  });

  it('a visit with only a price lacks the checklist and a photo but is not empty', () => {
    const s = visitSummary({ checklist: CHECKLIST, prices: [{}] });
    expect(s.lacks).toEqual(['checklist', 'photo']);
    expect(s.empty).toBe(false);
    expect(visitSummary({ checklist: [], spotChecks: [{}] }).lacks).toEqual(['photo']);
  });

  it('a draft not recorded yet is listed and makes the check-out ask', () => {
    expect(unsavedSections(null)).toEqual([]);
    expect(unsavedSections({ display: { answers: { 1: '' } }, intel: { name: '  ' } })).toEqual([]);
    expect(unsavedSections({ display: { answers: { 1: true } }, intel: { name: '新店' } })).toEqual([
      'display',
      'intel',
    ]);
    expect(unsavedSections({ display: { answers: {}, photoIds: ['p'] }, finish: { notes: 'x' } })).toEqual(['display']);
    const s = visitSummary({
      checklist: CHECKLIST,
      checks: [check],
      prices: [{ photo_ids: ['p2'] }],
      draft: { display: { answers: { 4: false } } },
    });
    expect(s.lacks).toEqual(['unsaved.display']);
    expect(s).toMatchObject({ unsaved: ['display'], empty: false, ask: true });
    const first = visitSummary({ checklist: CHECKLIST, draft: { display: { answers: { 1: true } } } });
    expect(first.lacks).toEqual(['photo', 'unsaved.display']); // not also "display check not done"
    expect(first).toMatchObject({ empty: true, ask: true });
  });

  it('counts the phones step: a model counted, a model declared, a competitor estimated, each once', () => {
    const s = visitSummary({
      checklist: [],
      phones: {
        // P30 counted twice (a correction) and declared; a competitor estimated.
        counts: [{ product_id: 3 }, { product_id: 3 }, { product_id: 4 }],
        sold: [{ product_id: 3 }],
        rivals: [{ competitor_model_id: 7 }],
      },
    });
    expect(s.phones).toBe(4); // 2 models counted + 1 declared + 1 competitor
    expect(s.empty).toBe(false); // a visit that only counted phones recorded something
    expect(visitSummary({ checklist: [], phones: { counts: [] } }).empty).toBe(true);
  });

  it("counts the store's tasks: done at the visit (with their photos), open ones a lack; none: no line", () => {
    const done = [{ id: 't1', photo_ids: ['p1'] }];
    const s = visitSummary({ checklist: [], tasks: { open: [{ id: 't2' }], done } });
    expect(s.tasks).toBe(1);
    expect(s.photos).toBe(1);
    expect(s.empty).toBe(false);
    expect(s.lacks).toEqual(['tasks']);
    expect(visitSummary({ checklist: [], tasks: { open: [{ id: 't2' }], done: [] } }).tasks).toBe(0);
    expect(visitSummary({ checklist: [], tasks: { open: [], done: [] } }).tasks).toBeNull();
    expect(visitSummary({ checklist: [] }).tasks).toBeNull();
  });
});
