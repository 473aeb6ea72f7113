// Building blocks of the visit steps.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
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
