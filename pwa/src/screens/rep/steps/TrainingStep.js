// Promoters' training at a visit (issue 17: 培训导购), a folded step (a visit that skips it costs
// no tap). The rep picks a current topic (HQ's, sync entity `training_topic`; those of the models
// the store sells first), ticks the promoters present (the store's contacts, promoters first; one
// met on the spot is added as a contact at once, `contact.upsert` with role promoter), picks the
// duration, and when the topic has a quiz hands the phone to each promoter in turn: the questions
// one by one, the choices as big buttons, the score shown at the end (scored on the phone, the
// server scores again) — the right answers only behind a tap of the rep's, hidden again for the
// next promoter. Recording queues `training.record` (db/training.js). Everything works
// offline; what is picked and answered is kept in the visit's draft until recorded, so leaving
// the screen loses no half-done quiz.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmt, lang, reasonText, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { useBusinessZone, useLive } from '../../../components/hooks.js';
import { errorText } from '../../../components/SyncBar.js';
import { businessToday } from '../../../warranty/zone.js';
import {
  attendeeChoices,
  averageShare,
  currentTopics,
  DEFAULT_DURATION,
  DURATION_CHOICES,
  durationOf,
  MAX_NOTE,
  promoterProblem,
  quizOf,
  scoreOf,
  soldProducts,
} from '../../../db/training.js';
import { entitiesOfStore, entityList } from '../model.js';
import { useDraft } from '../useDraft.js';
import { Saved, Step } from './common.js';

/** The step's draft section when nothing is picked yet. */
export const EMPTY = {
  topicId: null,
  ticked: [],
  duration: String(DEFAULT_DURATION),
  note: '',
  phase: 'setup', // 'setup' → 'quiz' (one promoter after another) → 'review'
  answers: {}, // contact id → [choice index, …] (as far as answered) | null (quiz skipped)
  at: 0, // the promoter being quizzed (index into the ticked promoters, in list order)
  shown: [], // contact ids whose right answers the rep showed: they answer no more (not the answers)
  again: false, // a training was recorded in this visit and the rep records another
};

const LETTERS = 'ABCDE';

/** A topic's title, a question and its choices in the UI language (Chinese when no English). */
export const topicTitle = (topic) => (lang() === 'en' && topic?.title_en ? topic.title_en : (topic?.title ?? ''));
const questionText = (q) => (lang() === 'en' && q.question_en ? q.question_en : q.question);
const choicesOf = (q) =>
  lang() === 'en' && Array.isArray(q.choices_en) && q.choices_en.length === (q.choices || []).length
    ? q.choices_en
    : q.choices || [];

const withPending = (rows) => rows.filter((r) => r.data).map((r) => ({ ...r.data, pending: !!r.pending }));

/** What the step reads, all from the phone: topics, the store's contacts, what it sells, this
 * visit's trainings, and those of them the server refused (with the reason). */
export async function loadTraining(db, storeId, visitId) {
  const [topics, contacts, counts, reports, sessions, outbox] = await Promise.all([
    entityList(db, 'training_topic'),
    entitiesOfStore(db, 'contact', storeId),
    entitiesOfStore(db, 'shop_stock_count', storeId),
    entitiesOfStore(db, 'sellout_report', storeId),
    entitiesOfStore(db, 'training_session', storeId),
    db.outbox.where('status').equals('rejected').toArray(),
  ]);
  return {
    topics: topics.map((r) => r.data).filter(Boolean),
    contacts: withPending(contacts).filter((c) => !c.deleted_at),
    sold: soldProducts(withPending(counts), withPending(reports)),
    sessions: withPending(sessions)
      .filter((s) => String(s.visit_id) === String(visitId))
      .sort((a, b) => String(a.held_at).localeCompare(String(b.held_at))),
    refused: outbox.filter((r) => r.name === 'training.record' && String(r.args?.visit_id) === String(visitId)),
  };
}

/** The topic of a refused `training.record` outbox entry in the UI language: the topic on the
 * phone (`topicsById`, every topic synced, current or not), else the entry's label (the title
 * when it was queued, in Chinese). */
export function refusedTopic(entry, topicsById) {
  const topic = topicsById.get(String(entry.args?.topic_id));
  return (topic && topicTitle(topic)) || entry.label || '';
}

/** The ticked contacts, in the list's order (contacts no longer on the phone left out). */
export function tickedPeople(choices, ticked) {
  const set = new Set((ticked || []).map(String));
  return choices.filter((c) => set.has(String(c.id)));
}

/** The index in `people` of the first promoter whose quiz is not done (answered to the end, or
 * skipped: null), or -1 when everyone's is. */
export function firstToQuiz(people, answers, quiz) {
  return people.findIndex((p) => {
    const a = answers?.[String(p.id)];
    return !(a === null || (Array.isArray(a) && a.length >= quiz.length));
  });
}

/** The attendees to record: each ticked contact with their answers when they finished the quiz,
 * else null (not quizzed). */
export function attendeesToRecord(people, answers, quiz) {
  return people.map((p) => {
    const a = answers?.[String(p.id)];
    return { contactId: String(p.id), answers: quiz.length && Array.isArray(a) && a.length === quiz.length ? a : null };
  });
}

function scoreText(score, size) {
  return t('trainStep.score', { score: fmt.number(score), size: fmt.number(size) });
}

/** One recorded training, as the step and the finished visit list it. */
function SessionEntry({ session, topic, contactsById }) {
  const share = averageShare(session.attendees);
  return html`<${Saved} pending=${session.pending}>
    <span data-testid="training-saved" data-session-id=${session.id}>
      <strong>${topic ? topicTitle(topic) : `#${session.topic_id}`}</strong>${' · '}${[
        t('trainStep.people', { n: (session.attendees || []).length }),
        t('trainStep.minutes', { n: fmt.number(session.duration_minutes) }),
        share != null ? t('trainStep.average', { pct: fmt.number(Math.round(share * 100)) }) : null,
      ]
        .filter(Boolean)
        .join(' · ')}
    </span>
    <ul class="train-attendees small">
      ${(session.attendees || []).map(
        (a) => html`<li key=${a.contact_id} data-testid="training-attendee" data-contact-id=${a.contact_id}>
          ${contactsById.get(String(a.contact_id))?.name ?? '—'}
          <span class="muted"> ${a.score != null ? scoreText(a.score, a.quiz_size) : t('trainStep.notQuizzed')}</span>
        </li>`,
      )}
    </ul>
  </${Saved}>`;
}

export function TrainingStep({ visit, readOnly }) {
  const { db, actions } = useApp();
  const [data] = useLive(() => loadTraining(db, visit.store_id, visit.id), [visit.store_id, visit.id], null);
  const [form, update, { reset }] = useDraft(db, visit.id, 'training', EMPTY);
  const [adding, setAdding] = useState(null); // {name, phone} while adding a promoter on the spot
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  // The promoter (contact id) whose right answers the rep has chosen to go through: never kept in
  // the draft, so the results the next promoter is handed the phone on never show them.
  const [revealed, setRevealed] = useState(null);
  // Each promoter's quiz and the results start at the top of the phone's screen (the setup above
  // them is long): scrolled there when the phase or the promoter changes, not on the first render.
  const topRef = useRef(null);
  const seen = useRef(null);
  useEffect(() => {
    const mark = `${form.phase}:${form.at}`;
    if (seen.current !== null && seen.current !== mark && form.phase !== 'setup') topRef.current?.scrollIntoView?.();
    seen.current = mark;
  }, [form.phase, form.at]);

  // Which topics are current counts on the business calendar, as the server checks the day held
  // (rendered again when the zone is learned).
  useBusinessZone();
  const today = businessToday();
  const topics = data ? currentTopics(data.topics, today, data.sold) : [];
  const topicsById = new Map((data?.topics ?? []).map((tp) => [String(tp.id), tp]));
  const topic = form.topicId != null ? (topics.find((tp) => String(tp.id) === String(form.topicId)) ?? null) : null;
  const quiz = quizOf(topic);
  const choices = attendeeChoices(data?.contacts ?? []);
  const contactsById = new Map((data?.contacts ?? []).map((c) => [String(c.id), c]));
  const people = tickedPeople(choices, form.ticked);
  const sessions = data?.sessions ?? [];
  const done = sessions.length > 0;
  const minutes = durationOf(form.duration);

  const sessionList = sessions.map(
    (s) =>
      html`<${SessionEntry} key=${s.id} session=${s} topic=${topicsById.get(String(s.topic_id))} contactsById=${contactsById} />`,
  );
  // A refused training stays in the outbox until discarded: here too, as on the outbox screen.
  async function discardRefused(entryId) {
    if (!confirm(t('outbox.discardConfirm'))) return;
    try {
      await actions.discardRejected(entryId);
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    }
  }
  const refusals = (data?.refused ?? []).map(
    (r) => html`<div key=${r.id} class="banner banner-err small" role="alert" data-testid="training-refused">
      <div class="grow">
        ${t('trainStep.refused', { topic: refusedTopic(r, topicsById), reason: reasonText(r.error) || errorText(r.error) || '' })}
      </div>
      <button type="button" class="btn btn-small btn-danger" onClick=${() => discardRefused(r.id)} data-testid="training-refused-discard">
        ${t('outbox.discard')}
      </button>
    </div>`,
  );

  if (readOnly) {
    return html`<${Step} title=${t('visit.training')} done=${done} open=${false} testid="step-training">
      ${done ? sessionList : html`<p class="muted small">${t('trainStep.none')}</p>`}
    </${Step}>`;
  }

  // --- setup: topic, promoters, duration ---------------------------------------------------------

  function toggle(id) {
    const key = String(id);
    const ticked = form.ticked.map(String);
    update({ ticked: ticked.includes(key) ? ticked.filter((x) => x !== key) : [...ticked, key] });
  }

  async function addPromoter() {
    const problem = promoterProblem(adding);
    if (problem) {
      setError(t(problem));
      return;
    }
    setError(null);
    try {
      const id = await actions.addPromoter({ storeId: visit.store_id, name: adding.name, phone: adding.phone });
      update({ ticked: [...form.ticked.map(String), String(id)] });
      setAdding(null);
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    }
  }

  async function record() {
    setError(null);
    setBusy(true);
    try {
      await actions.recordTraining({
        storeId: visit.store_id,
        visitId: visit.id,
        topicId: topic.id,
        durationMinutes: minutes,
        note: form.note,
        attendees: attendeesToRecord(people, form.answers, quiz),
      });
      reset({ drop: true });
    } catch (err) {
      console.error(err);
      // A training the server would refuse is refused here with its reason, in the UI language.
      setError(reasonText(err) || err.message || String(err));
    } finally {
      setBusy(false);
    }
  }

  // Back from the results to change the duration or the note (or to tick one more promoter), the
  // quiz goes on where it is: the answers given stay, the first promoter not done is next.
  const toQuiz = quiz.length ? firstToQuiz(people, form.answers, quiz) : -1;

  function start() {
    setError(null);
    if (!quiz.length) record();
    else if (toQuiz === -1) update({ phase: 'review' });
    else update({ phase: 'quiz', at: toQuiz });
  }

  const canGo = !!topic && people.length > 0 && minutes !== null && String(form.note).length <= MAX_NOTE;

  function setup() {
    return html`<div class="train-setup" data-testid="training-setup">
      <h2 class="grid-group">${t('trainStep.topic')}</h2>
      ${
        topics.length
          ? html`<div class="train-topics" role="radiogroup" aria-label=${t('trainStep.topic')}>
            ${topics.map((tp) => {
              const n = quizOf(tp).length;
              return html`<button
                type="button"
                key=${tp.id}
                role="radio"
                class="train-topic"
                aria-checked=${String(tp.id) === String(form.topicId) ? 'true' : 'false'}
                onClick=${() => update({ topicId: tp.id, answers: {}, shown: [] })}
                data-testid="training-topic"
                data-topic-id=${tp.id}
              >
                <span class="train-topic-title">${topicTitle(tp)}</span>
                <span class="grid-sub">
                  ${t(`trainStep.kind.${tp.kind}`)} · ${n ? t('trainStep.quizSize', { n }) : t('trainStep.noQuiz')}
                  ${tp.product_id != null && data.sold.has(Number(tp.product_id)) ? html` · ${t('trainStep.sellsHere')}` : null}
                </span>
              </button>`;
            })}
          </div>`
          : html`<p class="muted small" data-testid="training-no-topics">${t('trainStep.noTopics')}</p>`
      }

      <h2 class="grid-group">${t('trainStep.present')}</h2>
      ${
        choices.length
          ? html`<ul class="grid-list" data-testid="training-people">
            ${choices.map(
              (c) => html`<li key=${c.id} class="grid-row">
                <label class="grid-line train-person" data-testid="training-person" data-contact-id=${c.id}>
                  <input type="checkbox" checked=${form.ticked.map(String).includes(String(c.id))} onChange=${() => toggle(c.id)} />
                  <span class="grid-name">
                    <span>${c.name}</span>
                    <span class="grid-sub">${c.role ? t(`contact.role.${c.role}`) : ''}${c.pending ? ` · ${t('common.waiting')}` : ''}</span>
                  </span>
                </label>
              </li>`,
            )}
          </ul>`
          : html`<p class="muted small">${t('trainStep.noContacts')}</p>`
      }
      ${
        adding
          ? html`<div class="train-add" data-testid="training-add-form">
            <label class="field">
              <span class="label">${t('trainStep.name')}</span>
              <input
                type="text"
                maxlength="100"
                autocomplete="off"
                value=${adding.name}
                onInput=${(e) => setAdding({ ...adding, name: e.currentTarget.value })}
                data-testid="training-add-name"
              />
            </label>
            <label class="field">
              <span class="label">${t('trainStep.phone')}</span>
              <input
                type="tel"
                maxlength="32"
                autocomplete="off"
                value=${adding.phone}
                onInput=${(e) => setAdding({ ...adding, phone: e.currentTarget.value })}
                data-testid="training-add-phone"
              />
            </label>
            <div class="btn-row">
              <button type="button" class="btn" onClick=${() => {
                setAdding(null);
                setError(null);
              }}>${t('common.cancel')}</button>
              <button type="button" class="btn btn-primary" onClick=${addPromoter} data-testid="training-add-save">
                ${t('trainStep.addSave')}
              </button>
            </div>
          </div>`
          : html`<button type="button" class="btn btn-block" onClick=${() => setAdding({ name: '', phone: '' })} data-testid="training-add">
            + ${t('trainStep.add')}
          </button>`
      }

      <h2 class="grid-group">${t('trainStep.duration')}</h2>
      <div class="chips train-duration">
        ${DURATION_CHOICES.map(
          (m) => html`<button
            type="button"
            class="chip"
            key=${m}
            aria-pressed=${String(form.duration) === String(m) ? 'true' : 'false'}
            aria-label=${t('trainStep.minutes', { n: fmt.number(m) })}
            onClick=${() => update({ duration: String(m) })}
            data-testid="training-duration"
            data-minutes=${m}
          >
            ${fmt.number(m)}
          </button>`,
        )}
        <input
          type="text"
          inputmode="numeric"
          pattern="[0-9]*"
          class="train-minutes"
          aria-label=${t('trainStep.durationInput')}
          aria-invalid=${minutes === null ? 'true' : 'false'}
          value=${form.duration}
          onInput=${(e) => update({ duration: e.currentTarget.value })}
          data-testid="training-minutes"
        />
      </div>
      ${minutes === null ? html`<p class="grid-sub grid-err">${t('trainStep.durationBad')}</p>` : null}
      <label class="field">
        <span class="label">${t('trainStep.note')}</span>
        <input type="text" maxlength=${MAX_NOTE} value=${form.note} onInput=${(e) => update({ note: e.currentTarget.value })} data-testid="training-note" />
      </label>
      ${error ? html`<div class="banner banner-err" role="alert" data-testid="training-error">${error}</div>` : null}
      <button type="button" class="btn btn-primary btn-block" disabled=${!canGo || busy} onClick=${start} data-testid="training-start">
        ${
          !quiz.length
            ? t('trainStep.record')
            : people.length && toQuiz === -1
              ? t('trainStep.toReview')
              : t('trainStep.startQuiz', { n: people.length })
        }
      </button>
      ${sessions.length ? html`<button type="button" class="btn btn-quiet btn-block" onClick=${() => reset({ drop: true })}>${t('common.cancel')}</button>` : null}
    </div>`;
  }

  // --- the quiz: each promoter in turn, one question at a time ------------------------------------

  function quizView() {
    const at = Math.min(form.at, people.length - 1);
    const person = people[at];
    if (!person || !quiz.length) return setup();
    const key = String(person.id);
    const given = Array.isArray(form.answers[key]) ? form.answers[key] : [];
    const q = given.length;
    const next = at + 1 < people.length ? people[at + 1] : null;
    const goOn = () => {
      setRevealed(null);
      if (next) update({ at: at + 1 });
      else update({ phase: 'review' });
    };
    const head = html`<p class="muted small" data-testid="training-quiz-progress">
      ${t('trainStep.personOf', { i: at + 1, n: people.length })}${q < quiz.length ? ` · ${t('trainStep.questionOf', { i: q + 1, n: quiz.length })}` : ''}
    </p>
    <h3 class="train-who" data-testid="training-quiz-person">${person.name}</h3>`;

    if (q >= quiz.length) {
      // The score only: the phone goes from hand to hand, so which answers were right (and what the
      // right ones are) shows behind a tap of the rep's, for this promoter only — moving on hides
      // it — and once shown the quiz cannot be answered again.
      const score = scoreOf(quiz, given);
      const shown = revealed === key;
      // Once the right answers were shown (now or earlier: leaving the step hides them again), no
      // second try — the draft keeps that they were seen, not that they are on the screen.
      const seen = shown || (form.shown || []).includes(key);
      return html`<div class="train-quiz" data-testid="training-quiz" data-contact-id=${person.id}>
        ${head}
        <div class="train-score" data-testid="training-quiz-score" data-score=${score} data-size=${quiz.length}>
          ${scoreText(score, quiz.length)}
        </div>
        ${
          shown
            ? html`<ol class="train-marks small" data-testid="training-quiz-marks">
              ${quiz.map((item, i) => {
                const right = Number(given[i]) === Number(item.answer);
                return html`<li key=${i} class=${right ? 'grid-ok' : 'grid-err'}>
                  ${right ? '✓' : '✗'} ${questionText(item)}
                  ${right ? null : html`<span class="muted"> — ${t('trainStep.rightAnswer', { choice: `${LETTERS[item.answer]}. ${choicesOf(item)[item.answer] ?? ''}` })}</span>`}
                </li>`;
              })}
            </ol>`
            : html`<p class="muted small">${t('trainStep.answersHidden')}</p>
              <button
                type="button"
                class="btn btn-block"
                onClick=${() => {
                  setRevealed(key);
                  if (!(form.shown || []).includes(key)) update({ shown: [...(form.shown || []), key] });
                }}
                data-testid="training-quiz-reveal"
              >
                ${t('trainStep.showAnswers')}
              </button>`
        }
        <div class="btn-row">
          ${
            seen
              ? null
              : html`<button type="button" class="btn" onClick=${() => update({ answers: { ...form.answers, [key]: [] } })} data-testid="training-quiz-redo">
                ${t('trainStep.redo')}
              </button>`
          }
          <button type="button" class="btn btn-primary" onClick=${goOn} data-testid="training-quiz-next">
            ${next ? t('trainStep.nextPerson', { name: next.name }) : t('trainStep.toReview')}
          </button>
        </div>
      </div>`;
    }

    const item = quiz[q];
    const answer = (i) => update({ answers: { ...form.answers, [key]: [...given, i] } });
    return html`<div class="train-quiz" data-testid="training-quiz" data-contact-id=${person.id} data-question=${q + 1}>
      ${head}
      <p class="train-question" data-testid="training-question">${questionText(item)}</p>
      <div class="train-choices">
        ${choicesOf(item).map(
          (
            c,
            i,
          ) => html`<button type="button" key=${i} class="btn btn-block train-choice" onClick=${() => answer(i)} data-testid="training-choice" data-choice=${i}>
            <span class="train-letter">${LETTERS[i]}</span> ${c}
          </button>`,
        )}
      </div>
      <div class="btn-row">
        <button
          type="button"
          class="btn"
          onClick=${() => {
            // Back one question; before the first one, to the previous promoter's first question
            // (answered again) — to their score when they saw the right answers (no second try) —
            // or from the very first back to the topic and the promoters.
            if (q > 0) update({ answers: { ...form.answers, [key]: given.slice(0, -1) } });
            else if (at > 0) {
              const prev = String(people[at - 1].id);
              setRevealed(null);
              if ((form.shown || []).includes(prev)) update({ at: at - 1 });
              else update({ at: at - 1, answers: { ...form.answers, [prev]: [] } });
            } else update({ phase: 'setup' });
          }}
          data-testid="training-quiz-back"
        >
          ${t('trainStep.back')}
        </button>
        <button
          type="button"
          class="btn"
          onClick=${() => {
            update({ answers: { ...form.answers, [key]: null } });
            goOn();
          }}
          data-testid="training-quiz-skip"
        >
          ${t('trainStep.skip')}
        </button>
      </div>
    </div>`;
  }

  // --- review, then record --------------------------------------------------------------------------

  function review() {
    const list = attendeesToRecord(people, form.answers, quiz);
    return html`<div class="train-review" data-testid="training-review">
      <p><strong>${topicTitle(topic)}</strong> · ${t('trainStep.minutes', { n: fmt.number(minutes ?? 0) })}</p>
      <ul class="grid-list">
        ${list.map((a) => {
          const p = contactsById.get(a.contactId);
          return html`<li key=${a.contactId} class="grid-row">
            <div class="grid-line" data-testid="training-review-row" data-contact-id=${a.contactId}>
              <span class="grid-name">${p?.name ?? '—'}</span>
              <span class=${a.answers ? 'grid-ok' : 'muted'}>
                ${a.answers ? scoreText(scoreOf(quiz, a.answers), quiz.length) : t('trainStep.notQuizzed')}
              </span>
            </div>
          </li>`;
        })}
      </ul>
      ${error ? html`<div class="banner banner-err" role="alert" data-testid="training-error">${error}</div>` : null}
      <div class="btn-row">
        <button type="button" class="btn" onClick=${() => update({ phase: 'setup' })} data-testid="training-edit">${t('trainStep.edit')}</button>
        <button type="button" class="btn btn-primary" disabled=${busy || !canGo} onClick=${record} data-testid="training-record">
          ${t('trainStep.record')}
        </button>
      </div>
    </div>`;
  }

  const phase = !topic || !people.length ? 'setup' : form.phase;
  const showForm = !done || form.again;
  return html`<${Step} title=${t('visit.training')} done=${done} open=${false} testid="step-training">
    <div data-testid="training-body" data-loaded=${data ? 'true' : 'false'} class="train-body" ref=${topRef}>
      ${refusals}
      ${done ? html`<p class="muted small">${t('trainStep.recorded')}</p>${sessionList}` : null}
      ${
        showForm
          ? phase === 'quiz'
            ? quizView()
            : phase === 'review'
              ? review()
              : setup()
          : html`<button type="button" class="btn btn-block" onClick=${() => update({ again: true })} data-testid="training-another">
            + ${t('trainStep.another')}
          </button>`
      }
    </div>
  </${Step}>`;
}
