// Replenishment alerts, raised once per model, store or region and week: a store counted none of a
// model its region sells (stock-out: the store's rep sees it on Today too), a region's weeks of
// cover below or above the thresholds. Each with its evidence (stock, weekly sell-out, cover, the
// store) and an "Acknowledge" button; the open ones are counted on the nav.
import { html } from 'htm/preact';
import { fmt, localField, t } from '../../i18n/index.js';
import { ErrorBanner, Pager, RefreshButton, Segmented, useAction, usePaged } from '../desk/kit.js';
import { ALERT_KINDS, alertQuery } from './channel.js';
import * as capi from './channelApi.js';
import { ChannelRegionField, channelAlertsChanged, CoverTag, units } from './channelCommon.js';
import { periodName } from './market.js';
import { regionName, useLookups, useSavedFilters } from './marketCommon.js';

const initial = () => ({ kind: '', region_id: '', acknowledged: 'false' });

export function ChannelAlerts({ region = null }) {
  const { regions } = useLookups();
  const [filters, set] = useSavedFilters('channel-alerts', initial);
  const regionId = region ? String(region) : filters.region_id;
  const query = alertQuery({ kind: filters.kind, region_id: regionId, acknowledged: filters.acknowledged });
  const key = JSON.stringify(query);
  const list = usePaged((paging) => capi.alerts(query, paging), [key]);
  const { data, rows, page, setPage, loading, error, reload } = list;
  const ack = useAction();

  async function acknowledge(a) {
    // 409: someone acknowledged it meanwhile — the list is read again all the same.
    const done = await ack.run(
      () =>
        capi.acknowledge(a.id).catch((err) => {
          if (err && err.status === 409) return a;
          throw err;
        }),
      a.id,
    );
    if (done !== undefined) {
      channelAlertsChanged();
      reload();
    }
  }

  return html`<div data-testid="channel-alerts-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('channel.alerts.title')}</h2>
        <${Segmented}
          label=${t('channel.alerts.kind')}
          options=${[['', t('channel.alerts.allKinds')], ...ALERT_KINDS.map((k) => [k, t(`channel.alertKind.${k}`)])]}
          value=${filters.kind}
          onChange=${(v) => set({ kind: v })}
          testid="alert-kind"
          attr="kind"
        />
        <${Segmented}
          label=${t('channel.alerts.which')}
          options=${[['false', t('channel.alerts.openOnly')], ['', t('channel.alerts.all')]]}
          value=${filters.acknowledged}
          onChange=${(v) => set({ acknowledged: v })}
          testid="alert-acknowledged"
          attr="acknowledged"
        />
        <${RefreshButton} onClick=${reload} />
      </div>
      <div class="market-filters">
        <${ChannelRegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} fixed=${region} />
      </div>
      <p class="small muted">${t('channel.alerts.explain')}</p>
      <${ErrorBanner} error=${error || ack.error} onRetry=${reload} />
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="table channel-table" data-testid="channel-alert-list">
                <thead>
                  <tr>
                    <th>${t('channel.alerts.kind')}</th>
                    <th>${t('channel.model')}</th>
                    <th>${t('channel.where')}</th>
                    <th>${t('market.week')}</th>
                    <th class="num">${t('channel.alerts.stock')}</th>
                    <th class="num">${t('channel.weeklySales')}</th>
                    <th class="num">${t('channel.cover')}</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (
                      a,
                    ) => html`<tr key=${a.id} data-testid="channel-alert-row" data-alert-id=${a.id} data-kind=${a.kind}>
                      <td><span class=${`tag ${a.kind === 'cover_high' ? 'tag-warn' : 'tag-err'}`}>${t(`channel.alertKind.${a.kind}`)}</span></td>
                      <td>${a.model_code ?? `#${a.product_id}`}<div class="small muted opt">${localField(a, 'product_name')}</div></td>
                      <td class="wrap">
                        ${
                          a.store_id
                            ? html`<div>
                              ${a.store_name || `#${a.store_id}`}
                              ${a.kind === 'stock_out' ? html` <span class="tag tag-err" data-testid="alert-counted-zero">${t('channel.alerts.countedZero')}</span>` : null}
                            </div>`
                            : null
                        }
                        <div class=${a.store_id ? 'small muted' : ''}>${a.region_name || regionName(regions, a.region_id)}</div>
                      </td>
                      <td>
                        ${periodName(a.week_start, 'week')}
                        <div class="small muted" title=${fmt.day(a.week_start)}>${t('channel.alerts.raised', { when: fmt.dateTime(a.created_at) })}</div>
                      </td>
                      <td class="num" data-testid="alert-stock">${units(a.stock)}</td>
                      <td class="num">
                        ${a.weekly_sales === null || a.weekly_sales === undefined ? '–' : fmt.decimal1(a.weekly_sales)}
                        ${
                          // a stock-out's sales are where the buyers are: the region's stores (cards
                          // and declared), not the units shipped into the region as for cover
                          a.kind === 'stock_out'
                            ? html`<div class="small muted">${t('channel.alerts.atStores')}</div>`
                            : null
                        }
                      </td>
                      <td class="num">${a.kind === 'stock_out' ? '–' : html`<${CoverTag} value=${a.cover_weeks} />`}</td>
                      <td>
                        ${
                          a.acknowledged_at
                            ? html`<span class="tag tag-ok" title=${fmt.dateTime(a.acknowledged_at)}>${t('market.acknowledged')}</span>`
                            : html`<button
                              type="button"
                              class="btn btn-small btn-primary"
                              onClick=${() => acknowledge(a)}
                              disabled=${ack.busy !== null}
                              data-testid="channel-alert-ack"
                            >
                              ${ack.busy === a.id ? t('app.loading') : t('market.acknowledge')}
                            </button>`
                        }
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} />`
          : html`<p class="empty" data-testid="channel-alerts-empty">${loading ? t('app.loading') : t('channel.alerts.none')}</p>`
      }
    </section>
  </div>`;
}
