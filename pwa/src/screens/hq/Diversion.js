// Diversion (窜货): units sold (warranty card) or seen on a shelf (rep's spot check) in another
// region than the one they were shipped to. Counts by partner, shipped region, sold region or
// model; a row opens the flags behind it.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import {
  CsvButton,
  ErrorBanner,
  fetchAllPages,
  Pager,
  RefreshButton,
  Segmented,
  usePaged,
  useRemote,
} from '../desk/kit.js';

export const BY = ['partner', 'shipped_region', 'sold_region', 'model'];
export const FILTER_OF = {
  partner: 'partner_id',
  shipped_region: 'shipped_region_id',
  sold_region: 'sold_region_id',
  model: 'product_id',
};

function flagColumns() {
  return [
    { key: 'imei', label: 'IMEI' },
    { key: 'source', label: t('diversion.source'), value: (f) => t(`diversion.source.${f.source}`) },
    { key: 'model_code', label: t('diversion.model') },
    { key: 'store_name', label: t('diversion.store') },
    { key: 'sold_region_name', label: t('diversion.soldRegion') },
    { key: 'shipped_region_name', label: t('diversion.shippedRegion') },
    { key: 'partner_name', label: t('diversion.partner') },
    { key: 'ship_date', label: t('diversion.shipDate') },
    { key: 'seen_on', label: t('diversion.seenOn') },
  ];
}

function Flags({ filter }) {
  const { api } = useApp();
  const { data, rows, page, setPage, loading, error, reload } = usePaged(
    (paging) => api.diversionFlags({ [filter.key]: filter.id }, paging),
    [filter.key, filter.id],
  );
  return html`<section class="card" data-testid="diversion-flags">
    <div class="toolbar">
      <h2 style="margin:0">${t('diversion.flagsOf', { name: filter.name })}</h2>
      <${CsvButton}
        name="diversion-flags"
        rows=${() => fetchAllPages((paging) => api.diversionFlags({ [filter.key]: filter.id }, paging))}
        columns=${flagColumns}
        disabled=${!rows.length}
      />
    </div>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>IMEI</th>
                  <th>${t('diversion.source')}</th>
                  <th>${t('diversion.model')}</th>
                  <th>${t('diversion.store')}</th>
                  <th>${t('diversion.soldRegion')}</th>
                  <th>${t('diversion.shippedRegion')}</th>
                  <th>${t('diversion.partner')}</th>
                  <th>${t('diversion.shipDate')}</th>
                  <th>${t('diversion.seenOn')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (f) => html`<tr key=${f.id} data-testid="flag-row" data-imei=${f.imei}>
                    <td class="mono">${f.imei}</td>
                    <td>${t(`diversion.source.${f.source}`)}</td>
                    <td>${f.model_code}</td>
                    <td>${f.store_name}</td>
                    <td>${f.sold_region_name}</td>
                    <td>${f.shipped_region_name}</td>
                    <td>${f.partner_name}</td>
                    <td>${fmt.day(f.ship_date)}</td>
                    <td>${fmt.day(f.seen_on)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} />`
        : html`<p class="empty">${loading ? t('app.loading') : t('diversion.noFlags')}</p>`
    }
  </section>`;
}

export function Diversion() {
  const { api } = useApp();
  const [by, setBy] = useState('partner');
  const [filter, setFilter] = useState(null);
  const { data, loading, error, reload } = useRemote(() => api.diversionSummary(by), [by]);
  const rows = Array.isArray(data) ? data : [];
  const total = rows.reduce((n, r) => n + (Number(r.count) || 0), 0);

  function pickBy(next) {
    setBy(next);
    setFilter(null);
  }

  return html`<div data-testid="diversion-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('diversion.title')}</h2>
        <${Segmented} label=${t('diversion.by')} options=${BY.map((b) => [b, t(`diversion.by.${b}`)])} value=${by} onChange=${pickBy} testid="diversion-by" attr="by" />
        <${RefreshButton} onClick=${reload} />
        <${CsvButton}
          name=${`diversion-by-${by}`}
          rows=${rows}
          columns=${() => [
            { key: 'id', label: 'ID' },
            { key: 'name', label: t(`diversion.by.${by}`) },
            { key: 'count', label: t('diversion.count') },
          ]}
          testid="export-csv-summary"
        />
      </div>
      <p class="muted small">${t('diversion.explain')}</p>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${
        rows.length
          ? html`<table class="table" data-testid="diversion-summary">
            <thead>
              <tr><th>${t(`diversion.by.${by}`)}</th><th class="num">${t('diversion.count')}</th><th class="bar-col"></th></tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) => html`<tr
                  key=${r.id}
                  class=${filter && String(filter.id) === String(r.id) ? 'selected clickable' : 'clickable'}
                  onClick=${() => setFilter({ key: FILTER_OF[by], id: r.id, name: r.name })}
                  data-testid="summary-row"
                  data-id=${r.id}
                >
                  <td><button type="button" class="link">${r.name ?? `#${r.id}`}</button></td>
                  <td class="num">${fmt.number(r.count)}</td>
                  <td class="bar-col"><div class="bar" style=${`width:${total ? (100 * r.count) / rows[0].count : 0}%`}></div></td>
                </tr>`,
              )}
            </tbody>
            <tfoot>
              <tr><th>${t('diversion.total')}</th><th class="num">${fmt.number(total)}</th><th></th></tr>
            </tfoot>
          </table>`
          : html`<p class="empty">${loading ? t('app.loading') : t('diversion.none')}</p>`
      }
    </section>
    ${filter ? html`<${Flags} filter=${filter} />` : rows.length ? html`<p class="muted small">${t('diversion.pickRow')}</p>` : null}
  </div>`;
}
