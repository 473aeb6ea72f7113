// What the field saw in the market, in three tabs: promotions seen on shelves (paginated),
// store openings / new stores / closings / moves (on a map and a list), and promo-material use
// by region (delivered, used, returned, cost used). Every table exports to CSV.
// Routes: #/market/promotions, #/market/stores, #/market/materials.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, localField, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { CsvButton, ErrorBanner, fetchAllPages, Pager, RefreshButton, useRemote } from '../desk/kit.js';
import { lazyComponent } from '../desk/lazy.js';
import {
  BrandField,
  cleanQuery,
  last30,
  price,
  Range,
  RegionField,
  useLookups,
  useSavedFilters,
} from './marketCommon.js';

export const TABS = [
  ['promotions', '#/market/promotions', 'market.tab.promotions'],
  ['stores', '#/market/stores', 'market.tab.stores'],
  ['materials', '#/market/materials', 'market.tab.materials'],
];

// The store-changes tab brings Leaflet (through MapView): a chunk of its own, loaded when opened.
const LazyStoreChanges = lazyComponent(() => import('./StoreChanges.js'), 'StoreChanges');

// --- promotions ----------------------------------------------------------------------------------

function promotionColumns() {
  return [
    { key: 'observed_at', label: t('market.observedAt') },
    { key: 'store_name', label: t('market.store') },
    { key: 'brand', label: t('market.brand'), value: (r) => localField(r, 'brand') ?? t('market.ours') },
    { key: 'model', label: t('market.model') },
    { key: 'shelf_price', label: t('market.shelfPrice') },
    { key: 'promo_price', label: t('market.promoPrice') },
    { key: 'promo_text', label: t('market.promoText') },
  ];
}

export function Promotions() {
  const { api } = useApp();
  const { regions, brands } = useLookups();
  const [filters, set0] = useSavedFilters('promotions', () => ({ region_id: '', brand_id: '', ...last30() }));
  const [page, setPage] = useState(1);
  const set = (patch) => {
    setPage(1);
    set0(patch);
  };
  const query = cleanQuery(filters);
  const key = JSON.stringify(query);
  const { data, loading, error, reload } = useRemote(
    () => api.marketPromotions(query, { page, pageSize: 50 }),
    [key, page],
  );
  const rows = data?.items || [];
  return html`<section class="card" data-testid="promotions-screen">
    <div class="toolbar">
      <h2 style="margin:0">${t('market.promotions.title')}</h2>
      <${RefreshButton} onClick=${reload} />
      <${CsvButton} name="promotions" rows=${() => fetchAllPages((paging) => api.marketPromotions(query, paging))} columns=${promotionColumns} disabled=${!rows.length} />
    </div>
    <div class="market-filters">
      <${RegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} />
      <${BrandField} brands=${brands} value=${filters.brand_id} onChange=${(v) => set({ brand_id: v })} />
      <${Range} filters=${filters} set=${set} />
    </div>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<div class="table-wrap">
            <table class="table" data-testid="promotion-list">
              <thead>
                <tr>
                  <th>${t('market.observedAt')}</th>
                  <th>${t('market.store')}</th>
                  <th>${t('market.model')}</th>
                  <th class="num">${t('market.shelfPrice')}</th>
                  <th class="num">${t('market.promoPrice')}</th>
                  <th>${t('market.promoText')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (r) => html`<tr key=${r.id} data-testid="promotion-row">
                    <td class="small">${fmt.dateTime(r.observed_at)}</td>
                    <td>${r.store_name || `#${r.store_id}`}</td>
                    <td>${r.brand ? `${localField(r, 'brand')} ` : html`<span class="tag tag-ok">${t('market.ours')}</span> `}${localField(r, 'model')}</td>
                    <td class="num">${price(r.shelf_price)}</td>
                    <td class="num">${r.promo_price ? price(r.promo_price) : '–'}</td>
                    <td>${r.promo_text}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} />`
        : html`<p class="empty">${loading ? t('app.loading') : t('market.promotions.none')}</p>`
    }
  </section>`;
}

// --- promo-material use ----------------------------------------------------------------------------

function materialColumns() {
  return [
    { key: 'region', label: t('market.region') },
    { key: 'material', label: t('market.material') },
    { key: 'kind', label: t('market.materialKind'), value: (r) => (r.kind ? t(`market.materialKind.${r.kind}`) : '') },
    { key: 'delivered', label: t('market.delivered') },
    { key: 'used', label: t('market.used') },
    { key: 'returned', label: t('market.returned') },
    { key: 'cost_used', label: t('market.costUsed') },
  ];
}

export function MaterialUse() {
  const { api } = useApp();
  const { regions } = useLookups();
  const [filters, set] = useSavedFilters('materials', () => ({ region_id: '', ...last30() }));
  const query = cleanQuery(filters);
  const key = JSON.stringify(query);
  const { data, loading, error, reload } = useRemote(() => api.marketMaterialUse(query), [key]);
  const rows = Array.isArray(data) ? data : [];
  // Totals per region (the cost used), for the bars.
  const byRegion = new Map();
  for (const r of rows) byRegion.set(r.region, (byRegion.get(r.region) || 0) + (Number(r.cost_used) || 0));
  const regionTotals = [...byRegion.entries()].sort((a, b) => b[1] - a[1]);
  const top = regionTotals.length ? regionTotals[0][1] : 0;
  const total = regionTotals.reduce((n, [, v]) => n + v, 0);

  return html`<div data-testid="materials-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('market.materials.title')}</h2>
        <${RefreshButton} onClick=${reload} />
        <${CsvButton} name="promo-material-use" rows=${rows} columns=${materialColumns} />
      </div>
      <div class="market-filters">
        <${RegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} />
        <${Range} filters=${filters} set=${set} />
      </div>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${
        regionTotals.length
          ? html`<table class="table" data-testid="material-regions">
            <thead>
              <tr><th>${t('market.region')}</th><th class="num">${t('market.costUsed')}</th><th class="bar-col"></th></tr>
            </thead>
            <tbody>
              ${regionTotals.map(
                ([name, cost]) => html`<tr key=${name}>
                  <td>${name}</td>
                  <td class="num">${fmt.price(cost)}</td>
                  <td class="bar-col"><div class="bar" style=${`width:${top ? (100 * cost) / top : 0}%`}></div></td>
                </tr>`,
              )}
            </tbody>
            <tfoot>
              <tr><th>${t('diversion.total')}</th><th class="num">${fmt.price(total)}</th><th></th></tr>
            </tfoot>
          </table>`
          : null
      }
    </section>
    <section class="card">
      ${
        rows.length
          ? html`<div class="table-wrap">
            <table class="table" data-testid="material-list">
              <thead>
                <tr>
                  <th>${t('market.region')}</th>
                  <th>${t('market.material')}</th>
                  <th class="num">${t('market.delivered')}</th>
                  <th class="num">${t('market.used')}</th>
                  <th class="num">${t('market.returned')}</th>
                  <th class="num">${t('market.costUsed')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (r) => html`<tr key=${`${r.region_id}|${r.material_id}`} data-testid="material-row">
                    <td>${r.region}</td>
                    <td>${r.material}${r.kind ? html`<span class="tag">${t(`market.materialKind.${r.kind}`)}</span>` : null}</td>
                    <td class="num">${fmt.number(r.delivered)}</td>
                    <td class="num">${fmt.number(r.used)}</td>
                    <td class="num">${fmt.number(r.returned)}</td>
                    <td class="num">${price(r.cost_used)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
          : html`<p class="empty">${loading ? t('app.loading') : t('market.materials.none')}</p>`
      }
    </section>
  </div>`;
}

/** The three tabs under one nav entry. */
export function Activity({ tab }) {
  const current = TABS.some(([k]) => k === tab) ? tab : 'promotions';
  return html`<div data-testid="market-activity">
    <nav class="segmented market-tabs" aria-label=${t('market.nav.activity')}>
      ${TABS.map(
        ([
          k,
          href,
          label,
        ]) => html`<a key=${k} href=${href} aria-current=${k === current ? 'page' : undefined} class=${k === current ? 'active' : ''} data-testid=${`market-tab-${k}`}
          >${t(label)}</a
        >`,
      )}
    </nav>
    ${current === 'promotions' ? html`<${Promotions} />` : current === 'stores' ? html`<${LazyStoreChanges} />` : html`<${MaterialUse} />`}
  </div>`;
}
