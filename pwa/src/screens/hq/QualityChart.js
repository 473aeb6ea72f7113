// A model's weekly 三包 rates: uPlot (loaded on demand by PriceChart's loader), x = the purchase
// week's index, one line per kind (returns, exchanges, repairs per 1,000 units bought that week;
// quality.js weeklySeries). A week with nothing sold breaks the line; the y axis starts at 0.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { unitsRange } from './channel.js';
import { periodName } from './market.js';
import { loadUplot, shortLabel } from './PriceChart.js';
import { KIND_STYLES, rateText } from './quality.js';

const HEIGHT = 300;

/** `data`: {weeks, series} of weeklySeries; `version`: what it shows (`data-ready` says "true"
 * once drawn). */
export function QualityChart({ data, version = '' }) {
  const box = useRef(null);
  const chart = useRef(null);
  const [error, setError] = useState(null);
  const [ready, setReady] = useState(null);

  useEffect(() => {
    let alive = true;
    let observer = null;
    setError(null);
    loadUplot()
      .then((UPlot) => {
        if (!alive || !box.current) return;
        const { weeks, series } = data;
        const range = unitsRange(series);
        const width = Math.max(280, box.current.clientWidth || 600);
        const narrow = width < 520;
        const labels = weeks.map((w) => shortLabel(w, 'week', narrow));
        const opts = {
          width,
          height: HEIGHT,
          scales: {
            x: { time: false, range: () => [-0.5, Math.max(0.5, weeks.length - 0.5)] },
            y: { range: () => range },
          },
          axes: [
            {
              incrs: [1, 2, 3, 4, 6, 8, 13, 26, 52],
              space: narrow ? 40 : 64,
              values: (_u, splits) =>
                splits.map((i) => (Number.isInteger(i) && labels[i] !== undefined ? labels[i] : '')),
            },
            { size: 56, values: (_u, splits) => splits.map((v) => rateText(v)) },
          ],
          series: [
            {
              label: t('quality.purchaseWeek'),
              value: (_u, i) => (i === null || weeks[i] === undefined ? '–' : periodName(weeks[i], 'week')),
            },
            ...series.map((s) => ({
              label: t(`quality.rate.${s.kind}`),
              stroke: KIND_STYLES[s.kind].stroke,
              width: KIND_STYLES[s.kind].width,
              dash: KIND_STYLES[s.kind].dash || undefined,
              spanGaps: false,
              points: { show: true, size: 6, fill: KIND_STYLES[s.kind].stroke },
              value: (_u, v) => rateText(v),
            })),
          ],
          cursor: { points: { size: 8 } },
          legend: { live: true },
        };
        if (chart.current) chart.current.destroy();
        chart.current = new UPlot(opts, [weeks.map((_, i) => i), ...series.map((s) => s.values)], box.current);
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
  }, [data]);

  return html`<div class="price-chart" data-testid="quality-chart" data-ready=${ready !== null && ready === version ? 'true' : 'false'} data-version=${version}>
    ${error ? html`<div class="banner banner-err" role="alert">${t('market.chartFailed')}</div>` : null}
    <div ref=${box} class="price-chart-canvas" role="img" aria-label=${t('quality.chartLabel')}></div>
  </div>`;
}
