// The regional manager's REST calls (online screens), on top of the app's HTTP client
// (`request`, `requestPage` of src/api.js: bearer token, JSON errors → ApiError).
import { request, requestPage } from '../../api.js';
import { fetchAllPages } from '../desk/paging.js';

const enc = encodeURIComponent;
const MAX_PAGE = 100; // the API's largest page

/** A loader of one page of GET `path` (for fetchAllPages). */
const pagesOf =
  (path, query = {}) =>
  ({ page, pageSize }) =>
    requestPage(path, { query: { ...query, page, page_size: pageSize } });

/** The reps whose routes the user may review: [{id, display_name, territory_id, active}]. */
export const reps = (territoryId) => fetchAllPages(pagesOf('/reps', { territory_id: territoryId }));

/** Territories (all pages): [{id, code, name, region_id}]. */
export const territories = () => fetchAllPages(pagesOf('/territories'));

/** A rep's day (GET /routes). */
export const route = (repId, day) => request('GET', '/routes', { query: { rep_id: repId, day } });

/** One store. */
export const store = (id) => request('GET', `/stores/${enc(id)}`);

/** A page of stores: `{items, pagination}`; `filters`: territory_id, q, status… */
export const storesPage = (filters = {}, { page = 1, pageSize = MAX_PAGE } = {}) =>
  requestPage('/stores', { query: { ...filters, page, page_size: pageSize } });

// --- coverage ---
export const coverageTiers = (filters) => request('GET', '/coverage/tiers', { query: filters });
export const unvisitedStores = (filters, { page = 1, pageSize = 50 } = {}) =>
  requestPage('/coverage/unvisited-stores', { query: { ...filters, page, page_size: pageSize } });
export const repActivity = (filters) => request('GET', '/coverage/reps', { query: filters });

// --- visit plans ---
export const routeOrder = (storeIds, start = null) =>
  request('POST', '/route-order', {
    json: {
      store_ids: storeIds,
      ...(start ? { start_latitude: start.latitude, start_longitude: start.longitude } : {}),
    },
  });
export const savePlan = (plan) => request('POST', '/visit-plans', { json: plan });
export const plans = (filters = {}, { page = 1, pageSize = 50 } = {}) =>
  requestPage('/visit-plans', { query: { ...filters, page, page_size: pageSize } });
export const deletePlan = (id) => request('DELETE', `/visit-plans/${enc(id)}`);
export const compliance = (filters) => request('GET', '/visit-plans/compliance', { query: filters });

// --- sync conflicts ---
export const conflicts = (filters = {}, { page = 1, pageSize = 50 } = {}) =>
  requestPage('/sync/conflicts', { query: { ...filters, page, page_size: pageSize } });
export const resolveConflict = (id, use) => request('POST', `/sync/conflicts/${enc(id)}/resolve`, { json: { use } });

// --- reps' moves of stores held for approval (position proposals) ---
export const positionProposals = (filters = {}, { page = 1, pageSize = 50 } = {}) =>
  requestPage('/store-position-proposals', { query: { ...filters, page, page_size: pageSize } });
/** `decision`: 'approve' (the store moves) or 'reject' (it stays); `note` optional. */
export const decideProposal = (id, decision, note = '') =>
  request('POST', `/store-position-proposals/${enc(id)}/${decision === 'approve' ? 'approve' : 'reject'}`, {
    json: note ? { note } : {},
  });

// --- new-store reports ---
export const intelReports = (filters = {}, { page = 1, pageSize = 50 } = {}) =>
  requestPage('/intel-reports', { query: { ...filters, page, page_size: pageSize } });
export const reviewReport = (id, body) => request('POST', `/intel-reports/${enc(id)}/review`, { json: body });

// --- team today (the landing page) ---
/** The region's reps and their day so far (GET /team/today); `day` 'YYYY-MM-DD' (default: today). */
export const teamToday = (day) => request('GET', '/team/today', { query: day ? { day } : {} });
