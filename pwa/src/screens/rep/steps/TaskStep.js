// The store's tasks at a visit (issue 18): what a manager or HQ asked for at this store — fix the
// display, deliver posters, check a price, train the promoters — each marked done here with a
// note and, when the task needs one, a photo (queued as `task.complete`, db/tasks.js; the task
// shows done at once, offline). Drawn only when the store has open tasks or some were done at
// this visit: a visit to a store without tasks looks and taps exactly as before.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, reasonText, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { PhotoPicker } from '../../../components/PhotoPicker.js';
import { MAX_NOTE, MAX_PHOTOS } from '../../../db/tasks.js';
import { Saved, Step } from './common.js';

/** "due 11-25" / "due today" / "Overdue" and "Photo needed", as tags. */
export function TaskTags({ task, today }) {
  const due = String(task.due_on ?? '').slice(0, 10);
  return html`<span class="tags task-tags">
    ${task.overdue ? html`<span class="tag tag-err" data-testid="task-overdue">${t('repTask.overdue')}</span>` : null}
    <span class="tag">${due === today ? t('repTask.dueToday') : t('repTask.due', { date: fmt.day(due) })}</span>
    ${task.needs_photo ? html`<span class="tag tag-warn">${t('repTask.needsPhoto')}</span>` : null}
  </span>`;
}

/** One open task: what it asks, and its "Mark done" form (note, photo). */
function OpenTask({ task, visit, today }) {
  const { actions } = useApp();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [photoIds, setPhotoIds] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const photoMissing = task.needs_photo && !photoIds.length;

  async function done() {
    if (photoMissing) {
      setError(t('repTask.photoNeeded'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await actions.completeTask({ taskId: task.id, visitId: visit.id, note, photoIds });
    } catch (err) {
      if (!err?.reason) console.error(err);
      setError(reasonText(err) || err.message || String(err));
      setBusy(false);
    }
  }

  return html`<li class="task-item" data-testid="visit-task" data-task-id=${task.id}>
    <div class="task-head">
      <div class="main">
        <div class="title">${task.title}</div>
        <div class="sub">${t(`repTask.kind.${task.kind}`)} <${TaskTags} task=${task} today=${today} /></div>
        ${task.note ? html`<p class="small muted task-note">${task.note}</p>` : null}
      </div>
      ${
        open
          ? null
          : html`<button type="button" class="btn btn-small" onClick=${() => setOpen(true)} data-testid="task-mark-done">
            ${t('repTask.markDone')}
          </button>`
      }
    </div>
    ${
      open
        ? html`<div class="task-form" data-testid="task-form">
          ${
            task.needs_photo
              ? html`<${PhotoPicker} label=${t('repTask.photo')} value=${photoIds} onChange=${setPhotoIds} max=${MAX_PHOTOS} testid="task-photo-input" />`
              : null
          }
          <label class="field">
            <span class="label">${t('repTask.note')}</span>
            <textarea rows="2" maxlength=${MAX_NOTE} value=${note} onInput=${(e) => setNote(e.currentTarget.value)} data-testid="task-note"></textarea>
          </label>
          ${error ? html`<div class="banner banner-err" role="alert">${error}</div>` : null}
          <div class="btn-row">
            <button type="button" class="btn" onClick=${() => setOpen(false)}>${t('common.cancel')}</button>
            <button
              type="button"
              class="btn btn-primary"
              disabled=${busy}
              onClick=${done}
              data-testid="task-confirm"
            >
              ${t('repTask.confirm')}
            </button>
          </div>
        </div>`
        : null
    }
  </li>`;
}

/** A completion the server refused (cancelled meanwhile, done by someone else…): the reason in the
 * user's language, and "Discard" (as on the outbox screen: the server's state stays shown). */
function Refused({ row }) {
  const { actions } = useApp();
  return html`<div class="banner banner-err small" role="alert" data-testid="task-refused">
    <span class="grow"><strong>${row.label}</strong> · ${reasonText(row.error) || row.error?.message || ''}</span>
    <button type="button" class="btn btn-small" onClick=${() => actions.discardRejected(row.id)} data-testid="task-refused-discard">
      ${t('outbox.discard')}
    </button>
  </div>`;
}

/**
 * The step: `open` the store's open tasks (db/tasks.js sortOpen, with `overdue`), `done` those
 * completed at this visit, `refused` the refused `task.complete` entries of this visit.
 */
export function TaskStep({ visit, tasks, refused = [], today, readOnly }) {
  const { open = [], done = [] } = tasks || {};
  if (!open.length && !done.length && !refused.length) return null;
  return html`<${Step} title=${t('visit.tasks')} open=${(open.length > 0 || refused.length > 0) && !readOnly} done=${done.length > 0 && !open.length} testid="step-tasks">
    ${done.map(
      (task) => html`<${Saved} key=${task.id} pending=${task.pending}>
        <span data-testid="task-done" data-task-id=${task.id}>
          <strong>${task.title}</strong>${' · '}${t('repTask.doneAt', { time: fmt.when(task.done_at) })}${
            task.photo_ids?.length ? ` · ${t('repTask.photos', { n: task.photo_ids.length })}` : ''
          }
        </span>
      </${Saved}>`,
    )}
    ${refused.map((row) => html`<${Refused} key=${row.id} row=${row} />`)}
    ${
      open.length && !readOnly
        ? html`<ul class="task-list">
          ${open.map((task) => html`<${OpenTask} key=${task.id} task=${task} visit=${visit} today=${today} />`)}
        </ul>`
        : null
    }
  </${Step}>`;
}
