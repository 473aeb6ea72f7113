// Pieces shared by HQ's market screens: the look-up lists (regions, competitor brands, our
// products; read once per session), filter fields and the unacknowledged-alert count the nav
// shows. What all desk screens share (errors, paging, CSV export, photos) is in ../desk/kit.js.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, localName, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { addDays, todayIn } from './market.js';
import { polledCount } from '../desk/polledCount.js';

// --- look-ups ------------------------------------------------------------------------------------

const LOOKUPS = { regions: '/regions', brands: '/competitor-brands', products: '/products' };
const lookupCache = {};

/** `{regions, brands, products, loaded: {regions, brands, products}, errors, retry}` (arrays:
 * empty until loaded, or when the request failed — then asked again on the next screen, or by
 * `retry()`), fetched once per page load. `errors`: the failed look-ups' errors by name, so a
 * screen that cannot do without one (sell-through needs a model) says so instead of waiting. */
export function useLookups() {
  const { api } = useApp();
  const [tries, setTries] = useState(0);
  const [state, setState] = useState(() => ({
    regions: lookupCache.regions || [],
    brands: lookupCache.brands || [],
    products: lookupCache.products || [],
    loaded: { regions: !!lookupCache.regions, brands: !!lookupCache.brands, products: !!lookupCache.products },
    errors: {},
  }));
  useEffect(() => {
    let alive = true;
    const done = (name, items, error = null) =>
      alive &&
      setState((s) => ({
        ...s,
        [name]: items,
        loaded: { ...s.loaded, [name]: true },
        errors: { ...s.errors, [name]: error },
      }));
    for (const [name, path] of Object.entries(LOOKUPS)) {
      if (lookupCache[name]) {
        // Filled between this render and its effect (another screen's request, e.g. the page
        // this one replaced): the state was made from the empty cache, so take it now.
        if (!state.loaded[name]) done(name, lookupCache[name]);
        continue;
      }
      api.requestPage(path, { query: { page_size: 100 } }).then(
        ({ items }) => {
          lookupCache[name] = items;
          done(name, items);
        },
        (err) => {
          if (!err || err.status === undefined) console.error(err);
          done(name, [], err || new Error(`${path} failed`));
        },
      );
    }
    return () => {
      alive = false;
    };
  }, [tries]);
  const retry = () => {
    setState((s) => ({
      ...s,
      loaded: Object.fromEntries(Object.keys(LOOKUPS).map((name) => [name, !!lookupCache[name]])),
      errors: {},
    }));
    setTries((n) => n + 1);
  };
  return { ...state, retry };
}

/** The name of a region id in `regions` (0 / none: nationwide). */
export function regionName(regions, id) {
  if (id === null || id === undefined || id === '' || Number(id) === 0) return t('market.nationwide');
  const r = regions.find((x) => String(x.id) === String(id));
  return r ? r.name : `#${id}`;
}

// --- filter fields -------------------------------------------------------------------------------

export function SelectField({ label, value, onChange, options, testid, disabled = false }) {
  return html`<label class="field market-field">
    <span class="label">${label}</span>
    <select value=${value ?? ''} onChange=${(e) => onChange(e.currentTarget.value)} data-testid=${testid} disabled=${disabled}>
      ${options.map(([v, text]) => html`<option key=${v} value=${v}>${text}</option>`)}
    </select>
  </label>`;
}

export function RegionField({ regions, value, onChange, testid = 'filter-region', allLabel = null }) {
  return html`<${SelectField}
    label=${t('market.region')}
    value=${value}
    onChange=${onChange}
    testid=${testid}
    options=${[['', allLabel || t('market.nationwide')], ...regions.map((r) => [String(r.id), r.name])]}
  />`;
}

export function BrandField({ brands, value, onChange, testid = 'filter-brand', disabled = false }) {
  return html`<${SelectField}
    label=${t('market.brand')}
    value=${value}
    onChange=${onChange}
    testid=${testid}
    disabled=${disabled}
    options=${[['', t('market.allBrands')], ...brands.map((b) => [String(b.id), localName(b)])]}
  />`;
}

export function DateField({ label, value, onChange, testid, min, max }) {
  return html`<label class="field market-field">
    <span class="label">${label}</span>
    <input type="date" value=${value || ''} min=${min} max=${max} onChange=${(e) => onChange(e.currentTarget.value)} data-testid=${testid} />
  </label>`;
}

const savedFilters = {};
/** Filters kept while HQ moves between screens: `[filters, set(patch)]`. */
export function useSavedFilters(name, initial) {
  const [filters, setFilters] = useState(() => savedFilters[name] || initial());
  const set = (patch) => setFilters((f) => (savedFilters[name] = { ...f, ...patch }));
  return [filters, set];
}

/** The last 30 days (Shanghai), `{since, until}`. */
export const last30 = () => {
  const today = todayIn();
  return { since: addDays(today, -29), until: today };
};

/** The since / until date fields. */
export function Range({ filters, set }) {
  return html`<${DateField} label=${t('market.since')} value=${filters.since} onChange=${(v) => set({ since: v })} testid="filter-since" max=${filters.until} />
    <${DateField} label=${t('market.until')} value=${filters.until} onChange=${(v) => set({ until: v })} testid="filter-until" min=${filters.since} />`;
}

/** `{region_id, brand_id, …}` without the empty values (what the API wants in a query). */
export function cleanQuery(filters) {
  const out = {};
  for (const [k, v] of Object.entries(filters))
    if (v !== '' && v !== null && v !== undefined && v !== false) out[k] = v;
  return out;
}

// --- the unacknowledged-alert count (nav badge, home banner): desk/polledCount.js ----------------

const alertCount = polledCount();

/** Ask every `useAlertCount()` to count again (after an acknowledgement). */
export const alertsChanged = alertCount.changed;

/** The number of unacknowledged alerts (null until known), re-counted every minute and on
 * `alertsChanged()`. */
export function useAlertCount() {
  const { api } = useApp();
  return alertCount.useCount(() => api.marketUnacknowledgedCount());
}

/** A price, or a dash. */
export const price = (v) => (v === null || v === undefined || v === '' ? '–' : fmt.price(v));
