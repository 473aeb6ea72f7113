// REST calls of the visit detail and the photo feed (screens/manager/VisitDetail.js, PhotoFeed.js;
// HQ loads the same screens).
import { request, requestPage } from '../../api.js';

/** A visit's whole story: GET /visits/<id>/detail. */
export const visitDetail = (id) => request('GET', `/visits/${encodeURIComponent(id)}/detail`);

/** One page of the photo feed: `{items, pagination}`; `query` from visits.js `feedQuery`. */
export const photoFeed = (query, { page = 1, pageSize = 48 } = {}) =>
  requestPage('/photos/feed', { query: { ...query, page, page_size: pageSize } });

/** The checklist items (the feed's filter), in the checklist's order. */
export const checklistItems = () =>
  requestPage('/checklist-items', { query: { page_size: 100 } }).then(({ items }) =>
    [...items].sort((a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0) || a.id - b.id),
  );

/** The regions (HQ's filter). */
export const regions = () => requestPage('/regions', { query: { page_size: 100 } }).then(({ items }) => items);
