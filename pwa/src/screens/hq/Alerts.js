// Price-drop alerts: a competitor model's median price in a region fell by the configured
// percentage from one week (or day) to the next. The list (unacknowledged ones by default) and
// one alert with its evidence — the observations of both periods, with their photos — and the
// Acknowledge button. Routes: #/market/alerts, #/market/alerts/<id>.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, localField, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import {
  apiMessage,
  CsvButton,
  ErrorBanner,
  fetchAllPages,
  Pager,
  PhotoThumb,
  RefreshButton,
  Segmented,
  useRemote,
} from '../desk/kit.js';
import { effectivePrice, periodName, roundPct } from './market.js';
import { alertsChanged, BrandField, cleanQuery, price, RegionField, useLookups } from './marketCommon.js';

const SHOW = ['open', 'acknowledged', 'all'];
const ACK_OF = { open: false, acknowledged: true, all: '' };
let saved = null;

const pct = (v) => (v === null || v === undefined ? '–' : `${fmt.number(roundPct(v))} %`);

function alertColumns() {
  return [
    { key: 'id', label: 'ID' },
    { key: 'brand', label: t('market.brand') },
    { key: 'model', label: t('market.model') },
    { key: 'region', label: t('market.region') },
    { key: 'period', label: t('market.periodKind'), value: (a) => t(`market.by.${a.period}`) },
    { key: 'previous_start', label: t('market.before') },
    { key: 'period_start', label: t('market.after') },
    { key: 'previous_median', label: t('market.medianBefore') },
    { key: 'current_median', label: t('market.medianAfter') },
    { key: 'drop_pct', label: t('market.dropPct') },
    { key: 'previous_n', label: t('market.obsBefore') },
    { key: 'current_n', label: t('market.obsAfter') },
    { key: 'created_at', label: t('market.raisedAt') },
    { key: 'acknowledged_at', label: t('market.acknowledgedAt') },
  ];
}

export function Alerts() {
  const { api } = useApp();
  const { regions, brands } = useLookups();
  const [filters, setFilters] = useState(() => saved || { show: 'open', region_id: '', brand_id: '', period: '' });
  const [page, setPage] = useState(1);
  const set = (patch) => {
    setPage(1);
    setFilters((f) => (saved = { ...f, ...patch }));
  };
  const query = cleanQuery({ region_id: filters.region_id, brand_id: filters.brand_id, period: filters.period });
  if (ACK_OF[filters.show] !== '') query.acknowledged = String(ACK_OF[filters.show]);
  const key = JSON.stringify(query);
  const { data, loading, error, reload } = useRemote(
    () => api.marketAlerts(query, { page, pageSize: 50 }),
    [key, page],
  );
  const rows = data?.items || [];

  return html`<div data-testid="alerts-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('market.alerts.title')}</h2>
        <${Segmented}
          label=${t('market.alerts.show')}
          options=${SHOW.map((s) => [s, t(`market.alerts.show.${s}`)])}
          value=${filters.show}
          onChange=${(s) => set({ show: s })}
          testid="alerts-show"
          attr="show"
        />
        <${RefreshButton} onClick=${reload} />
        <${CsvButton}
          name="price-alerts"
          rows=${() => fetchAllPages((paging) => api.marketAlerts(query, paging))}
          columns=${alertColumns}
          disabled=${!rows.length}
        />
      </div>
      <div class="market-filters">
        <${RegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} allLabel=${t('market.allRegions')} />
        <${BrandField} brands=${brands} value=${filters.brand_id} onChange=${(v) => set({ brand_id: v })} />
      </div>
      <p class="small muted">${t('market.alerts.explain')}</p>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="table" data-testid="alert-list">
                <thead>
                  <tr>
                    <th>${t('market.model')}</th>
                    <th>${t('market.region')}</th>
                    <th>${t('market.period')}</th>
                    <th class="num">${t('market.medianBefore')}</th>
                    <th class="num">${t('market.medianAfter')}</th>
                    <th class="num">${t('market.dropPct')}</th>
                    <th>${t('market.raisedAt')}</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (a) => html`<tr
                      key=${a.id}
                      class="clickable"
                      onClick=${() => (location.hash = `#/market/alerts/${a.id}`)}
                      data-testid="alert-row"
                      data-alert-id=${a.id}
                    >
                      <td><a href=${`#/market/alerts/${a.id}`} onClick=${(e) => e.stopPropagation()}>${localField(a, 'brand')} ${localField(a, 'model')}</a></td>
                      <td>${a.region}</td>
                      <td>${periodName(a.period_start, a.period)}<div class="small muted">${t(`market.by.${a.period}`)}</div></td>
                      <td class="num">${price(a.previous_median)}</td>
                      <td class="num">${price(a.current_median)}</td>
                      <td class="num"><strong class="drop">−${pct(a.drop_pct)}</strong></td>
                      <td class="small">${fmt.dateTime(a.created_at)}</td>
                      <td>
                        ${
                          a.acknowledged_at
                            ? html`<span class="tag tag-ok">${t('market.acknowledged')}</span>`
                            : html`<span class="tag tag-warn">${t('market.new')}</span>`
                        }
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} />`
          : html`<p class="empty" data-testid="alerts-empty">${loading ? t('app.loading') : t('market.alerts.none')}</p>`
      }
    </section>
  </div>`;
}

function observationColumns() {
  return [
    { key: 'which', label: t('market.periodKind') },
    { key: 'observed_at', label: t('market.observedAt') },
    { key: 'store_name', label: t('market.store') },
    { key: 'shelf_price', label: t('market.shelfPrice') },
    { key: 'promo_price', label: t('market.promoPrice') },
    { key: 'promo_text', label: t('market.promoText') },
    { key: 'photos', label: t('market.photos'), value: (o) => (o.photo_ids || []).length },
  ];
}

function Evidence({ title, rows, testid }) {
  return html`<section class="card" data-testid=${testid}>
    <h3>${title} <span class="tag">${fmt.number(rows.length)}</span></h3>
    ${
      rows.length
        ? html`<div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>${t('market.observedAt')}</th>
                <th>${t('market.store')}</th>
                <th class="num">${t('market.shelfPrice')}</th>
                <th class="num">${t('market.promoPrice')}</th>
                <th>${t('market.promoText')}</th>
                <th>${t('market.photos')}</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (o) => html`<tr key=${o.id} data-testid="evidence-row" data-price=${effectivePrice(o)}>
                  <td class="small">${fmt.dateTime(o.observed_at)}</td>
                  <td>${o.store_name || `#${o.store_id}`}</td>
                  <td class="num">${price(o.shelf_price)}</td>
                  <td class="num">${o.promo_price ? price(o.promo_price) : '–'}</td>
                  <td class="small">${o.promo_text || ''}</td>
                  <td class="thumbs">${(o.photo_ids || []).map((id) => html`<${PhotoThumb} key=${id} id=${id} label=${t('market.photo')} testid="evidence-photo" />`)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
        : html`<p class="empty">${t('market.noObservations')}</p>`
    }
  </section>`;
}

export function AlertDetail({ id }) {
  const { api } = useApp();
  const { data, loading, error, reload } = useRemote(() => api.marketAlert(id), [id]);
  const [alert, setAlert] = useState(null);
  const [busy, setBusy] = useState(false);
  const [ackError, setAckError] = useState(null);
  useEffect(() => setAlert(data), [data]);

  async function acknowledge() {
    setBusy(true);
    setAckError(null);
    try {
      const fresh = await api.acknowledgeAlert(id);
      setAlert((a) => ({ ...a, ...fresh }));
      alertsChanged();
    } catch (err) {
      if (err && err.status === 409)
        reload(); // someone else acknowledged it
      else setAckError(apiMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!alert) {
    return html`<div data-testid="alert-detail">
      <p><a href="#/market/alerts">‹ ${t('market.alerts.back')}</a></p>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${!error ? html`<p class="empty">${loading ? t('app.loading') : ''}</p>` : null}
    </div>`;
  }
  const a = alert;
  const before = a.previous_observations || [];
  const after = a.observations || [];
  const evidence = [
    ...before.map((o) => ({ ...o, which: periodName(a.previous_start, a.period) })),
    ...after.map((o) => ({ ...o, which: periodName(a.period_start, a.period) })),
  ];
  return html`<div data-testid="alert-detail" data-alert-id=${a.id}>
    <p><a href="#/market/alerts">‹ ${t('market.alerts.back')}</a></p>
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${localField(a, 'brand')} ${localField(a, 'model')} · ${a.region}</h2>
        ${
          a.acknowledged_at
            ? html`<span class="tag tag-ok" data-testid="alert-acknowledged">${t('market.acknowledgedOn', { when: fmt.dateTime(a.acknowledged_at) })}</span>`
            : html`<button type="button" class="btn btn-primary btn-small" onClick=${acknowledge} disabled=${busy} data-testid="alert-acknowledge">
              ${t('market.acknowledge')}
            </button>`
        }
        <${CsvButton} name=${`price-alert-${a.id}`} rows=${evidence} columns=${observationColumns} />
      </div>
      ${ackError ? html`<div class="banner banner-err" role="alert">${ackError}</div>` : null}
      <div class="alert-figures">
        <div>
          <div class="small muted">${t('market.medianBefore')} · ${periodName(a.previous_start, a.period)}</div>
          <div class="figure" data-testid="alert-before">${price(a.previous_median)}</div>
          <div class="small muted">${t('market.nObs', { n: a.previous_n })}</div>
        </div>
        <div class="arrow" aria-hidden="true">→</div>
        <div>
          <div class="small muted">${t('market.medianAfter')} · ${periodName(a.period_start, a.period)}</div>
          <div class="figure" data-testid="alert-after">${price(a.current_median)}</div>
          <div class="small muted">${t('market.nObs', { n: a.current_n })}</div>
        </div>
        <div>
          <div class="small muted">${t('market.dropPct')}</div>
          <div class="figure drop" data-testid="alert-drop">−${pct(a.drop_pct)}</div>
          <div class="small muted">${t('market.raisedOn', { when: fmt.dateTime(a.created_at) })}</div>
        </div>
      </div>
    </section>
    <${Evidence}
      title=${t('market.evidenceBefore', { period: periodName(a.previous_start, a.period), date: fmt.day(a.previous_start) })}
      rows=${before}
      testid="evidence-before"
    />
    <${Evidence}
      title=${t('market.evidenceAfter', { period: periodName(a.period_start, a.period), date: fmt.day(a.period_start) })}
      rows=${after}
      testid="evidence-after"
    />
  </div>`;
}
