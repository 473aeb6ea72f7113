// Pieces of HQ's desktop screens (online only: plain REST through api.js).
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';

/** A user-facing sentence for a failed request. */
export function apiMessage(err) {
  if (!err) return '';
  if (err.status === 0 || err.code === 'network') return t('hq.offline');
  if (err.status === 401) return t('app.sessionExpired');
  if (err.status === 403) return t('hq.forbidden');
  return err.message || String(err);
}

import { useRemote } from '../../components/remote.js';

export { useRemote };

/** "Page 2 of 7 (130)" with previous / next. */
export function Pager({ pagination, page, onPage, testid = 'pager' }) {
  if (!pagination) return null;
  const pages = pagination.total_pages || 1;
  if (pages <= 1) return html`<p class="muted small" data-testid=${testid}>${t('hq.total', { n: pagination.total ?? 0 })}</p>`;
  return html`<div class="pager" data-testid=${testid}>
    <button type="button" class="btn btn-small" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>‹ ${t('hq.prev')}</button>
    <span class="small">${t('hq.page', { page, pages, n: pagination.total ?? 0 })}</span>
    <button type="button" class="btn btn-small" disabled=${page >= pages} onClick=${() => onPage(page + 1)}>${t('hq.next')} ›</button>
  </div>`;
}

export function ErrorBanner({ error, onRetry }) {
  if (!error) return null;
  return html`<div class="banner banner-err" role="alert">
    <span class="grow">${apiMessage(error)}</span>
    ${onRetry ? html`<button type="button" class="btn btn-small" onClick=${onRetry}>${t('common.retry')}</button>` : null}
  </div>`;
}
