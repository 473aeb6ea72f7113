// Read helpers for the rep screens on top of db/ (queries.js and the `entities` table), and the
// few shapes the screens rely on. Everything here reads IndexedDB only: it works offline.
import { addDays } from '../../warranty/rules.js';
import { businessToday } from '../../warranty/zone.js';

/** Today and tomorrow on the business calendar, 'YYYY-MM-DD' (the days a rep plans: the server
 * keeps a plan by its business day, whatever zone the phone is set to). `now`: ms or a Date. */
export function planDays(now = Date.now()) {
  const today = businessToday(now);
  return { today, tomorrow: addDays(today, 1) };
}

/** A store as the screens use it, from a query result (a plain store, or an entity row). */
export function asStore(x) {
  if (!x) return null;
  if (x.data && x.entity) return { ...x.data, distance_m: x.distance_m ?? x.distance ?? x.data.distance_m };
  if (x.store) return { ...x.store, distance_m: x.distance_m ?? x.distance ?? x.store.distance_m };
  return { ...x, distance_m: x.distance_m ?? x.distance };
}

export function dataOf(row) {
  if (!row) return null;
  return row.data && row.entity ? row.data : row;
}

// Entity ids and the storeId index are strings (as pull sends them); rows deleted on this
// device (`deleted`) wait for the sync but are not shown.
export async function entityGet(db, entity, id) {
  if (id === null || id === undefined) return null;
  const row = await db.entities.get([entity, String(id)]);
  return row && !row.deleted ? row : null;
}

export async function entityList(db, entity) {
  return (await db.entities.where('entity').equals(entity).toArray()).filter((r) => !r.deleted);
}

export async function entitiesOfStore(db, entity, storeId) {
  const rows = await db.entities
    .where('[entity+storeId]')
    .equals([entity, String(storeId)])
    .toArray();
  return rows.filter((r) => !r.deleted);
}

/** The visit with its pending flag. */
export async function visitById(db, id) {
  const row = await entityGet(db, 'visit', id);
  return row ? { ...row.data, pending: !!row.pending } : null;
}

/** Visits checked in and not checked out, newest first (normally at most one). */
export async function openVisits(db, { maxAgeH = 16, repId = null } = {}) {
  const rows = await entityList(db, 'visit');
  const since = Date.now() - maxAgeH * 3600 * 1000;
  // repId: only this user's. A manager's phone holds the region's visits: a rep's open visit is not
  // the manager's to continue (Today offered "continue the visit at …" of a rep's store).
  const mine = (v) => repId == null || v.rep_id == null || String(v.rep_id) === String(repId);
  return rows
    .map((r) => r.data)
    .filter((v) => v && !v.checked_out_at && new Date(v.checked_in_at).getTime() >= since && mine(v))
    .sort((a, b) => String(b.checked_in_at).localeCompare(String(a.checked_in_at)));
}

/** The records of one entity made during one visit, oldest first, with their pending flag. */
export async function recordsOfVisit(db, entity, storeId, visitId) {
  const rows = await entitiesOfStore(db, entity, storeId);
  return rows
    .filter((r) => r.data && String(r.data.visit_id) === String(visitId))
    .map((r) => ({ ...r.data, pending: !!r.pending }))
    .sort((a, b) =>
      String(a.recorded_at || a.observed_at || a.checked_at).localeCompare(
        String(b.recorded_at || b.observed_at || b.checked_at),
      ),
    );
}

export async function intelOfVisit(db, visitId) {
  const rows = await entityList(db, 'intel_report');
  return rows
    .filter((r) => r.data?.visit_id && String(r.data.visit_id) === String(visitId))
    .map((r) => ({ ...r.data, pending: !!r.pending }));
}

function pick(obj, ...keys) {
  for (const k of keys) if (obj && obj[k] !== undefined) return obj[k];
  return undefined;
}

/** The catalogue with stable keys, active entries only, sorted for pickers. */
export function normCatalogue(c) {
  c = c || {};
  const active = (list) => (Array.isArray(list) ? list.map(dataOf).filter((x) => x && x.active !== false) : []);
  const byName = (a, b) => String(a.name).localeCompare(String(b.name), 'zh-CN');
  return {
    partners: active(pick(c, 'partners', 'partner')).sort(byName),
    products: active(pick(c, 'products', 'product')).sort(byName),
    brands: active(pick(c, 'competitorBrands', 'brands', 'competitor_brands', 'competitor_brand')).sort(byName),
    models: active(pick(c, 'competitorModels', 'models', 'competitor_models', 'competitor_model')).sort(byName),
    materials: active(pick(c, 'promoMaterials', 'materials', 'promo_materials', 'promo_material')).sort(byName),
    checklist: active(pick(c, 'checklistItems', 'checklist', 'checklist_items', 'checklist_item')).sort(
      (a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0) || a.id - b.id,
    ),
  };
}

/** storeHistory(id) with stable keys: {lastVisit, lastPrices: [...], stock: [...], contacts}. */
export function normHistory(h) {
  h = h || {};
  const list = (v) => (Array.isArray(v) ? v.map(dataOf).filter(Boolean) : []);
  return {
    lastVisit: dataOf(pick(h, 'lastVisit', 'last_visit')) || null,
    visits: list(pick(h, 'visits')),
    lastPrices: list(pick(h, 'lastPrices', 'last_prices', 'prices')),
    stock: list(pick(h, 'stock', 'currentStock', 'current_stock')),
    contacts: list(pick(h, 'contacts')),
  };
}

/** The last price seen at this store for a product or competitor model, or null. */
export function lastPriceOf(history, { productId, competitorModelId }) {
  const matches = history.lastPrices.filter((p) =>
    productId != null
      ? Number(p.product_id) === Number(productId)
      : Number(p.competitor_model_id) === Number(competitorModelId),
  );
  matches.sort((a, b) => String(b.observed_at).localeCompare(String(a.observed_at)));
  return matches[0] || null;
}

export function stockOf(history, materialId) {
  const row = history.stock.find((s) => Number(s.material_id) === Number(materialId));
  return row ? row.quantity : null;
}
