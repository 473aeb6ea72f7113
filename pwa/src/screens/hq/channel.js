// Pure logic of the channel screens (tested in channel.test.js): which tab a route shows, the
// queries of the filters, the colour of a weeks-of-cover figure, the regions' map circles, the
// sell-through rows as chart series, the alert kinds.
//
// A stock row (GET /channel/stock) is one region (or partner) and model:
//   {region_id, region_name, partner_id, partner_name, product_id, model_code, product_name,
//    product_name_en, shipped, sold, stock, weekly_sales, cover_weeks (null: no sales), aging_units,
//    latitude?, longitude? (group=region: where the region's stores are)}
// A sell-through row (GET /channel/sell-through) is one model in one ISO week:
//   {week_start, model_key ('p<id>' | 'c<id>'), product_id, competitor_model_id, name, name_en,
//    card_units, declared_units, estimated_units, shipped, stock_start, sell_through (0–1 | null)}

import { localField } from '../../i18n/index.js';
import { OUR_COLOR, RIVAL_COLORS, toNumber } from './market.js';
import { cleanQuery } from './marketCommon.js';

// The tabs of #/channel/<tab>: [key, route suffix, label]. '' is the stock-and-cover table.
export const TABS = [
  ['stock', '', 'channel.tab.stock'],
  ['sell-through', 'sell-through', 'channel.tab.sellThrough'],
  ['aging', 'aging', 'channel.tab.aging'],
  ['fifo', 'fifo', 'channel.tab.fifo'],
  ['alerts', 'alerts', 'channel.tab.alerts'],
];
const TAB_KEYS = new Set(TABS.map(([key]) => key));

/** The tab of a route's sub-part (#/channel/aging → 'aging'); anything else: 'stock'. */
export function tabOf(sub) {
  return sub && TAB_KEYS.has(sub) ? sub : 'stock';
}

/** The hash of a tab. */
export function tabHref(key) {
  const tab = TABS.find(([k]) => k === key);
  return tab?.[1] ? `#/channel/${tab[1]}` : '#/channel';
}

// Weeks of cover. The server does not send its alert thresholds (CHANNEL_COVER_LOW_WEEKS 2,
// CHANNEL_COVER_HIGH_WEEKS 12 by default); the table colours by those defaults, and the alert
// list (which the server raises with the configured ones) is where a changed threshold shows.
export const COVER_LOW = 2;
export const COVER_HIGH = 12;

/** 'none' (no sales: cover unknown), 'low' (< COVER_LOW weeks: replenish), 'high' (> COVER_HIGH:
 * too much stock), else 'ok'. A stock of 0 with sales is 'low' (cover 0). */
export function coverTone(cover) {
  const n = toNumber(cover);
  if (n === null) return 'none';
  if (n < COVER_LOW) return 'low';
  if (n > COVER_HIGH) return 'high';
  return 'ok';
}

/** A weeks-of-cover figure to one decimal (3.25 → 3.3); null stays null. */
export function roundCover(v) {
  const n = toNumber(v);
  return n === null ? null : Math.round(n * 10) / 10;
}

/** The query of the stock table: group (region | partner) and the filters, nothing empty. */
export function stockQuery({ group = 'region', region_id = '', partner_id = '', product_id = '' } = {}) {
  return cleanQuery({ group, region_id, partner_id, product_id });
}

/**
 * The stock screen's two requests: with a region (a manager's fixed one, or HQ's pick) its
 * partners' rows, and above them that region's own row per model (`regionRows`: group=region
 * limited to it) — the figures the cover alerts are raised on, which a partner row does not add
 * up to on sight; without one, the regions (`regionRows` null: the table is already that).
 */
export function stockScreenQueries({ region = null, region_id = '', product_id = '' } = {}) {
  const regionId = region ? String(region) : region_id ? String(region_id) : '';
  if (!regionId) return { group: 'region', table: stockQuery({ group: 'region', product_id }), regionRows: null };
  return {
    group: 'partner',
    table: stockQuery({ group: 'partner', region_id: regionId, product_id }),
    regionRows: stockQuery({ group: 'region', region_id: regionId, product_id }),
  };
}

/** The query of the stock CSV: the same filters as the table shows. */
export const stockCsvQuery = stockQuery;

/** Stock rows summed per region (every model): [{region_id, region_name, latitude, longitude,
 * shipped, sold, stock, weekly_sales, aging_units, cover_weeks}], largest stock first. The cover of
 * the sum is the stock over the weekly sales (null when nothing sells). */
export function regionTotals(rows) {
  const by = new Map();
  for (const r of rows || []) {
    const key = r.region_id;
    let x = by.get(key);
    if (!x) {
      x = {
        region_id: r.region_id,
        region_name: r.region_name,
        latitude: toNumber(r.latitude),
        longitude: toNumber(r.longitude),
        shipped: 0,
        sold: 0,
        stock: 0,
        weekly_sales: 0,
        aging_units: 0,
      };
      by.set(key, x);
    }
    if (x.latitude === null) x.latitude = toNumber(r.latitude);
    if (x.longitude === null) x.longitude = toNumber(r.longitude);
    for (const f of ['shipped', 'sold', 'stock', 'weekly_sales', 'aging_units']) x[f] += toNumber(r[f]) || 0;
  }
  const out = [...by.values()].map((x) => ({
    ...x,
    weekly_sales: Math.round(x.weekly_sales * 100) / 100,
    cover_weeks: x.weekly_sales > 0 ? Math.round((x.stock / x.weekly_sales) * 100) / 100 : null,
  }));
  return out.sort((a, b) => b.stock - a.stock || String(a.region_name).localeCompare(String(b.region_name)));
}

const TONE_OF_COVER = { low: 'err', high: 'warn', ok: 'ok', none: 'muted' };

/** The map's circles of region totals: area ∝ stock (radius from `min` to `max` px, the largest
 * stock the largest circle), colour by cover. Regions without a position are left out. */
export function regionCircles(totals, { min = 8, max = 34 } = {}) {
  const top = Math.max(0, ...(totals || []).map((x) => x.stock));
  return (totals || [])
    .filter((x) => x.latitude !== null && x.longitude !== null)
    .map((x) => ({
      id: x.region_id,
      lat: x.latitude,
      lon: x.longitude,
      kind: 'dot',
      radius: top > 0 ? Math.round(min + (max - min) * Math.sqrt(Math.max(0, x.stock) / top)) : min,
      tone: TONE_OF_COVER[coverTone(x.cover_weeks)],
      data: x,
    }));
}

/** The sell-through rows as chart series over the weeks: `{weeks, series}`; `weeks` the sorted
 * week starts, `series` [{key, label, ours, kind: 'card' | 'declared' | 'estimated', values}] —
 * each of our models twice (units on warranty cards, units declared by stores), each competitor
 * model once (the reps' estimates); ours first. Weeks without a row are null (a gap). */
export function sellThroughSeries(rows) {
  const weeks = [...new Set((rows || []).map((r) => r.week_start).filter(Boolean))].sort();
  const index = new Map(weeks.map((w, i) => [w, i]));
  const models = new Map();
  for (const r of rows || []) {
    if (!index.has(r.week_start)) continue;
    const key = r.model_key || (r.product_id ? `p${r.product_id}` : `c${r.competitor_model_id}`);
    let m = models.get(key);
    if (!m) {
      m = { key, label: localField(r, 'name') || key, ours: key.startsWith('p'), rows: weeks.map(() => null) };
      models.set(key, m);
    }
    m.rows[index.get(r.week_start)] = r;
  }
  const list = [...models.values()].sort(
    (a, b) => Number(b.ours) - Number(a.ours) || String(a.label).localeCompare(String(b.label)),
  );
  const values = (m, field) => m.rows.map((r) => (r ? toNumber(r[field]) : null));
  const series = [];
  for (const m of list) {
    if (m.ours) {
      series.push({
        key: `${m.key}:card`,
        model: m.key,
        label: m.label,
        ours: true,
        kind: 'card',
        values: values(m, 'card_units'),
      });
      series.push({
        key: `${m.key}:declared`,
        model: m.key,
        label: m.label,
        ours: true,
        kind: 'declared',
        values: values(m, 'declared_units'),
      });
    } else {
      series.push({
        key: `${m.key}:estimated`,
        model: m.key,
        label: m.label,
        ours: false,
        kind: 'estimated',
        values: values(m, 'estimated_units'),
      });
    }
  }
  return { weeks, series };
}

// Our models in blues, rivals in the price chart's rival colours; declared units dashed.
const OUR_COLORS = [OUR_COLOR, '#1c7ed6', '#1864ab', '#4dabf7'];

/** The line style of each series (same order): {stroke, width, dash}. */
export function seriesStyles(series) {
  const ours = new Map();
  const rivals = new Map();
  return series.map((s) => {
    if (s.ours) {
      if (!ours.has(s.model)) ours.set(s.model, OUR_COLORS[ours.size % OUR_COLORS.length]);
      const stroke = ours.get(s.model);
      return s.kind === 'card' ? { stroke, width: 3, dash: null } : { stroke, width: 2, dash: [2, 4] };
    }
    if (!rivals.has(s.model)) rivals.set(s.model, RIVAL_COLORS[rivals.size % RIVAL_COLORS.length]);
    return { stroke: rivals.get(s.model), width: 1.5, dash: [6, 4] };
  });
}

/** [0, high] of every value of the series, padded by 10 % (a volume axis starts at 0). */
export function unitsRange(series) {
  let hi = 0;
  for (const s of series || []) for (const v of s.values) if (v !== null && v > hi) hi = v;
  return [0, hi > 0 ? Math.ceil(hi * 1.1) : 1];
}

/** The sell-through table: newest week first, ours first, then by name. */
export function sellThroughTableRows(rows) {
  return [...(rows || [])].sort(
    (a, b) =>
      String(b.week_start).localeCompare(String(a.week_start)) ||
      Number(String(b.model_key).startsWith('p')) - Number(String(a.model_key).startsWith('p')) ||
      String(a.name ?? '').localeCompare(String(b.name ?? '')),
  );
}

/** The competitor models set against a product (`rival_model_ids`), as numbers. */
export function rivalIds(product) {
  return (product?.rival_model_ids || []).map(Number).filter((n) => Number.isFinite(n));
}

/**
 * Where sell-through stands with its model (it shows one model at a time): 'loading' until the
 * product list came and a model is picked, 'error' when the list failed, 'empty' when there is
 * no model of ours, 'ready'. The last two are said with a retry: waiting would never end.
 */
export function modelPickState({ loaded = false, products = [], productId = null, error = null } = {}) {
  if (!loaded) return 'loading';
  if (error) return 'error';
  if (!products.length) return 'empty';
  return productId ? 'ready' : 'loading';
}

/** The model sell-through picks when none is (`productId` empty): one with competitor models set
 * against it, else the first; null when there is nothing to pick or one is picked already. */
export function modelToPick(productId, products = []) {
  if (productId || !products.length) return null;
  const p = products.find((x) => x.active !== false && (x.rival_model_ids || []).length) || products[0];
  return String(p.id);
}

export const ALERT_KINDS = ['stock_out', 'cover_low', 'cover_high'];

/** The alert list's query: kind (one of ALERT_KINDS, or '' for all), region, acknowledged
 * ('false': open ones only; '': all). */
export function alertQuery({ kind = '', region_id = '', acknowledged = 'false' } = {}) {
  return cleanQuery({ kind: ALERT_KINDS.includes(kind) ? kind : '', region_id, acknowledged });
}

/** The aging list's (and its CSV's) query. */
export function agingQuery({ region_id = '', partner_id = '', product_id = '' } = {}) {
  return cleanQuery({ region_id, partner_id, product_id });
}

/** Price trends aligned (market.js alignTrends) re-indexed on `weeks` (the sell-out chart's), so
 * that both charts put the same week at the same place: a week without a price is a gap, prices of
 * weeks outside `weeks` are left out. With no weeks, the prices as they are. */
export function alignOnWeeks(aligned, weeks) {
  if (!weeks?.length) return aligned;
  const at = new Map(aligned.periods.map((p, i) => [p, i]));
  const pick = (arr) => weeks.map((w) => (at.has(w) ? arr[at.get(w)] : null));
  return {
    periods: [...weeks],
    models: aligned.models.map((m) => ({
      ...m,
      median: pick(m.median),
      min: pick(m.min),
      max: pick(m.max),
      n: pick(m.n),
      nPromo: pick(m.nPromo),
    })),
  };
}
