// A model's weekly 三包 rates (weeklyChart.js: uPlot loaded on demand), x = the purchase week's
// index, one line per kind (returns, exchanges, repairs per 1,000 units bought that week;
// quality.js weeklySeries). A week with nothing sold breaks the line; the y axis starts at 0.
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';
import { unitsRange } from './channel.js';
import { KIND_STYLES, rateText } from './quality.js';
import { ChartFrame, periodChartOptions, useUplot } from './weeklyChart.js';

const HEIGHT = 300;

/** `data`: {weeks, series} of weeklySeries; `version`: what it shows (`data-ready` says "true"
 * once drawn). */
export function QualityChart({ data, version = '' }) {
  const chart = useUplot(
    (width) => {
      const { weeks, series } = data;
      const opts = periodChartOptions({
        width,
        height: HEIGHT,
        periods: weeks,
        xLabel: t('quality.purchaseWeek'),
        yRange: unitsRange(series),
        yTick: rateText,
        lines: series.map((s) => ({
          ...KIND_STYLES[s.kind],
          label: t(`quality.rate.${s.kind}`),
          pointSize: 6,
          value: rateText,
        })),
      });
      return { opts, data: [weeks.map((_, i) => i), ...series.map((s) => s.values)] };
    },
    [data],
    version,
  );
  return html`<${ChartFrame} chart=${chart} testid="quality-chart" label=${t('quality.chartLabel')} version=${version} />`;
}
