// The sell-out chart of the sell-through tab: uPlot (loaded on demand by PriceChart's loader),
// x = the week's index, one line per series of channel.js sellThroughSeries — our models' units on
// warranty cards (wide, solid) and declared by the stores (dotted, same colour), the competitor
// models' estimated units (dashed). A week without figures breaks the line.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { seriesStyles, unitsRange } from './channel.js';
import { periodName } from './market.js';
import { loadUplot, shortLabel } from './PriceChart.js';

const HEIGHT = 340;

/** `data`: {weeks, series}; `version`: what it shows (`data-ready` says "true" once drawn). */
export function VolumeChart({ data, version = '' }) {
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
        const styles = seriesStyles(series);
        const range = unitsRange(series);
        const width = Math.max(280, box.current.clientWidth || 600);
        // "W47 11-16" where there is room, "W47" on a phone (the legend names the week in full).
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
            { size: 56, values: (_u, splits) => splits.map((v) => fmt.number(v)) },
          ],
          series: [
            {
              label: t('market.week'),
              value: (_u, i) => (i === null || weeks[i] === undefined ? '–' : periodName(weeks[i], 'week')),
            },
            ...series.map((s, k) => ({
              label: `${s.ours ? '★ ' : ''}${s.label} · ${t(`channel.units.${s.kind}`)}`,
              stroke: styles[k].stroke,
              width: styles[k].width,
              dash: styles[k].dash || undefined,
              spanGaps: false,
              points: { show: true, size: s.kind === 'card' ? 7 : 5, fill: styles[k].stroke },
              value: (_u, v) => (v === null || v === undefined ? '–' : fmt.number(v)),
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

  return html`<div class="price-chart" data-testid="volume-chart" data-ready=${ready !== null && ready === version ? 'true' : 'false'} data-version=${version}>
    ${error ? html`<div class="banner banner-err" role="alert">${t('market.chartFailed')}</div>` : null}
    <div ref=${box} class="price-chart-canvas" role="img" aria-label=${t('channel.sellThrough.chartLabel')}></div>
  </div>`;
}
