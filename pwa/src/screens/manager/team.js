// Team today's pure parts (tested in team.test.js): what needs the manager's attention, the order
// of the reps, the day's totals, and the map's markers, from GET /team/today's answer.

/** Weights of what needs attention: a phone silent for long hides everything else, then idle
 * time, then off-site check-ins. */
const WEIGHTS = { unsynced: 4, idle: 2, offSite: 1 };

/** Minutes of the rep's idle gaps together. */
export function idleMinutes(rep) {
  return (rep.idle_gaps || []).reduce((sum, g) => sum + (Number(g.minutes) || 0), 0);
}

/** `{score, unsynced, idle, offSite}`: which warnings a rep's row carries, and their weight. */
export function attention(rep) {
  const flags = {
    unsynced: Boolean(rep.unsynced),
    idle: (rep.idle_gaps || []).length > 0,
    offSite: (rep.off_site || 0) > 0,
  };
  const score = Object.entries(flags).reduce((s, [k, on]) => s + (on ? WEIGHTS[k] : 0), 0);
  return { score, ...flags };
}

/** The reps in order: 'attention' (most to look at first, then more idle time, then by name) or
 * 'name'. A new array. */
export function sortReps(reps, mode = 'attention', locale = 'zh-CN') {
  const byName = (a, b) => String(a.name).localeCompare(String(b.name), locale) || a.rep_id - b.rep_id;
  const list = [...(reps || [])];
  if (mode === 'name') return list.sort(byName);
  return list.sort(
    (a, b) => attention(b).score - attention(a).score || idleMinutes(b) - idleMinutes(a) || byName(a, b),
  );
}

/** Where the rep is: 'at' a store (an open visit), 'left' their last store, or 'none' yet. */
export function whereabouts(rep) {
  if (rep.open_visit) return { kind: 'at', visit: rep.open_visit };
  if (rep.last_visit) return { kind: 'left', visit: rep.last_visit };
  return { kind: 'none', visit: null };
}

/** The day's totals over the team. */
export function teamTotals(reps) {
  const out = { reps: 0, atStore: 0, done: 0, planned: 0, plannedVisited: 0, idle: 0, offSite: 0, unsynced: 0 };
  for (const r of reps || []) {
    out.reps += 1;
    out.atStore += r.open_visit ? 1 : 0;
    out.done += r.done || 0;
    out.planned += r.planned?.count || 0;
    out.plannedVisited += r.planned?.visited_store_ids?.length || 0;
    out.idle += (r.idle_gaps || []).length ? 1 : 0;
    out.offSite += (r.off_site || 0) > 0 ? 1 : 0;
    out.unsynced += r.unsynced ? 1 : 0;
  }
  return out;
}

/** Whole minutes from `iso` to `nowMs` (null without a time). */
export function minutesSince(iso, nowMs) {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.floor((nowMs - t) / 60000));
}

/** MapView markers of the reps' last positions, numbered as in `ordered` (the list's order), each
 * with the rep's name shown beside it; reps without a position today are left out. */
export function teamMarkers(ordered) {
  const markers = [];
  ordered.forEach((r, i) => {
    const p = r.last_position;
    if (!p || !Number.isFinite(Number(p.latitude)) || !Number.isFinite(Number(p.longitude))) return;
    const a = attention(r);
    markers.push({
      id: `rep-${r.rep_id}`,
      lat: Number(p.latitude),
      lon: Number(p.longitude),
      label: String(i + 1),
      kind: 'number',
      tone: a.unsynced ? 'err' : a.score ? 'warn' : r.open_visit ? 'ok' : 'brand',
      title: r.name,
      permanent: true,
      testid: 'team-marker',
      data: { repId: r.rep_id },
    });
  });
  return markers;
}

/** The reps without a position on the day. */
export const withoutPosition = (reps) => (reps || []).filter((r) => !r.last_position);
