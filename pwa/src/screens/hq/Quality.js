// Quality (#/quality): the 三包 signal by model — of the units bought in a period (warranty cards by
// purchase date), how many came back as returns, exchanges and repair referrals, each per 1,000
// units sold, with the faults named most. Above: the early-life alerts (a model in its first weeks
// whose returns and exchanges per 1,000 exceed the threshold). A model's row opens its weekly rates
// (chart and table, by purchase week) and its figures by region. The table as the server's CSV.
// HQ sees every region (a region filter); a manager (`region`: theirs) their region only, as the
// server answers.
import './i18n/index.js'; // HQ's strings (the manager's package loads them with this module)
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { fmt, localField, t } from '../../i18n/index.js';
import { ErrorBanner, RefreshButton, Segmented, useAction, useRemote } from '../desk/kit.js';
import { ChannelRegionField, ServerCsvButton } from './channelCommon.js';
import { periodName, todayIn } from './market.js';
import { Range, regionName, useLookups, useSavedFilters } from './marketCommon.js';
import {
  alertedIds,
  CHART_WEEKS,
  countText,
  defaultPeriod,
  faultsText,
  hasFigures,
  KINDS,
  modelToShow,
  qualityQuery,
  rateText,
  sortModels,
  weeklySeries,
} from './quality.js';
import * as qapi from './qualityApi.js';
import { QualityChart } from './QualityChart.js';
import './market.css';
import './channel.css';
import './quality.css';

const initial = () => ({
  ...defaultPeriod(todayIn()),
  region_id: '',
  sort: 'units',
  product_id: null,
  weeks: 12,
  acknowledged: 'false', // the alerts shown: 'false' those nobody acknowledged yet, '' all
});

/** The head cells of the counts and rates (returns, exchanges, repairs: each count and per 1,000). */
function RateHeads() {
  return KINDS.map(
    (kind) => html`<th class="num" key=${kind}>${t(`quality.kind.${kind}`)}</th>
      <th class="num" key=${`${kind}-rate`}>${t('quality.per1000')}</th>`,
  );
}

/** The cells of a row's counts and rates. */
function RateCells({ row }) {
  return KINDS.map(
    (kind) => html`<td class="num" key=${kind} data-testid=${`q-${kind}s`}>${countText(row[`${kind}s`])}</td>
      <td class="num rate" key=${`${kind}-rate`} data-testid=${`q-${kind}-rate`}><strong>${rateText(row[`${kind}_per_1000`])}</strong></td>`,
  );
}

/** A short table of units sold and the counts and rates by kind (a model's weeks, its regions), one
 * row per `rows` item: `label` heads the first column, `cell(r)` fills it; a row is
 * `data-testid=<rowTestid>` and `data-<rowAttr>=<rowKey(r)>`. */
function RatesTable({ testid, label, rows, rowTestid, rowAttr, rowKey, cell }) {
  return html`<div class="table-wrap table-scroll table-short">
    <table class="table channel-table rates-table" data-testid=${testid}>
      <thead>
        <tr>
          <th>${label}</th>
          <th class="num">${t('quality.unitsSold')}</th>
          <${RateHeads} />
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) => html`<tr key=${rowKey(r)} data-testid=${rowTestid} ...${{ [`data-${rowAttr}`]: rowKey(r) }}>
            <td>${cell(r)}</td>
            <td class="num" data-testid="q-units">${countText(r.units_sold)}</td>
            <${RateCells} row=${r} />
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function Alerts({ alerts, onPick, which, setWhich }) {
  const { data, loading, error, reload } = alerts;
  const rows = Array.isArray(data) ? data : [];
  const ack = useAction();

  async function acknowledge(a) {
    // 409: someone acknowledged it meanwhile — the list is read again all the same.
    const done = await ack.run(
      () =>
        qapi.acknowledge(a.id).catch((err) => {
          if (err && err.status === 409) return a;
          throw err;
        }),
      a.id,
    );
    if (done !== undefined) reload();
  }

  return html`<section class="card" data-testid="quality-alerts" data-count=${loading ? '' : rows.length}>
    <div class="toolbar">
      <h3 style="margin:0">${t('quality.alerts.title')}</h3>
      <${Segmented}
        label=${t('quality.alerts.which')}
        options=${[['false', t('quality.alerts.openOnly')], ['', t('quality.alerts.all')]]}
        value=${which}
        onChange=${setWhich}
        testid="quality-alerts-which"
        attr="acknowledged"
      />
    </div>
    <${ErrorBanner} error=${error || ack.error} onRetry=${reload} />
    ${
      rows.length
        ? html`<ul class="quality-alerts">
            ${rows.map(
              (a) => html`<li
                key=${a.id}
                class=${a.acknowledged_at ? 'banner banner-info' : 'banner banner-warn'}
                data-testid="quality-alert"
                data-product=${a.product_id}
                data-alert-id=${a.id}
                data-acknowledged=${a.acknowledged_at ? 'true' : 'false'}
              >
                <span class="grow">
                  <strong>${a.model_code}</strong> ${localField(a, 'name')}${' · '}${t('quality.alerts.line', {
                    rate: rateText(a.rate_per_1000),
                    threshold: rateText(a.threshold_per_1000),
                    n: fmt.number(a.returns_exchanges),
                    units: fmt.number(a.units_sold),
                    weeks: a.weeks,
                    launch: a.launch_date ? fmt.day(a.launch_date) : '–',
                  })}
                </span>
                <span class="quality-alert-actions">
                  <button type="button" class="btn btn-small" onClick=${() => onPick(a.product_id)} data-testid="quality-alert-open">
                    ${t('quality.alerts.open')}
                  </button>
                  ${
                    a.acknowledged_at
                      ? html`<span class="tag tag-ok" data-testid="quality-alert-acked" title=${fmt.dateTime(a.acknowledged_at)}>
                          ${t('quality.alerts.ackedBy', { when: fmt.dateTime(a.acknowledged_at) })}
                        </span>`
                      : html`<button
                          type="button"
                          class="btn btn-small btn-primary"
                          onClick=${() => acknowledge(a)}
                          disabled=${ack.busy !== null}
                          data-testid="quality-alert-ack"
                        >
                          ${ack.busy === a.id ? t('app.loading') : t('market.acknowledge')}
                        </button>`
                  }
                </span>
              </li>`,
            )}
          </ul>`
        : error && !loading
          ? null
          : html`<p class="muted small" data-testid="quality-alerts-none">
              ${loading ? t('app.loading') : which === 'false' ? t('quality.alerts.noneOpen') : t('quality.alerts.none')}
            </p>`
    }
  </section>`;
}

function ModelDetail({ model, regionId, since, until, weeks, setWeeks, showRegions, regions }) {
  const productId = model.product_id;
  const weekQuery = qualityQuery({ region_id: regionId });
  const weekKey = JSON.stringify([productId, weekQuery, weeks]);
  const weekly = useRemote(
    () => qapi.weekly({ ...weekQuery, product_id: productId, weeks }).then((rows) => ({ key: weekKey, rows })),
    [weekKey],
  );
  const byRegion = useRemote(
    () => (showRegions ? qapi.regions({ ...qualityQuery({ since, until }), product_id: productId }) : null),
    [productId, since, until, showRegions],
  );
  const weekRows = weekly.data ? weekly.data.rows : [];
  const chart = useMemo(() => weeklySeries(weekRows), [weekly.data]);
  const tableRows = [...chart.weeks].reverse().map((w) => weekRows.find((r) => r.week === w));
  const regionRows = Array.isArray(byRegion.data) ? byRegion.data : [];
  const name = `${model.model_code} ${localField(model, 'name') || ''}`.trim();

  return html`<div data-testid="quality-detail" data-product=${productId}>
    <section class="card">
      <div class="toolbar">
        <h3 style="margin:0">${t('quality.weekly.title', { model: name })}</h3>
        <${Segmented}
          label=${t('channel.weeks')}
          options=${CHART_WEEKS.map((n) => [String(n), t('channel.nWeeks', { weeks: n })])}
          value=${String(weeks)}
          onChange=${(v) => setWeeks(Number(v))}
          testid="quality-weeks"
          attr="weeks"
        />
      </div>
      <p class="small muted">${t('quality.weekly.explain')}</p>
      <${ErrorBanner} error=${weekly.error} onRetry=${weekly.reload} />
      ${
        hasFigures(chart)
          ? html`<${QualityChart} data=${chart} version=${weekly.data.key} />`
          : weekly.error && !weekly.loading
            ? null
            : html`<p class="empty" data-testid="quality-chart-empty">${weekly.loading ? t('app.loading') : t('quality.weekly.none')}</p>`
      }
      ${
        tableRows.length
          ? html`<${RatesTable}
              testid="quality-weekly-table"
              label=${t('quality.purchaseWeek')}
              rows=${tableRows}
              rowTestid="quality-week-row"
              rowAttr="week"
              rowKey=${(r) => r.week}
              cell=${(r) => html`${periodName(r.week, 'week')}<div class="small muted">${fmt.day(r.week)}</div>`}
            />`
          : null
      }
    </section>
    ${
      showRegions
        ? html`<section class="card" data-testid="quality-regions">
            <h3>${t('quality.regions.title', { model: name })}</h3>
            <${ErrorBanner} error=${byRegion.error} onRetry=${byRegion.reload} />
            ${
              regionRows.length
                ? html`<${RatesTable}
                    testid="quality-region-table"
                    label=${t('channel.region')}
                    rows=${regionRows}
                    rowTestid="quality-region-row"
                    rowAttr="region"
                    rowKey=${(r) => r.region_id}
                    cell=${(r) => r.region_name || regionName(regions, r.region_id)}
                  />`
                : byRegion.error && !byRegion.loading
                  ? null
                  : html`<p class="empty">${byRegion.loading ? t('app.loading') : t('quality.none')}</p>`
            }
          </section>`
        : null
    }
  </div>`;
}

export function Quality({ region = null }) {
  const { regions } = useLookups();
  const [filters, set] = useSavedFilters('quality', initial);
  const regionId = region ? String(region) : filters.region_id;
  const query = qualityQuery({ since: filters.since, until: filters.until, region_id: regionId });
  const key = JSON.stringify(query);
  const models = useRemote(() => qapi.models(query), [key]);
  // alerts look at the weeks since launch, not the period
  const which = filters.acknowledged ?? 'false';
  const alertQuery = { ...qualityQuery({ region_id: regionId }), ...(which === '' ? {} : { acknowledged: which }) };
  const alerts = useRemote(() => qapi.alerts(alertQuery), [regionId, which]);
  const rows = useMemo(
    () => sortModels(Array.isArray(models.data) ? models.data : [], filters.sort),
    [models.data, filters.sort],
  );
  const alerted = useMemo(() => alertedIds(alerts.data), [alerts.data]);
  const shownId = modelToShow(filters.product_id, rows, alerts.data);
  const shown = rows.find((r) => String(r.product_id) === shownId) || null;
  const reload = () => {
    models.reload();
    alerts.reload();
  };
  const pick = (id) => set({ product_id: String(id) });

  return html`<div data-testid="quality-screen" data-query=${key}>
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('quality.title')}</h2>
        <${RefreshButton} onClick=${reload} />
        <${ServerCsvButton} path="/quality/export.csv" query=${query} base="quality" testid="quality-csv" />
      </div>
      <div class="market-filters">
        <${ChannelRegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} fixed=${region} />
        <${Range} filters=${filters} set=${set} />
      </div>
      <p class="small muted">${t('quality.explain')}</p>
    </section>

    <${Alerts} alerts=${alerts} onPick=${pick} which=${which} setWhich=${(v) => set({ acknowledged: v })} />

    <section class="card">
      <div class="toolbar">
        <h3 style="margin:0">${t('quality.models.title')}</h3>
        <${Segmented}
          label=${t('quality.sortBy')}
          options=${[
            ['units', t('quality.sort.units')],
            ['return', t('quality.sort.return')],
            ['exchange', t('quality.sort.exchange')],
            ['repair', t('quality.sort.repair')],
          ]}
          value=${filters.sort}
          onChange=${(v) => set({ sort: v })}
          testid="quality-sort"
          attr="sort"
        />
      </div>
      <${ErrorBanner} error=${models.error} onRetry=${models.reload} />
      ${
        rows.length
          ? html`<div class="table-wrap table-scroll">
              <table class="table channel-table rates-table" data-testid="quality-table">
                <thead>
                  <tr>
                    <th>${t('channel.model')}</th>
                    <th class="num">${t('quality.unitsSold')}</th>
                    <${RateHeads} />
                    <th>${t('quality.topFaults')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map((r) => {
                    const selected = String(r.product_id) === shownId;
                    return html`<tr
                      key=${r.product_id}
                      class=${selected ? 'selected clickable' : 'clickable'}
                      onClick=${() => pick(r.product_id)}
                      data-testid="quality-row"
                      data-product=${r.product_id}
                      aria-selected=${selected ? 'true' : 'false'}
                    >
                      <td>
                        <button type="button" class="link"><strong>${r.model_code}</strong></button>
                        <span class="small muted"> ${localField(r, 'name')}</span>
                        ${alerted.has(String(r.product_id)) ? html` <span class="tag tag-err" data-testid="q-alert-tag">${t('quality.alerts.tag')}</span>` : null}
                      </td>
                      <td class="num" data-testid="q-units">${countText(r.units_sold)}</td>
                      <${RateCells} row=${r} />
                      <td class="small" data-testid="q-faults">${faultsText(r.top_faults)}</td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>
            <p class="muted small">${t('quality.models.hint')}</p>`
          : models.error && !models.loading
            ? null
            : html`<p class="empty" data-testid="quality-empty">${models.loading ? t('app.loading') : t('quality.none')}</p>`
      }
    </section>

    ${
      shown
        ? html`<${ModelDetail}
            key=${shown.product_id}
            model=${shown}
            regionId=${regionId}
            since=${filters.since}
            until=${filters.until}
            weeks=${filters.weeks}
            setWeeks=${(weeks) => set({ weeks })}
            showRegions=${!region}
            regions=${regions}
          />`
        : null
    }
  </div>`;
}
