// Training topics (#/training/topics, a tab of the training page): HQ's list of the topics reps train promoters on — current,
// upcoming, ended, inactive — and the form that adds or changes one: code, title in Chinese and
// English, kind, the model of ours it is about, first and last day, active, and its quiz (none, or
// 3–5 questions of 2–5 choices in Chinese, optionally English, the right one marked). The server
// checks the quiz (POST/PATCH /training/topics, backend/training/service.py); its refusal shows
// next to the field it names, in the UI language (reasons.js).
import './i18n/index.js'; // HQ's strings
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { request } from '../../api.js';
import { localField, localName, t } from '../../i18n/index.js';
import { apiMessage, ErrorBanner, RefreshButton, Segmented, useAction, useRemote } from '../desk/kit.js';
import { todayIn } from './market.js';
import { useLookups } from './marketCommon.js';
import './market.css';

export const KINDS = ['product', 'promotion', 'skills'];
export const STATUSES = ['current', 'upcoming', 'ended', 'inactive'];
export const MAX_QUESTIONS = 5;
const STATUS_TAG = { current: 'tag tag-ok', upcoming: 'tag tag-warn', ended: 'tag', inactive: 'tag tag-err' };
export const MIN_CHOICES = 2;
export const MAX_CHOICES = 5;

// --- pure ----------------------------------------------------------------------------------------

/** Where a topic stands on `today` (ISO day): inactive, upcoming (starts later), ended (its last
 * day passed) or current — the server's `current=true` rule. */
export function topicStatus(topic, today) {
  if (!topic.active) return 'inactive';
  if (topic.starts_on && topic.starts_on > today) return 'upcoming';
  if (topic.ends_on && topic.ends_on < today) return 'ended';
  return 'current';
}

/** Topics by status (STATUSES order), then first day, then code. */
export function sortTopics(topics, today) {
  const rank = (tp) => STATUSES.indexOf(topicStatus(tp, today));
  return [...topics].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      String(a.starts_on || '').localeCompare(String(b.starts_on || '')) ||
      String(a.code).localeCompare(String(b.code)),
  );
}

export const emptyQuestion = () => ({
  question: '',
  question_en: '',
  choices: ['', ''],
  choices_en: ['', ''],
  answer: 0,
});

export const emptyForm = () => ({
  code: '',
  title: '',
  title_en: '',
  kind: 'product',
  product_id: '',
  starts_on: '',
  ends_on: '',
  active: true,
  quiz: [],
});

/** A topic from the server as the form edits it (strings; English choices padded to the Chinese). */
export function formFromTopic(topic) {
  return {
    code: topic.code || '',
    title: topic.title || '',
    title_en: topic.title_en || '',
    kind: topic.kind || 'product',
    product_id: topic.product_id == null ? '' : String(topic.product_id),
    starts_on: topic.starts_on || '',
    ends_on: topic.ends_on || '',
    active: topic.active !== false,
    quiz: (topic.quiz || []).map((q) => ({
      question: q.question || '',
      question_en: q.question_en || '',
      choices: [...(q.choices || [])],
      choices_en: (q.choices || []).map((_, i) => q.choices_en?.[i] || ''),
      answer: Number.isInteger(q.answer) ? q.answer : 0,
    })),
  };
}

const blankToNull = (v) => {
  const s = String(v ?? '').trim();
  return s ? s : null;
};

/** The POST/PATCH body of the form: trimmed texts, empty optional ones null, English choices null
 * when none is given. */
export function bodyFromForm(form) {
  return {
    code: form.code.trim(),
    title: form.title.trim(),
    title_en: blankToNull(form.title_en),
    kind: form.kind,
    product_id: form.product_id === '' ? null : Number(form.product_id),
    starts_on: form.starts_on || null,
    ends_on: form.ends_on || null,
    active: !!form.active,
    quiz: form.quiz.map((q) => {
      const en = q.choices_en.map((c) => c.trim());
      return {
        question: q.question.trim(),
        question_en: blankToNull(q.question_en),
        choices: q.choices.map((c) => c.trim()),
        choices_en: en.some(Boolean) ? en : null,
        answer: q.answer,
      };
    }),
  };
}

/** What the form can tell before asking the server: `{field: message key}` (the server checks the
 * rest — quiz size, choices, dates, code — and its refusal shows at the field it names). */
export function localProblems(form) {
  const problems = {};
  form.quiz.forEach((q, i) => {
    const en = q.choices_en.map((c) => c.trim());
    if (en.some(Boolean) && !en.every(Boolean)) problems[`quiz.${i}.choices_en`] = 'topics.enChoicesAll';
  });
  return problems;
}

/** The form with question `qi`'s choice `ci` removed (the right answer follows its choice; the
 * removed one's answer falls back to the first). */
export function removeChoice(form, qi, ci) {
  const quiz = form.quiz.map((q, i) => {
    if (i !== qi || q.choices.length <= MIN_CHOICES) return q;
    let answer = q.answer;
    if (answer === ci) answer = 0;
    else if (answer > ci) answer -= 1;
    return {
      ...q,
      choices: q.choices.filter((_, j) => j !== ci),
      choices_en: q.choices_en.filter((_, j) => j !== ci),
      answer,
    };
  });
  return { ...form, quiz };
}

/** The fields the form shows an error at: the server's `field` (e.g. "quiz.1.choices"). */
export function placedField(field) {
  if (!field) return false;
  return (
    ['code', 'title', 'title_en', 'kind', 'product_id', 'starts_on', 'ends_on', 'quiz'].includes(field) ||
    /^quiz\.\d+\.(question|question_en|choices|choices_en|answer)$/.test(field)
  );
}

// --- REST ----------------------------------------------------------------------------------------

const listTopics = () => request('GET', '/training/topics').then((rows) => (Array.isArray(rows) ? rows : []));
const saveTopic = (id, body) =>
  id ? request('PATCH', `/training/topics/${id}`, { json: body }) : request('POST', '/training/topics', { json: body });

// --- UI ------------------------------------------------------------------------------------------

function FieldError({ error, local, name }) {
  const text = local?.[name] ? t(local[name]) : error && error.field === name ? apiMessage(error) : null;
  if (!text) return null;
  return html`<p class="check check-err small" role="alert" data-testid="topic-field-error" data-field=${name}>✗ ${text}</p>`;
}

function productText(products, id) {
  const p = products.find((x) => x.id === id);
  return p ? `${p.model_code} · ${localName(p)}` : id == null ? '' : `#${id}`;
}

function Question({ q, qi, set, error, local }) {
  const setQ = (change) => set((f) => ({ ...f, quiz: f.quiz.map((x, i) => (i === qi ? { ...x, ...change } : x)) }));
  const setChoice = (key, ci, value) => setQ({ [key]: q[key].map((c, j) => (j === ci ? value : c)) });
  return html`<fieldset class="card" data-testid="quiz-question" data-index=${qi} style="margin:0.5rem 0">
    <legend><strong>${t('topics.question', { n: qi + 1 })}</strong></legend>
    <div class="field">
      <label class="label" for=${`q${qi}`}>${t('topics.questionZh')}</label>
      <input id=${`q${qi}`} maxlength="300" value=${q.question} onInput=${(e) => setQ({ question: e.currentTarget.value })} data-testid="quiz-question-zh" />
      <${FieldError} error=${error} name=${`quiz.${qi}.question`} />
    </div>
    <div class="field">
      <label class="label" for=${`q${qi}en`}>${t('topics.questionEn')} <span class="muted">(${t('common.optional')})</span></label>
      <input id=${`q${qi}en`} maxlength="300" value=${q.question_en} onInput=${(e) => setQ({ question_en: e.currentTarget.value })} data-testid="quiz-question-en" />
    </div>
    <table class="table table-compact">
      <thead>
        <tr>
          <th>${t('topics.rightAnswer')}</th>
          <th>${t('topics.choiceZh')}</th>
          <th>${t('topics.choiceEn')}</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${q.choices.map(
          (c, ci) => html`<tr key=${ci} data-testid="quiz-choice" data-index=${ci}>
            <td style="vertical-align:middle;text-align:center">
              <input
                type="radio"
                name=${`answer-${qi}`}
                checked=${q.answer === ci}
                onChange=${() => setQ({ answer: ci })}
                aria-label=${t('topics.markRight', { n: ci + 1 })}
                data-testid="quiz-answer"
              />
            </td>
            <td><input maxlength="120" value=${c} aria-label=${t('topics.choiceN', { n: ci + 1 })} onInput=${(e) => setChoice('choices', ci, e.currentTarget.value)} data-testid="quiz-choice-zh" /></td>
            <td><input maxlength="120" value=${q.choices_en[ci]} aria-label=${t('topics.choiceNEn', { n: ci + 1 })} onInput=${(e) => setChoice('choices_en', ci, e.currentTarget.value)} data-testid="quiz-choice-en" /></td>
            <td>
              <button
                type="button"
                class="btn btn-small"
                disabled=${q.choices.length <= MIN_CHOICES}
                onClick=${() => set((f) => removeChoice(f, qi, ci))}
                data-testid="quiz-remove-choice"
              >
                ${t('topics.removeChoice')}
              </button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${FieldError} error=${error} name=${`quiz.${qi}.choices`} />
    <${FieldError} error=${error} local=${local} name=${`quiz.${qi}.choices_en`} />
    <${FieldError} error=${error} name=${`quiz.${qi}.answer`} />
    <div class="toolbar">
      <button
        type="button"
        class="btn btn-small"
        disabled=${q.choices.length >= MAX_CHOICES}
        onClick=${() => setQ({ choices: [...q.choices, ''], choices_en: [...q.choices_en, ''] })}
        data-testid="quiz-add-choice"
      >
        ${t('topics.addChoice')}
      </button>
      <button
        type="button"
        class="btn btn-small"
        onClick=${() => set((f) => ({ ...f, quiz: f.quiz.filter((_, i) => i !== qi) }))}
        data-testid="quiz-remove-question"
      >
        ${t('topics.removeQuestion')}
      </button>
    </div>
  </fieldset>`;
}

function TopicForm({ topic, products, onDone, onCancel }) {
  const [form, setForm] = useState(() => (topic ? formFromTopic(topic) : emptyForm()));
  const [local, setLocal] = useState({});
  const action = useAction();
  const ref = useRef(null);
  useEffect(() => ref.current?.scrollIntoView?.({ block: 'start' }), []);
  const field = (name) => ({
    value: form[name],
    onInput: (e) => setForm((f) => ({ ...f, [name]: e.currentTarget.value })),
    id: `topic-${name}`,
    'data-testid': `topic-${name}`,
  });
  async function submit(e) {
    e.preventDefault();
    const problems = localProblems(form);
    setLocal(problems);
    if (Object.keys(problems).length) return;
    const saved = await action.run(() => saveTopic(topic?.id, bodyFromForm(form)));
    if (saved) onDone(saved);
  }
  const err = action.error;
  const banner = err && !placedField(err.field) ? err : null;
  return html`<form class="card" ref=${ref} onSubmit=${submit} data-testid="topic-form" data-topic=${topic?.id ?? ''}>
    <h3>${topic ? t('topics.editTitle', { code: topic.code }) : t('topics.newTitle')}</h3>
    <${ErrorBanner} error=${banner} />
    ${err && !banner ? html`<p class="check check-err small" data-testid="topic-form-refused">${t('topics.refused')}</p>` : null}
    <div class="market-filters" style="grid-template-columns:12rem 12rem minmax(16rem, 1fr)">
      <div class="field">
        <label class="label" for="topic-code">${t('topics.code')}</label>
        <input maxlength="32" required ...${field('code')} />
        <${FieldError} error=${err} name="code" />
      </div>
      <div class="field">
        <label class="label" for="topic-kind">${t('topics.kind')}</label>
        <select ...${field('kind')} onChange=${(e) => setForm((f) => ({ ...f, kind: e.currentTarget.value }))}>
          ${KINDS.map((k) => html`<option key=${k} value=${k}>${t(`topics.kind.${k}`)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label class="label" for="topic-product_id">${t('topics.model')}</label>
        <select ...${field('product_id')} onChange=${(e) => setForm((f) => ({ ...f, product_id: e.currentTarget.value }))}>
          <option value="">${t('topics.noModel')}</option>
          ${products.map((p) => html`<option key=${p.id} value=${String(p.id)}>${productText(products, p.id)}</option>`)}
        </select>
        <${FieldError} error=${err} name="product_id" />
      </div>
    </div>
    <div class="market-filters" style="grid-template-columns:1fr 1fr">
      <div class="field">
        <label class="label" for="topic-title">${t('topics.titleZh')}</label>
        <input maxlength="120" required ...${field('title')} />
        <${FieldError} error=${err} name="title" />
      </div>
      <div class="field">
        <label class="label" for="topic-title_en">${t('topics.titleEn')} <span class="muted">(${t('common.optional')})</span></label>
        <input maxlength="120" ...${field('title_en')} />
        <${FieldError} error=${err} name="title_en" />
      </div>
    </div>
    <div class="market-filters" style="grid-template-columns:12rem 12rem auto">
      <div class="field">
        <label class="label" for="topic-starts_on">${t('topics.startsOn')}</label>
        <input type="date" ...${field('starts_on')} />
        <${FieldError} error=${err} name="starts_on" />
      </div>
      <div class="field">
        <label class="label" for="topic-ends_on">${t('topics.endsOn')}</label>
        <input type="date" ...${field('ends_on')} />
        <${FieldError} error=${err} name="ends_on" />
      </div>
      <label class="field" style="flex-direction:row;align-items:center;gap:0.4rem">
        <input
          type="checkbox"
          checked=${form.active}
          onChange=${(e) => setForm((f) => ({ ...f, active: e.currentTarget.checked }))}
          data-testid="topic-active"
        />
        ${t('topics.active')}
      </label>
    </div>
    <h4>${t('topics.quiz')}</h4>
    <p class="small muted">${t('topics.quizExplain')}</p>
    <${FieldError} error=${err} name="quiz" />
    ${form.quiz.map((q, qi) => html`<${Question} key=${qi} q=${q} qi=${qi} set=${setForm} error=${err} local=${local} />`)}
    <div class="toolbar">
      <button
        type="button"
        class="btn btn-small"
        disabled=${form.quiz.length >= MAX_QUESTIONS}
        onClick=${() => setForm((f) => ({ ...f, quiz: [...f.quiz, emptyQuestion()] }))}
        data-testid="quiz-add-question"
      >
        ${t('topics.addQuestion')}
      </button>
      <span style="flex:1"></span>
      <button type="button" class="btn" onClick=${onCancel} data-testid="topic-cancel">${t('common.cancel')}</button>
      <button type="submit" class="btn btn-primary" disabled=${!!action.busy} data-testid="topic-save">
        ${action.busy ? t('topics.saving') : t('topics.save')}
      </button>
    </div>
  </form>`;
}

export function TrainingTopics() {
  const { products } = useLookups();
  const today = todayIn();
  const remote = useRemote(listTopics, []);
  const [filter, setFilter] = useState('all');
  const [editing, setEditing] = useState(null); // null | 'new' | a topic
  const [savedId, setSavedId] = useState(null);
  const rows = useMemo(() => sortTopics(remote.data || [], today), [remote.data, today]);
  const counts = Object.fromEntries(STATUSES.map((s) => [s, rows.filter((r) => topicStatus(r, today) === s).length]));
  const shown = filter === 'all' ? rows : rows.filter((r) => topicStatus(r, today) === filter);
  const edit = (what) => {
    setSavedId(null);
    setEditing(what);
  };
  const done = (saved) => {
    setEditing(null);
    setSavedId(saved.id);
    remote.reload();
  };

  return html`<div data-testid="training-topics">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('topics.title')}</h2>
        <span style="flex:1"></span>
        <${RefreshButton} onClick=${remote.reload} />
        <button type="button" class="btn btn-small btn-primary" onClick=${() => edit('new')} data-testid="topic-new">${t('topics.new')}</button>
      </div>
      <p class="small muted">${t('topics.explain')}</p>
      <${Segmented}
        label=${t('topics.status')}
        testid="topic-filter"
        attr="status"
        value=${filter}
        onChange=${setFilter}
        options=${[['all', `${t('topics.all')} (${rows.length})`], ...STATUSES.map((s) => [s, `${t(`topics.status.${s}`)} (${counts[s]})`])]}
      />
    </section>
    ${editing ? html`<${TopicForm} key=${editing === 'new' ? 'new' : editing.id} topic=${editing === 'new' ? null : editing} products=${products} onDone=${done} onCancel=${() => setEditing(null)} />` : null}
    <section class="card">
      <${ErrorBanner} error=${remote.error} onRetry=${remote.reload} />
      ${savedId ? html`<p class="check check-ok small" role="status" data-testid="topic-saved">${t('topics.saved')}</p>` : null}
      ${
        shown.length
          ? html`<div class="table-wrap">
              <table class="table" data-testid="topics-table">
                <thead>
                  <tr>
                    <th>${t('topics.topic')}</th>
                    <th>${t('topics.kind')}</th>
                    <th>${t('topics.model')}</th>
                    <th>${t('topics.dates')}</th>
                    <th>${t('topics.status')}</th>
                    <th class="num">${t('topics.quizSize')}</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${shown.map((r) => {
                    const status = topicStatus(r, today);
                    return html`<tr key=${r.id} data-testid="topic-row" data-topic=${r.id} data-code=${r.code} data-status=${status}>
                      <td><strong>${localField(r, 'title')}</strong><div class="small muted">${r.code}</div></td>
                      <td>${t(`topics.kind.${r.kind}`)}</td>
                      <td>${productText(products, r.product_id) || html`<span class="muted">–</span>`}</td>
                      <td class="small">${r.starts_on || r.ends_on ? `${r.starts_on || '…'} – ${r.ends_on || '…'}` : t('topics.noDates')}</td>
                      <td><span class=${STATUS_TAG[status]} data-testid="topic-status">${t(`topics.status.${status}`)}</span></td>
                      <td class="num">${r.quiz?.length ? r.quiz.length : html`<span class="muted small">${t('trainingCov.noQuiz')}</span>`}</td>
                      <td><button type="button" class="btn btn-small" onClick=${() => edit(r)} data-testid="topic-edit">${t('topics.edit')}</button></td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>`
          : html`<p class="empty" data-testid="topics-empty">${remote.loading ? t('app.loading') : t('topics.none')}</p>`
      }
    </section>
  </div>`;
}
