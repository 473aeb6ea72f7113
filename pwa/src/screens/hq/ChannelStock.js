// Stock and weeks of cover: by region (every model of every region, or one model), a region's row
// opening its partners; shipped (sell-in), sold (warranty cards), the channel stock between them,
// the average weekly sell-out of the last complete weeks and the weeks of cover it gives, the
// units past their aging days. The regions on a map; the table as the server's CSV.
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { ErrorBanner, fetchAllPages, Pager, RefreshButton, usePaged, useRemote } from '../desk/kit.js';
import { lazyComponent } from '../desk/lazy.js';
import { regionCircles, regionTotals, stockCsvQuery, stockScreenQueries } from './channel.js';
import * as capi from './channelApi.js';
import {
  ChannelRegionField,
  CoverLegend,
  CoverTag,
  ModelCell,
  ModelField,
  partnerName,
  ServerCsvButton,
  units,
} from './channelCommon.js';
import { regionName, useLookups, useSavedFilters } from './marketCommon.js';

// The map brings Leaflet: loaded with the first stock tab that has positions to show.
const LazyMap = lazyComponent(() => import('./ChannelMap.js'), 'ChannelMap');

const initial = () => ({ region_id: '', product_id: '' });

/** Average weekly sell-out to one decimal (1.25 → "1.3"), '–' with no sales. */
const weekly = (v) => (v === null || v === undefined ? '–' : fmt.decimal1(Number(v)));

/** The figures' header cells of both stock tables (after their name columns). */
function FigureHeads() {
  return html`<th class="num opt">${t('channel.shipped')}</th>
    <th class="num opt">${t('channel.sold')}</th>
    <th class="num">${t('channel.stock')}</th>
    <th class="num">${t('channel.weeklySales')}</th>
    <th class="num">${t('channel.cover')}</th>
    <th class="num">${t('channel.agingUnits')}</th>`;
}

/** A stock row's figures: shipped, sold, stock, weekly sell-out, cover, aging units. */
function FigureCells({ r }) {
  return html`<td class="num opt" data-testid="stock-shipped">${units(r.shipped)}</td>
    <td class="num opt" data-testid="stock-sold">${units(r.sold)}</td>
    <td class="num" data-testid="stock-stock"><strong>${units(r.stock)}</strong></td>
    <td class="num" data-testid="stock-weekly">${weekly(r.weekly_sales)}</td>
    <td class="num"><${CoverTag} value=${r.cover_weeks} /></td>
    <td class="num" data-testid="stock-aging">${units(r.aging_units)}</td>`;
}

export function ChannelStock({ region = null }) {
  const { regions, products } = useLookups();
  const [filters, set] = useSavedFilters('channel-stock', initial);
  // A manager's region is fixed (the server answers for it only); HQ's partners of a region show
  // when a region is chosen (in the filter, or by a click on its row or circle).
  const regionId = region ? String(region) : filters.region_id;
  const queries = stockScreenQueries({ region, region_id: filters.region_id, product_id: filters.product_id });
  const { group, table: query } = queries;
  const key = JSON.stringify(query);
  const list = usePaged((paging) => capi.stock(query, paging), [key], { pageSize: 100 });
  const { data, rows, loading, error } = list;
  // The region's own row per model above its partners (cover alerts are raised on these).
  const regionKey = JSON.stringify(queries.regionRows);
  const regionList = useRemote(
    () => (queries.regionRows ? fetchAllPages((paging) => capi.stock(queries.regionRows, paging)) : null),
    [regionKey],
  );
  const regionRows = queries.regionRows ? regionList.data || [] : [];
  // The map: every region's models summed by the server (a page of the table is not all of them).
  const mapQuery = JSON.stringify({ product_id: filters.product_id || undefined });
  const map = useRemote(() => (group === 'region' ? capi.stockRegions(JSON.parse(mapQuery)) : null), [mapQuery, group]);
  const reload = () => {
    list.reload();
    if (queries.regionRows) regionList.reload();
    if (group === 'region') map.reload();
  };
  const circles = useMemo(() => regionCircles(regionTotals(map.data || [])), [map.data]);
  const name = (r) => (group === 'region' ? r.region_name || regionName(regions, r.region_id) : partnerName(r));
  const openRegion = (id) => !region && set({ region_id: String(id) });

  return html`<div data-testid="channel-stock" data-group=${group} data-region=${regionId || ''} data-query=${key}>
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('channel.stock.title')}</h2>
        <${RefreshButton} onClick=${reload} />
        <${ServerCsvButton} path="/channel/stock.csv" query=${stockCsvQuery({ group, region_id: regionId, product_id: filters.product_id })} testid="stock-csv" />
      </div>
      <div class="market-filters">
        <${ChannelRegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} fixed=${region} />
        <${ModelField} products=${products} value=${filters.product_id} onChange=${(v) => set({ product_id: v })} />
      </div>
      <p class="small muted">${t('channel.stock.explain')} ${region ? '' : t('channel.stock.pickRegion')}</p>
      <${CoverLegend} />
    </section>

    <${ErrorBanner} error=${error} onRetry=${reload} />
    <${ErrorBanner} error=${group === 'region' ? map.error : null} onRetry=${map.reload} />

    ${
      group === 'region' && circles.length
        ? html`<section class="card" data-testid="channel-map-card">
            <h3>${t('channel.map.heading')}</h3>
            <${LazyMap} circles=${circles} onPick=${(x) => openRegion(x.region_id)} />
          </section>`
        : null
    }

    ${
      regionRows.length
        ? html`<section class="card" data-testid="stock-region-card">
            <h2 style="margin:0">${t('channel.stock.regionRows', { region: regionRows[0]?.region_name || regionName(regions, regionId) })}</h2>
            <p class="small muted">${t('channel.stock.regionRowsExplain')}</p>
            <div class="table-wrap table-scroll">
              <table class="table channel-table" data-testid="stock-region-table">
                <thead>
                  <tr>
                    <th>${t('channel.model')}</th>
                    <${FigureHeads} />
                  </tr>
                </thead>
                <tbody>
                  ${regionRows.map(
                    (
                      r,
                    ) => html`<tr key=${`${r.region_id}|${r.product_id}`} data-testid="stock-region-row" data-region=${r.region_id} data-product=${r.product_id}>
                      <${ModelCell} r=${r} />
                      <${FigureCells} r=${r} />
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
          </section>`
        : null
    }
    <${ErrorBanner} error=${queries.regionRows ? regionList.error : null} onRetry=${regionList.reload} />

    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">
          ${group === 'region' ? t('channel.stock.byRegion') : t('channel.stock.byPartner', { region: rows[0]?.region_name || regionName(regions, regionId) })}
        </h2>
        ${
          group === 'partner' && !region
            ? html`<button type="button" class="btn btn-small" onClick=${() => set({ region_id: '' })} data-testid="stock-all-regions">‹ ${t('channel.allRegions')}</button>`
            : null
        }
      </div>
      ${
        rows.length
          ? html`<div class="table-wrap table-scroll">
              <table class="table channel-table" data-testid="stock-table">
                <thead>
                  <tr>
                    <th>${group === 'region' ? t('channel.region') : t('channel.partner')}</th>
                    <th>${t('channel.model')}</th>
                    <${FigureHeads} />
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (r) => html`<tr
                      key=${`${r.region_id}|${r.partner_id}|${r.product_id}`}
                      class=${group === 'region' && !region ? 'clickable' : ''}
                      onClick=${group === 'region' ? () => openRegion(r.region_id) : undefined}
                      data-testid="stock-row"
                      data-region=${r.region_id}
                      data-partner=${r.partner_id ?? ''}
                      data-product=${r.product_id}
                    >
                      <td class="name">${group === 'region' && !region ? html`<button type="button" class="link">${name(r)}</button>` : name(r)}</td>
                      <${ModelCell} r=${r} />
                      <${FigureCells} r=${r} />
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${
              data.pagination
                ? html`<${Pager} pagination=${data.pagination} page=${list.page} onPage=${list.setPage} />`
                : html`<p class="muted small" data-testid="stock-total">${t('desk.total', { n: rows.length })}</p>`
            }`
          : html`<p class="empty" data-testid="stock-empty">${loading ? t('app.loading') : t('channel.stock.none')}</p>`
      }
    </section>
  </div>`;
}
