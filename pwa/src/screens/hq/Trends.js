// Price trends: prices by model and week (or day) in a region or nationwide — the median per
// model over the periods as a chart (uPlot, loaded on demand), with the min–max whiskers, and the
// table of every cell (period, model, brand, median, min, max, observations, promotions) that
// exports to CSV. Filters: period, region, competitor brand, one of our products (optionally with
// the competitor models it is set against), date range.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmt, localField, localName, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { CsvButton, ErrorBanner, RefreshButton, Segmented, useRemote } from '../desk/kit.js';
import {
  alignTrends,
  defaultProduct,
  defaultRange,
  lineStyles,
  periodName,
  todayIn,
  trendTableRows,
} from './market.js';
import { BrandField, cleanQuery, DateField, price, RegionField, SelectField, useLookups } from './marketCommon.js';
import { PriceChart } from './PriceChart.js';

// The filters stay as they were when HQ comes back to this screen.
let saved = null;

function initialFilters() {
  const today = todayIn();
  return {
    period: 'week',
    region_id: '',
    brand_id: '',
    product_id: null,
    with_rivals: true,
    ...defaultRange('week', today),
  };
}

export function trendColumns(period) {
  return [
    { key: 'period_start', label: t('market.periodStart') },
    { key: 'period', label: t('market.period'), value: (r) => periodName(r.period_start, period) },
    { key: 'model', label: t('market.model') },
    { key: 'brand', label: t('market.brand'), value: (r) => (r.ours ? t('market.ours') : r.brand) },
    { key: 'median', label: t('market.median') },
    { key: 'min', label: t('market.min') },
    { key: 'max', label: t('market.max') },
    { key: 'n', label: t('market.observations') },
    { key: 'n_promo', label: t('market.promotions') },
  ];
}

export function Trends() {
  const { api } = useApp();
  const { regions, brands, products, loaded } = useLookups();
  const [filters, setFilters] = useState(() => saved || initialFilters());
  const [showRange, setShowRange] = useState(true);
  const set = (patch) =>
    setFilters((f) => {
      const next = { ...f, ...patch };
      saved = next;
      return next;
    });

  // Until the products are known (product_id null), nothing is asked; then our first model with
  // rivals is shown next to them.
  useEffect(() => {
    if (filters.product_id === null && loaded.products) set({ product_id: defaultProduct(products) });
  }, [loaded.products, filters.product_id]);
  const ready = filters.product_id !== null;

  function setPeriod(period) {
    set({ period, ...defaultRange(period, todayIn()) });
  }

  const query = cleanQuery({
    period: filters.period,
    since: filters.since,
    until: filters.until,
    region_id: filters.region_id,
    brand_id: filters.brand_id,
    product_id: filters.product_id,
    with_rivals: filters.product_id && filters.with_rivals ? 'true' : '',
  });
  const key = JSON.stringify(query);
  // The answer keeps the query it answers (the chart and the tests know what they show).
  const { data, loading, error, reload } = useRemote(
    () =>
      ready
        ? api.marketPriceTrends(query).then((list) => ({ key, query, rows: Array.isArray(list) ? list : [] }))
        : null,
    [key, ready],
  );
  const rows = data ? data.rows : [];
  const aligned = useMemo(() => alignTrends(rows, data ? data.query : null), [data]);
  const styles = useMemo(() => lineStyles(aligned.models), [aligned]);
  const colorOf = Object.fromEntries(aligned.models.map((m, k) => [m.key, styles[k].stroke]));
  const tableRows = useMemo(() => trendTableRows(rows), [data]);
  const badRange = filters.since && filters.until && filters.since > filters.until;

  return html`<div data-testid="trends-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('market.trends.title')}</h2>
        <${Segmented}
          label=${t('market.period')}
          options=${['week', 'day'].map((p) => [p, t(`market.by.${p}`)])}
          value=${filters.period}
          onChange=${setPeriod}
          testid="trend-period"
          attr="period"
        />
        <${RefreshButton} onClick=${reload} />
      </div>
      <div class="market-filters">
        <${RegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} />
        <${BrandField} brands=${brands} value=${filters.brand_id} onChange=${(v) => set({ brand_id: v })} />
        <${SelectField}
          label=${t('market.ourProduct')}
          value=${filters.product_id || ''}
          onChange=${(v) => set({ product_id: v })}
          testid="filter-product"
          options=${[['', t('market.allModels')], ...products.map((p) => [String(p.id), `${p.model_code} ${localName(p)}`])]}
        />
        <label class="market-check">
          <input
            type="checkbox"
            checked=${filters.with_rivals}
            disabled=${!filters.product_id}
            onChange=${(e) => set({ with_rivals: e.currentTarget.checked })}
            data-testid="filter-rivals"
          />
          <span>${t('market.withRivals')}</span>
        </label>
        <${DateField} label=${t('market.since')} value=${filters.since} onChange=${(v) => set({ since: v })} testid="filter-since" max=${filters.until} />
        <${DateField} label=${t('market.until')} value=${filters.until} onChange=${(v) => set({ until: v })} testid="filter-until" min=${filters.since} />
      </div>
      ${filters.product_id && filters.brand_id ? html`<p class="small muted">${t('market.brandHidesOurs')}</p>` : null}
      ${badRange ? html`<div class="banner banner-warn" role="alert">${t('market.badRange')}</div>` : null}
    </section>

    <${ErrorBanner} error=${badRange ? null : error} onRetry=${reload} />

    <section
      class="card"
      data-testid="trend-chart-card"
      data-query=${data ? data.key : ''}
      data-region=${data ? data.query.region_id || '' : ''}
      data-product=${data ? data.query.product_id || '' : ''}
    >
      <div class="toolbar">
        <h2 style="margin:0">${t('market.chartTitle', { n: aligned.models.length })}</h2>
        <label class="market-check">
          <input type="checkbox" checked=${showRange} onChange=${(e) => setShowRange(e.currentTarget.checked)} data-testid="show-range" />
          <span>${t('market.showRange')}</span>
        </label>
      </div>
      ${
        rows.length
          ? html`<${PriceChart} aligned=${aligned} period=${data.query.period} showRange=${showRange} version=${data.key} />
            <p class="small muted">${t('market.chartExplain')}</p>`
          : html`<p class="empty" data-testid="trends-empty">${loading || !ready ? t('app.loading') : t('market.noTrends')}</p>`
      }
    </section>

    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('market.trendTable')}</h2>
        <${CsvButton} name="price-trends" rows=${tableRows} columns=${() => trendColumns(data ? data.query.period : filters.period)} />
      </div>
      ${
        tableRows.length
          ? html`<div class="table-wrap table-scroll">
            <table class="table" data-testid="trend-table">
              <thead>
                <tr>
                  <th>${t('market.period')}</th>
                  <th>${t('market.model')}</th>
                  <th>${t('market.brand')}</th>
                  <th class="num">${t('market.median')}</th>
                  <th class="num">${t('market.min')}</th>
                  <th class="num">${t('market.max')}</th>
                  <th class="num">${t('market.observations')}</th>
                  <th class="num">${t('market.promotions')}</th>
                </tr>
              </thead>
              <tbody>
                ${tableRows.map(
                  (r) => html`<tr
                    key=${`${r.period_start}|${r.model_key}`}
                    class=${r.ours ? 'ours' : ''}
                    data-testid="trend-row"
                    data-period=${r.period_start}
                    data-model=${r.model_key}
                  >
                    <td>${periodName(r.period_start, r.period)}<div class="small muted">${fmt.day(r.period_start)}</div></td>
                    <td><span class="swatch" style=${`background:${colorOf[r.model_key] || '#999'}`}></span>${localField(r, 'model')}</td>
                    <td>${r.ours ? html`<span class="tag tag-ok">${t('market.ours')}</span>` : localField(r, 'brand')}</td>
                    <td class="num" data-testid="trend-median">${price(r.median)}</td>
                    <td class="num">${price(r.min)}</td>
                    <td class="num">${price(r.max)}</td>
                    <td class="num">${fmt.number(r.n)}</td>
                    <td class="num">${fmt.number(r.n_promo)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
          : html`<p class="empty">${loading || !ready ? t('app.loading') : t('market.noTrends')}</p>`
      }
    </section>
  </div>`;
}
