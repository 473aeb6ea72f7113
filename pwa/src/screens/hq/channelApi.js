// The channel's REST calls (GET /api/v1/channel/…; HQ sees every region, a manager the server
// scopes to theirs), on top of the app's HTTP client (`request`, `requestPage` of src/api.js:
// bearer token, JSON errors → ApiError). Used by HQ's and the managers' channel screens alike.
import { request, requestPage } from '../../api.js';
import { fetchAllPages } from '../desk/paging.js';

const enc = encodeURIComponent;
/** The server's API prefix: the paths a download link is made for. */
const API_PATH = '/api/v1';
const paged = (query, { page, pageSize } = {}) => ({ ...query, page, page_size: pageSize });

/** Stock and weeks of cover by region or partner and model: `{items, pagination}` (pagination
 * null when the server sends the whole list). `query`: group, region_id, partner_id, product_id. */
export const stock = (query, paging = {}) => requestPage('/channel/stock', { query: paged(query, paging) });

/** The regions' stock, every model (or `product_id`) summed, where their stores are: the map's
 * circles, a row per region in scope. `query`: region_id, product_id. */
export const stockRegions = (query) => request('GET', '/channel/stock/regions', { query });

/** Units sold per model and week (cards, declared, competitor estimates) with shipments and
 * sell-through, every page of them (by model, then week; a model's weeks are at most 104).
 * `query`: region_id (none: national), product_id, competitor_model_id, weeks. */
export const sellThrough = (query) =>
  fetchAllPages((paging) => requestPage('/channel/sell-through', { query: paged(query, paging) }));

/** Store-weeks where the units a store declared differ from its warranty cards. */
export const disagreements = (query) => request('GET', '/channel/disagreements', { query });

/** Cohorts with units unsold past their model's aging days: `{items, pagination}`. */
export const aging = (query, paging = {}) => requestPage('/channel/aging', { query: paged(query, paging) });

/** The unsold units of one cohort `{region_id, partner_id, product_id, ship_week}`: `{items, pagination}`. */
export const agingImeis = (cohort, paging = {}) =>
  requestPage('/channel/aging/imeis', { query: paged(cohort, paging) });

/** Regions where a newer shipment sells while older units of the model stay unsold: `{items, pagination}`. */
export const fifoBreaks = (query, paging = {}) => requestPage('/channel/fifo-breaks', { query: paged(query, paging) });

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
 * Save a CSV the server makes (`path` under /api/v1, e.g. '/channel/stock.csv') with `query`,
 * straight from the server into the browser's download manager: the export needs the bearer
 * token, which a plain link cannot send, so the server is first asked for a signed link to it
 * (POST /auth/download-link: for this user, path and query, once within a minute), which an
 * `<a href download>` then follows — the file is never held in the page's memory. The server
 * names the file (Content-Disposition). Resolves to the link's URL once the download has started.
 */
export async function downloadServerCsv(path, query, { document: doc = globalThis.document } = {}) {
  const clean = {};
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== '') clean[k] = String(v);
  const { url } = await request('POST', '/auth/download-link', { json: { path: `${API_PATH}${path}`, query: clean } });
  if (doc) {
    const a = doc.createElement('a');
    a.href = url;
    a.setAttribute('download', ''); // the server's file name
    a.rel = 'noopener';
    a.style.display = 'none';
    doc.body.appendChild(a);
    a.click();
    a.remove();
  }
  return { url };
}
