// Pure logic of HQ's market screens (tested in market.test.js): price-trend rows → one series per
// model aligned on the periods (gaps as null) and the uPlot data made of them, periods and date
// ranges, drop percentages, the photo ids of an alert's evidence.
//
// A trend row (GET /market/price-trends) is one model in one period:
//   {period, period_start: 'YYYY-MM-DD', model_key: 'p1' | 'c7', model, brand, ours, n, n_promo,
//    median, min, max, mean}  (prices as decimal strings); brand_en / model_en the names in English,
//    shown instead in the English UI (localField).

import { localField } from '../../i18n/index.js';

const DAY_MS = 86_400_000;

/** A price string or number → a finite number, or null. */
export function toNumber(v) {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** 'YYYY-MM-DD' → the UTC Date of that calendar day (null when it is not one). */
export function parseDay(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text ?? ''));
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCMonth() === Number(m[2]) - 1 ? d : null;
}

/** A UTC Date → 'YYYY-MM-DD'. */
export function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

/** 'YYYY-MM-DD' plus `days` (negative: earlier). */
export function addDays(day, days) {
  const d = parseDay(day);
  return d ? isoDay(new Date(d.getTime() + days * DAY_MS)) : day;
}

/** The ISO week of a day: {year, week} (the week's Thursday decides the year). */
export function isoWeek(day) {
  const d = parseDay(day);
  if (!d) return null;
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(d.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  return { year, week: 1 + Math.floor((thursday.getTime() - jan1) / (7 * DAY_MS)) };
}

/** A period's short name: '2026-W20' for a week (starting Monday `start`), the day itself else. */
export function periodName(start, period) {
  if (period !== 'week') return String(start ?? '');
  const w = isoWeek(start);
  return w ? `${w.year}-W${String(w.week).padStart(2, '0')}` : String(start ?? '');
}

/** The Monday of the ISO week holding `day`. */
export function weekStart(day) {
  const d = parseDay(day);
  if (!d) return day;
  return addDays(day, -((d.getUTCDay() + 6) % 7));
}

/** Today in a time zone (the business's: Asia/Shanghai) as 'YYYY-MM-DD'. */
export function todayIn(timeZone = 'Asia/Shanghai', now = new Date()) {
  try {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(now);
    const get = (type) => parts.find((p) => p.type === type).value;
    return `${get('year')}-${get('month')}-${get('day')}`;
  } catch {
    return isoDay(now);
  }
}

/** The default range of a trend: the last 12 weeks (from a Monday) or the last 30 days. */
export function defaultRange(period, today) {
  return period === 'day'
    ? { since: addDays(today, -29), until: today }
    : { since: weekStart(addDays(today, -7 * 11)), until: today };
}

/** Every period start from `since` to `until` (inclusive), a week or a day apart. */
export function periodStarts(since, until, period, limit = 400) {
  const out = [];
  let day = period === 'week' ? weekStart(since) : since;
  const step = period === 'week' ? 7 : 1;
  if (!parseDay(day) || !parseDay(until)) return out;
  while (day <= until && out.length < limit) {
    out.push(day);
    day = addDays(day, step);
  }
  return out;
}

/**
 * Trend rows → `{periods, models}`: `periods` the sorted period starts (those of the rows, plus
 * the periods of `range` {since, until, period} between the first and last row's, so that a
 * period with no observation at all shows as a gap),
 * `models` one per model — ours first, then by brand and name — with `median`, `min`, `max`, `n`
 * and `nPromo` arrays aligned on `periods` (null where the model has no observation).
 */
export function alignTrends(rows, range = null) {
  const set = new Set();
  for (const r of rows || []) if (r?.period_start) set.add(r.period_start);
  if (range?.since && range.until && set.size) {
    const known = [...set].sort(); // ISO days: text order is date order
    const first = known[0];
    const last = known[known.length - 1];
    for (const p of periodStarts(range.since, range.until, range.period || 'week'))
      if (p > first && p < last) set.add(p);
  }
  const periods = [...set].sort();
  const index = new Map(periods.map((p, i) => [p, i]));
  const byKey = new Map();
  for (const r of rows || []) {
    if (!r || !index.has(r.period_start)) continue;
    const key = r.model_key ?? `${r.product_id ?? ''}/${r.competitor_model_id ?? ''}`;
    let m = byKey.get(key);
    if (!m) {
      const empty = () => periods.map(() => null);
      m = {
        key,
        label: localField(r, 'model'),
        brand: localField(r, 'brand') ?? null,
        ours: !!r.ours,
        median: empty(),
        min: empty(),
        max: empty(),
        n: empty(),
        nPromo: empty(),
      };
      byKey.set(key, m);
    }
    const i = index.get(r.period_start);
    m.median[i] = toNumber(r.median);
    m.min[i] = toNumber(r.min);
    m.max[i] = toNumber(r.max);
    m.n[i] = r.n ?? null;
    m.nPromo[i] = r.n_promo ?? null;
  }
  const models = [...byKey.values()].sort(
    (a, b) =>
      Number(b.ours) - Number(a.ours) ||
      String(a.brand ?? '').localeCompare(String(b.brand ?? '')) ||
      String(a.label).localeCompare(String(b.label)),
  );
  return { periods, models };
}

/** The uPlot data of aligned trends: x = the period's index, then each model's medians. */
export function uplotData({ periods, models }) {
  return [periods.map((_, i) => i), ...models.map((m) => m.median)];
}

/** [low, high] of every min, max and median (null: no price at all), padded by 5 % for the chart. */
export function priceRange(models, pad = 0.05) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of models) {
    for (const arr of [m.min, m.max, m.median]) {
      for (const v of arr) {
        if (v === null || v === undefined) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (lo === Infinity) return null;
  const span = hi - lo || Math.abs(hi) || 1;
  return [Math.max(0, lo - span * pad), hi + span * pad];
}

// Line colours: ours is the brand's blue, wide and solid; rivals thinner, dashed, in these.
export const OUR_COLOR = '#0b5cad';
export const RIVAL_COLORS = [
  '#d9480f',
  '#2b8a3e',
  '#862e9c',
  '#c2255c',
  '#e67700',
  '#0c8599',
  '#5c940d',
  '#495057',
  '#a61e4d',
  '#364fc7',
];

/** The line style of each model (same order as `models`): {stroke, width, dash}. */
export function lineStyles(models) {
  let r = 0;
  return models.map((m) =>
    m.ours
      ? { stroke: OUR_COLOR, width: 3, dash: null }
      : { stroke: RIVAL_COLORS[r++ % RIVAL_COLORS.length], width: 1.5, dash: [6, 4] },
  );
}

/** The table rows of a trend, newest period first, then ours first and by model. */
export function trendTableRows(rows) {
  return [...(rows || [])].sort(
    (a, b) =>
      String(b.period_start).localeCompare(String(a.period_start)) ||
      Number(!!b.ours) - Number(!!a.ours) ||
      String(a.model ?? '').localeCompare(String(b.model ?? '')),
  );
}

/** A percentage to one decimal (12.345 → 12.3); null stays null. */
export function roundPct(v) {
  const n = toNumber(v);
  return n === null ? null : Math.round(n * 10) / 10;
}

/** The distinct photo ids of an alert's evidence, both periods, in order. */
export function evidencePhotoIds(alert) {
  const seen = new Set();
  for (const o of [...(alert?.previous_observations || []), ...(alert?.observations || [])]) {
    for (const id of o.photo_ids || []) seen.add(String(id));
  }
  return [...seen];
}

/** The price that counts for an observation: the promotional one when there is one. */
export function effectivePrice(o) {
  return toNumber(o?.promo_price) ?? toNumber(o?.shelf_price);
}

/** Lat/lon bounds [[south, west], [north, east]] of points with coordinates (null: none). */
export function boundsOf(points) {
  let s = Infinity;
  let w = Infinity;
  let n = -Infinity;
  let e = -Infinity;
  for (const p of points || []) {
    const lat = toNumber(p?.latitude);
    const lon = toNumber(p?.longitude);
    if (lat === null || lon === null) continue;
    s = Math.min(s, lat);
    n = Math.max(n, lat);
    w = Math.min(w, lon);
    e = Math.max(e, lon);
  }
  return s === Infinity
    ? null
    : [
        [s, w],
        [n, e],
      ];
}

/** The product the trends open on: our first active model with rivals set (its market next to
 * it), as a select value; '' (every model) when none has rivals. */
export function defaultProduct(products) {
  const p = (products || []).find((x) => x.active !== false && (x.rival_model_ids || []).length) || null;
  return p ? String(p.id) : '';
}
