// For tests: a row of the replica (db.entities) as the sync pull stores it — a store is its own
// store; anything with a store_id belongs to that store.
export const putEntity = (db, entity, data, extra = {}) =>
  db.entities.put({
    entity,
    id: String(data.id),
    data,
    clock: null,
    pending: false,
    storeId: entity === 'store' ? String(data.id) : data.store_id != null ? String(data.store_id) : undefined,
    ...extra,
  });
