// Tasks' REST calls (backend/tasks/api.py) and the lists the assign form picks from, on top of
// the app's HTTP client (src/api.js: bearer token, JSON errors → ApiError).
import { request, requestPage } from '../../api.js';
import { fetchAllPages } from '../desk/paging.js';

const enc = encodeURIComponent;
const MAX_PAGE = 100;
const pagesOf =
  (path, query = {}) =>
  ({ page, pageSize }) =>
    requestPage(path, { query: { ...query, page, page_size: pageSize } });

/** A page of tasks: `filters` status, region_id, store_id, assignee_id, campaign, kind. */
export const tasksPage = (filters = {}, { page = 1, pageSize = 50 } = {}) =>
  requestPage('/tasks', { query: { ...filters, page, page_size: pageSize } });
/** Every task of `filters` (HQ's campaign list groups them), at most `maxRows`. */
export const allTasks = (filters = {}, maxRows = 5000) => fetchAllPages(pagesOf('/tasks', filters), { maxRows });
/** `{open, overdue, done, cancelled}` (overdue ⊂ open). */
export const taskSummary = (filters = {}) => request('GET', '/tasks/summary', { query: filters });
export const task = (id) => request('GET', `/tasks/${enc(id)}`);
export const createTask = (body) => request('POST', '/tasks', { json: body });
export const createBatch = (body) => request('POST', '/tasks/batch', { json: body });
export const cancelTask = (id) => request('POST', `/tasks/${enc(id)}/cancel`);

/** Stores matching `q` (name, code, address), active, in `regionId` when given. */
export const searchStores = (q, regionId = null) =>
  requestPage('/stores', { query: { q, region_id: regionId, status: 'active', page: 1, page_size: 20 } }).then(
    (r) => r.items,
  );

/** What a task may name: current training topics, active promo materials, products and competitor models. */
export async function references() {
  const [topics, materials, products, models, brands] = await Promise.all([
    request('GET', '/training/topics', { query: { current: true } }).catch(() => []),
    fetchAllPages(pagesOf('/promo-materials', { active: true })).catch(() => []),
    fetchAllPages(pagesOf('/products', { active: true })).catch(() => []),
    fetchAllPages(pagesOf('/competitor-models', { active: true })).catch(() => []),
    fetchAllPages(pagesOf('/competitor-brands')).catch(() => []),
  ]);
  return { topics: topics || [], materials, products, models, brands };
}

/** Regions (HQ's campaign picks one or all). */
export const regions = () => fetchAllPages(pagesOf('/regions'), { pageSize: MAX_PAGE });
