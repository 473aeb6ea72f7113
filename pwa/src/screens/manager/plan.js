// Pure pieces of the visit planner (tested in plan.test.js).

import { storeMatches } from '../../db/storeSearch.js';

export const MAX_STOPS = 40; // the server's limit of a day's plan

/** `list` with `id` added at the end, or removed when it is there; at most MAX_STOPS. */
export function togglePick(list, id) {
  if (list.includes(id)) return list.filter((x) => x !== id);
  if (list.length >= MAX_STOPS) return list;
  return [...list, id];
}

/** `list` with the item at `index` moved by `delta` (−1 up, +1 down), unchanged at the ends. */
export function move(list, index, delta) {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return list;
  const next = [...list];
  [next[index], next[to]] = [next[to], next[index]];
  return next;
}

/** What an order saves against the order picked: `{picked, planned, saved, ratio}` in metres
 * (ratio: the share of the picked distance saved, 0 when nothing was picked). */
export function savingOf({ distance_picked_m: picked, distance_planned_m: planned }) {
  const p = Number(picked) || 0;
  const q = Number(planned) || 0;
  const saved = Math.max(0, p - q);
  return { picked: p, planned: q, saved, ratio: p > 0 ? saved / p : 0 };
}

/** Same stores in the same order? */
export const sameOrder = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Stores matching `text` in name, code or address (case-insensitive) or by the pinyin of their
 * name (the server's name_pinyin: db/storeSearch.js); all when `text` is blank. */
export function filterStores(stores, text) {
  if (!String(text ?? '').trim()) return stores;
  return stores.filter((s) => storeMatches(s, text));
}

/** The plan body for POST /visit-plans. `replaces`: the `updated_at` of the day's plan this save
 * may replace (the plan being edited, or the one the server's 409 plan.exists named). */
export function planBody({ id, repId, day, storeIds, keepOrder = false, note = '', start = null, replaces = null }) {
  return {
    id,
    rep_id: repId,
    day,
    store_ids: storeIds,
    optimise: !keepOrder,
    note: note || '',
    ...(start ? { start_latitude: start.latitude, start_longitude: start.longitude } : {}),
    ...(replaces ? { replaces } : {}),
  };
}

/** What saving over the day's plan changes, from the server's 409 `plan.exists` params, with store
 * names (`nameOf(id)`): {added, removed, kept: [{id, name}], orderChanged, noteChanged, stores
 * (in the plan now), by (who saved it), at (when), updatedAt (to send back as `replaces`)}. */
export function replaceSummary(params, nameOf) {
  const p = params || {};
  const named = (ids) => (Array.isArray(ids) ? ids : []).map((id) => ({ id, name: nameOf(id) }));
  return {
    added: named(p.added),
    removed: named(p.removed),
    kept: named(p.kept),
    orderChanged: Boolean(p.order_changed),
    noteChanged: Boolean(p.note_changed),
    stores: Number(p.stores) || 0,
    by: p.updated_by_name || '',
    at: p.updated_at || null,
    updatedAt: p.updated_at || null,
  };
}
