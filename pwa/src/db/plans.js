// Which visit plan counts for a day on this phone (pure; used by queries.plannedStores / dayPlan
// and actions.savePlan).
//
// The server keys plans by (rep, day) and keeps the id of the first save (SPEC.md §I.3.2), so a
// phone can hold two `visit_plan` rows for one day for a while: its own plan saved offline under a
// new id (pending: a local record with no server version) and the server's plan under another id
// (pulled: e.g. the manager's). The sync engine drops the pending row once a *pull* covers its
// mutation (`last_mutation_id` ≥ its id): that pull's data already holds the rep's stops in the
// server's plan, so from then on only the server's plan is left. Until then:
//   1. a pending plan wins, the newest (highest mutation id) of several: it is the latest decision
//      and replaces the day's stops when the server receives it (last received wins). It keeps
//      winning after the push is acknowledged and until the covering pull drops it, because a
//      server plan pulled *before* that push still has the stops the rep just replaced;
//   2. otherwise the pulled plan with the latest `updated_at`.

const ms = (iso) => {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? -Infinity : t;
};

/** The rows (entity rows `{data, pending, mutationId, …}`) of `me`'s plans of `day`, not deleted. */
export function plansOfDay(rows, day, me = null) {
  const mine = (p) => me === null || me === undefined || p.rep_id === undefined || p.rep_id === null || p.rep_id === me;
  return rows.filter((r) => r && !r.deleted && r.data && r.data.day === day && mine(r.data));
}

/** The row that counts among one day's plan rows (see the rules above), or null. */
export function pickDayPlan(rows) {
  if (!rows?.length) return null;
  return [...rows].sort(
    (a, b) =>
      Number(Boolean(b.pending)) - Number(Boolean(a.pending)) ||
      (b.pending ? (b.mutationId ?? 0) - (a.mutationId ?? 0) : 0) ||
      ms(b.data.updated_at) - ms(a.data.updated_at) ||
      String(a.id).localeCompare(String(b.id)),
  )[0];
}

/** Whether the server has the row (pulled, possibly with local changes on top). */
export const serverKnown = (row) => Boolean(row && (!row.pending || row.base));
