// The pure rules of the visit's phones step (issue 16: 手机库存与销量, steps/PhoneStep.js) and of
// Today's stock-out card: the rows each grid shows and what they show prefilled, the period a
// declared sell-out covers, the week a competitor estimate is of, what typing or tapping in a row
// records, and which stock-out alerts the rep still has to act on. No database and no DOM here:
// PhoneStep.js and Today.js read the replica and render; phones.test.js tests these rules alone.
//
// What the phone knows: the rep's own counts, reports and estimates (the server sends them back
// to the rep who made them, like price observations), and the stock-out alerts of the rep's
// stores (entity `channel_alert`). Days are business days (warranty/zone.js), 'YYYY-MM-DD'.

import { addDays, BANDS, isDay, MAX_PERIOD_DAYS, MAX_UNITS } from '../../db/sellout.js';

export {
  addDays,
  BANDS,
  DEFAULT_SOURCE,
  daysBetween,
  isDay,
  MAX_PERIOD_DAYS,
  MAX_UNITS,
  SOURCES,
  weekStart,
} from '../../db/sellout.js';

/** With no earlier report of a model at a store, a declared sell-out covers the last 7 days:
 * today and the 6 before it (both ends inclusive, as the server counts a period). */
export const DEFAULT_PERIOD_DAYS = 7;

const ms = (iso) => {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? -Infinity : t;
};
const same = (a, b) => a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);

/**
 * The period a sell-out declared `today` covers, `{start, end, since}` (inclusive days): from the
 * day after the last report's `period_end` (`lastEnd`, the latest the phone knows of this store
 * and model), else the last DEFAULT_PERIOD_DAYS days ending today (today − 6 … today). `since` is the day the rep
 * names ("since <date>"). Held to what the server takes: a period of at most MAX_PERIOD_DAYS
 * days (an old last report: the latest 92 days), never starting after it ends (a model already
 * reported up to today: today alone).
 */
export function salesPeriod({ lastEnd = null, today, defaultDays = DEFAULT_PERIOD_DAYS, maxDays = MAX_PERIOD_DAYS }) {
  let start = isDay(lastEnd) ? addDays(lastEnd, 1) : addDays(today, -(defaultDays - 1));
  if (start > today) start = today;
  const earliest = addDays(today, -(maxDays - 1));
  if (start < earliest) start = earliest;
  return { start, end: today, since: start };
}

/** A whole number of units 0…MAX_UNITS from what the rep typed, or null. */
export function unitsOf(text) {
  const clean = String(text ?? '').trim();
  if (!/^\d+$/.test(clean)) return null;
  const n = Number(clean);
  return Number.isSafeInteger(n) && n <= MAX_UNITS ? n : null;
}

/** Whether the text a rep typed in a units field is not (yet) a number of units. */
export function badUnits(text) {
  return String(text ?? '').trim() !== '' && unitsOf(text) === null;
}

/** The latest of `records` by `field` (ties: the later in the list). */
function latest(records, field) {
  let best = null;
  for (const r of records) if (!best || ms(r[field]) >= ms(best[field])) best = r;
  return best;
}

function split(records, storeId, visitId) {
  const thisVisit = [];
  const before = [];
  for (const r of records || []) {
    if (!r || !same(r.store_id, storeId)) continue;
    if (visitId !== null && visitId !== undefined && same(r.visit_id, visitId)) thisVisit.push(r);
    else before.push(r);
  }
  return { thisVisit, before };
}

/**
 * The rows of our models at store `storeId` during visit `visitId`: one per active product (in
 * the catalogue's order), plus a product no longer active that this visit recorded. Each row:
 * `{productId, product, lastCount (the latest count here before this visit: the hint), count
 * (this visit's latest: a count typed again corrects it), report (this visit's latest sell-out
 * report), period ({start, end, since}: what a report typed now covers)}`.
 * `counts` and `reports`: the `shop_stock_count` and `sellout_report` records on the phone.
 */
export function phoneRows({ products = [], counts = [], reports = [], storeId, visitId, today }) {
  const c = split(counts, storeId, visitId);
  const r = split(reports, storeId, visitId);
  const ids = products.map((p) => Number(p.id));
  for (const x of [...c.thisVisit, ...r.thisVisit]) {
    const id = Number(x.product_id);
    if (!ids.includes(id)) ids.push(id);
  }
  const byId = new Map(products.map((p) => [Number(p.id), p]));
  return ids.map((productId) => {
    const of = (list) => list.filter((x) => Number(x.product_id) === productId);
    const report = latest(of(r.thisVisit), 'reported_at');
    // The period a report of this visit covers stays the one it was recorded with.
    const lastReport = latest(of(r.before), 'period_end');
    const period = report
      ? { start: report.period_start, end: report.period_end, since: report.period_start }
      : salesPeriod({ lastEnd: lastReport?.period_end ?? null, today });
    return {
      productId,
      product: byId.get(productId) ?? null,
      lastCount: latest(of(c.before), 'counted_at'),
      count: latest(of(c.thisVisit), 'counted_at'),
      report,
      period,
    };
  });
}

/**
 * The competitor rows of the step: the competitor models the price grid shows for this store
 * (`modelIds`, in its order) and any other this store has an estimate of on the phone, each
 * `{competitorModelId, model, last (the latest estimate here before this visit), estimate (this
 * visit's latest)}`. `models`: the catalogue's competitor models.
 */
export function competitorRows({ modelIds = [], models = [], estimates = [], storeId, visitId }) {
  const e = split(estimates, storeId, visitId);
  const ids = modelIds.map(Number);
  for (const x of [...e.thisVisit, ...e.before]) {
    const id = Number(x.competitor_model_id);
    if (!ids.includes(id)) ids.push(id);
  }
  const byId = new Map(models.map((m) => [Number(m.id), m]));
  return ids.map((competitorModelId) => {
    const of = (list) => list.filter((x) => Number(x.competitor_model_id) === competitorModelId);
    return {
      competitorModelId,
      model: byId.get(competitorModelId) ?? null,
      last: latest(of(e.before), 'reported_at'),
      estimate: latest(of(e.thisVisit), 'reported_at'),
    };
  });
}

/**
 * What a finished visit recorded, as its read-only list shows it: the latest count and the
 * latest sell-out report of each model (`phoneRows`' `count`, `report`: a figure typed again in
 * the visit corrected the earlier one, which no longer counts, SPEC I.3.2) and the latest
 * competitor estimate of each (model, week), in the order recorded. The same entries the
 * check-out summary counts, so the two agree. → `{counts, reports, estimates}`.
 */
export function visitLatest({ products = [], counts = [], reports = [], estimates = [], storeId, visitId, today }) {
  const rows = phoneRows({ products, counts, reports, storeId, visitId, today });
  const byKey = new Map();
  for (const e of split(estimates, storeId, visitId).thisVisit) {
    const key = `${Number(e.competitor_model_id)}:${e.week_start}`;
    const seen = byKey.get(key);
    if (!seen || ms(e.reported_at) >= ms(seen.reported_at)) byKey.set(key, e);
  }
  const inOrder = (list, field) => list.sort((a, b) => ms(a[field]) - ms(b[field]));
  return {
    counts: inOrder(rows.map((r) => r.count).filter(Boolean), 'counted_at'),
    reports: inOrder(rows.map((r) => r.report).filter(Boolean), 'reported_at'),
    estimates: inOrder([...byKey.values()], 'reported_at'),
  };
}

/**
 * What a competitor row records: a number of units OR a band, never both — `{units}` from what
 * the rep typed (a number wins: typing clears the band chip), else `{band}` from the chip
 * tapped, else null (nothing, or not a number). Equal to `recorded` (this visit's estimate,
 * same source): null too, nothing to record twice.
 */
export function estimateEntry({ text = '', band = null, source, recorded = null }) {
  let entry = null;
  if (String(text ?? '').trim() !== '') {
    const units = unitsOf(text);
    if (units === null) return null;
    entry = { units };
  } else if (band !== null && band !== undefined) {
    if (!BANDS.includes(String(band))) return null;
    entry = { band: String(band) };
  }
  if (!entry) return null;
  if (
    recorded &&
    (recorded.source ?? null) === (source ?? null) &&
    (entry.units !== undefined
      ? Number(recorded.units) === entry.units && recorded.band == null
      : recorded.band === entry.band)
  )
    return null;
  return entry;
}

/**
 * What a stock row records: `{onHand, demoUnit}`, or null — not a number, or the same as this
 * visit's count already (`row.count`): a count typed again corrects it (the latest count is the
 * store's stock), the same one twice records nothing. `demoUnit`: true | false | null (not asked).
 */
export function countEntry(row, text, demoUnit = null) {
  const onHand = unitsOf(text);
  if (onHand === null) return null;
  const demo = demoUnit === undefined ? null : demoUnit;
  if (row.count && Number(row.count.on_hand) === onHand && (row.count.demo_unit ?? null) === demo) return null;
  return { onHand, demoUnit: demo };
}

/**
 * What a sold row records: `{units}`, or null (not a number; or the number this visit's report
 * already says, from the same source). A report sent again within a visit supersedes the
 * earlier one (SPEC I.3.2: the channel counts the visit's latest), yet each half-typed number
 * would still be a record in the outbox and on the server, so a sold count records on Enter or
 * on leaving the field only, never after a pause.
 */
export function reportEntry(row, text, source) {
  const units = unitsOf(text);
  if (units === null) return null;
  if (row.report && Number(row.report.units) === units && row.report.source === source) return null;
  return { units };
}

/**
 * Today's stock-out card: the open stock-out alerts of the rep's stores (`channel_alert`
 * records: kind `stock_out`, a store, not acknowledged), newest week first, then by store name.
 * The server raises one alert per (model, store, week), so a model still out at a store a week
 * later has two open alerts: only the newest of each (store, model) is shown (by week, then
 * created_at), once. An alert whose model the phone has since counted in stock at that store (a count after the
 * alert's, on_hand > 0) is done: the rep restocked it. Each `{alert, store, product}`; an alert
 * of a store not on the phone is left out (it is not the rep's to visit).
 */
export function openStockOuts({ alerts = [], stores = [], products = [], counts = [] }) {
  const storeById = new Map(stores.map((s) => [String(s.id), s]));
  const productById = new Map(products.map((p) => [String(p.id), p]));
  const newest = new Map();
  for (const a of alerts) {
    if (a?.kind !== 'stock_out' || a.store_id == null || a.acknowledged_at) continue;
    const key = `${a.store_id}:${a.product_id}`;
    const seen = newest.get(key);
    if (
      !seen ||
      String(a.week_start).localeCompare(String(seen.week_start)) > 0 ||
      (String(a.week_start) === String(seen.week_start) && ms(a.created_at) > ms(seen.created_at))
    )
      newest.set(key, a);
  }
  const out = [];
  for (const a of newest.values()) {
    const store = storeById.get(String(a.store_id));
    if (!store) continue;
    const countedAt = ms(counts.find((c) => same(c.id, a.count_id))?.counted_at ?? a.created_at);
    const restocked = counts.some(
      (c) =>
        same(c.store_id, a.store_id) &&
        same(c.product_id, a.product_id) &&
        Number(c.on_hand) > 0 &&
        ms(c.counted_at) > countedAt,
    );
    if (restocked) continue;
    out.push({ alert: a, store, product: productById.get(String(a.product_id)) ?? null });
  }
  const name = (x) => String(x.store.name ?? '');
  return out.sort(
    (x, y) =>
      String(y.alert.week_start).localeCompare(String(x.alert.week_start)) || name(x).localeCompare(name(y), 'zh-CN'),
  );
}
