// What HQ's line charts over weeks (or days) share — the price trend (PriceChart), sell-out
// (VolumeChart) and 三包 rates (QualityChart): uPlot loaded on demand (its code and CSS are a
// separate chunk that only these charts pull in; never in the first page's bundle), x = the
// period's index (so periods are evenly spaced and labelled by name), one line per series with its
// legend entry, a gap (null) breaking the line; the chart built again when its data changes, resized
// with its container and destroyed with the screen.
//
//   loadUplot()                                   uPlot's constructor (and stylesheet), loaded once
//   shortLabel(start, period, narrow)             a period's axis label
//   periodChartOptions({width, height, periods, …})   uPlot options: period axis, y axis, legend
//   useUplot(build, deps, version)                the chart's lifecycle: {box, uplot, error, drawn}
//   <ChartFrame chart testid label version />     the chart's box (data-ready once drawn)
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { periodName } from './market.js';

let uplotLoading = null;
/** uPlot's constructor (and its stylesheet), loaded once. */
export function loadUplot() {
  if (!uplotLoading) {
    uplotLoading = Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(
      ([mod]) => mod.default || mod,
    );
    uplotLoading.catch(() => {
      uplotLoading = null; // try again next time (a network failure before the service worker cached it)
    });
  }
  return uplotLoading;
}

export function shortLabel(start, period, narrow = false) {
  // "W20 05-11" on the axis ("W20" on a phone, where both do not fit); the week's name in the legend.
  if (period !== 'week') return String(start).slice(5);
  const week = periodName(start, period).slice(5);
  return narrow ? week : `${week} ${String(start).slice(5)}`;
}

/** The narrowest a chart is drawn (px). */
const MIN_WIDTH = 280;

/** uPlot's options for lines over `periods` (their first days, `period` week | day), `width` px
 * wide. `lines`: [{label, stroke, width, dash, pointSize, value(v) → legend text}], in the data's
 * order; `xLabel`: the legend's name of the period; `yRange` [lo, hi]; `yTick(v)`: a y axis label,
 * `ySize` its room (px); `narrowSpace`: px between x labels on a phone; `plugins`: uPlot's. */
export function periodChartOptions({
  width,
  height,
  periods,
  period = 'week',
  xLabel,
  lines,
  yRange,
  yTick,
  ySize = 56,
  narrowSpace = 40,
  plugins = [],
}) {
  // "W47 11-16" where there is room, "W47" on a phone (the legend names the week in full).
  const narrow = width < 520;
  const labels = periods.map((p) => shortLabel(p, period, narrow));
  return {
    width,
    height,
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(0.5, periods.length - 0.5)] },
      y: { range: () => yRange },
    },
    axes: [
      {
        incrs: [1, 2, 3, 4, 6, 8, 13, 26, 52],
        space: narrow ? narrowSpace : 64,
        values: (_u, splits) => splits.map((i) => (Number.isInteger(i) && labels[i] !== undefined ? labels[i] : '')),
      },
      { size: ySize, values: (_u, splits) => splits.map((v) => yTick(v)) },
    ],
    series: [
      {
        label: xLabel,
        value: (_u, i) => (i === null || periods[i] === undefined ? '–' : periodName(periods[i], period)),
      },
      ...lines.map((line) => ({
        label: line.label,
        stroke: line.stroke,
        width: line.width,
        dash: line.dash || undefined,
        spanGaps: false,
        points: { show: true, size: line.pointSize, fill: line.stroke },
        value: (_u, v) => line.value(v),
      })),
    ],
    cursor: { points: { size: 8 } },
    legend: { live: true },
    plugins,
  };
}

/** A uPlot chart's lifecycle: `build(width)` → {opts, data} makes it once uPlot is loaded, again
 * when `deps` change; it follows its box's width and is destroyed with the component. `version`:
 * what the data is (the query) — `drawn` says the chart of this version is on the screen. Returns
 * {box (the ref of the element to draw in), uplot (a ref of the uPlot), error, drawn}. */
export function useUplot(build, deps, version = '') {
  const box = useRef(null);
  const chart = useRef(null);
  const [error, setError] = useState(null);
  const [ready, setReady] = useState(null); // the version drawn

  useEffect(() => {
    let alive = true;
    let observer = null;
    setError(null);
    loadUplot()
      .then((UPlot) => {
        if (!alive || !box.current) return;
        const width = Math.max(MIN_WIDTH, box.current.clientWidth || 600);
        const { opts, data } = build(width);
        if (chart.current) chart.current.destroy();
        chart.current = new UPlot(opts, data, box.current);
        setReady(version);
        if (typeof ResizeObserver !== 'undefined') {
          observer = new ResizeObserver(() => {
            const w = Math.max(MIN_WIDTH, box.current ? box.current.clientWidth : width);
            if (chart.current && Math.abs(chart.current.width - w) > 2)
              chart.current.setSize({ width: w, height: opts.height });
          });
          observer.observe(box.current);
        }
      })
      .catch((err) => {
        console.error(err);
        if (alive) setError(err);
      });
    return () => {
      alive = false;
      if (observer) observer.disconnect();
      if (chart.current) {
        chart.current.destroy();
        chart.current = null;
      }
      setReady(null);
    };
  }, deps);

  return { box, uplot: chart, error, drawn: ready !== null && ready === version };
}

/** The chart's box: `chart` is useUplot's; `data-ready` says "true" once the chart of `version` is
 * drawn, `data-version` which one; `label` names the chart for screen readers. */
export function ChartFrame({ chart, testid, label, version = '' }) {
  return html`<div class="price-chart" data-testid=${testid} data-ready=${chart.drawn ? 'true' : 'false'} data-version=${version}>
    ${chart.error ? html`<div class="banner banner-err" role="alert">${t('market.chartFailed')}</div>` : null}
    <div ref=${chart.box} class="price-chart-canvas" role="img" aria-label=${label}></div>
  </div>`;
}
