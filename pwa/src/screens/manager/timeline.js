// Pure pieces of the route review (tested in timeline.test.js): the timeline rows of a rep's day,
// the plan against the visits, and what the map draws. `route` is GET /api/v1/routes's answer:
// {rep_id, rep_name, day, visits: [{visit_id, store_id, store_name, store_latitude, store_longitude,
// checked_in_at, checked_out_at, latitude, longitude, accuracy_m, distance_m, off_site,
// minutes_on_site, travel_m, gap_minutes, idle}], totals: {...}, plan: {id, store_ids,
// visited_store_ids} | null}.

/**
 * The timeline of a day, in visit order: a `visit` row per visit, with a `gap` row before each
 * visit after the first when the rep spent time between the two (the leg's travel and minutes;
 * `idle` when the server says the gap is longer than ROUTE_IDLE_MINUTES).
 *   {type: 'visit', n (1-based), key, visit, planned: bool | null, planOrder: number | null}
 *   {type: 'gap', key, minutes, travel_m, idle, from: n − 1, to: n}
 */
export function timelineRows(route) {
  const visits = route?.visits || [];
  const plan = route?.plan;
  const order = new Map((plan ? plan.store_ids : []).map((id, i) => [id, i + 1]));
  const rows = [];
  visits.forEach((v, i) => {
    const n = i + 1;
    if (i > 0 && ((v.gap_minutes !== null && v.gap_minutes !== undefined) || v.travel_m)) {
      rows.push({
        type: 'gap',
        key: `gap-${n}`,
        minutes: v.gap_minutes ?? null,
        travel_m: v.travel_m ?? null,
        idle: Boolean(v.idle),
        from: n - 1,
        to: n,
      });
    }
    rows.push({
      type: 'visit',
      n,
      key: String(v.visit_id ?? `v${n}`),
      visit: v,
      planned: plan ? order.has(v.store_id) : null,
      planOrder: order.get(v.store_id) ?? null,
    });
  });
  return rows;
}

/**
 * The day's figures, from the server's totals (recomputed from the visits when absent):
 * {visits, travel_m, on_site_minutes, idle_minutes, off_site, first_check_in, last_check_out,
 *  idle_gaps, planned, planned_visited, unplanned}.
 */
export function dayTotals(route) {
  const visits = route?.visits || [];
  const t = route?.totals || {};
  const sum = (f) => visits.reduce((s, v) => s + (Number(v[f]) || 0), 0);
  const plan = route?.plan;
  const planned = plan ? plan.store_ids.length : null;
  const planSet = new Set(plan ? plan.store_ids : []);
  return {
    visits: t.visits ?? visits.length,
    travel_m: t.travel_m ?? sum('travel_m'),
    on_site_minutes: t.on_site_minutes ?? sum('minutes_on_site'),
    idle_minutes: t.idle_minutes ?? visits.filter((v) => v.idle).reduce((s, v) => s + (Number(v.gap_minutes) || 0), 0),
    off_site: t.off_site ?? visits.filter((v) => v.off_site).length,
    first_check_in: t.first_check_in ?? (visits[0] ? visits[0].checked_in_at : null),
    last_check_out: t.last_check_out ?? null,
    idle_gaps: visits.filter((v) => v.idle).length,
    planned,
    planned_visited: plan ? (plan.visited_store_ids || []).length : null,
    unplanned: plan ? visits.filter((v) => !planSet.has(v.store_id)).length : null,
  };
}

/**
 * The plan's stops in plan order: [{order, store_id, name, latitude, longitude, visited,
 * visitNumbers: [n…]}]; names and positions from the visits, else from `storesById` (a Map or
 * object of stores fetched apart), else null.
 */
export function planRows(route, storesById = new Map()) {
  const plan = route?.plan;
  if (!plan) return [];
  const visits = route?.visits || [];
  const get = (id) => (storesById instanceof Map ? (storesById.get(id) ?? storesById.get(String(id))) : storesById[id]);
  const visited = new Set(plan.visited_store_ids || []);
  return plan.store_ids.map((id, i) => {
    const numbers = [];
    let first = null;
    visits.forEach((v, j) => {
      if (v.store_id === id) {
        numbers.push(j + 1);
        if (!first) first = v;
      }
    });
    const s = get(id);
    return {
      order: i + 1,
      store_id: id,
      name: first ? first.store_name : s ? s.name : null,
      latitude: first ? first.store_latitude : s ? s.latitude : null,
      longitude: first ? first.store_longitude : s ? s.longitude : null,
      visited: visited.has(id) || numbers.length > 0,
      visitNumbers: numbers,
    };
  });
}

/** The plan's store ids that are neither among the visits nor in `known` (to fetch). */
export function missingPlanStores(route, known = new Map()) {
  const plan = route?.plan;
  if (!plan) return [];
  const seen = new Set((route?.visits || []).map((v) => v.store_id));
  return plan.store_ids.filter((id) => !seen.has(id) && !(known instanceof Map ? known.has(id) : id in known));
}

/**
 * What the route map draws: `{markers, lines}` for components/MapView.js.
 *   - a numbered marker per visit at the check-in position (tone 'err' when off site),
 *   - a dot per store visited (at the store's position),
 *   - a dot per planned store not visited (tone 'warn'),
 *   - the route: one line through the check-in positions in visit order,
 *   - for each off-site check-in a dashed line from it to its store (titled with the distance).
 * `label(kind, vars)` makes the tooltips (i18n); by default plain English-free text.
 */
export function routeLayers(route, plan = [], label = defaultLabel) {
  const visits = route?.visits || [];
  const markers = [];
  const lines = [];
  const stores = new Set();
  visits.forEach((v, i) => {
    if (!stores.has(v.store_id)) {
      stores.add(v.store_id);
      markers.push({
        id: `store-${v.store_id}`,
        lat: v.store_latitude,
        lon: v.store_longitude,
        kind: 'dot',
        tone: 'muted',
        testid: 'map-store',
        title: label('store', { name: v.store_name }),
      });
    }
    if (v.off_site) {
      lines.push({
        id: `offsite-${i + 1}`,
        points: [
          [v.latitude, v.longitude],
          [v.store_latitude, v.store_longitude],
        ],
        tone: 'err',
        dashed: true,
        weight: 2,
        className: 'map-line offsite-line',
        title: label('offsite', { n: i + 1, distance: v.distance_m }),
      });
    }
  });
  for (const p of plan) {
    if (p.visited || p.latitude === null || p.latitude === undefined || stores.has(p.store_id)) continue;
    markers.push({
      id: `plan-${p.store_id}`,
      lat: p.latitude,
      lon: p.longitude,
      kind: 'dot',
      tone: 'warn',
      testid: 'map-planned',
      title: label('planned', { order: p.order, name: p.name ?? `#${p.store_id}` }),
    });
  }
  const path = visits
    .filter((v) => Number.isFinite(v.latitude) && Number.isFinite(v.longitude))
    .map((v) => [v.latitude, v.longitude]);
  if (path.length >= 2)
    lines.unshift({ id: 'route', points: path, tone: 'brand', weight: 3, className: 'map-line route-line' });
  visits.forEach((v, i) => {
    markers.push({
      id: `visit-${i + 1}`,
      lat: v.latitude,
      lon: v.longitude,
      label: String(i + 1),
      kind: 'number',
      tone: v.off_site ? 'err' : 'brand',
      testid: 'map-visit',
      title: label('visit', { n: i + 1, name: v.store_name }),
      data: { n: i + 1 },
    });
  });
  return { markers, lines };
}

function defaultLabel(kind, vars) {
  if (kind === 'visit') return `${vars.n}. ${vars.name}`;
  if (kind === 'offsite') return `${vars.n}: ${Math.round(vars.distance ?? 0)} m`;
  if (kind === 'planned') return `${vars.order}. ${vars.name}`;
  return String(vars.name ?? '');
}
