// Pieces shared by the manager's screens: remote data, errors, paging, CSV buttons, the reps and
// territories of the region, the business time zone.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { downloadCsv, csvFilename } from '../../components/csv.js';
import { mapConfig } from '../../components/MapView.js';
import * as mapi from './api.js';
import { dayIn } from './format.js';

/** A user-facing sentence for a failed request. */
export function apiMessage(err) {
  if (!err) return '';
  if (err.status === 0 || err.code === 'network') return t('manager.offline');
  if (err.status === 401) return t('app.sessionExpired');
  if (err.status === 403) return t('manager.forbidden');
  return err.message || String(err);
}

import { useRemote } from '../../components/remote.js';

export { useRemote };

export function ErrorBanner({ error, onRetry }) {
  if (!error) return null;
  return html`<div class="banner banner-err" role="alert">
    <span class="grow">${apiMessage(error)}</span>
    ${onRetry ? html`<button type="button" class="btn btn-small" onClick=${onRetry}>${t('common.retry')}</button>` : null}
  </div>`;
}

/** "Page 2 of 7 (130)" with previous / next. */
export function Pager({ pagination, page, onPage, testid = 'pager' }) {
  if (!pagination) return null;
  const pages = pagination.total_pages || 1;
  if (pages <= 1) return html`<p class="muted small" data-testid=${testid}>${t('manager.total', { n: pagination.total ?? 0 })}</p>`;
  return html`<div class="pager" data-testid=${testid}>
    <button type="button" class="btn btn-small" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>‹ ${t('manager.prev')}</button>
    <span class="small">${t('manager.page', { page, pages, n: pagination.total ?? 0 })}</span>
    <button type="button" class="btn btn-small" disabled=${page >= pages} onClick=${() => onPage(page + 1)}>${t('manager.next')} ›</button>
  </div>`;
}

/** A "CSV" button: `rows()` (or an array) under `columns` [{key, label, value?}], saved as `name`-<date>.csv. */
export function CsvButton({ name, rows, columns, testid }) {
  const list = typeof rows === 'function' ? null : rows;
  const disabled = list ? !list.length : false;
  return html`<button
    type="button"
    class="btn btn-small"
    disabled=${disabled}
    data-testid=${testid || `csv-${name}`}
    title=${t('manager.csvHint')}
    onClick=${async () => {
      const data = typeof rows === 'function' ? await rows() : rows;
      downloadCsv(csvFilename(name), data || [], columns);
    }}
  >
    ${t('manager.csv')}
  </button>`;
}

// --- reference data of the region, fetched once per page load --------------------------------

let configOnce = null;
let repsOnce = null;
let territoriesOnce = null;

function once(get, set, load) {
  let p = get();
  if (!p) {
    p = load().catch((err) => {
      set(null);
      throw err;
    });
    set(p);
  }
  return p;
}

/** The business time zone (GET /app-config), or the browser's until known. */
export function useTimeZone() {
  const [tz, setTz] = useState(null);
  useEffect(() => {
    let alive = true;
    once(
      () => configOnce,
      (p) => (configOnce = p),
      () => mapConfig(),
    ).then((cfg) => alive && setTz(cfg.business_timezone || Intl.DateTimeFormat().resolvedOptions().timeZone));
    return () => {
      alive = false;
    };
  }, []);
  return tz;
}

/** Today in the business time zone. */
export function todayIn(tz) {
  return dayIn(new Date(), tz || undefined);
}

/** `{reps, territories, repName(id), territoryName(id), error, reload}` of the user's region. */
export function useRegion(session) {
  const regionId = session && session.user ? session.user.region_id : null;
  const { data, error, reload, loading } = useRemote(async () => {
    const [reps, territories] = await Promise.all([
      once(
        () => repsOnce,
        (p) => (repsOnce = p),
        () => mapi.reps(),
      ),
      once(
        () => territoriesOnce,
        (p) => (territoriesOnce = p),
        () => mapi.territories(),
      ).catch(() => []), // names only: the screens work without them
    ]);
    return { reps, territories: regionId ? territories.filter((x) => x.region_id === regionId) : territories };
  }, [regionId]);
  const reps = (data && data.reps) || [];
  const territories = (data && data.territories) || [];
  const repById = new Map(reps.map((r) => [r.id, r]));
  const terrById = new Map(territories.map((x) => [x.id, x]));
  return {
    reps,
    territories,
    loading,
    error,
    reload: () => {
      repsOnce = null;
      territoriesOnce = null;
      reload();
    },
    rep: (id) => repById.get(Number(id)) || null,
    repName: (id) => {
      if (id === null || id === undefined) return '';
      if (session && session.user && session.user.id === id) return session.user.display_name || session.user.username;
      const r = repById.get(Number(id));
      return r ? r.display_name : `#${id}`;
    },
    territoryName: (id) => {
      const x = terrById.get(Number(id));
      return x ? x.name : id === null || id === undefined ? '' : `#${id}`;
    },
  };
}

/** A <select> of the region's reps (grouped by territory when names are known). */
export function RepSelect({ region, value, onChange, allowAll = false, testid = 'rep-select', id }) {
  const groups = new Map();
  for (const r of region.reps) {
    const key = r.territory_id;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return html`<select id=${id} value=${value ?? ''} onChange=${(e) => onChange(e.currentTarget.value ? Number(e.currentTarget.value) : null)} data-testid=${testid}>
    ${allowAll ? html`<option value="">${t('manager.allReps')}</option>` : html`<option value="" disabled>${t('manager.pickRep')}</option>`}
    ${[...groups.entries()].map(
      ([tid, list]) => html`<optgroup key=${tid} label=${region.territoryName(tid) || t('manager.territory')}>
        ${list.map((r) => html`<option key=${r.id} value=${r.id}>${r.display_name}${r.active === false ? ` (${t('manager.inactive')})` : ''}</option>`)}
      </optgroup>`,
    )}
  </select>`;
}
