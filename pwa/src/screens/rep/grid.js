// The pure rules of the visit's entry grids (issue 15): which rows the price grid and the material
// grid of a store show, what each row shows prefilled, what typing in a row records and what
// "same as last time" records. No database and no DOM here: steps/PriceStep.js and
// steps/StockStep.js read the replica and render; grid.test.js tests these rules alone.
//
// What the phone knows: a rep's replica holds the rep's own price observations (all stores) and
// stock movements, not other reps'. So "the competitor models this store is expected to carry"
// are those the rep observed at this store, plus those the rep observed in the last
// NEARBY_DAYS days at other stores of the same territory.

export const NEARBY_DAYS = 60;

/** A decimal string with two places from what the user typed ("2,599" → "2599.00"), or null. */
export function moneyString(text) {
  if (text === null || text === undefined) return null;
  const clean = String(text).replace(/[,\s¥￥]/g, '');
  if (!clean) return null;
  const n = Number(clean);
  if (!Number.isFinite(n) || n < 0) return null;
  return n.toFixed(2);
}
const DAY_MS = 24 * 3600 * 1000;

const ms = (iso) => {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? -Infinity : t;
};
const same = (a, b) => a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);

/** The grid key of a price observation or row: `p:12` (our product 12) or `c:34` (competitor model 34). */
export function priceKey({ product_id, competitor_model_id }) {
  return product_id !== null && product_id !== undefined ? `p:${product_id}` : `c:${competitor_model_id}`;
}

/** The action's arguments naming the model of a key: {productId} or {competitorModelId}. */
export function keyArgs(key) {
  const id = Number(String(key).slice(2));
  return String(key).startsWith('p:') ? { productId: id } : { competitorModelId: id };
}

/** The latest observation per key (by `observed_at`). */
function latestByKey(observations) {
  const map = new Map();
  for (const o of observations) {
    const k = priceKey(o);
    const seen = map.get(k);
    if (!seen || ms(o.observed_at) >= ms(seen.observed_at)) map.set(k, o);
  }
  return map;
}

/**
 * The rows of the price grid of store `storeId` during visit `visitId`, in order: our active
 * products (by name), then the competitor models this store is expected to carry (by brand and
 * name) — seen at this store, seen at the store's territory in the last NEARBY_DAYS days (any
 * store when the territory is unknown), recorded this visit, or added by the rep (`extraKeys`).
 * Inactive models appear only when recorded this visit.
 *
 * `observations`: the price observations on the phone (server shape, snake_case); `storesById`:
 * store id (string) → store (for its `territory_id`); `catalogue`: normCatalogue's shape.
 * Each row: `{key, productId, competitorModelId, brandId, model, last, nearby, recorded}` where
 * `last` is the latest observation at this store before this visit (the prefill and what "same
 * as last time" records), `nearby` the latest at another store of the territory (a hint only)
 * and `recorded` the latest of this visit (a repeat entry is a correction: the later one counts).
 */
export function priceRows({
  catalogue,
  storeId,
  territoryId = null,
  visitId,
  observations = [],
  storesById = new Map(),
  extraKeys = [],
  now = Date.now(),
  nearbyDays = NEARBY_DAYS,
}) {
  const thisVisit = [];
  const atStore = [];
  const nearby = [];
  const since = now - nearbyDays * DAY_MS;
  for (const o of observations) {
    if (!o) continue;
    if (visitId !== null && visitId !== undefined && same(o.visit_id, visitId)) thisVisit.push(o);
    else if (same(o.store_id, storeId)) atStore.push(o);
    else if (ms(o.observed_at) >= since) {
      const store = storesById.get(String(o.store_id));
      if (territoryId === null || territoryId === undefined || (store && same(store.territory_id, territoryId)))
        nearby.push(o);
    }
  }
  const recorded = latestByKey(thisVisit);
  const last = latestByKey(atStore);
  const near = latestByKey(nearby);

  const row = (key, model, brandId) => ({
    key,
    ...keyArgs(key),
    brandId,
    model,
    last: last.get(key) ?? null,
    nearby: near.get(key) ?? null,
    recorded: recorded.get(key) ?? null,
  });

  const rows = [];
  const productIds = new Set(catalogue.products.map((p) => `p:${p.id}`));
  for (const p of catalogue.products) rows.push(row(`p:${p.id}`, p, null));
  // Products no longer active but recorded this visit.
  for (const k of recorded.keys()) if (k.startsWith('p:') && !productIds.has(k)) rows.push(row(k, null, null));

  const wanted = new Set([...last.keys(), ...near.keys(), ...recorded.keys(), ...extraKeys]);
  const brandName = new Map(catalogue.brands.map((b) => [String(b.id), String(b.name)]));
  const competitors = [];
  const listed = new Set();
  for (const m of catalogue.models) {
    const k = `c:${m.id}`;
    if (!wanted.has(k)) continue;
    listed.add(k);
    competitors.push(row(k, m, m.brand_id ?? null));
  }
  for (const k of recorded.keys()) if (k.startsWith('c:') && !listed.has(k)) competitors.push(row(k, null, null));
  const label = (r) => `${brandName.get(String(r.brandId)) ?? '\uffff'} ${r.model?.name ?? ''}`;
  competitors.sort((a, b) => label(a).localeCompare(label(b), 'zh-CN'));
  return [...rows, ...competitors];
}

/**
 * The price grid's three groups: `own` (our range), `here` (competitor models with a price at
 * this store, recorded this visit or added by the rep) and `nearby` (competitor models seen only
 * at other stores of the territory: the grid shows them folded, so a store whose territory sees
 * many models keeps a short page; a row recorded from there stays in its group).
 */
export function groupRows(rows, extraKeys = []) {
  const extra = new Set(extraKeys);
  const own = [];
  const here = [];
  const nearby = [];
  for (const r of rows) {
    if (r.productId !== undefined) own.push(r);
    else if (!r.last && r.nearby && !extra.has(r.key)) nearby.push(r);
    else here.push(r);
  }
  return { own, here, nearby };
}

/**
 * What typing `text` in price row `row` records: `{shelfPrice}` ("2599.00"), or null — nothing
 * typed, not a price, or the price already recorded this visit for this row (no duplicate).
 */
export function priceEntry(row, text) {
  const shelfPrice = moneyString(text);
  if (shelfPrice === null) return null;
  if (row.recorded && moneyString(row.recorded.shelf_price) === shelfPrice) return null;
  return { shelfPrice };
}

/** Whether the text a rep typed in a row is not (yet) a valid price. */
export function invalidPrice(text) {
  return String(text ?? '').trim() !== '' && moneyString(text) === null;
}

/**
 * What "same as last time" records: for every row with a last price at this store and nothing
 * recorded this visit, `{key, productId | competitorModelId, shelfPrice}` (the shelf price only:
 * a promotion is seen again or not at all).
 */
export function sameAsLast(rows) {
  return rows
    .filter((r) => r.last && !r.recorded && moneyString(r.last.shelf_price) !== null)
    .map((r) => ({ key: r.key, ...keyArgs(r.key), shelfPrice: moneyString(r.last.shelf_price) }));
}

// --- promo material -----------------------------------------------------------------------------

/** The movement kinds a rep records; `counted` (the count seen on site) is the grid's default. */
export const STOCK_KINDS = ['counted', 'delivered', 'used', 'returned'];
export const DEFAULT_KIND = 'counted';

/**
 * The rows of the material grid: the materials the store holds or held (its ledger: `stock`,
 * storeHistory's), those recorded this visit (`movements`) and those the rep added
 * (`extraIds`), in catalogue order; when that is none, every active material (a store with no
 * ledger yet is expected to hold any of them). Each row: `{materialId, material, current
 * (the ledger's quantity, or null), counted (this visit's latest count, or null), moves (this
 * visit's movements of it, oldest first)}`.
 */
export function stockRows({ materials, stock = [], movements = [], extraIds = [] }) {
  const wanted = new Set([
    ...stock.map((s) => String(s.material_id)),
    ...movements.map((m) => String(m.material_id)),
    ...extraIds.map(String),
  ]);
  const chosen = wanted.size ? materials.filter((m) => wanted.has(String(m.id))) : materials;
  return chosen.map((m) => {
    const moves = movements
      .filter((x) => same(x.material_id, m.id))
      .sort((a, b) => ms(a.recorded_at) - ms(b.recorded_at));
    const counts = moves.filter((x) => x.kind === 'counted');
    const held = stock.find((s) => same(s.material_id, m.id));
    return {
      materialId: m.id,
      material: m,
      current: held ? held.quantity : null,
      counted: counts.length ? counts[counts.length - 1] : null,
      moves,
    };
  });
}

/** A whole number ≥ 0 from what the rep typed, or null. */
export function quantityOf(text) {
  const clean = String(text ?? '').trim();
  if (!/^\d+$/.test(clean)) return null;
  const n = Number(clean);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * What typing `text` in material row `row` records with movement `kind`: `{kind, quantity}` or
 * null (not a whole number; or a count equal to the count already recorded this visit). A later
 * count supersedes an earlier one in the ledger (current stock = the latest count plus the
 * movements after it), so correcting a count is one more count; deliveries, uses and returns add
 * up, each entry is a movement of its own.
 */
export function stockEntry(row, text, kind = DEFAULT_KIND) {
  const quantity = quantityOf(text);
  if (quantity === null) return null;
  if (kind === 'counted' && row.counted && Number(row.counted.quantity) === quantity) return null;
  return { kind, quantity };
}
