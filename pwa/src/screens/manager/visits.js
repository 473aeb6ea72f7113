// Pure pieces of the visit detail and the photo feed (tested in visits.test.js). `detail` is
// GET /api/v1/visits/<id>/detail's answer, a feed item one of GET /api/v1/photos/feed's.

/** The link to a visit's detail (managers and HQ: #/visits/<id>; the rep's own screen is #/visit/<id>). */
export const visitHref = (id) => `#/visits/${encodeURIComponent(id)}`;

/**
 * What the visit's small map draws: the store (a dot), the check-in (a badge "1", red when
 * off-site, with a dashed line to the store when off-site) and the check-out ("2"), each with a
 * title from `label(kind, vars)`. Positions that are missing are left out.
 *   {markers: [{id, lat, lon, kind, label?, tone, title, testid}], lines: [{id, points, tone, dashed}]}
 */
export function visitLayers(detail, label = (kind) => kind) {
  const v = detail?.visit;
  const markers = [];
  const lines = [];
  if (!v) return { markers, lines };
  const at = (p) => p && Number.isFinite(p.latitude) && Number.isFinite(p.longitude);
  const store = v.store && at(v.store) ? v.store : null;
  if (store)
    markers.push({
      id: 'store',
      lat: store.latitude,
      lon: store.longitude,
      kind: 'dot',
      tone: 'muted',
      title: label('store', { name: store.name }),
      testid: 'visit-map-store',
    });
  if (at(v.check_in)) {
    markers.push({
      id: 'in',
      lat: v.check_in.latitude,
      lon: v.check_in.longitude,
      label: '1',
      tone: v.off_site ? 'err' : 'brand',
      title: label('in', { distance: v.check_in.distance_m, accuracy: v.check_in.accuracy_m }),
      testid: 'visit-map-in',
    });
    if (store && v.off_site)
      lines.push({
        id: 'offsite',
        points: [
          [v.check_in.latitude, v.check_in.longitude],
          [store.latitude, store.longitude],
        ],
        tone: 'err',
        dashed: true,
      });
  }
  if (at(v.check_out))
    markers.push({
      id: 'out',
      lat: v.check_out.latitude,
      lon: v.check_out.longitude,
      label: '2',
      tone: 'ok',
      title: label('out', { distance: v.check_out.distance_m, accuracy: v.check_out.accuracy_m }),
      testid: 'visit-map-out',
    });
  return { markers, lines };
}

/** An answer's value as shown: 'yes' / 'no' for a yes/no item (a key's last part), the number otherwise. */
export function answerShown(answer) {
  if (!answer) return '';
  if (typeof answer.value === 'boolean') return answer.value ? 'yes' : 'no';
  return answer.value === null || answer.value === undefined ? '' : String(answer.value);
}

/** Every photo of a visit detail in the order the page shows them, with what it belongs to:
 * [{photo, section, recordId}] (the viewer steps through them). */
export function visitPhotos(detail) {
  if (!detail) return [];
  const out = [];
  for (const section of ['display_checks', 'price_observations', 'intel_reports', 'tasks'])
    for (const r of detail[section] || [])
      for (const photo of r.photos || []) out.push({ photo, section, recordId: r.id });
  return out;
}

/** The feed's query string values from the screen's filters: empty ones dropped, `recycled` as 1. */
export function feedQuery(filters = {}) {
  const out = {};
  for (const [k, v] of Object.entries(filters)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    out[k] = k === 'recycled' ? 1 : v;
  }
  return out;
}

/** `items` then the next page's, without repeating an item (a photo of a record) already there:
 * the feed is newest first, so a photo arriving meanwhile shifts the pages by one. */
export function appendPage(items, next) {
  const key = (i) => `${i.photo_id}|${i.record_type}|${i.record_id}`;
  const seen = new Set(items.map(key));
  return [...items, ...next.filter((i) => !seen.has(key(i)))];
}

/** The checklist items a feed item names, the failed ones first (what an audit looks at). */
export function itemsFailedFirst(items = []) {
  return [...items].sort((a, b) => Number(a.passed) - Number(b.passed));
}

/** Where the other photo of a recycled pair is used, as one line's parts: {store, at, href,
 * hidden} — `hidden` when outside the reader's scope (only the time is told), `href` when the
 * reader may open that visit. The first use that says most. */
export function recycledPlace(match) {
  const uses = match?.uses || [];
  const use = uses.find((u) => u.can_open) || uses.find((u) => u.visible) || uses[0] || null;
  if (!use) return { store: null, at: null, href: null, hidden: true };
  return {
    store: use.visible ? use.store_name : null,
    at: use.at || null,
    href: use.can_open && use.visit_id ? visitHref(use.visit_id) : null,
    hidden: !use.visible,
  };
}
