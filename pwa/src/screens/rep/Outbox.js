// The outbox: what has not reached the server yet, and what the server refused and why. A refused
// entry can be corrected and resent (as a new entry) or discarded. How each kind of entry is
// named and described comes from the mutation registry (db/mutations.js).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, lang, reasonText, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { useLive } from '../../components/hooks.js';
import { errorText, StaleWarning } from '../../components/SyncBar.js';
import { describeMutation, labelKey } from '../../db/mutations.js';
import { entityGet } from './model.js';
import { moneyString } from './steps/common.js';

// Ids and structures are not the rep's to edit (a task's completion: its task and completion id).
const HIDDEN = new Set(['id', 'visit_id', 'photo_ids', 'base', 'fields', 'answers', 'task_id', 'completion_id']);

/** The entry's name in the user's language (its registry label), else the label it was saved with. */
export function mutationLabel(row) {
  const key = labelKey(row.name);
  const label = t(key);
  return label === key ? row.label || row.name : label;
}

function editableKeys(args) {
  return Object.keys(args || {}).filter((k) => {
    const v = args[k];
    if (HIDDEN.has(k) || k.endsWith('_at')) return false;
    return v === null || ['string', 'number'].includes(typeof v);
  });
}

/**
 * What the entry is about, in the user's language now: a training's topic title as this phone
 * knows the topic (`row.topic`, looked up by the queued `topic_id`; its English title in English
 * when HQ gave one), else the label it was queued with (in the language of that moment).
 */
export function subjectLabel(row, language = lang()) {
  const topic = row.topic;
  const title = topic ? (language === 'en' && topic.title_en ? topic.title_en : topic.title) : null;
  return title || row.label;
}

/** The entry's line (its registry entry's `describe`), `name` the store's name when known. */
function describe(row, name) {
  return describeMutation({ ...row, label: subjectLabel(row) }, name, { t, fmt });
}

/** The outbox's rows with what their lines name, looked up on this phone: `storeName` (null when
 * the store is not, or no longer, here) and a training's `topic` ({title, title_en} or null). */
export async function outboxRows(db, list) {
  const names = {};
  const topics = {};
  for (const r of list) {
    const sid = r.args?.store_id;
    if (sid != null && names[sid] === undefined) {
      const s = await entityGet(db, 'store', sid);
      names[sid] = s?.data ? s.data.name : null; // not (or no longer) on this phone
    }
    const tid = r.name === 'training.record' ? r.args?.topic_id : null;
    if (tid != null && topics[tid] === undefined) {
      const tp = (await entityGet(db, 'training_topic', tid))?.data;
      topics[tid] = tp ? { title: tp.title ?? null, title_en: tp.title_en ?? null } : null;
    }
  }
  return list.map((r) => ({
    ...r,
    storeName: r.args && r.args.store_id != null ? names[r.args.store_id] : null,
    topic: r.name === 'training.record' && r.args?.topic_id != null ? topics[r.args.topic_id] : null,
  }));
}

function badField(error, k) {
  if (!error) return false;
  return error.field === k || !!(error.errors && typeof error.errors === 'object' && k in error.errors);
}

function argLabel(k) {
  const key = `arg.${k}`;
  const text = t(key);
  return text === key ? k : text;
}

/** A sentence in the user's language for the server's error code (the server's own message follows);
 * none when the error's reason is said in the user's language already (errorText). */
function explain(error) {
  if (reasonText(error)) return '';
  const code = error && (error.code || error.error);
  const key = `outbox.code.${code === 'validation' || code === 'unprocessable_entity' ? 'invalid' : code}`;
  const text = t(key);
  return text === key ? '' : text;
}

function Fixer({ row, onDone }) {
  const { actions } = useApp();
  const keys = editableKeys(row.args);
  const [values, setValues] = useState(() => Object.fromEntries(keys.map((k) => [k, row.args[k] ?? ''])));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function resend() {
    const corrected = { ...row.args };
    for (const k of keys) {
      const before = row.args[k];
      const v = values[k];
      if (k.endsWith('_price')) corrected[k] = moneyString(v) ?? (v === '' ? null : v);
      else if (typeof before === 'number') corrected[k] = v === '' ? null : Number(v);
      else if (before === null && v === '') corrected[k] = null;
      else corrected[k] = v;
    }
    setBusy(true);
    setError(null);
    try {
      await actions.resendRejected(row.id, corrected);
      onDone();
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
      setBusy(false);
    }
  }

  return html`<div class="card" style="background:#fafbfc;margin-top:0.5rem" data-testid="outbox-fixer">
    ${keys.map(
      (k) => html`<label class="field" key=${k}>
        <span class="label">${argLabel(k)}${badField(row.error, k) ? ' ⚠' : ''}</span>
        <input
          value=${values[k]}
          inputmode=${typeof row.args[k] === 'number' ? 'decimal' : undefined}
          onInput=${(e) => setValues((s) => ({ ...s, [k]: e.currentTarget.value }))}
          data-field=${k}
        />
      </label>`,
    )}
    ${error ? html`<div class="banner banner-err">${error}</div>` : null}
    <div class="btn-row">
      <button type="button" class="btn" onClick=${onDone}>${t('common.cancel')}</button>
      <button type="button" class="btn btn-primary" disabled=${busy} onClick=${resend} data-testid="outbox-resend">
        ${t('outbox.resend')}
      </button>
    </div>
  </div>`;
}

function Entry({ row, storeName }) {
  const { actions } = useApp();
  const [fixing, setFixing] = useState(false);
  const rejected = row.status === 'rejected';

  async function discard() {
    if (!confirm(t('outbox.discardConfirm'))) return;
    try {
      await actions.discardRejected(row.id);
    } catch (err) {
      console.error(err);
      alert(err.message || String(err));
    }
  }

  return html`<li class="outbox-entry" data-testid="outbox-entry" data-status=${row.status} data-name=${row.name}>
    <div style="display:flex;gap:0.5rem;align-items:baseline">
      <strong style="flex:1">${mutationLabel(row)}</strong>
      <span class="muted small">${t('outbox.createdAt', { time: fmt.when(row.createdAt) })}</span>
    </div>
    ${describe(row, storeName) ? html`<div class="kv">${describe(row, storeName)}</div>` : null}
    ${
      rejected
        ? html`<p class="reason" data-testid="outbox-reason">
            ${explain(row.error)} ${t('outbox.reason', { message: errorText(row.error) || t('common.unknown') })}
          </p>
          ${
            fixing
              ? html`<${Fixer} row=${row} onDone=${() => setFixing(false)} />`
              : html`<div class="btn-row">
                <button type="button" class="btn btn-small" onClick=${() => setFixing(true)} data-testid="outbox-fix">
                  ${t('outbox.fix')}
                </button>
                <button type="button" class="btn btn-small btn-danger" onClick=${discard} data-testid="outbox-discard">
                  ${t('outbox.discard')}
                </button>
              </div>`
          }`
        : null
    }
  </li>`;
}

export function Outbox({ status }) {
  const { db, queries } = useApp();
  const [rows, loaded] = useLive(async () => outboxRows(db, (await queries.outbox()) || []), [], []);
  const [photos] = useLive(
    async () => {
      const list = await db.photos.where('status').equals('pending').toArray();
      return { n: list.length, size: list.reduce((sum, p) => sum + (p.size || p.blob?.size || 0), 0) };
    },
    [],
    { n: 0, size: 0 },
  );

  const pending = (rows || []).filter((r) => r.status !== 'rejected');
  const rejected = (rows || []).filter((r) => r.status === 'rejected');
  const storage = status.storage || {};

  return html`<div data-testid="outbox-screen">
    <${StaleWarning} status=${status} />
    ${
      status.lastError && status.state === 'error'
        ? html`<div class="banner banner-err">${t('sync.lastError', { message: errorText(status.lastError) })}</div>`
        : null
    }
    ${
      rejected.length
        ? html`<h2 class="section-title">${t('outbox.rejected')} (${rejected.length})</h2>
          <div class="card">
            <ul class="list" data-testid="outbox-rejected">
              ${rejected.map((r) => html`<${Entry} key=${r.id} row=${r} storeName=${r.storeName} />`)}
            </ul>
          </div>`
        : null
    }
    <h2 class="section-title">${t('outbox.pending')} (${pending.length})</h2>
    <div class="card">
      ${
        pending.length
          ? html`<ul class="list" data-testid="outbox-pending">
            ${pending.map((r) => html`<${Entry} key=${r.id} row=${r} storeName=${r.storeName} />`)}
          </ul>`
          : html`<p class="empty" data-testid="outbox-empty">${loaded ? t('outbox.empty') : t('app.loading')}</p>`
      }
      ${photos.n ? html`<p class="muted small">${t('outbox.photos', { n: photos.n, size: fmt.bytes(photos.size) })}</p>` : null}
    </div>
    ${
      storage.usage != null
        ? html`<p class="muted small" style="text-align:center">
          ${t('outbox.storage', { used: fmt.bytes(storage.usage), quota: fmt.bytes(storage.quota) })}
        </p>`
        : null
    }
  </div>`;
}
