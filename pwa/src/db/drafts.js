// A visit's draft: what the rep typed or tapped and has not recorded yet (checklist answers,
// reasons, photos picked for the check, notes), saved as it changes so that the back gesture or
// a reload loses nothing. One row per visit in the `drafts` table (db/index.js, version 2):
// `{visitId, data: {section: {...}}, updatedAt}`. Drafts stay on the phone (never synced); a
// section is dropped when it is recorded, the whole draft at check-out, everything on sign-out
// (db/wipe.js empties every table).

/**
 * The draft after `patch` (`{section: fields | null}`): fields merge into their section, a null
 * section is removed, an empty section too. Pure.
 */
export function mergeDraft(draft, patch) {
  const out = { ...(draft || {}) };
  for (const [section, fields] of Object.entries(patch || {})) {
    if (fields === null || fields === undefined) {
      delete out[section];
      continue;
    }
    const merged = { ...(out[section] || {}), ...fields };
    for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
    if (Object.keys(merged).length) out[section] = merged;
    else delete out[section];
  }
  return out;
}

/** The draft of a visit (`{}` when there is none). */
export async function loadDraft(db, visitId) {
  const row = await db.drafts.get(String(visitId));
  return row?.data || {};
}

/** Merge `patch` into the visit's draft (one transaction); an empty draft is deleted. → the draft. */
export async function saveDraft(db, visitId, patch, now = Date.now()) {
  const key = String(visitId);
  return db.transaction('rw', db.drafts, async () => {
    const row = await db.drafts.get(key);
    const data = mergeDraft(row?.data, patch);
    if (Object.keys(data).length) await db.drafts.put({ visitId: key, data, updatedAt: new Date(now).toISOString() });
    else await db.drafts.delete(key);
    return data;
  });
}

/** Drop a visit's draft (checked out). */
export async function dropDraft(db, visitId) {
  await db.drafts.delete(String(visitId));
}
