// Pure logic of the quality and training-coverage screens (tested in quality.test.js): the
// queries of the filters, rates per 1,000 and fractions as the screens show them, a model's weeks
// as chart series, the order of the model table, which model the screen opens with.
//
// A model row (GET /quality/models) is one of our models over the purchase period:
//   {product_id, model_code, name, name_en, units_sold, returns, exchanges, repairs,
//    return_per_1000, exchange_per_1000, repair_per_1000, top_faults: [{code, name, name_en, count}]}
// A week row (GET /quality/weekly) is the same figures for the units bought in one ISO week
//   {week (its Monday), units_sold, returns, …, *_per_1000}; a region row (GET /quality/regions)
//   {region_id, region_name, …}. Rates are null (or absent) when nothing was sold.
// A coverage row (GET /training/coverage) is one current topic:
//   {topic_id, code, title, title_en, stores_total, stores_trained, promoters_total,
//    promoters_trained, avg_score_pct (0–100, null: no quiz), regions: [{region_id, region_name,
//    stores_total, stores_trained, avg_score_pct}]}.

import { fmt, localField } from '../../i18n/index.js';
import { defaultRange, toNumber } from './market.js';
import { cleanQuery } from './marketCommon.js';

/** The kinds of 三包 events, in the order the screens show them. */
export const KINDS = ['return', 'exchange', 'repair'];

/** Their line colours on the chart (return red, exchange amber, repair blue) and widths. */
export const KIND_STYLES = {
  return: { stroke: '#c92a2a', width: 3, dash: null },
  exchange: { stroke: '#e67700', width: 2.5, dash: null },
  repair: { stroke: '#1c7ed6', width: 2, dash: [6, 4] },
};

/** The weeks the model chart can show. */
export const CHART_WEEKS = [8, 12, 26];

/** The default purchase period: the last 12 weeks, from a Monday to today. */
export const defaultPeriod = (today) => defaultRange('week', today);

/** The model table's (and the CSV's) query: the purchase period and the region, nothing empty. A
 * period whose start is after its end is sent as it is: the server says what is wrong with it. */
export function qualityQuery({ since = '', until = '', region_id = '' } = {}) {
  return cleanQuery({ since, until, region_id });
}

/** A rate per 1,000 units to one decimal ("12.5"), '–' when there is none (nothing sold). */
export function rateText(v) {
  const n = toNumber(v);
  return n === null ? '–' : fmt.decimal1(n);
}

/** A count, or '–'. */
export function countText(v) {
  const n = toNumber(v);
  return n === null ? '–' : fmt.number(n);
}

/** Returns and exchanges per 1,000 units sold together (the early-life alert's figure), null when
 * nothing was sold. */
export function returnExchangeRate(row) {
  const units = toNumber(row?.units_sold);
  if (!units) return null;
  return ((toNumber(row.returns) || 0) + (toNumber(row.exchanges) || 0)) * (1000 / units);
}

// How the model table can be ordered: [key, the row's value].
export const SORTS = {
  units: (r) => toNumber(r.units_sold) ?? -1,
  return: (r) => toNumber(r.return_per_1000) ?? -1,
  exchange: (r) => toNumber(r.exchange_per_1000) ?? -1,
  repair: (r) => toNumber(r.repair_per_1000) ?? -1,
};

/** The model rows ordered by `sort` (a key of SORTS), largest first, then by model code. */
export function sortModels(rows, sort = 'units') {
  const value = SORTS[sort] || SORTS.units;
  return [...(rows || [])].sort(
    (a, b) => value(b) - value(a) || String(a.model_code ?? '').localeCompare(String(b.model_code ?? '')),
  );
}

/** The model the screen shows in detail: the chosen one while it is in the table, else the first
 * model with an early-life alert nobody acknowledged yet, else the first row; null without rows. */
export function modelToShow(chosen, rows, alerts = []) {
  const ids = new Set((rows || []).map((r) => String(r.product_id)));
  if (chosen && ids.has(String(chosen))) return String(chosen);
  const alerted = (alerts || []).find((a) => !a.acknowledged_at && ids.has(String(a.product_id)));
  if (alerted) return String(alerted.product_id);
  return rows?.length ? String(rows[0].product_id) : null;
}

/** The product ids with an early-life alert nobody acknowledged yet (the list may hold acknowledged
 * ones too: the screen's "All"). */
export const alertedIds = (alerts) =>
  new Set((alerts || []).filter((a) => !a.acknowledged_at).map((a) => String(a.product_id)));

/** A model's top faults as "屏幕 3 · 电池 2" (names in the UI language), '–' without any. */
export function faultsText(faults) {
  const list = (faults || []).filter((f) => f && (f.name || f.code));
  if (!list.length) return '–';
  return list.map((f) => `${localField(f, 'name') || f.code} ${fmt.number(f.count)}`).join(' · ');
}

/** A model's weeks as the chart's series: `{weeks, series: [{kind, values}]}` — weeks oldest
 * first from the first week anything of it sold (a model launched 2 weeks ago shows 2 weeks, not
 * 10 empty ones before them), one series per kind of KINDS with the rate per 1,000 of each week
 * (null where nothing was sold: a gap, not a zero). */
export function weeklySeries(rows) {
  const all = [...(rows || [])].filter((r) => r?.week).sort((a, b) => String(a.week).localeCompare(b.week));
  const first = all.findIndex((r) => toNumber(r.units_sold) > 0);
  const sorted = first > 0 ? all.slice(first) : all;
  const weeks = sorted.map((r) => r.week);
  const series = KINDS.map((kind) => ({
    kind,
    values: sorted.map((r) => (toNumber(r.units_sold) ? toNumber(r[`${kind}_per_1000`]) : null)),
  }));
  return { weeks, series };
}

/** Whether the series have any figure to draw. */
export const hasFigures = (chart) => chart.series.some((s) => s.values.some((v) => v !== null));

// --- training coverage ---------------------------------------------------------------------------

/** `part / total` in 0…1, null when the total is 0 (nothing to train: no bar, a dash). */
export function fraction(part, total) {
  const p = toNumber(part) || 0;
  const n = toNumber(total);
  if (!n) return null;
  return Math.max(0, Math.min(1, p / n));
}

/** An average quiz score (0–100) as "83.3%", '–' when the topic has no quiz or nobody answered. */
export function scoreText(v) {
  const n = toNumber(v);
  return n === null ? '–' : `${fmt.decimal1(n)}%`;
}

/** The coverage rows with the least covered topic first (by the share of stores trained), then by
 * code. */
export function sortCoverage(rows) {
  const share = (r) => fraction(r.stores_trained, r.stores_total) ?? 2;
  return [...(rows || [])].sort((a, b) => share(a) - share(b) || String(a.code ?? '').localeCompare(b.code ?? ''));
}

/** The gaps list ordered by region, store (Chinese names in pinyin order) and model. */
export function sortGaps(rows) {
  return [...(rows || [])].sort(
    (a, b) =>
      (Number(a.region_id) || 0) - (Number(b.region_id) || 0) ||
      String(a.store_name ?? '').localeCompare(String(b.store_name ?? ''), 'zh-CN') ||
      String(a.model_code ?? '').localeCompare(String(b.model_code ?? '')),
  );
}

/** A gap's topic title in the UI language: the current topic's (coverage rows carry title_en),
 * else the title the gap names; null when the model has no current topic. */
export function gapTopic(gap, coverageRows) {
  if (gap.topic_id === null || gap.topic_id === undefined) return gap.topic_title || null;
  const topic = (coverageRows || []).find((c) => String(c.topic_id) === String(gap.topic_id));
  return topic ? localField(topic, 'title') : gap.topic_title || `#${gap.topic_id}`;
}
