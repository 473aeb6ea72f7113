// Sell-through: one of our models (and the competitor models set against it) week by week —
// units on warranty cards (exact), units the stores declared, the reps' estimates of the rivals'
// sell-out — beside the price trend of the same models and weeks (HQ reads price and volume
// together), the weekly table with shipments, stock at the week's start and sell-through, and the
// store-weeks where what a store declared differs from its cards.
import { html } from 'htm/preact';
import { useEffect, useMemo } from 'preact/hooks';
import { fmt, localField, t } from '../../i18n/index.js';
import { ErrorBanner, RefreshButton, Segmented, useRemote } from '../desk/kit.js';
import {
  alignOnWeeks,
  modelPickState,
  modelToPick,
  rivalIds,
  sellThroughSeries,
  sellThroughTableRows,
} from './channel.js';
import * as capi from './channelApi.js';
import { ChannelRegionField, ModelField, units } from './channelCommon.js';
import { addDays, alignTrends, periodName, todayIn, weekStart } from './market.js';
import { cleanQuery, useLookups, useSavedFilters } from './marketCommon.js';
import { PriceChart } from './PriceChart.js';
import { VolumeChart } from './VolumeChart.js';
import * as api from '../../api.js';

export const WEEKS = [8, 12, 26];
const initial = () => ({ region_id: '', product_id: null, weeks: 12 });

/** Every row of our model and of each rival (one request each: the endpoint filters by one model),
 * without duplicates. */
async function loadSellThrough({ region_id, product_id, weeks }, rivals) {
  const base = cleanQuery({ region_id, weeks });
  const lists = await Promise.all([
    capi.sellThrough({ ...base, product_id }),
    ...rivals.map((id) => capi.sellThrough({ ...base, competitor_model_id: id })),
  ]);
  const seen = new Map();
  for (const list of lists)
    for (const r of Array.isArray(list) ? list : []) seen.set(`${r.week_start}|${r.model_key}`, r);
  return [...seen.values()];
}

const pct = (v) => (v === null || v === undefined ? '–' : fmt.percent(Number(v)));

export function SellThrough({ region = null }) {
  const { regions, products, loaded, errors, retry } = useLookups();
  const [filters, set] = useSavedFilters('channel-sell-through', initial);
  useEffect(() => {
    const pick = loaded.products ? modelToPick(filters.product_id, products) : null;
    if (pick) set({ product_id: pick });
  }, [loaded.products, products, filters.product_id]);
  const modelState = modelPickState({
    loaded: loaded.products,
    products,
    productId: filters.product_id,
    error: errors?.products,
  });
  const regionId = region ? String(region) : filters.region_id;
  const product = products.find((p) => String(p.id) === String(filters.product_id)) || null;
  const rivals = rivalIds(product);
  const ready = !!filters.product_id && loaded.products;
  const query = { region_id: regionId, product_id: filters.product_id, weeks: filters.weeks };
  const key = JSON.stringify([query, rivals]);

  const volume = useRemote(
    () => (ready ? loadSellThrough(query, rivals).then((rows) => ({ key, rows })) : null),
    [key, ready],
  );
  const today = todayIn();
  const since = weekStart(addDays(today, -7 * (filters.weeks - 1)));
  const priceQuery = cleanQuery({
    period: 'week',
    since,
    until: today,
    region_id: regionId,
    product_id: filters.product_id,
    with_rivals: rivals.length ? 'true' : '',
  });
  const prices = useRemote(
    () =>
      ready ? api.marketPriceTrends(priceQuery).then((list) => ({ key, rows: Array.isArray(list) ? list : [] })) : null,
    [key, since, ready],
  );
  const gaps = useRemote(
    () =>
      ready ? capi.disagreements(cleanQuery({ region_id: regionId, product_id: filters.product_id, weeks: 8 })) : null,
    [regionId, filters.product_id, ready],
  );

  const rows = volume.data ? volume.data.rows : [];
  const chart = useMemo(() => sellThroughSeries(rows), [volume.data]);
  const tableRows = useMemo(() => sellThroughTableRows(rows), [volume.data]);
  const priceRows = prices.data ? prices.data.rows : [];
  // The prices on the sell-out chart's weeks: the same week at the same place in both charts.
  const aligned = useMemo(
    () => alignOnWeeks(alignTrends(priceRows, { since, until: today, period: 'week' }), chart.weeks),
    [prices.data, chart],
  );
  const gapRows = Array.isArray(gaps.data) ? gaps.data : [];
  const reload = () => {
    volume.reload();
    prices.reload();
    gaps.reload();
  };
  const waiting = (remote) => remote.loading || !ready;

  if (modelState === 'error' || modelState === 'empty')
    return html`<div data-testid="sell-through-screen">
      <section class="card" data-testid="sell-through-no-models" data-state=${modelState}>
        <h2 style="margin:0">${t('channel.sellThrough.title')}</h2>
        <p class="empty">${t(modelState === 'error' ? 'channel.sellThrough.modelsFailed' : 'channel.sellThrough.noModels')}</p>
        <button type="button" class="btn btn-small" onClick=${retry} data-testid="sell-through-retry">${t('common.retry')}</button>
      </section>
    </div>`;

  return html`<div data-testid="sell-through-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('channel.sellThrough.title')}</h2>
        <${Segmented}
          label=${t('channel.weeks')}
          options=${WEEKS.map((n) => [String(n), t('channel.nWeeks', { weeks: n })])}
          value=${String(filters.weeks)}
          onChange=${(v) => set({ weeks: Number(v) })}
          testid="sell-through-weeks"
          attr="weeks"
        />
        <${RefreshButton} onClick=${reload} />
      </div>
      <div class="market-filters">
        <${ChannelRegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} fixed=${region} allLabel=${t('market.nationwide')} />
        <${ModelField} products=${products} value=${filters.product_id} onChange=${(v) => set({ product_id: v })} required=${true} />
      </div>
      <p class="small muted">${t('channel.sellThrough.explain')}</p>
    </section>

    <${ErrorBanner} error=${volume.error} onRetry=${volume.reload} />

    <div class="channel-pair">
      <section class="card" data-testid="volume-card" data-query=${volume.data ? volume.data.key : ''}>
        <h3>${t('channel.sellThrough.volume')}</h3>
        ${
          chart.series.length
            ? html`<${VolumeChart} data=${chart} version=${volume.data.key} />`
            : html`<p class="empty" data-testid="volume-empty">${waiting(volume) ? t('app.loading') : t('channel.sellThrough.none')}</p>`
        }
      </section>
      <section class="card" data-testid="price-card">
        <h3>${t('channel.sellThrough.prices')}</h3>
        <${ErrorBanner} error=${prices.error} onRetry=${prices.reload} />
        ${
          priceRows.length
            ? html`<${PriceChart} aligned=${aligned} period="week" showRange=${false} version=${prices.data.key} />`
            : html`<p class="empty">${waiting(prices) ? t('app.loading') : t('market.noTrends')}</p>`
        }
      </section>
    </div>

    <section class="card">
      <h3>${t('channel.sellThrough.table')}</h3>
      ${
        tableRows.length
          ? html`<div class="table-wrap table-scroll">
              <table class="table channel-table" data-testid="sell-through-table">
                <thead>
                  <tr>
                    <th>${t('market.week')}</th>
                    <th>${t('channel.model')}</th>
                    <th class="num">${t('channel.units.card')}</th>
                    <th class="num">${t('channel.units.declared')}</th>
                    <th class="num">${t('channel.units.estimated')}</th>
                    <th class="num opt">${t('channel.shipped')}</th>
                    <th class="num opt">${t('channel.stockStart')}</th>
                    <th class="num">${t('channel.sellThroughPct')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${tableRows.map((r) => {
                    const ours = String(r.model_key).startsWith('p');
                    return html`<tr key=${`${r.week_start}|${r.model_key}`} class=${ours ? 'ours' : ''} data-testid="sell-through-row" data-week=${r.week_start} data-model=${r.model_key}>
                      <td>${periodName(r.week_start, 'week')}<div class="small muted">${fmt.day(r.week_start)}</div></td>
                      <td>${localField(r, 'name')}${ours ? null : html` <span class="tag">${t('channel.competitor')}</span>`}</td>
                      <td class="num" data-testid="st-card">${ours ? units(r.card_units) : '–'}</td>
                      <td class="num" data-testid="st-declared">${ours ? units(r.declared_units) : '–'}</td>
                      <td class="num" data-testid="st-estimated">${ours ? '–' : units(r.estimated_units)}</td>
                      <td class="num opt">${ours ? units(r.shipped) : '–'}</td>
                      <td class="num opt">${ours ? units(r.stock_start) : '–'}</td>
                      <td class="num" data-testid="st-pct">${ours ? pct(r.sell_through) : '–'}</td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>`
          : html`<p class="empty">${waiting(volume) ? t('app.loading') : t('channel.sellThrough.none')}</p>`
      }
    </section>

    <section class="card" data-testid="disagreements">
      <h3>${t('channel.disagreements.title')}</h3>
      <p class="small muted">${t('channel.disagreements.explain')}</p>
      <${ErrorBanner} error=${gaps.error} onRetry=${gaps.reload} />
      ${
        gapRows.length
          ? html`<div class="table-wrap table-scroll table-short">
              <table class="table channel-table" data-testid="disagreement-table">
                <thead>
                  <tr>
                    <th>${t('channel.store')}</th>
                    <th>${t('channel.disagreements.period')}</th>
                    <th>${t('channel.model')}</th>
                    <th class="num">${t('channel.units.card')}</th>
                    <th class="num">${t('channel.units.declared')}</th>
                    <th class="num">${t('channel.difference')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${gapRows.map(
                    (
                      g,
                      i,
                    ) => html`<tr key=${`${g.store_id}|${g.period_start ?? g.week_start}|${g.product_id}|${i}`} data-testid="disagreement-row" data-store=${g.store_id}>
                      <td>${g.store_name || `#${g.store_id}`}</td>
                      <td>
                        ${g.period_start ? `${fmt.day(g.period_start)} – ${fmt.day(g.period_end)}` : periodName(g.week_start, 'week')}
                        ${g.period_start ? html`<div class="small muted">${periodName(g.week_start, 'week')}</div>` : null}
                      </td>
                      <td>${g.model_code ?? `#${g.product_id}`}</td>
                      <td class="num">${units(g.card_units)}</td>
                      <td class="num">${units(g.declared_units)}</td>
                      <td class="num">${signed(Number(g.declared_units) - Number(g.card_units))}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <p class="muted small">${t('desk.total', { n: gapRows.length })}</p>`
          : html`<p class="empty">${waiting(gaps) ? t('app.loading') : t('channel.disagreements.none')}</p>`
      }
    </section>
  </div>`;
}

/** +3 / −2 / 0. */
function signed(n) {
  if (!Number.isFinite(n)) return '–';
  return n > 0 ? `+${fmt.number(n)}` : n < 0 ? `−${fmt.number(-n)}` : '0';
}
