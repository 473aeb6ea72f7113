// Aging and FIFO. Aging: the cohorts (region, partner, model, ISO week shipped) with units still
// unsold past their model's aging days (products.aging_days, else the installation's default),
// oldest first as the server pages them; a row opens its unsold IMEIs; the server's CSV lists every
// aging unit. FIFO breaks: regions where a newer shipment's units sell while older units of the
// same model there stay unsold (先出厂的产品先到达消费者 is not happening).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { ErrorBanner, Pager, RefreshButton, usePaged } from '../desk/kit.js';
import { agingQuery } from './channel.js';
import * as capi from './channelApi.js';
import {
  ChannelRegionField,
  ModelCell,
  ModelField,
  PartnerField,
  partnerName,
  ServerCsvButton,
  units,
  usePartnerNames,
} from './channelCommon.js';
import { cleanQuery, regionName, useLookups, useSavedFilters } from './marketCommon.js';
import { periodName } from './market.js';

const initial = () => ({ region_id: '', product_id: '' });
const initialAging = () => ({ region_id: '', partner_id: '', product_id: '' });

const cohortKey = (c) => `${c.region_id}|${c.partner_id}|${c.product_id}|${c.ship_week}`;

function Imeis({ cohort }) {
  const query = {
    region_id: cohort.region_id,
    partner_id: cohort.partner_id,
    product_id: cohort.product_id,
    ship_week: cohort.ship_week,
  };
  const { data, rows, page, setPage, loading, error, reload } = usePaged(
    (paging) => capi.agingImeis(query, paging),
    [cohortKey(cohort)],
    { pageSize: 50 },
  );
  return html`<div class="imei-list" data-testid="aging-imeis" data-cohort=${cohortKey(cohort)}>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<table class="table table-compact">
            <thead>
              <tr><th>IMEI</th><th>${t('channel.shipDate')}</th></tr>
            </thead>
            <tbody>
              ${rows.map(
                (u) => html`<tr key=${u.imei} data-testid="aging-imei" data-imei=${u.imei}>
                  <td class="mono">${u.imei}</td>
                  <td>${fmt.day(u.ship_date)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
          <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} testid="imei-pager" />`
        : html`<p class="empty">${loading ? t('app.loading') : t('channel.aging.noImeis')}</p>`
    }
  </div>`;
}

export function Aging({ region = null }) {
  const { regions, products } = useLookups();
  const [filters, set] = useSavedFilters('channel-aging', initialAging);
  const [open, setOpen] = useState(null);
  const regionId = region ? String(region) : filters.region_id;
  const query = agingQuery({ region_id: regionId, partner_id: filters.partner_id, product_id: filters.product_id });
  const key = JSON.stringify(query);
  const { data, rows, page, setPage, loading, error, reload } = usePaged((paging) => capi.aging(query, paging), [key]);
  const toggle = (c) => setOpen((k) => (k === cohortKey(c) ? null : cohortKey(c)));

  return html`<div data-testid="aging-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('channel.aging.title')}</h2>
        <${RefreshButton} onClick=${reload} />
        <${ServerCsvButton} path="/channel/aging.csv" query=${query} testid="aging-csv" />
      </div>
      <div class="market-filters">
        <${ChannelRegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} fixed=${region} />
        <${PartnerField} value=${filters.partner_id} onChange=${(v) => set({ partner_id: v })} />
        <${ModelField} products=${products} value=${filters.product_id} onChange=${(v) => set({ product_id: v })} />
      </div>
      <p class="small muted">${t('channel.aging.explain')}</p>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="table channel-table" data-testid="aging-table">
                <thead>
                  <tr>
                    <th>${t('channel.region')}</th>
                    <th>${t('channel.partner')}</th>
                    <th>${t('channel.model')}</th>
                    <th>${t('channel.shipWeek')}</th>
                    <th class="num">${t('channel.ageDays')}</th>
                    <th class="num opt">${t('channel.shipped')}</th>
                    <th class="num">${t('channel.unsold')}</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map((c) => {
                    const k = cohortKey(c);
                    const isOpen = open === k;
                    return html`<tr
                        key=${k}
                        class=${isOpen ? 'selected clickable' : 'clickable'}
                        onClick=${() => toggle(c)}
                        data-testid="aging-row"
                        data-cohort=${k}
                      >
                        <td>${c.region_name || regionName(regions, c.region_id)}</td>
                        <td class="name">${partnerName(c)}</td>
                        <${ModelCell} r=${c} />
                        <td>${periodName(c.ship_week, 'week')}<div class="small muted">${fmt.day(c.ship_week)}</div></td>
                        <td class="num" data-testid="aging-age">
                          ${fmt.number(c.age_days)}
                          <div class="small muted">${t('channel.aging.limit', { days: c.aging_days })}</div>
                        </td>
                        <td class="num opt">${units(c.shipped)}</td>
                        <td class="num" data-testid="aging-unsold"><strong>${units(c.unsold)}</strong></td>
                        <td>
                          <button type="button" class="btn btn-small" aria-expanded=${isOpen ? 'true' : 'false'} data-testid="aging-expand">
                            ${isOpen ? t('channel.aging.hideImeis') : t('channel.aging.showImeis')}
                          </button>
                        </td>
                      </tr>
                      ${isOpen ? html`<tr key=${`${k}|imeis`} class="imei-row"><td colspan="8"><${Imeis} cohort=${c} /></td></tr>` : null}`;
                  })}
                </tbody>
              </table>
            </div>
            <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} />`
          : html`<p class="empty" data-testid="aging-empty">${loading ? t('app.loading') : t('channel.aging.none')}</p>`
      }
    </section>
  </div>`;
}

export function FifoBreaks({ region = null }) {
  const { regions, products } = useLookups();
  const [filters, set] = useSavedFilters('channel-fifo', initial);
  const regionId = region ? String(region) : filters.region_id;
  const query = cleanQuery({ region_id: regionId, product_id: filters.product_id });
  const key = JSON.stringify(query);
  const { data, rows, page, setPage, loading, error, reload } = usePaged(
    (paging) => capi.fifoBreaks(query, paging),
    [key],
  );
  const partners = usePartnerNames();

  return html`<div data-testid="fifo-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('channel.fifo.title')}</h2>
        <${RefreshButton} onClick=${reload} />
      </div>
      <div class="market-filters">
        <${ChannelRegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} fixed=${region} />
        <${ModelField} products=${products} value=${filters.product_id} onChange=${(v) => set({ product_id: v })} />
      </div>
      <p class="small muted">${t('channel.fifo.explain')}</p>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="table channel-table" data-testid="fifo-table">
                <thead>
                  <tr>
                    <th>${t('channel.region')}</th>
                    <th>${t('channel.model')}</th>
                    <th>${t('channel.fifo.older')}</th>
                    <th class="num">${t('channel.unsold')}</th>
                    <th>${t('channel.fifo.newer')}</th>
                    <th class="num">${t('channel.fifo.soldRecent')}</th>
                    <th>${t('channel.fifo.partners')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (
                      f,
                    ) => html`<tr key=${`${f.region_id}|${f.product_id}|${f.older_ship_week}|${f.newer_ship_week}`} data-testid="fifo-row">
                      <td>${f.region_name || regionName(regions, f.region_id)}</td>
                      <${ModelCell} r=${f} />
                      <td>${periodName(f.older_ship_week, 'week')}<div class="small muted">${fmt.day(f.older_ship_week)}</div></td>
                      <td class="num"><strong class="drop">${units(f.older_unsold)}</strong></td>
                      <td>${periodName(f.newer_ship_week, 'week')}<div class="small muted">${fmt.day(f.newer_ship_week)}</div></td>
                      <td class="num">${units(f.newer_sold_recent)}</td>
                      <td class="small">${(f.older_partner_ids || []).map((id) => partnerName({ partner_id: id, partner_name: partners[id] })).join(', ')}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} />`
          : html`<p class="empty" data-testid="fifo-empty">${loading ? t('app.loading') : t('channel.fifo.none')}</p>`
      }
    </section>
  </div>`;
}
