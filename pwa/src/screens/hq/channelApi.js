// The channel's REST calls (GET /api/v1/channel/…; HQ sees every region, a manager the server
// scopes to theirs), on top of the app's HTTP client (`request`, `requestPage` of src/api.js:
// bearer token, JSON errors → ApiError). Used by HQ's and the managers' channel screens alike.
import { ApiError, getToken, request, requestPage } from '../../api.js';
import { csvFilename } from '../../components/csv.js';
import { dispositionName } from './channel.js';

const enc = encodeURIComponent;
const paged = (query, { page, pageSize } = {}) => ({ ...query, page, page_size: pageSize });

/** Stock and weeks of cover by region or partner and model: `{items, pagination}` (pagination
 * null when the server sends the whole list). `query`: group, region_id, partner_id, product_id. */
export const stock = (query, paging = {}) => requestPage('/channel/stock', { query: paged(query, paging) });

/** Units sold per model and week (cards, declared, competitor estimates) with shipments and
 * sell-through. `query`: region_id (none: national), product_id, competitor_model_id, weeks. */
export const sellThrough = (query) => request('GET', '/channel/sell-through', { query });

/** Store-weeks where the units a store declared differ from its warranty cards. */
export const disagreements = (query) => request('GET', '/channel/disagreements', { query });

/** Cohorts with units unsold past their model's aging days: `{items, pagination}`. */
export const aging = (query, paging = {}) => requestPage('/channel/aging', { query: paged(query, paging) });

/** The unsold units of one cohort `{region_id, partner_id, product_id, ship_week}`: `{items, pagination}`. */
export const agingImeis = (cohort, paging = {}) =>
  requestPage('/channel/aging/imeis', { query: paged(cohort, paging) });

/** Regions where a newer shipment sells while older units of the model stay unsold. */
export const fifoBreaks = (query) => request('GET', '/channel/fifo-breaks', { query });

/** Replenishment alerts, newest first: `{items, pagination}`. `query`: kind, region_id, store_id, acknowledged. */
export const alerts = (query, paging = {}) => requestPage('/channel/alerts', { query: paged(query, paging) });

/** How many alerts nobody acknowledged yet (null when the list cannot be read). */
export async function openAlertCount() {
  const { items, pagination } = await requestPage('/channel/alerts', { query: { acknowledged: false, page_size: 1 } });
  return pagination && Number.isFinite(Number(pagination.total)) ? Number(pagination.total) : items.length;
}

/** Acknowledge an alert: the alert. */
export const acknowledge = (id) => request('POST', `/channel/alerts/${enc(id)}/acknowledge`);

/**
 * Save a CSV the server makes (`path` under /api/v1, e.g. '/channel/stock.csv') with `query`.
 * The export needs the bearer token, which a plain link cannot send: the answer is fetched and
 * handed to the browser as a Blob (the server streams it; the browser holds it until it is saved).
 * The file is named as the server says (Content-Disposition), else `<base>-<today>.csv`.
 */
export async function downloadServerCsv(path, query, base, { fetch = globalThis.fetch, baseUrl = '/api/v1' } = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {}))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  const headers = { Accept: 'text/csv' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`${baseUrl}${path}${qs ? `?${qs}` : ''}`, {
      method: 'GET',
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (exc) {
    throw new ApiError({ status: 0, code: 'network', message: exc?.message || 'Network error' });
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw new ApiError({
      status: response.status,
      code: body?.code || `http_${response.status}`,
      message: body?.message || response.statusText || `HTTP ${response.status}`,
      reason: typeof body?.reason === 'string' ? body.reason : null,
      params: body?.params && typeof body.params === 'object' ? body.params : null,
    });
  }
  let blob;
  try {
    blob = await response.blob();
  } catch (exc) {
    throw new ApiError({ status: 0, code: 'network', message: exc?.message || 'Network error' });
  }
  const name = dispositionName(response.headers?.get?.('Content-Disposition'), csvFilename(base));
  if (typeof document !== 'undefined') {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.rel = 'noopener';
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return { name, size: blob.size };
}
