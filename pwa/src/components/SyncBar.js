// The sync status, always visible under the top bar: synced / n waiting / offline / error, a
// progress bar while syncing, refused entries, and a warning when entries wait for over a day.
import { html } from 'htm/preact';
import { fmt, t } from '../i18n/index.js';
import { Icon } from './icons.js';

const DAY_MS = 24 * 3600 * 1000;

export function syncLabel(status) {
  const n = status.pending || 0;
  switch (status.state) {
    case 'syncing':
      return t('sync.syncing');
    case 'offline':
      return n ? t('sync.offlineWaiting', { n }) : t('sync.offline');
    case 'error':
      return t('sync.error');
    case 'waiting':
      return t('sync.waiting', { n });
    default:
      return n ? t('sync.waiting', { n }) : t('sync.synced');
  }
}

export function isStale(status, now = Date.now()) {
  const at = status.oldestPendingAt ? new Date(status.oldestPendingAt).getTime() : null;
  return at !== null && Number.isFinite(at) && now - at > DAY_MS;
}

export function SyncBar({ status, onSyncNow }) {
  const state = status.state || 'waiting';
  const progress = status.progress || {};
  let pct = null;
  if (progress.bytesTotal > 0) pct = Math.min(100, (100 * (progress.bytesDone || 0)) / progress.bytesTotal);
  else if (progress.total > 0) pct = Math.min(100, (100 * (progress.done || 0)) / progress.total);
  const title = status.lastError ? t('sync.lastError', { message: errorText(status.lastError) }) : undefined;
  return html`
    <div class="syncbar" role="status" aria-live="polite">
      <div class="syncbar-row">
        <a
          href="#/outbox"
          class=${`sync-pill sync-${state}`}
          data-testid="sync-status"
          data-state=${state}
          data-pending=${status.pending || 0}
          title=${title}
          >${syncLabel(status)}</a
        >
        ${
          state === 'syncing' && progress.total > 0
            ? html`<span class="muted small">${t('sync.progress', { done: progress.done || 0, total: progress.total })}</span>`
            : null
        }
        ${
          status.rejected > 0
            ? html`<a href="#/outbox" class="tag tag-err" data-testid="sync-rejected">${t('sync.rejected', { n: status.rejected })}</a>`
            : null
        }
        ${
          status.photosPending > 0 && state !== 'synced'
            ? html`<span class="tag">${t('sync.photos', { n: status.photosPending })}</span>`
            : null
        }
        <span class="spacer"></span>
        ${
          onSyncNow && state !== 'offline'
            ? html`<button type="button" class="icon-btn" aria-label=${t('sync.now')} title=${t('sync.now')} onClick=${onSyncNow}>
              <${Icon} name="refresh" size=${20} />
            </button>`
            : null
        }
      </div>
      ${
        state === 'syncing'
          ? html`<div class=${pct === null ? 'progress indeterminate' : 'progress'} data-testid="sync-progress">
            <div style=${pct === null ? '' : `width:${pct}%`}></div>
          </div>`
          : null
      }
    </div>
  `;
}

export function StaleWarning({ status }) {
  if (!isStale(status)) return null;
  return html`<div class="banner banner-warn" data-testid="stale-warning">
    <span class="grow">${t('sync.stale', { since: fmt.dateTime(status.oldestPendingAt) })}</span>
  </div>`;
}

export function errorText(err) {
  if (!err) return '';
  if (typeof err === 'string') return err;
  return err.message || err.code || String(err);
}
