// Coverage: over the last N days (7/14/30/60), for the region, a territory or a rep's territory:
// per store tier, how many active stores were (not) visited; the unvisited stores, longest
// waiting first (a page at a time, on a map too); and the reps' activity in a chosen week
// (visits, days in the field, visits per day, average time on site, off-site check-ins).
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import * as mapi from './api.js';
import { CsvButton, ErrorBanner, fetchAllPages, Pager, Segmented, usePaged, useRemote } from '../desk/kit.js';
import { RepSelect, todayIn } from './common.js';
import { daysSince, formatMinutes, recentWeeks } from './format.js';

export const DAY_CHOICES = [7, 14, 30, 60];
const TIER_TONE = { A: 'err', B: 'warn', C: 'muted' };

function TierTable({ rows, days }) {
  const total = rows.reduce(
    (acc, r) => ({
      stores: acc.stores + r.stores,
      visited: acc.visited + r.visited,
      not_visited: acc.not_visited + r.not_visited,
    }),
    { stores: 0, visited: 0, not_visited: 0 },
  );
  const pct = (r) => (r.stores ? r.visited / r.stores : 0);
  return html`<table class="table" data-testid="tier-table">
    <thead>
      <tr>
        <th>${t('manager.cov.tier')}</th>
        <th class="num">${t('manager.cov.stores')}</th>
        <th class="num">${t('manager.cov.visited', { days })}</th>
        <th class="num">${t('manager.cov.notVisited')}</th>
        <th class="num">${t('manager.cov.coverage')}</th>
        <th class="bar-col"></th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr key=${r.tier} data-testid="tier-row" data-tier=${r.tier}>
          <td><strong>${r.tier}</strong></td>
          <td class="num">${fmt.number(r.stores)}</td>
          <td class="num">${fmt.number(r.visited)}</td>
          <td class="num">${r.not_visited ? html`<strong class="mgr-err-text">${fmt.number(r.not_visited)}</strong>` : '0'}</td>
          <td class="num">${r.stores ? fmt.percent(pct(r)) : '–'}</td>
          <td class="bar-col"><div class="mgr-cov-bar"><div style=${`width:${Math.round(100 * pct(r))}%`}></div></div></td>
        </tr>`,
      )}
    </tbody>
    <tfoot>
      <tr>
        <th>${t('manager.total.label')}</th>
        <th class="num">${fmt.number(total.stores)}</th>
        <th class="num">${fmt.number(total.visited)}</th>
        <th class="num">${fmt.number(total.not_visited)}</th>
        <th class="num">${total.stores ? fmt.percent(total.visited / total.stores) : '–'}</th>
        <th></th>
      </tr>
    </tfoot>
  </table>`;
}

function Unvisited({ filters, region }) {
  const [showMap, setShowMap] = useState(false);
  const key = JSON.stringify(filters);
  const { data, rows, page, setPage, loading, error, reload } = usePaged(
    (paging) => mapi.unvisitedStores(filters, paging),
    [key],
  );
  const columns = [
    { key: 'code', label: t('manager.col.code') },
    { key: 'name', label: t('manager.col.store') },
    { key: 'territory', label: t('manager.territory'), value: (s) => region.territoryName(s.territory_id) },
    { key: 'tier', label: t('manager.cov.tier') },
    { key: 'last_visit_at', label: t('manager.cov.lastVisit') },
    { key: 'days', label: t('manager.cov.daysSince'), value: (s) => daysSince(s.last_visit_at) },
    { key: 'latitude', label: t('manager.col.lat') },
    { key: 'longitude', label: t('manager.col.lon') },
  ];
  const markers = useMemo(
    () =>
      rows.map((s) => ({
        id: s.id,
        lat: s.latitude,
        lon: s.longitude,
        kind: 'dot',
        tone: TIER_TONE[s.tier] || 'muted',
        title: `${s.tier} · ${s.name}`,
      })),
    [data],
  );
  return html`<section class="card" data-testid="unvisited">
    <div class="toolbar">
      <h2 style="margin:0">${t('manager.cov.unvisited', { days: filters.days })}</h2>
      <button type="button" class="btn btn-small" aria-pressed=${showMap ? 'true' : 'false'} onClick=${() => setShowMap(!showMap)}>
        ${showMap ? t('manager.hideMap') : t('manager.showMap')}
      </button>
      <${CsvButton}
        name=${`unvisited-${filters.days}d`}
        rows=${() => fetchAllPages((paging) => mapi.unvisitedStores(filters, paging))}
        columns=${columns}
        testid="csv-unvisited"
      />
    </div>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${showMap && rows.length ? html`<${MapView} markers=${markers} height="320px" label=${t('manager.cov.unvisited', { days: filters.days })} />` : null}
    ${
      rows.length
        ? html`<div class="table-wrap">
            <table class="table" data-testid="unvisited-table">
              <thead>
                <tr>
                  <th>${t('manager.col.code')}</th>
                  <th>${t('manager.col.store')}</th>
                  <th>${t('manager.territory')}</th>
                  <th>${t('manager.cov.tier')}</th>
                  <th>${t('manager.cov.lastVisit')}</th>
                  <th class="num">${t('manager.cov.daysSince')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (s) => html`<tr key=${s.id} data-testid="unvisited-row" data-store-id=${s.id}>
                    <td class="mono">${s.code}</td>
                    <td>${s.name}</td>
                    <td>${region.territoryName(s.territory_id)}</td>
                    <td><span class=${`tag${s.tier === 'A' ? ' tag-err' : s.tier === 'B' ? ' tag-warn' : ''}`}>${s.tier}</span></td>
                    <td>${s.last_visit_at ? fmt.date(s.last_visit_at) : html`<span class="tag tag-err">${t('manager.cov.never')}</span>`}</td>
                    <td class="num">${s.last_visit_at ? fmt.number(daysSince(s.last_visit_at)) : '–'}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} testid="unvisited-pager" />`
        : html`<p class="empty">${loading ? t('app.loading') : t('manager.cov.allVisited')}</p>`
    }
  </section>`;
}

function Activity({ territoryId, region, tz }) {
  const weeks = useMemo(() => recentWeeks(todayIn(tz), 8), [tz]);
  const [week, setWeek] = useState(weeks[1].week); // the last whole week
  const w = weeks.find((x) => x.week === week) || weeks[0];
  const filters = { since: w.since, until: w.until, territory_id: territoryId || undefined };
  const { data, loading, error, reload } = useRemote(() => mapi.repActivity(filters), [w.since, territoryId]);
  const rows = Array.isArray(data) ? data : [];
  const columns = [
    { key: 'rep_name', label: t('manager.rep') },
    { key: 'territory', label: t('manager.territory'), value: (r) => region.territoryName(r.territory_id) },
    { key: 'visits', label: t('manager.route.visits') },
    { key: 'days_in_field', label: t('manager.act.days') },
    { key: 'visits_per_day', label: t('manager.act.perDay') },
    { key: 'avg_minutes_on_site', label: t('manager.act.avgOnSite') },
    { key: 'off_site', label: t('manager.route.offSite') },
  ];
  // The week's last day, or today while the week is on.
  // biome-ignore lint/complexity/useMathMinMax: ISO days are text; Math.min would make them NaN
  const routeDay = w.until < todayIn(tz) ? w.until : todayIn(tz);
  return html`<section class="card" data-testid="rep-activity">
    <div class="toolbar">
      <h2 style="margin:0">${t('manager.act.title')}</h2>
      <select value=${week} onChange=${(e) => setWeek(e.currentTarget.value)} aria-label=${t('manager.week')} data-testid="activity-week">
        ${weeks.map((x) => html`<option key=${x.week} value=${x.week}>${x.week} (${fmt.day(x.since)} – ${fmt.day(x.until)})</option>`)}
      </select>
      <${CsvButton} name=${`rep-activity-${w.week}`} rows=${rows} columns=${columns} testid="csv-activity" />
    </div>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<div class="table-wrap">
          <table class="table" data-testid="activity-table">
            <thead>
              <tr>
                <th>${t('manager.rep')}</th>
                <th>${t('manager.territory')}</th>
                <th class="num">${t('manager.route.visits')}</th>
                <th class="num">${t('manager.act.days')}</th>
                <th class="num">${t('manager.act.perDay')}</th>
                <th class="num">${t('manager.act.avgOnSite')}</th>
                <th class="num">${t('manager.route.offSite')}</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) => html`<tr key=${r.rep_id} data-testid="activity-row" data-rep-id=${r.rep_id}>
                  <td><a href=${`#/route/${r.rep_id}/${routeDay}`}>${r.rep_name}</a>${r.active === false ? html` <span class="tag">${t('manager.inactive')}</span>` : null}</td>
                  <td>${region.territoryName(r.territory_id)}</td>
                  <td class="num">${fmt.number(r.visits)}</td>
                  <td class="num">${fmt.number(r.days_in_field)}</td>
                  <td class="num">${fmt.number(r.visits_per_day)}</td>
                  <td class="num">${r.avg_minutes_on_site === null ? '–' : formatMinutes(r.avg_minutes_on_site, t)}</td>
                  <td class="num">${r.off_site ? html`<span class="tag tag-err">${fmt.number(r.off_site)}</span>` : '0'}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
        : html`<p class="empty">${loading ? t('app.loading') : t('manager.noReps')}</p>`
    }
  </section>`;
}

export function Coverage({ region, tz }) {
  const [days, setDays] = useState(30);
  const [territoryId, setTerritoryId] = useState(null);
  const [repId, setRepId] = useState(null);
  const filters = { days, territory_id: territoryId || undefined, rep_id: repId || undefined };
  const key = JSON.stringify(filters);
  const tiers = useRemote(() => mapi.coverageTiers(filters), [key]);
  const tierRows = Array.isArray(tiers.data) ? tiers.data : [];
  const repsOfTerritory = territoryId
    ? { ...region, reps: region.reps.filter((r) => r.territory_id === territoryId) }
    : region;

  return html`<div data-testid="coverage">
    <section class="card">
      <div class="toolbar">
        <${Segmented}
          label=${t('manager.cov.days')}
          options=${DAY_CHOICES.map((d) => [d, t('manager.cov.nDays', { n: d })])}
          value=${days}
          onChange=${setDays}
          testid="coverage-days"
          attr="days"
        />
        <label class="mgr-inline">
          <span>${t('manager.territory')}</span>
          <select
            value=${territoryId ?? ''}
            onChange=${(e) => {
              setTerritoryId(e.currentTarget.value ? Number(e.currentTarget.value) : null);
              setRepId(null);
            }}
            data-testid="coverage-territory"
          >
            <option value="">${t('manager.wholeRegion')}</option>
            ${region.territories.map((x) => html`<option key=${x.id} value=${x.id}>${x.name}</option>`)}
          </select>
        </label>
        <label class="mgr-inline">
          <span>${t('manager.rep')}</span>
          <${RepSelect} region=${repsOfTerritory} value=${repId} onChange=${setRepId} allowAll=${true} testid="coverage-rep" />
        </label>
      </div>
      <div class="toolbar">
        <h2 style="margin:0">${t('manager.cov.byTier', { days })}</h2>
        <${CsvButton}
          name=${`coverage-tiers-${days}d`}
          rows=${tierRows}
          columns=${[
            { key: 'tier', label: t('manager.cov.tier') },
            { key: 'stores', label: t('manager.cov.stores') },
            { key: 'visited', label: t('manager.cov.visited', { days }) },
            { key: 'not_visited', label: t('manager.cov.notVisited') },
          ]}
          testid="csv-tiers"
        />
      </div>
      <${ErrorBanner} error=${tiers.error} onRetry=${tiers.reload} />
      ${
        tierRows.length
          ? html`<${TierTable} rows=${tierRows} days=${days} />`
          : html`<p class="empty">${tiers.loading ? t('app.loading') : t('manager.cov.noStores')}</p>`
      }
    </section>
    <${Unvisited} filters=${filters} region=${region} />
    <${Activity} territoryId=${territoryId} region=${region} tz=${tz} />
  </div>`;
}
