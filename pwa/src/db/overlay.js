// Optimistic local records. The client's view is the pulled server state plus the effects of
// outbox mutations the server has not acknowledged yet (SPEC.md §I.1). A row with such effects is
// `pending: true` and carries:
//   mutationId  the latest mutation that touched it (dropped once the server's answer is pulled),
//   patch       the fields set locally (re-applied over each newer server version),
//   localClock  for editable records, field → HLC of the local edit (sent back as `base` later),
//   base        the server's version `{data, clock}` underneath (null: created on this device),
//   deleted     true when deleted locally.
// `meta.overlays` maps `entity:id` → mutationId of every pending row, so that the sync engine finds
// them without scanning the whole table (the schema has no index on `pending`).
import { getMeta, setMeta } from './index.js';

export const overlayKey = (entity, id) => `${entity}:${id}`;

/** Record (mutationId) or forget (null) that row `entity:id` is pending. Inside a transaction with `meta`. */
export async function markOverlay(db, entity, id, mutationId) {
  const overlays = (await getMeta(db, 'overlays')) ?? {};
  const key = overlayKey(entity, id);
  if (mutationId === null || mutationId === undefined) {
    if (!(key in overlays)) return;
    delete overlays[key];
  } else {
    overlays[key] = mutationId;
  }
  await setMeta(db, 'overlays', overlays);
}

/** The store a row belongs to, as a string, for the `[entity+storeId]` index. */
export function storeIdOf(entity, id, data) {
  if (entity === 'store') return String(data?.id ?? id);
  const sid = data?.store_id;
  return sid === null || sid === undefined ? undefined : String(sid);
}

function joinClock(serverClock, localClock) {
  if (!serverClock && !localClock) return null;
  return { ...(serverClock || {}), ...(localClock || {}) };
}

/**
 * Write an optimistic change of `entity` `id` into `entities` (call inside a transaction that
 * includes it): `patch` is merged over what the device shows, `hlc` stamps editable fields.
 */
export async function applyOverlay(db, entity, id, patch, { mutationId, hlc = null, editable = false, deleted } = {}) {
  const key = [entity, String(id)];
  const row = await db.entities.get(key);
  const wasPending = Boolean(row?.pending);
  const base = row ? (wasPending ? (row.base ?? null) : { data: row.data, clock: row.clock ?? null }) : null;
  const newPatch = { ...(wasPending ? row.patch || {} : {}), ...patch };
  let localClock = wasPending ? (row.localClock ?? null) : null;
  if (editable && hlc) {
    localClock = { ...(localClock || {}) };
    for (const field of Object.keys(patch)) localClock[field] = hlc;
  }
  const data = { ...(base?.data || {}), ...newPatch };
  const next = {
    entity,
    id: String(id),
    data,
    clock: joinClock(base?.clock, localClock),
    pending: true,
    mutationId,
    patch: newPatch,
    localClock,
    base,
    storeId: storeIdOf(entity, id, data),
  };
  const isDeleted = deleted ?? (wasPending ? row.deleted : undefined);
  if (isDeleted) next.deleted = true;
  if (row?.gen !== undefined) next.gen = row.gen;
  await db.entities.put(next);
  await markOverlay(db, entity, id, mutationId);
  return next;
}

/** A pending row on top of a newer server version `{data, clock}` (the local effects stay). */
export function rebase(row, data, clock, gen) {
  const next = {
    ...row,
    base: { data, clock: clock ?? null },
    data: { ...data, ...(row.patch || {}) },
    clock: joinClock(clock, row.localClock),
  };
  next.storeId = storeIdOf(row.entity, row.id, next.data);
  if (gen !== undefined) next.gen = gen;
  return next;
}

/** A plain (server) row. */
export function serverRow(entity, id, data, clock, gen) {
  const row = {
    entity,
    id: String(id),
    data,
    clock: clock ?? null,
    pending: false,
    storeId: storeIdOf(entity, id, data),
  };
  if (gen !== undefined) row.gen = gen;
  return row;
}

/** Undo a pending row's local effects: its server version, or nothing (null) if it has none. */
export function reverted(row) {
  if (!row.base) return null;
  return serverRow(row.entity, row.id, row.base.data, row.base.clock, row.gen);
}

/** Drop the local effects of a row (inside a transaction that includes `entities` and `meta`). */
export async function revertRow(db, row) {
  const back = reverted(row);
  if (back) await db.entities.put(back);
  else await db.entities.delete([row.entity, row.id]);
  await markOverlay(db, row.entity, row.id, null);
}
