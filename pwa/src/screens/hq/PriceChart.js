// The price-trend chart (weeklyChart.js: uPlot loaded on demand, x = the period's index, weeks or
// days evenly spaced and labelled by name), one line per model: the medians, ours wide and solid,
// rivals dashed; the min–max of each period as whiskers (drawn in a `draw` hook). Gaps (a period
// with no observation) break the line.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { lineStyles, priceRange, uplotData } from './market.js';
import { ChartFrame, periodChartOptions, useUplot } from './weeklyChart.js';

const HEIGHT = 340;

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
  const rangeOn = useRef(showRange);
  // Built again when the data changes (a new query); resized with the container.
  const chart = useUplot(
    (width) => {
      const styles = lineStyles(aligned.models);
      const opts = periodChartOptions({
        width,
        height: HEIGHT,
        periods: aligned.periods,
        period,
        xLabel: period === 'week' ? t('market.week') : t('market.day'),
        yRange: priceRange(aligned.models) || [0, 1],
        yTick: (v) => fmt.number(v),
        ySize: 72,
        narrowSpace: 44,
        lines: aligned.models.map((m, k) => ({
          ...styles[k],
          label: m.ours ? `★ ${m.label}` : m.label,
          pointSize: m.ours ? 7 : 5,
          value: (v) => (v === null || v === undefined ? '–' : fmt.price(v)),
        })),
        plugins: [whiskerPlugin(aligned, styles, rangeOn)],
      });
      return { opts, data: uplotData(aligned) };
    },
    [aligned, period],
    version,
  );

  // The whiskers on / off: redraw without rebuilding.
  useEffect(() => {
    rangeOn.current = showRange;
    if (chart.uplot.current) chart.uplot.current.redraw(false);
  }, [showRange]);

  return html`<${ChartFrame} chart=${chart} testid="price-chart" label=${t('market.chartLabel')} version=${version} />`;
}
