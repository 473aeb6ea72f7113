// Route review: a rep's day — the visits in order on a map (numbered check-in positions, the
// route between them, the stores, off-site check-ins in red with a dashed line to their store)
// and the timeline beside it (check-in / check-out, time on site, travel from the previous visit,
// gaps with the idle ones highlighted), the day's totals and the plan against the visits.
// URL: #/route/<rep id>/<YYYY-MM-DD> (the choice survives a reload and can be shared).
// A timeline row's store opens that visit's detail (#/visits/<visit id>, VisitDetail.js).
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmt, lang, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { MapView } from '../../components/MapView.js';
import * as mapi from './api.js';
import { CsvButton, ErrorBanner, RefreshButton, useRemote } from '../desk/kit.js';
import { RepSelect, todayIn } from './common.js';
import { addDays, formatMinutes, isDay, timeIn } from './format.js';
import { dayTotals, missingPlanStores, planRows, routeLayers, timelineRows } from './timeline.js';
import { visitHref } from './visits.js';

const mins = (m) => formatMinutes(m, t);
const metres = (m) => (m === null || m === undefined ? '' : fmt.distance(m));

function Totals({ totals, tz }) {
  const L = lang();
  const item = (
    key,
    label,
    value,
    tone,
  ) => html`<div class=${`mgr-stat${tone ? ` mgr-stat-${tone}` : ''}`} data-testid=${`total-${key}`}>
    <div class="mgr-stat-value">${value}</div>
    <div class="mgr-stat-label">${label}</div>
  </div>`;
  return html`<div class="mgr-stats" data-testid="route-totals">
    ${item('visits', t('manager.route.visits'), fmt.number(totals.visits))}
    ${item('travel', t('manager.route.travel'), fmt.distance(totals.travel_m || 0))}
    ${item('onsite', t('manager.route.onSite'), mins(totals.on_site_minutes || 0) || '0')}
    ${item('idle', t('manager.route.idle'), mins(totals.idle_minutes || 0) || '0', totals.idle_minutes > 0 ? 'warn' : null)}
    ${item('offsite', t('manager.route.offSite'), fmt.number(totals.off_site || 0), totals.off_site > 0 ? 'err' : null)}
    ${item(
      'span',
      t('manager.route.span'),
      totals.first_check_in
        ? `${timeIn(totals.first_check_in, tz, L)}–${totals.last_check_out ? timeIn(totals.last_check_out, tz, L) : '…'}`
        : '–',
    )}
    ${
      totals.planned !== null
        ? item(
            'plan',
            t('manager.route.planDone'),
            `${totals.planned_visited}/${totals.planned}`,
            totals.planned_visited < totals.planned ? 'warn' : 'ok',
          )
        : null
    }
  </div>`;
}

function Timeline({ rows, tz, selected, onSelect }) {
  const L = lang();
  return html`<div class="table-wrap">
    <table class="table mgr-timeline" data-testid="timeline">
      <thead>
        <tr>
          <th class="num">#</th>
          <th>${t('manager.col.store')}</th>
          <th>${t('manager.route.in')}</th>
          <th>${t('manager.route.out')}</th>
          <th class="num">${t('manager.route.onSite')}</th>
          <th class="num">${t('manager.route.travelFrom')}</th>
          <th>${t('manager.route.checkInAt')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((r) =>
          r.type === 'gap'
            ? html`<tr key=${r.key} class=${`mgr-gap${r.idle ? ' mgr-idle' : ''}`} data-testid="timeline-gap" data-idle=${r.idle ? 'true' : 'false'}>
                <td></td>
                <td colspan="6">
                  <span class="mgr-gap-line">↓</span>
                  ${r.travel_m !== null ? html`<span>${t('manager.route.legTravel', { d: metres(r.travel_m) })}</span>` : null}
                  ${r.minutes !== null ? html` · <span>${t('manager.route.gap', { t: mins(r.minutes) })}</span>` : null}
                  ${r.idle ? html` <span class="tag tag-warn" data-testid="idle-tag">${t('manager.route.idle')}</span>` : null}
                </td>
              </tr>`
            : html`<tr
                key=${r.key}
                class=${`clickable${r.visit.off_site ? ' mgr-offsite' : ''}${selected === r.n ? ' selected' : ''}`}
                data-testid="timeline-visit"
                data-n=${r.n}
                data-store-id=${r.visit.store_id}
                data-off-site=${r.visit.off_site ? 'true' : 'false'}
                onClick=${() => onSelect(r.n)}
              >
                <td class="num"><span class=${`mgr-num${r.visit.off_site ? ' mgr-num-err' : ''}`}>${r.n}</span></td>
                <td>
                  <div data-testid="visit-store">${r.visit.visit_id ? html`<a href=${visitHref(r.visit.visit_id)} data-testid="visit-detail-link" title=${t('visits.openDetail', { store: r.visit.store_name })}>${r.visit.store_name}</a>` : r.visit.store_name}</div>
                  ${r.planned === false ? html`<span class="tag" data-testid="unplanned-tag">${t('manager.route.unplanned')}</span>` : null}
                  ${r.planned === true ? html`<span class="tag tag-ok">${t('manager.route.plannedN', { n: r.planOrder })}</span>` : null}
                </td>
                <td data-testid="visit-in">${timeIn(r.visit.checked_in_at, tz, L)}</td>
                <td data-testid="visit-out">${r.visit.checked_out_at ? timeIn(r.visit.checked_out_at, tz, L) : html`<span class="muted">${t('manager.route.noOut')}</span>`}</td>
                <td class="num" data-testid="visit-onsite">${mins(r.visit.minutes_on_site) || '–'}</td>
                <td class="num" data-testid="visit-travel">${r.visit.travel_m !== null && r.visit.travel_m !== undefined ? metres(r.visit.travel_m) : '–'}</td>
                <td data-testid="visit-distance">
                  ${
                    r.visit.off_site
                      ? html`<span class="tag tag-err" data-testid="offsite-tag">${t('manager.route.offSiteBy', { d: metres(r.visit.distance_m) })}</span>`
                      : html`<span class="muted small">${t('manager.route.onSiteBy', { d: metres(r.visit.distance_m) })}</span>`
                  }
                  ${
                    r.visit.accuracy_m !== null && r.visit.accuracy_m !== undefined
                      ? html`<div class="muted small">${t('manager.route.accuracy', { d: metres(r.visit.accuracy_m) })}</div>`
                      : null
                  }
                </td>
              </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function PlanList({ rows }) {
  if (!rows.length) return null;
  return html`<section class="card" data-testid="route-plan">
    <h2>${t('manager.route.plan')}</h2>
    <ol class="mgr-plan-list">
      ${rows.map(
        (
          p,
        ) => html`<li key=${p.store_id} class=${p.visited ? 'done' : 'missed'} data-testid="plan-stop" data-visited=${p.visited ? 'true' : 'false'}>
          <span class="grow">${p.name ?? `#${p.store_id}`}</span>
          ${
            p.visited
              ? html`<span class="tag tag-ok">${t('manager.route.visitedAs', { n: p.visitNumbers.join(', ') })}</span>`
              : html`<span class="tag tag-warn">${t('manager.route.notVisited')}</span>`
          }
        </li>`,
      )}
    </ol>
  </section>`;
}

const CSV_COLUMNS = (tz) => [
  { key: 'n', label: '#' },
  { key: 'store_id', label: t('manager.col.storeId') },
  { key: 'store_name', label: t('manager.col.store') },
  { key: 'in', label: t('manager.route.in'), value: (v) => v.checked_in_at },
  {
    key: 'in_local',
    label: `${t('manager.route.in')} (${tz || ''})`,
    value: (v) => timeIn(v.checked_in_at, tz, 'en-GB'),
  },
  { key: 'out', label: t('manager.route.out'), value: (v) => v.checked_out_at },
  { key: 'minutes_on_site', label: t('manager.col.minutesOnSite') },
  { key: 'travel_m', label: t('manager.col.travelM') },
  { key: 'gap_minutes', label: t('manager.col.gapMinutes') },
  { key: 'idle', label: t('manager.route.idle') },
  { key: 'distance_m', label: t('manager.col.distanceM') },
  { key: 'accuracy_m', label: t('manager.col.accuracyM') },
  { key: 'off_site', label: t('manager.route.offSite') },
];

/** The URL is still route review's without a rep (`#/`, `#/route`), not yet another screen's. */
function stillUnnamed() {
  if (typeof location === 'undefined') return true;
  return /^(#\/?)?$|^#\/route\/?$/.test(location.hash);
}

export function RouteReview({ repId, day, region, tz }) {
  const { navigate } = useApp();
  const today = todayIn(tz);
  const rep = repId ? Number(repId) : null;
  const theDay = isDay(day) ? day : today;
  const [selected, setSelected] = useState(null);
  const [extraStores, setExtraStores] = useState(new Map());

  // Without a rep: the first one of the region (the URL then says which) — unless the URL has
  // moved on while the reps were loading: a rep's route named by a link, or another tab (Store
  // moves…) picked, must not be replaced by today's route of the first rep.
  useEffect(() => {
    if (!rep && region.reps.length && stillUnnamed()) go(region.reps[0].id, theDay, true);
  }, [rep, region.reps.length]);

  function go(nextRep, nextDay, replace = false) {
    if (!nextRep) return;
    navigate(`/route/${nextRep}/${nextDay}`, { replace });
  }

  const {
    data: route,
    loading,
    error,
    reload,
  } = useRemote(() => mapi.route(rep, theDay), [rep, theDay], { skip: !rep });
  useEffect(() => setSelected(null), [rep, theDay]);

  // The plan's stores that were not visited: their names and positions, fetched once each.
  useEffect(() => {
    if (!route) return undefined;
    const missing = missingPlanStores(route, extraStores);
    if (!missing.length) return undefined;
    let alive = true;
    Promise.all(
      missing.map((id) => mapi.store(id).catch(() => ({ id, name: null, latitude: null, longitude: null }))),
    ).then((list) => {
      if (!alive) return;
      setExtraStores((prev) => {
        const next = new Map(prev);
        for (const s of list) next.set(s.id, s);
        return next;
      });
    });
    return () => {
      alive = false;
    };
  }, [route]);

  const rows = useMemo(() => timelineRows(route), [route]);
  const totals = useMemo(() => dayTotals(route), [route]);
  const plan = useMemo(() => planRows(route, extraStores), [route, extraStores]);
  const layers = useMemo(
    () =>
      routeLayers(route, plan, (kind, vars) => {
        if (kind === 'visit') return `${vars.n}. ${vars.name}`;
        if (kind === 'offsite') return t('manager.route.offSiteLine', { n: vars.n, d: metres(vars.distance) });
        if (kind === 'planned') return t('manager.route.plannedStop', { n: vars.order, name: vars.name });
        return vars.name;
      }),
    [route, plan],
  );
  const visits = route?.visits || [];
  const repName = route ? route.rep_name : region.rep(rep)?.display_name || '';

  return html`<div data-testid="route-review">
    <section class="card">
      <div class="toolbar">
        <label class="mgr-inline">
          <span>${t('manager.rep')}</span>
          <${RepSelect} region=${region} value=${rep} onChange=${(id) => go(id, theDay)} />
        </label>
        <div class="mgr-inline">
          <button type="button" class="btn btn-small" aria-label=${t('manager.route.prevDay')} onClick=${() => go(rep, addDays(theDay, -1))} data-testid="prev-day">‹</button>
          <input
            type="date"
            value=${theDay}
            max=${today}
            aria-label=${t('manager.day')}
            onChange=${(e) => isDay(e.currentTarget.value) && go(rep, e.currentTarget.value)}
            data-testid="route-day"
          />
          <button type="button" class="btn btn-small" aria-label=${t('manager.route.nextDay')} onClick=${() => go(rep, addDays(theDay, 1))} data-testid="next-day">›</button>
        </div>
        <${RefreshButton} onClick=${reload} />
        <${CsvButton} name=${`route-${repName || rep}-${theDay}`} rows=${visits.map((v, i) => ({ ...v, n: i + 1 }))} columns=${CSV_COLUMNS(tz)} testid="csv-route" />
      </div>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${route ? html`<${Totals} totals=${totals} tz=${tz} />` : null}
    </section>
    ${
      !rep
        ? html`<p class="empty">${region.reps.length || region.loading ? t('app.loading') : t('manager.noReps')}</p>`
        : html`<div class="mgr-route">
          <div class="mgr-route-map">
            <${MapView}
              markers=${layers.markers}
              lines=${layers.lines}
              height="var(--route-map-h, min(70vh, 560px))"
              label=${t('manager.route.map', { rep: repName, day: theDay })}
              selected=${selected ? `visit-${selected}` : null}
              onMarkerClick=${(m) => m.data && setSelected(m.data.n)}
            />
            <p class="muted small mgr-legend">
              <span class="mgr-key mgr-key-brand"></span>${t('manager.route.legendVisit')}
              <span class="mgr-key mgr-key-err"></span>${t('manager.route.legendOffSite')}
              <span class="mgr-key mgr-key-dot"></span>${t('manager.route.legendStore')}
              ${plan.some((p) => !p.visited) ? html`<span class="mgr-key mgr-key-warn"></span>${t('manager.route.legendPlanned')}` : null}
            </p>
          </div>
          <div class="mgr-route-side">
            <section class="card">
              <h2>${t('manager.route.timeline', { rep: repName, day: fmt.day(theDay) })}</h2>
              ${
                visits.length
                  ? html`<${Timeline} rows=${rows} tz=${tz} selected=${selected} onSelect=${setSelected} />`
                  : html`<p class="empty" data-testid="route-empty">${loading ? t('app.loading') : t('manager.route.none')}</p>`
              }
            </section>
            <${PlanList} rows=${plan} />
          </div>
        </div>`
    }
  </div>`;
}
