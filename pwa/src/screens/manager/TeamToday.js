// Team today, the manager's landing page (#/): each rep of the region with their day so far —
// visits done against the plan, the store they are at or the last one, idle time, off-site
// check-ins, a phone not synced for long — ordered by what needs attention, beside a map of the
// team's last positions; each rep opens their route (#/route/<rep>/<day>). Refreshed every minute
// while the page is visible. The rules (what is idle, what is unsynced) are the server's
// (GET /team/today, backend/routes/team.py); team.js orders and counts.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmt, lang, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import * as mapi from './api.js';
import { ErrorBanner, RefreshButton, Segmented, useRemote } from '../desk/kit.js';
import { todayIn } from './common.js';
import { addDays, formatMinutes, timeIn } from './format.js';
import { attention, minutesSince, sortReps, teamMarkers, teamTotals, whereabouts, withoutPosition } from './team.js';
import { visitHref } from './visits.js';
import './team.css';

const REFRESH_MS = 60_000;
const mins = (m) => formatMinutes(m, t);

/** Reload every minute while the page is visible, and at once when it becomes visible again after
 * a minute or more away. */
function useEveryMinute(reload) {
  useEffect(() => {
    let last = Date.now();
    const tick = () => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return;
      last = Date.now();
      reload();
    };
    const timer = setInterval(tick, REFRESH_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible' && Date.now() - last >= REFRESH_MS) tick();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, []);
}

function Stats({ totals }) {
  const item = (key, label, value, tone) => html`<div
    class=${`mgr-stat${tone ? ` mgr-stat-${tone}` : ''}`}
    data-testid=${`team-total-${key}`}
  >
    <div class="mgr-stat-value">${value}</div>
    <div class="mgr-stat-label">${label}</div>
  </div>`;
  return html`<div class="mgr-stats team-stats" data-testid="team-totals">
    ${item('reps', t('manager.team.stat.reps'), fmt.number(totals.reps))}
    ${item('at-store', t('manager.team.stat.atStore'), fmt.number(totals.atStore), totals.atStore ? 'ok' : null)}
    ${item('visits', t('manager.team.stat.visits'), fmt.number(totals.done))}
    ${totals.planned ? item('planned', t('manager.team.stat.planned'), `${totals.plannedVisited}/${totals.planned}`) : null}
    ${item('idle', t('manager.team.stat.idle'), fmt.number(totals.idle), totals.idle ? 'warn' : null)}
    ${item('offsite', t('manager.team.stat.offSite'), fmt.number(totals.offSite), totals.offSite ? 'err' : null)}
    ${item('unsynced', t('manager.team.stat.unsynced'), fmt.number(totals.unsynced), totals.unsynced ? 'err' : null)}
  </div>`;
}

function Where({ rep, tz, isToday }) {
  const L = lang();
  const w = whereabouts(rep);
  // that visit's detail (VisitDetail.js)
  const detail = w.visit?.visit_id
    ? html` <a href=${visitHref(w.visit.visit_id)} data-testid="team-visit-link">${t('visits.details')}</a>`
    : null;
  if (w.kind === 'at')
    return html`<span data-testid="team-where" data-kind="at">${t('manager.team.at', {
      store: w.visit.store_name,
      time: timeIn(w.visit.checked_in_at, tz, L),
    })}${detail}</span>`;
  if (w.kind === 'left')
    return html`<span data-testid="team-where" data-kind="left">${
      w.visit.checked_out_at
        ? t('manager.team.left', { store: w.visit.store_name, time: timeIn(w.visit.checked_out_at, tz, L) })
        : t('manager.team.leftOpen', { store: w.visit.store_name, time: timeIn(w.visit.checked_in_at, tz, L) })
    }${detail}</span>`;
  return html`<span class="muted" data-testid="team-where" data-kind="none">${t(
    isToday ? 'manager.team.noVisits' : 'manager.team.noVisitsThatDay',
  )}</span>`;
}

function SyncTag({ rep, nowMs }) {
  const ago = minutesSince(rep.last_sync_at, nowMs);
  if (rep.unsynced)
    return html`<span class="tag tag-err" data-testid="team-unsynced">${
      ago === null ? t('manager.team.neverSynced') : t('manager.team.unsynced', { t: mins(ago) })
    }</span>`;
  return html`<span class="muted small" data-testid="team-synced">${
    ago === null || ago < 1 ? t('manager.team.syncedJustNow') : t('manager.team.synced', { t: mins(ago) })
  }</span>`;
}

function RepRow({ rep, n, tz, day, isToday, threshold, nowMs, selected, onSelect }) {
  const L = lang();
  const a = attention(rep);
  const gaps = rep.idle_gaps || [];
  const ongoing = gaps.find((g) => g.ongoing);
  const idleTotal = gaps.reduce((s, g) => s + g.minutes, 0);
  const planned = rep.planned?.count || 0;
  const done = planned
    ? t('manager.team.done', { n: rep.done, visited: rep.planned.visited_store_ids.length, planned })
    : t('manager.team.doneNoPlan', { n: rep.done });
  const gapList = gaps.map((g) => `${timeIn(g.from, tz, L)}–${timeIn(g.to, tz, L)}`).join(', ');
  return html`<li
    class=${`team-rep${a.score ? ' team-rep-attention' : ''}${selected ? ' selected' : ''}`}
    data-testid="team-rep"
    data-rep-id=${rep.rep_id}
    data-attention=${a.score}
    onMouseEnter=${() => onSelect(rep.rep_id)}
  >
    <span class=${`mgr-num team-num team-num-${teamTone(rep)}`} aria-hidden="true">${n}</span>
    <div class="team-rep-main">
      <div class="team-rep-head">
        <strong class="team-rep-name" data-testid="team-rep-name">${rep.name}</strong>
        <span class="muted small">${rep.territory_name}</span>
      </div>
      <div class="team-rep-where"><${Where} rep=${rep} tz=${tz} isToday=${isToday} /></div>
      <div class="team-rep-tags">
        <span class="small" data-testid="team-done">${done}</span>
        ${
          gaps.length
            ? html`<span class="tag tag-warn" data-testid="team-idle" title=${t('manager.team.idleTitle', { min: threshold, gaps: gapList })}>${
                ongoing
                  ? t('manager.team.idleNow', { t: mins(ongoing.minutes) })
                  : t('manager.team.idle', { t: mins(idleTotal) })
              }</span>`
            : null
        }
        ${rep.off_site ? html`<span class="tag tag-err" data-testid="team-offsite">${t('manager.team.offSite', { n: rep.off_site })}</span>` : null}
        <${SyncTag} rep=${rep} nowMs=${nowMs} />
      </div>
    </div>
    <a
      class="btn btn-small team-route"
      href=${`#/route/${rep.rep_id}/${day}`}
      aria-label=${t('manager.team.routeOf', { rep: rep.name, day: fmt.day(day) })}
      data-testid="team-route-link"
      onFocus=${() => onSelect(rep.rep_id)}
      >${t('manager.team.route')} →</a
    >
  </li>`;
}

function teamTone(rep) {
  const a = attention(rep);
  if (a.unsynced) return 'err';
  if (a.score) return 'warn';
  return rep.open_visit ? 'ok' : 'brand';
}

export function TeamToday({ tz }) {
  const today = todayIn(tz);
  const yesterday = addDays(today, -1);
  const [day, setDay] = useState(today);
  const [sort, setSort] = useState('attention');
  const [selected, setSelected] = useState(null);
  const { data, loading, error, reload } = useRemote(() => mapi.teamToday(day), [day]);
  useEveryMinute(reload);

  const reps = data?.reps || [];
  const ordered = useMemo(() => sortReps(reps, sort, lang()), [data, sort]);
  const markers = useMemo(() => teamMarkers(ordered), [ordered]);
  const totals = useMemo(() => teamTotals(reps), [data]);
  const missing = withoutPosition(ordered);
  const isToday = day === (data?.today || today);
  const nowMs = data ? Date.parse(data.generated_at) : Date.now();
  const L = lang();
  const title = data?.region
    ? t('manager.team.title', { region: data.region.name, day: fmt.day(day) })
    : t('manager.team.titleNoRegion', { day: fmt.day(day) });

  return html`<div class="team" data-testid="team-today">
    <section class="card">
      <h2 class="team-title">${title}</h2>
      <div class="toolbar">
        <${Segmented}
          label=${t('manager.team.day')}
          options=${[[yesterday, t('manager.team.yesterday')], [today, t('manager.team.today')]]}
          value=${day}
          onChange=${setDay}
          testid="team-day"
          attr="day"
        />
        <${Segmented}
          label=${t('manager.team.sort')}
          options=${[['attention', t('manager.team.sortAttention')], ['name', t('manager.team.sortName')]]}
          value=${sort}
          onChange=${setSort}
          testid="team-sort"
          attr="sort"
        />
        <${RefreshButton} onClick=${reload} />
        ${data ? html`<span class="muted small" data-testid="team-updated">${t('manager.team.updated', { time: timeIn(data.generated_at, tz, L) })}</span>` : null}
      </div>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${data && reps.length ? html`<${Stats} totals=${totals} />` : null}
    </section>
    ${
      !data
        ? html`<p class="empty">${loading ? t('app.loading') : ''}</p>`
        : !reps.length
          ? html`<p class="empty" data-testid="team-no-reps">${t('manager.team.noReps')}</p>`
          : html`<div class="team-grid">
              <section class="card team-list-card" aria-labelledby="team-list-h">
                <h3 id="team-list-h">${t('manager.team.list')}</h3>
                ${
                  totals.done === 0
                    ? html`<p class="banner banner-info" data-testid="team-nobody">${t(isToday ? 'manager.team.nobodyYet' : 'manager.team.nobodyThatDay')}</p>`
                    : null
                }
                <ol class="team-list" data-testid="team-list">
                  ${ordered.map(
                    (r, i) => html`<${RepRow}
                      key=${r.rep_id}
                      rep=${r}
                      n=${i + 1}
                      tz=${tz}
                      day=${day}
                      isToday=${isToday}
                      threshold=${data.idle_gap_minutes}
                      nowMs=${nowMs}
                      selected=${selected === r.rep_id}
                      onSelect=${setSelected}
                    />`,
                  )}
                </ol>
              </section>
              <section class="card team-map-card" aria-labelledby="team-map-h">
                <h3 id="team-map-h">${t('manager.team.mapTitle')}</h3>
                <${MapView}
                  markers=${markers}
                  height="var(--team-map-h)"
                  label=${t('manager.team.map', { day: fmt.day(day) })}
                  selected=${selected ? `rep-${selected}` : null}
                  onMarkerClick=${(m) => m.data && setSelected(m.data.repId)}
                />
                <p class="muted small mgr-legend">
                  <span class="mgr-key mgr-key-ok"></span>${t('manager.team.legendOk')}
                  <span class="mgr-key mgr-key-brand"></span>${t('manager.team.legendBrand')}
                  <span class="mgr-key mgr-key-warn"></span>${t('manager.team.legendWarn')}
                  <span class="mgr-key mgr-key-err"></span>${t('manager.team.legendErr')}
                </p>
                ${
                  !markers.length
                    ? html`<p class="empty" data-testid="team-no-positions">${t(isToday ? 'manager.team.noPositions' : 'manager.team.nobodyThatDay')}</p>`
                    : missing.length
                      ? html`<p class="small" data-testid="team-no-position">${t(
                          isToday ? 'manager.team.noPosition' : 'manager.team.noPositionThatDay',
                          { names: missing.map((r) => r.name).join(L === 'en' ? ', ' : '、') },
                        )}</p>`
                      : null
                }
              </section>
            </div>`
    }
  </div>`;
}
