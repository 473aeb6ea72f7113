// The phone's side of promoters' training (issue 17: 导购培训). A rep records, during a visit, a
// training on one of HQ's current topics (sync entity `training_topic`), the store's contacts who
// attended (promoters first; one met on the spot is added as a contact first, `contact.upsert`
// with role promoter, queued before the training), its duration and, when the topic has a quiz,
// each attendee's answers, scored here offline as the server scores them again
// (backend/training/service.py): score = answers equal to quiz[i].answer, quiz_size = len(quiz).
// The pure rules below are what the step (screens/rep/steps/TrainingStep.js) and the action
// (`recordTraining`, queued as `training.record`, SPEC.md §I.3.1) share.
import { businessToday } from '../warranty/zone.js';

/** The quick duration choices, in minutes, and the default. */
export const DURATION_CHOICES = [15, 30, 60];
export const DEFAULT_DURATION = 30;
/** The server's bounds (contract: duration_minutes 1..480, 1..50 attendees, note ≤ 300). */
export const MAX_DURATION = 480;
export const MAX_ATTENDEES = 50;
export const MAX_NOTE = 300;
/** A contact's bounds (backend/stores/schemas.py ContactSchema: name ≤ 100, PHONE). */
export const MAX_NAME = 100;
const PHONE_RE = /^[0-9+\-() ]{3,32}$/;

/**
 * A training the server would refuse, refused on the phone before anything is queued: `reason` is
 * the server's code (backend/core/reasons.py `training.*`), so the screen says it in the UI
 * language (i18n reasonText, `err.<reason>`), `params` its values. A TypeError like the other
 * refused arguments of db/actions.js.
 */
export class TrainingError extends TypeError {
  constructor(reason, params = {}, message = reason) {
    super(message);
    this.name = 'TrainingError';
    this.reason = reason;
    this.params = params;
  }
}

/** The questions of a topic's quiz ([] when it has none). */
export function quizOf(topic) {
  return Array.isArray(topic?.quiz) ? topic.quiz : [];
}

/** Whether `day` ('YYYY-MM-DD') is within the topic's starts_on..ends_on (either bound open),
 * active or not: what the server checks a training against (a topic HQ stopped after it was held
 * still takes it, backend/training/service.py `covers`). */
export function coversDay(topic, day) {
  if (!topic) return false;
  if (topic.starts_on && String(topic.starts_on).slice(0, 10) > day) return false;
  if (topic.ends_on && String(topic.ends_on).slice(0, 10) < day) return false;
  return true;
}

/** Whether `topic` is current on `today` ('YYYY-MM-DD'): active, and today within
 * starts_on..ends_on (either bound open) — what the phone offers. */
export function isCurrent(topic, today) {
  return Boolean(topic) && topic.active !== false && coversDay(topic, today);
}

/**
 * The topics a rep can pick on `today`: the current ones, those of a model the store sells
 * (`soldProductIds`: its shelf counts, its declared sales) first, then the newest first (by
 * starts_on), then by code.
 */
export function currentTopics(topics, today, soldProductIds = []) {
  const sold = new Set([...soldProductIds].map(Number));
  const rank = (t) => (t.product_id != null && sold.has(Number(t.product_id)) ? 0 : 1);
  return (topics || [])
    .filter((t) => isCurrent(t, today))
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        String(b.starts_on ?? '').localeCompare(String(a.starts_on ?? '')) ||
        String(a.code ?? '').localeCompare(String(b.code ?? '')) ||
        Number(a.id) - Number(b.id),
    );
}

/** The models a store sells, as far as the phone knows: a latest shelf count above 0, or sales
 * declared (units above 0). `counts` and `reports` are the store's shop_stock_count and
 * sellout_report records. */
export function soldProducts(counts = [], reports = []) {
  const latest = new Map();
  for (const c of counts) {
    const prev = latest.get(Number(c.product_id));
    if (!prev || String(c.counted_at) > String(prev.counted_at)) latest.set(Number(c.product_id), c);
  }
  const ids = new Set();
  for (const [pid, c] of latest) if (Number(c.on_hand) > 0) ids.add(pid);
  for (const r of reports) if (Number(r.units) > 0) ids.add(Number(r.product_id));
  return ids;
}

/** The store's live contacts as the step lists them: promoters first, then by name. */
export function attendeeChoices(contacts) {
  const rank = (c) => (c.role === 'promoter' ? 0 : 1);
  return (contacts || [])
    .filter((c) => c && c.id != null && !c.deleted_at)
    .sort((a, b) => rank(a) - rank(b) || String(a.name ?? '').localeCompare(String(b.name ?? ''), 'zh-CN'));
}

/** Whether `answers` fit `quiz`: one per question, each a choice of it (a quiz there at all). */
export function answersFit(quiz, answers) {
  return (
    Array.isArray(answers) &&
    quiz.length > 0 &&
    answers.length === quiz.length &&
    answers.every((a, i) => {
      const v = Number(a);
      return Number.isInteger(v) && v >= 0 && v < (quiz[i].choices || []).length;
    })
  );
}

/** Correct answers of `answers` to `quiz`; null when not quizzed (answers null) or when the
 * answers do not fit the quiz (the server keeps those unscored). */
export function scoreOf(quiz, answers) {
  if (!answersFit(quiz, answers)) return null;
  return answers.reduce((n, a, i) => n + (Number(a) === Number(quiz[i].answer) ? 1 : 0), 0);
}

/** A session's attendees with the scores (as the server's JSON: contact_id, answers, score,
 * quiz_size), from the args' attendees and the topic's quiz: answers that do not fit the quiz
 * are kept unscored (score and quiz_size null), as the server keeps them. */
export function scoredAttendees(quiz, attendees) {
  return (attendees || []).map((a) => {
    const answers = Array.isArray(a.answers) ? [...a.answers] : null;
    const fit = answersFit(quiz, answers);
    return {
      contact_id: a.contact_id,
      answers,
      score: fit ? scoreOf(quiz, answers) : null,
      quiz_size: fit ? quiz.length : null,
    };
  });
}

/** The average score of a session's quizzed attendees as a share 0..1, or null (none quizzed). */
export function averageShare(attendees) {
  const quizzed = (attendees || []).filter((a) => a.score != null && a.quiz_size);
  if (!quizzed.length) return null;
  return quizzed.reduce((s, a) => s + a.score / a.quiz_size, 0) / quizzed.length;
}

/** Why a contact added on the spot is refused (an i18n key), or null. */
export function promoterProblem({ name, phone }) {
  const n = String(name ?? '').trim();
  if (!n) return 'trainStep.nameRequired';
  if (n.length > MAX_NAME) return 'trainStep.nameTooLong';
  const p = String(phone ?? '').trim();
  if (p && !PHONE_RE.test(p)) return 'trainStep.phoneInvalid';
  return null;
}

/** A duration typed or picked → whole minutes 1..MAX_DURATION, or null. */
export function durationOf(value) {
  const s = String(value ?? '').trim();
  if (!/^\d{1,3}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= MAX_DURATION ? n : null;
}

/**
 * Why the server would refuse a session on `today`, as `{reason, params}`, or null: the topic
 * unknown (`training.unknown_topic`) or `today` outside its dates (`training.topic_not_current`;
 * a topic stopped — inactive — is no refusal, the server takes it), an attendee twice
 * (`training.duplicate_attendee`), an answer not a whole number (the server's schema refuses
 * it: `invalid_value`, field `attendees.<i>.answers.<j>`).
 * `contactIds`: the store's live contacts on the phone (`training.unknown_contact`).
 * Answers that do not fit the quiz (another count, a choice it lacks, a topic without a quiz) are
 * no refusal: the server keeps them unscored, like `scoredAttendees`.
 */
export function sessionProblem({ topic, topicId, today, attendees, contactIds }) {
  if (!topic) return { reason: 'training.unknown_topic', params: { topic_id: topicId } };
  if (!coversDay(topic, today)) return { reason: 'training.topic_not_current', params: { topic_id: topic.id } };
  const seen = new Set();
  const known = contactIds ? new Set([...contactIds].map(String)) : null;
  for (const [i, a] of attendees.entries()) {
    const cid = String(a.contact_id);
    if (seen.has(cid)) return { reason: 'training.duplicate_attendee', params: { contact_id: cid } };
    seen.add(cid);
    if (known && !known.has(cid)) return { reason: 'training.unknown_contact', params: { contact_id: cid } };
    if (a.answers === null || a.answers === undefined) continue;
    const bad = a.answers.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) return { reason: 'invalid_value', params: { field: `attendees.${i}.answers.${bad}` } };
  }
  return null;
}

const isoOf = (ms) => new Date(ms).toISOString();

/**
 * The training actions over `db` (db/actions.js createActions adds them to its own): `enqueue`
 * is its `enqueue`, `upsertContact` its contact action.
 */
export function createTrainingActions({ db, now, uuid, enqueue, upsertContact, today = businessToday }) {
  /** A promoter met at the store, added as its contact (`contact.upsert`, role promoter) before
   * the training names them. → the contact's id. */
  async function addPromoter({ storeId, name, phone } = {}) {
    const problem = promoterProblem({ name, phone });
    if (problem) throw new TypeError(problem);
    const fields = { name: String(name).trim(), role: 'promoter' };
    const p = String(phone ?? '').trim();
    if (p) fields.phone = p;
    return upsertContact(storeId, null, fields);
  }

  /**
   * A training given at a store (`training.record`): `topicId`, `durationMinutes` (1..480),
   * `attendees` [{contactId, answers: [choice index] | null}] (1..50, distinct contacts of the
   * store), `visitId`, `note`. Refused before queueing (TrainingError) for what the server would
   * refuse. → its id.
   */
  async function recordTraining({ storeId, visitId, topicId, durationMinutes, note, attendees } = {}) {
    const sid = Number(storeId);
    if (!Number.isInteger(sid)) throw new TypeError('storeId is required');
    const minutes = durationOf(durationMinutes);
    if (minutes === null) throw new TypeError(`durationMinutes must be 1..${MAX_DURATION}`);
    if (!Array.isArray(attendees) || !attendees.length) throw new TypeError('at least one attendee');
    if (attendees.length > MAX_ATTENDEES) throw new TypeError(`at most ${MAX_ATTENDEES} attendees`);
    const text = String(note ?? '').trim();
    if (text.length > MAX_NOTE) throw new TypeError(`note: at most ${MAX_NOTE} characters`);
    const list = attendees.map((a) => ({
      contact_id: String(a.contactId ?? a.contact_id),
      answers: Array.isArray(a.answers) ? a.answers.map(Number) : null,
    }));
    const topic = (await db.entities.get(['training_topic', String(topicId)]))?.data ?? null;
    const contacts = (
      await db.entities
        .where('[entity+storeId]')
        .equals(['contact', String(sid)])
        .toArray()
    )
      .filter((r) => !r.deleted && !r.data?.deleted_at)
      .map((r) => r.id);
    const t = now();
    const problem = sessionProblem({
      topic,
      topicId,
      today: today(new Date(t)),
      attendees: list,
      contactIds: contacts,
    });
    if (problem)
      throw new TrainingError(problem.reason, problem.params, `${problem.reason} ${JSON.stringify(problem.params)}`);
    const id = uuid();
    const args = {
      id,
      store_id: sid,
      topic_id: Number(topic.id),
      held_at: isoOf(t),
      duration_minutes: minutes,
      attendees: list,
    };
    if (visitId !== undefined && visitId !== null && visitId !== '') args.visit_id = String(visitId);
    if (text) args.note = text;
    await enqueue('training.record', args, topic.title ?? '');
    return id;
  }

  return { addPromoter, recordTraining };
}
