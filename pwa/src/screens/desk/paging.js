// Reading every page of a paginated list (pure: tested in desk.test.js; re-exported by kit.js).

export const EXPORT_MAX_ROWS = 10_000;

/** Every item of a paginated list: `load({page, pageSize})` → `{items, pagination}`, 100 a page
 * (the API's largest), until the last page or an empty one, at most `maxRows` items. */
export async function fetchAllPages(load, { pageSize = 100, maxRows = EXPORT_MAX_ROWS } = {}) {
  const out = [];
  for (let page = 1; out.length < maxRows; page += 1) {
    const { items, pagination } = await load({ page, pageSize });
    out.push(...items);
    const pages = pagination ? pagination.total_pages || 1 : 1;
    if (!items.length || page >= pages) break;
  }
  return out.slice(0, maxRows);
}
