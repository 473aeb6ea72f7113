// The sync status, always visible under the top bar: synced / n waiting / offline / error (or the
// count of refused entries, which then is the status: "synced" never shows while refused entries
// wait), when it last synced ("synced 2 min ago", kept up to date), a progress bar while syncing,
// and a warning when entries wait for over a day. The pill leads to the outbox.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, lang, reasonText, t } from '../i18n/index.js';
import { Icon } from './icons.js';

const DAY_MS = 24 * 3600 * 1000;
const TICK_MS = 20_000;

/** "2 分钟前同步" / "Synced 2 minutes ago" for an ISO time of the last complete sync (null: never). */
export function lastSyncText(at, now = Date.now(), language = lang()) {
  const when = at ? new Date(at).getTime() : Number.NaN;
  if (!Number.isFinite(when)) return t('sync.never');
  const s = Math.max(0, Math.round((now - when) / 1000));
  if (s < 45) return t('sync.justNow');
  const rtf = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  let ago;
  if (s < 3600) ago = rtf.format(-Math.max(1, Math.round(s / 60)), 'minute');
  else if (s < DAY_MS / 1000) ago = rtf.format(-Math.round(s / 3600), 'hour');
  else ago = rtf.format(-Math.round(s / 86400), 'day');
  return t('sync.lastAgo', { ago });
}

/** What the pill shows: the engine's state, except that refused entries replace "synced" and
 * "n waiting" (a person must look at them). */
export function shownState(status) {
  const state = status.state || 'waiting';
  if (status.rejected > 0 && (state === 'synced' || state === 'waiting')) return 'refused';
  return state;
}

/** The status in words; refused entries waiting replace "synced" and "n waiting" (shownState). */
export function syncLabel(status) {
  const n = status.pending || 0;
  if (shownState(status) === 'refused') return t('sync.rejected', { n: status.rejected });
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
  const shown = shownState(status);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);
  const progress = status.progress || {};
  let pct = null;
  if (progress.bytesTotal > 0) pct = Math.min(100, (100 * (progress.bytesDone || 0)) / progress.bytesTotal);
  else if (progress.total > 0) pct = Math.min(100, (100 * (progress.done || 0)) / progress.total);
  const title = status.lastError ? t('sync.lastError', { message: errorText(status.lastError) }) : undefined;
  const refused = t('sync.rejected', { n: status.rejected });
  return html`
    <div class="syncbar" role="status" aria-live="polite">
      <div class="syncbar-row">
        <a
          href="#/outbox"
          class=${`sync-pill sync-${shown === 'refused' ? 'error' : state}`}
          data-testid="sync-status"
          data-state=${state}
          data-shown=${shown}
          data-pending=${status.pending || 0}
          data-rejected=${status.rejected || 0}
          title=${title}
          >${shown === 'refused' ? html`<span data-testid="sync-rejected">${syncLabel(status)}</span>` : syncLabel(status)}</a
        >
        ${
          state === 'syncing' && progress.total > 0
            ? html`<span class="muted small">${t('sync.progress', { done: progress.done || 0, total: progress.total })}</span>`
            : null
        }
        ${
          status.rejected > 0 && shown !== 'refused'
            ? html`<a href="#/outbox" class="tag tag-err" data-testid="sync-rejected">${refused}</a>`
            : null
        }
        ${
          status.photosPending > 0 && state !== 'synced'
            ? html`<span class="tag">${t('sync.photos', { n: status.photosPending })}</span>`
            : null
        }
        <span class="spacer"></span>
        <span
          class="muted small sync-last"
          data-testid="sync-last"
          data-at=${status.lastSyncAt || ''}
          title=${status.lastSyncAt ? fmt.dateTime(status.lastSyncAt) : undefined}
          >${lastSyncText(status.lastSyncAt, now)}</span
        >
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
  return reasonText(err) || err.message || err.code || String(err);
}
