// The regional manager's screens (loaded on demand, with Leaflet: reps never download them).
// Online REST screens (screens/manager/api.js); the manager also syncs like a rep and keeps the
// rep's screens (Today at #/today, stores, visits, outbox, me) for field visits. Routes:
//   #/                        team today, the landing page: each rep's day so far, a map of last positions
//   #/route[/<rep>/<day>]     route review (map + timeline)
//   #/coverage                stores not visited in N days by tier, unvisited stores, rep activity
//   #/plans                   visit plans: pick stores, propose an order, save; compliance
//   #/conflicts               sync conflicts: both values, resolve
//   #/moves                   reps' moves of stores held for approval: approve, reject
//   #/reports                 new-store reports: approve, duplicate of a known store, reject
//   #/tasks[/new | /<id>]     tasks for reps: open / overdue / done, assign one, a task's completion (Tasks.js)
//   #/photos                  the photo feed: the region's photos by period, checklist item, tier, rep (PhotoFeed.js)
//   #/visits/<id>             a visit's detail (from a timeline row, team today, the feed; VisitDetail.js)
//   #/channel[/<tab>]         the channel in the region: HQ's screens (screens/hq/Channel.js, a chunk
//                             loaded when opened), the server answering for the manager's region only
//   #/quality                 returns, exchanges, repairs per 1,000 by model in the region (HQ's Quality.js)
//   #/training                training coverage and new models without training in the region (HQ's
//                             TrainingCoverage.js; a gap's store opens #/store/<id>)
import './i18n/index.js'; // this package's strings, added first: before any of its modules runs
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { useOnline } from '../../components/hooks.js';
import { useRegion, useTimeZone } from './common.js';
import { RouteReview } from './RouteReview.js';
import { TeamToday } from './TeamToday.js';
import { Coverage } from './Coverage.js';
import { Plans } from './Plans.js';
import { Conflicts } from './Conflicts.js';
import { Moves } from './Moves.js';
import { Reports } from './Reports.js';
import { TasksPage } from './Tasks.js';
import { PAGES, pageOf } from './pages.js';
import { VisitDetail } from './VisitDetail.js';
import { PhotoFeed } from './PhotoFeed.js';
import { useChannelAlertCount } from '../hq/channelCount.js';
import { DeskNav, SkipLink } from '../desk/DeskNav.js';
import { lazyComponent } from '../desk/lazy.js';
import './manager.css';

export { PAGES, pageOf };

// HQ's channel (with uPlot's loader), quality and training-coverage screens, with HQ's strings:
// each a chunk loaded when its tab first opens.
const HQ_SCREENS = {
  channel: [() => import('../hq/Channel.js'), 'Channel'],
  quality: [() => import('../hq/Quality.js'), 'Quality'],
  training: [() => import('../hq/TrainingCoverage.js'), 'TrainingCoverage'],
};
const hqScreens = Object.fromEntries(
  Object.entries(HQ_SCREENS).map(([page, [load, name]]) => [page, lazyComponent(load, name)]),
);
function LazyHq({ page, ...props }) {
  const Screen = hqScreens[page];
  return html`<${Screen} ...${props} />`;
}

function ManagerPage({ page, parts }) {
  const { session } = useApp();
  const online = useOnline();
  const tz = useTimeZone();
  const region = useRegion(session);
  let screen = null;
  if (tz) {
    if (page === 'team') screen = html`<${TeamToday} tz=${tz} />`;
    else if (page === 'coverage') screen = html`<${Coverage} region=${region} tz=${tz} />`;
    else if (page === 'plans') screen = html`<${Plans} region=${region} tz=${tz} />`;
    else if (page === 'conflicts') screen = html`<${Conflicts} region=${region} tz=${tz} />`;
    else if (page === 'moves') screen = html`<${Moves} region=${region} tz=${tz} />`;
    else if (page === 'reports') screen = html`<${Reports} region=${region} tz=${tz} />`;
    else if (page === 'visits') screen = html`<${VisitDetail} key=${parts[1]} id=${parts[1]} />`;
    else if (page === 'photos') screen = html`<${PhotoFeed} />`;
    else if (page === 'tasks')
      screen = html`<${TasksPage} mode="manager" parts=${parts} region=${region} regionId=${session?.user?.region_id ?? null} tz=${tz} />`;
    else if (page === 'channel')
      screen = session?.user?.region_id
        ? html`<${LazyHq} key="channel" page="channel" sub=${parts[1]} region=${session.user.region_id} />`
        : html`<p class="empty">${t('manager.channel.noRegion')}</p>`;
    else if (page === 'quality' || page === 'training')
      screen = session?.user?.region_id
        ? html`<${LazyHq} key=${page} page=${page} region=${session.user.region_id} storeLinks=${page === 'training'} />`
        : html`<p class="empty">${t('manager.noRegionFigures')}</p>`;
    else screen = html`<${RouteReview} repId=${parts[1]} day=${parts[2]} region=${region} tz=${tz} />`;
  }
  return html`<div class="mgr" data-testid="manager-screens">
    ${!online ? html`<div class="banner banner-warn" role="alert">${t('desk.offline')}</div>` : null}
    ${region.error ? html`<div class="banner banner-err" role="alert">${t('manager.regionError')}</div>` : null}
    ${screen || html`<p class="empty">${t('app.loading')}</p>`}
  </div>`;
}

// The rep's screens a manager keeps for store visits: a group of their own in the desk navigation
// (DeskNav), after the manager's PAGES; the phone's bottom bar has them below 1024 px.
const FIELD_PAGES = [
  ['field', '#/today', 'nav.today', { group: 'field' }],
  ['outbox', '#/outbox', 'nav.outbox', { group: 'field' }],
  ['settings', '#/settings', 'nav.settings', { group: 'field' }],
];
const FIELD_KEYS = { today: 'field', outbox: 'outbox', settings: 'settings' };

/** The desk navigation of a manager (app.js's Shell renders it beside <main>): PAGES, then the
 * field screens; `status`: the sync engine's (the outbox's count). */
export function ManagerNav({ parts, status }) {
  const channelCount = useChannelAlertCount(); // the region's open replenishment alerts
  const page = pageOf(parts);
  const current = page || FIELD_KEYS[parts[0]] || null;
  const outbox = (status && (status.rejected || status.pending)) || 0;
  return html`<${DeskNav}
    pages=${[...PAGES, ...FIELD_PAGES]}
    current=${current}
    label=${t('manager.title')}
    testid="mgr-nav"
    className="desk-nav-has-bar"
    badges=${{
      channel: channelCount
        ? html`<span class="count" data-testid="mgr-channel-alert-count" aria-label=${t('manager.channel.openAlerts', { n: channelCount })}>${channelCount}</span>`
        : null,
      outbox,
    }}
  />`;
}

export { SkipLink };

/** `{screen, title, current}` for the route parts, or null (not a manager route: the rep's screens). */
export function managerRoute(parts) {
  const page = pageOf(parts);
  if (!page) return null;
  return {
    screen: html`<${ManagerPage} page=${page} parts=${parts} />`,
    title: t(`manager.nav.${page}`),
    current: 'today',
  };
}
