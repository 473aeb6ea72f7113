// The sell-out chart of the sell-through tab (weeklyChart.js: uPlot loaded on demand), x = the
// week's index, one line per series of channel.js sellThroughSeries — our models' units on
// warranty cards (wide, solid) and declared by the stores (dotted, same colour), the competitor
// models' estimated units (dashed). A week without figures breaks the line.
import { html } from 'htm/preact';
import { fmt, t } from '../../i18n/index.js';
import { seriesStyles, unitsRange } from './channel.js';
import { ChartFrame, periodChartOptions, useUplot } from './weeklyChart.js';

const HEIGHT = 340;
const units = (v) => (v === null || v === undefined ? '–' : fmt.number(v));

/** `data`: {weeks, series}; `version`: what it shows (`data-ready` says "true" once drawn). */
export function VolumeChart({ data, version = '' }) {
  const chart = useUplot(
    (width) => {
      const { weeks, series } = data;
      const styles = seriesStyles(series);
      const opts = periodChartOptions({
        width,
        height: HEIGHT,
        periods: weeks,
        xLabel: t('market.week'),
        yRange: unitsRange(series),
        yTick: (v) => fmt.number(v),
        lines: series.map((s, k) => ({
          ...styles[k],
          label: `${s.ours ? '★ ' : ''}${s.label} · ${t(`channel.units.${s.kind}`)}`,
          pointSize: s.kind === 'card' ? 7 : 5,
          value: units,
        })),
      });
      return { opts, data: [weeks.map((_, i) => i), ...series.map((s) => s.values)] };
    },
    [data],
    version,
  );
  return html`<${ChartFrame} chart=${chart} testid="volume-chart" label=${t('channel.sellThrough.chartLabel')} version=${version} />`;
}
