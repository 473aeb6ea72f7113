// The price-trend chart: uPlot, loaded on demand (its code and CSS are a separate chunk that only
// this chart pulls in; never in the first page's bundle). x = the period's index (so weeks and
// days are evenly spaced and labelled by name), one line per model: the medians, ours wide and
// solid, rivals dashed; the min–max of each period as whiskers (drawn in a `draw` hook). Gaps (a
// period with no observation) break the line.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { lineStyles, periodName, priceRange, uplotData } from './market.js';

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

const HEIGHT = 340;

export function shortLabel(start, period, narrow = false) {
  // "W20 05-11" on the axis ("W20" on a phone, where both do not fit); the week's name in the legend.
  if (period !== 'week') return String(start).slice(5);
  const week = periodName(start, period).slice(5);
  return narrow ? week : `${week} ${String(start).slice(5)}`;
}

/** Whiskers: for each model and period, a vertical line from min to max at the period (models
 * side by side so that they do not hide each other). */
function whiskerPlugin(aligned, styles, enabled) {
  return {
    hooks: {
      draw: (u) => {
        if (!enabled.current) return;
        const { ctx } = u;
        const n = aligned.models.length;
        const spread = Math.min(14, (u.bbox.width / Math.max(1, aligned.periods.length)) * 0.5);
        ctx.save();
        ctx.lineWidth = 1.5 * devicePixelRatio;
        aligned.models.forEach((m, k) => {
          if (!u.series[k + 1] || !u.series[k + 1].show) return;
          ctx.strokeStyle = styles[k].stroke;
          ctx.globalAlpha = m.ours ? 0.9 : 0.6;
          const offset = n > 1 ? (k / (n - 1) - 0.5) * spread * devicePixelRatio : 0;
          for (let i = 0; i < aligned.periods.length; i += 1) {
            const lo = m.min[i];
            const hi = m.max[i];
            if (lo === null || hi === null) continue;
            const x = Math.round(u.valToPos(i, 'x', true) + offset);
            const y0 = Math.round(u.valToPos(lo, 'y', true));
            const y1 = Math.round(u.valToPos(hi, 'y', true));
            const cap = 3 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, y0);
            ctx.lineTo(x, y1);
            ctx.moveTo(x - cap, y0);
            ctx.lineTo(x + cap, y0);
            ctx.moveTo(x - cap, y1);
            ctx.lineTo(x + cap, y1);
            ctx.stroke();
          }
        });
        ctx.restore();
      },
    },
  };
}

/** `version`: what the data is (the query): `data-ready` says "true" once the chart of this
 * version is drawn, `data-version` which one. */
export function PriceChart({ aligned, period, showRange, version = '' }) {
  const box = useRef(null);
  const chart = useRef(null);
  const rangeOn = useRef(showRange);
  const [error, setError] = useState(null);
  const [ready, setReady] = useState(null); // the version drawn

  // Build the chart again when the data changes (a new query); resize with the container.
  useEffect(() => {
    let alive = true;
    let observer = null;
    setError(null);
    loadUplot()
      .then((UPlot) => {
        if (!alive || !box.current) return;
        const styles = lineStyles(aligned.models);
        const range = priceRange(aligned.models) || [0, 1];
        const width = Math.max(280, box.current.clientWidth || 600);
        const narrow = width < 520;
        const labels = aligned.periods.map((p) => shortLabel(p, period, narrow));
        const opts = {
          width,
          height: HEIGHT,
          scales: {
            x: { time: false, range: () => [-0.5, Math.max(0.5, aligned.periods.length - 0.5)] },
            y: { range: () => range },
          },
          axes: [
            {
              incrs: [1, 2, 3, 4, 6, 8, 13, 26, 52],
              space: narrow ? 44 : 64,
              values: (_u, splits) =>
                splits.map((i) => (Number.isInteger(i) && labels[i] !== undefined ? labels[i] : '')),
            },
            { size: 72, values: (_u, splits) => splits.map((v) => fmt.number(v)) },
          ],
          series: [
            {
              label: period === 'week' ? t('market.week') : t('market.day'),
              value: (_u, i) =>
                i === null || aligned.periods[i] === undefined ? '–' : periodName(aligned.periods[i], period),
            },
            ...aligned.models.map((m, k) => ({
              label: m.ours ? `★ ${m.label}` : m.label,
              stroke: styles[k].stroke,
              width: styles[k].width,
              dash: styles[k].dash || undefined,
              spanGaps: false,
              points: { show: true, size: m.ours ? 7 : 5, fill: styles[k].stroke },
              value: (_u, v) => (v === null || v === undefined ? '–' : fmt.price(v)),
            })),
          ],
          cursor: { points: { size: 8 } },
          legend: { live: true },
          plugins: [whiskerPlugin(aligned, styles, rangeOn)],
        };
        if (chart.current) chart.current.destroy();
        chart.current = new UPlot(opts, uplotData(aligned), box.current);
        setReady(version);
        if (typeof ResizeObserver !== 'undefined') {
          observer = new ResizeObserver(() => {
            const w = Math.max(280, box.current ? box.current.clientWidth : width);
            if (chart.current && Math.abs(chart.current.width - w) > 2)
              chart.current.setSize({ width: w, height: HEIGHT });
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
  }, [aligned, period]);

  // The whiskers on / off: redraw without rebuilding.
  useEffect(() => {
    rangeOn.current = showRange;
    if (chart.current) chart.current.redraw(false);
  }, [showRange]);

  return html`<div class="price-chart" data-testid="price-chart" data-ready=${ready !== null && ready === version ? 'true' : 'false'} data-version=${version}>
    ${error ? html`<div class="banner banner-err" role="alert">${t('market.chartFailed')}</div>` : null}
    <div ref=${box} class="price-chart-canvas" role="img" aria-label=${t('market.chartLabel')}></div>
  </div>`;
}
