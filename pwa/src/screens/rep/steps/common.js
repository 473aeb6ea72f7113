// Building blocks of the visit steps.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../../i18n/index.js';

/** A collapsible step of the visit; `done` shows a check mark in its header. `open` is only the
 * initial state: afterwards the rep opens and closes steps (saving never folds one away). */
export function Step({ title, done, open, testid, children }) {
  const [initiallyOpen] = useState(!!open);
  return html`<details class="step" open=${initiallyOpen} data-testid=${testid}>
    <summary>
      <span>${title}</span>
      ${done ? html`<span class="tag tag-ok">✓ ${t('visit.done')}</span>` : null}
    </summary>
    <div class="step-body">${children}</div>
  </details>`;
}

/** One saved entry; `pending` entries are on the phone only, waiting for the sync. */
export function Saved({ pending, children }) {
  return html`<div class="banner ${pending ? 'banner-info' : 'banner-ok'} small" data-testid="saved-entry">
    <span class="grow">${pending ? null : '✓ '}${children}</span>
    ${pending ? html`<span class="tag">${t('common.waiting')}</span>` : null}
  </div>`;
}

/** A decimal string with two places from what the user typed ("2,599" → "2599.00"), or null
 * (kept with the entry grid's rules, ../grid.js, which need it without the UI). */
export { moneyString } from '../grid.js';

/** An entry grid's field: typing drafts, Enter records and moves to the next row, leaving it
 * (`onBlur`, by default recording) too. `numeric` asks for whole numbers, else decimals. */
export function GridInput({
  label,
  bad,
  placeholder,
  value,
  numeric = false,
  onDraft,
  onBlur,
  onCommit,
  onNext,
  testid,
}) {
  return html`<input
    type="text"
    inputmode=${numeric ? 'numeric' : 'decimal'}
    pattern=${numeric ? '[0-9]*' : undefined}
    enterkeyhint="next"
    autocomplete="off"
    class="grid-input"
    aria-label=${label}
    aria-invalid=${bad ? 'true' : 'false'}
    placeholder=${placeholder}
    value=${value}
    onInput=${(e) => onDraft(e.currentTarget.value)}
    onBlur=${(e) => (onBlur || onCommit)(e.currentTarget.value)}
    onKeyDown=${(e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        onCommit(e.currentTarget.value);
        onNext();
      }
    }}
    data-testid=${testid}
  />`;
}

/**
 * An entry grid's pauses: `schedule(key, record)` records a row after `ms` without typing;
 * `done(key)` forgets it (recorded another way); `hold(key)` stops the timer but keeps the
 * record pending. A record still pending when the screen goes (back gesture, another tab) runs
 * then, rather than being dropped with its timer.
 */
export function usePauses(ms) {
  const timers = useRef({});
  const pending = useRef({});
  useEffect(
    () => () => {
      Object.values(timers.current).forEach(clearTimeout);
      for (const record of Object.values(pending.current)) record();
    },
    [],
  );
  return {
    schedule(key, record) {
      clearTimeout(timers.current[key]);
      pending.current[key] = record;
      timers.current[key] = setTimeout(record, ms);
    },
    done(key) {
      clearTimeout(timers.current[key]);
      delete pending.current[key];
    },
    hold(key) {
      clearTimeout(timers.current[key]);
    },
  };
}
