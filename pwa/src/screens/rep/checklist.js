// The display check's pure rules on the phone: which answer passes, the score (the server's
// formula, backend/visits/service.py `weighted_score` + `answer_passes`; both pass
// tests/vectors/display_score.json), "all compliant", what a failed item still needs
// (`on_fail`), and the check-out summary of a visit.

/** A yes/no item passes on true; a number item when the answer reaches its target. */
export function passes(item, value) {
  if (item.answer_type === 'yes_no') return value === true;
  return Number(value) >= Number(item.target ?? 0);
}

/** Python's `round(x, 1)`: the nearest tenth of x's exact binary value, exact ties to even. */
export function roundTenth(x) {
  // An exact tie at one decimal is k + 0.25 or k + 0.75 (the only x.x5 values a double holds).
  const quarters = x * 4;
  if (Number.isInteger(quarters) && quarters % 2 !== 0) {
    const down = Math.floor(x * 10);
    return (down % 2 === 0 ? down : down + 1) / 10;
  }
  return Number(x.toFixed(1));
}

/** Score 0–100 of `[{item, value}]` (weighted share of the answered items that pass), or null
 * when nothing is answered. */
export function scoreOf(pairs) {
  if (!pairs.length) return null;
  let total = 0;
  let passed = 0;
  for (const { item, value } of pairs) {
    const w = Number(item.weight ?? 1);
    total += w;
    if (passes(item, value)) passed += w;
  }
  return total ? roundTenth((100 * passed) / total) : 0;
}

/** Whether a form value is an answer (numbers are typed as text). */
export function answered(item, value) {
  if (value === undefined || value === null || value === '') return false;
  if (item.answer_type === 'number') return Number.isFinite(Number(value)) && Number(value) >= 0;
  return typeof value === 'boolean';
}

/** The answered items of a form `{itemId: value}` as `[{item, value}]` (numbers as numbers). */
export function answeredPairs(checklist, answers) {
  return checklist
    .filter((item) => answered(item, answers[item.id]))
    .map((item) => ({ item, value: item.answer_type === 'number' ? Number(answers[item.id]) : answers[item.id] }));
}

/** The live score of a form. */
export function formScore(checklist, answers) {
  return scoreOf(answeredPairs(checklist, answers));
}

/** "All compliant": every item's passing answer (yes; a number item its target). */
export function allCompliant(checklist) {
  const out = {};
  for (const item of checklist) out[item.id] = item.answer_type === 'number' ? String(item.target ?? 0) : true;
  return out;
}

/** What a failed answer still lacks under its item's `on_fail` ('reason' | 'photo' |
 * 'photo_or_reason'), or null; the server's `missing_evidence`. */
export function missingEvidence(item, value, { reason, hasPhoto }) {
  if (!answered(item, value) || passes(item, item.answer_type === 'number' ? Number(value) : value)) return null;
  const hasReason = !!String(reason ?? '').trim();
  const rule = item.on_fail || 'none';
  if (rule === 'reason' && !hasReason) return 'reason';
  if (rule === 'photo' && !hasPhoto) return 'photo';
  if (rule === 'photo_or_reason' && !hasReason && !hasPhoto) return 'photo_or_reason';
  return null;
}

/** The answers to send: `[{item_id, value, reason?}]`. */
export function answersToSend(checklist, answers, reasons = {}) {
  return answeredPairs(checklist, answers).map(({ item, value }) => {
    const reason = String(reasons[item.id] ?? '').trim();
    return !passes(item, value) && reason ? { item_id: item.id, value, reason } : { item_id: item.id, value };
  });
}

/** The failed items of a recorded check: `[{item, value, reason}]` (items not in the catalogue
 * any more are left out). */
export function findings(checklist, check) {
  const byId = new Map(checklist.map((i) => [Number(i.id), i]));
  return (check?.answers || [])
    .map((a) => ({ item: byId.get(Number(a.item_id)), value: a.value, reason: a.reason || '' }))
    .filter((f) => f.item && !passes(f.item, f.value));
}

/** A recorded check's score: the server's, or (still on the phone) the same formula here. */
export function checkScore(checklist, check) {
  if (check?.score != null) return Number(check.score);
  const byId = new Map(checklist.map((i) => [Number(i.id), i]));
  return scoreOf(
    (check?.answers || [])
      .filter((a) => byId.has(Number(a.item_id)))
      .map((a) => ({ item: byId.get(Number(a.item_id)), value: a.value })),
  );
}

/** The sections of a visit's draft (db/drafts.js) that hold something not recorded yet. */
export function unsavedSections(draft) {
  const out = [];
  const d = draft?.display;
  if (d && (Object.values(d.answers || {}).some((v) => v !== '' && v != null) || (d.photoIds || []).length))
    out.push('display');
  const i = draft?.intel;
  if (i && (String(i.name || '').trim() || (i.photoIds || []).length)) out.push('intel');
  // A training with promoters ticked (or a quiz under way) and not recorded (steps/TrainingStep.js).
  const tr = draft?.training;
  if (tr && (tr.ticked || []).length && tr.topicId != null) out.push('training');
  return out;
}

/**
 * What a visit recorded and what it still lacks, for the check-out:
 * `{score, answered, checks, materials, prices, phones, intel, photos, lacks: ['checklist' | 'photo' |
 * 'unsaved.display' | 'unsaved.intel'], unsaved: [section], empty, ask}`. The store's required
 * items: the checklist (when the catalogue has one) and a photo. `ask`: the check-out asks first
 * (nothing recorded, or something typed and not saved that the check-out would drop); a complete
 * visit checks out in one tap.
 */
export function visitSummary({
  checklist = [],
  checks = [],
  movements = [],
  prices = [],
  reports = [],
  spotChecks = [],
  phones = {},
  trainings = [],
  tasks = null,
  draft = null,
}) {
  const last = checks[checks.length - 1] || null;
  // The store's tasks (issue 18; null: none at this store): done at this visit, still open.
  const tasksDone = tasks?.done ?? [];
  const photos = [...checks, ...prices, ...reports, ...tasksDone].reduce((n, r) => n + (r.photo_ids || []).length, 0);
  const lacks = [];
  const unsaved = unsavedSections(draft);
  // A display check answered and not saved is said as such, not as "not done".
  if (checklist.length && !checks.length && !unsaved.includes('display')) lacks.push('checklist');
  if (!photos) lacks.push('photo');
  if (tasks?.open?.length) lacks.push('tasks');
  const { counts = [], sold = [], rivals = [] } = phones;
  const recorded =
    checks.length +
    movements.length +
    prices.length +
    reports.length +
    spotChecks.length +
    counts.length +
    sold.length +
    rivals.length +
    trainings.length +
    tasksDone.length;
  for (const section of unsaved) lacks.push(`unsaved.${section}`);
  return {
    score: last ? checkScore(checklist, last) : null,
    answered: last ? (last.answers || []).length : 0,
    checks: checks.length,
    materials: movements.length,
    // Models priced: a price typed again in the visit corrects the earlier one, it adds none.
    prices: new Set(prices.map((p) => (p.product_id != null ? `p${p.product_id}` : `c${p.competitor_model_id}`))).size,
    // Phones step rows filled: a model counted, a model's sales declared, a competitor estimated
    // (each once, whatever corrections followed).
    phones:
      new Set(counts.map((c) => c.product_id)).size +
      new Set(sold.map((r) => r.product_id)).size +
      new Set(rivals.map((e) => e.competitor_model_id)).size,
    intel: reports.length,
    trainings: trainings.length,
    tasks: tasks && (tasks.open?.length || tasksDone.length) ? tasksDone.length : null,
    photos,
    lacks,
    unsaved,
    empty: recorded === 0,
    ask: recorded === 0 || unsaved.length > 0,
  };
}
