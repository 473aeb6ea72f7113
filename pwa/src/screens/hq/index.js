// HQ's (and administrators') desktop screens, online only (REST; nothing of theirs is recorded
// offline, so no sync engine runs for them). Loaded on demand. Routes:
//   #/            shipment imports      #/diversion   diversion report
//   #/cards       warranty-card look-up #/settings    me (language, sign out)
//   #/market/trends              price trends (chart + table)
//   #/market/alerts[/<id>]       price-drop alerts, one alert with its evidence
//   #/market/promotions | stores | materials   promotions seen, store openings and closings, material use
//   #/channel[/sell-through | aging | fifo | alerts]   channel stock and cover, sell-through, aging,
//                                FIFO breaks, replenishment alerts (Channel.js)
//   #/quality     returns, exchanges, repairs per 1,000 by model; early-life alerts (Quality.js)
//   #/training    training coverage per current topic, new models without training (TrainingCoverage.js)
//   #/training/topics   training topics and their quizzes, add / edit (TrainingTopics.js; a tab of #/training)
//   #/tasks[/new | /campaign/<c> | /<id>]   campaigns: a task at a region's stores of a tier, progress (manager/Tasks.js)
//   #/quality/fault-codes   三包 fault codes: add, rename, order, deactivate (FaultCodes.js; a tab of #/quality)
//   #/photos      the photo feed of a region and period (the manager's PhotoFeed.js)
//   #/visits/<id> a visit's detail: check-in/out, checklist, photos, prices… (the manager's VisitDetail.js)
//   #/admin/<page>   an administrator's users and master data (screens/admin, a chunk of its own:
//                    AdminLoader.js); in the navigation only for an admin
import './i18n/index.js'; // this package's strings, added first: before any of its modules runs
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';
import { useOnline, useRoute } from '../../components/hooks.js';
import { Settings } from '../rep/Settings.js';
import { Imports } from './Imports.js';
import { Diversion } from './Diversion.js';
import { CardLookup } from './CardLookup.js';
import { Trends } from './Trends.js';
import { AlertDetail, Alerts } from './Alerts.js';
import { Activity } from './Activity.js';
import { useAlertCount } from './marketCommon.js';
import { Channel } from './Channel.js';
import { AlertBadge, useChannelAlertCount } from './channelCommon.js';
import { Quality } from './Quality.js';
import { TrainingCoverage } from './TrainingCoverage.js';
import { TrainingTopics } from './TrainingTopics.js';
import { TasksPage } from '../manager/Tasks.js';
import { VisitDetail } from '../manager/VisitDetail.js';
import { PhotoFeed } from '../manager/PhotoFeed.js';
import { FaultCodes } from './FaultCodes.js';
import { DeskNav, SkipLink } from '../desk/DeskNav.js';
import { AdminLoader } from './AdminLoader.js';
import './market.css';

const PAGES = [
  ['imports', '#/', 'hq.nav.imports'],
  ['diversion', '#/diversion', 'hq.nav.diversion'],
  ['cards', '#/cards', 'hq.nav.cards'],
  ['trends', '#/market/trends', 'market.nav.trends'],
  ['alerts', '#/market/alerts', 'market.nav.alerts'],
  ['activity', '#/market/promotions', 'market.nav.activity'],
  ['channel', '#/channel', 'hq.nav.channel'],
  ['quality', '#/quality', 'hq.nav.quality'],
  ['training', '#/training', 'hq.nav.training'],
  ['tasks', '#/tasks', 'hq.nav.tasks'],
  ['photos', '#/photos', 'manager.nav.photos'],
  ['settings', '#/settings', 'nav.settings'],
];

// An administrator's pages, after HQ's: users and master data (HQ users read master data over the
// API but have no admin pages). Keys: admin-<page> of screens/admin/pages.js.
const ADMIN_PAGES = ['users', 'stores', 'partners', 'products', 'competitors', 'brands', 'materials', 'checklist'].map(
  (page) => [`admin-${page}`, `#/admin/${page}`, `hq.admin.${page}`, { group: 'admin' }],
);

// The tabs over the training and quality pages: the figures, and the lists HQ maintains for them.
const TRAINING_TABS = [
  ['coverage', '#/training', 'trainingCov.title'],
  ['topics', '#/training/topics', 'topics.title'],
];
const QUALITY_TABS = [
  ['quality', '#/quality', 'hq.nav.quality'],
  ['faults', '#/quality/fault-codes', 'faults.title'],
];

function SubTabs({ tabs, current }) {
  return html`<nav class="market-tabs" aria-label=${t('hq.title')}>
    ${tabs.map(
      ([key, href, label]) =>
        html`<a key=${key} href=${href} class=${current === key ? 'active' : ''} aria-current=${current === key ? 'page' : undefined} data-testid=${`hq-tab-${key}`}>${t(label)}</a>`,
    )}
  </nav>`;
}

export function HqShell({ session, onLogout, version }) {
  const route = useRoute();
  const online = useOnline();
  const [head, sub, arg] = route.parts;
  const alertCount = useAlertCount();
  const channelCount = useChannelAlertCount();
  let current = 'imports';
  let screen = html`<${Imports} />`;
  if (head === 'diversion') {
    current = 'diversion';
    screen = html`<${Diversion} />`;
  } else if (head === 'cards') {
    current = 'cards';
    screen = html`<${CardLookup} />`;
  } else if (head === 'admin') {
    current = `admin-${sub || 'users'}`;
    screen = html`<${AdminLoader} page=${sub || 'users'} user=${session.user} />`;
  } else if (head === 'market' && sub === 'trends') {
    current = 'trends';
    screen = html`<${Trends} />`;
  } else if (head === 'market' && sub === 'alerts') {
    current = 'alerts';
    screen = arg ? html`<${AlertDetail} key=${arg} id=${arg} />` : html`<${Alerts} />`;
  } else if (head === 'market') {
    current = 'activity';
    screen = html`<${Activity} tab=${sub} />`;
  } else if (head === 'channel') {
    current = 'channel';
    screen = html`<${Channel} sub=${sub} />`;
  } else if (head === 'quality') {
    current = 'quality';
    screen = html`<${SubTabs} tabs=${QUALITY_TABS} current=${sub === 'fault-codes' ? 'faults' : 'quality'} />${sub === 'fault-codes' ? html`<${FaultCodes} />` : html`<${Quality} />`}`;
  } else if (head === 'training') {
    current = 'training';
    screen = html`<${SubTabs} tabs=${TRAINING_TABS} current=${sub === 'topics' ? 'topics' : 'coverage'} />${sub === 'topics' ? html`<${TrainingTopics} />` : html`<${TrainingCoverage} />`}`;
  } else if (head === 'tasks') {
    current = 'tasks'; // campaigns: a task at many stores (the manager's page, in HQ's mode)
    screen = html`<${TasksPage} mode="hq" parts=${route.parts} />`;
  } else if (head === 'photos') {
    current = 'photos'; // the managers' photo feed, with a region to pick
    screen = html`<${PhotoFeed} hq=${true} />`;
  } else if (head === 'visits' && sub) {
    current = 'visits'; // a visit's detail, from the feed (not in the navigation)
    screen = html`<${VisitDetail} key=${sub} id=${sub} />`;
  } else if (head === 'settings') {
    current = 'settings';
    screen = html`<${Settings} status=${null} onLogout=${onLogout} version=${version} />`;
  }
  const pages = session.user.role === 'admin' ? [...PAGES, ...ADMIN_PAGES] : PAGES;
  const label = pages.find(([key]) => key === current)?.[2];
  return html`<div class="app hq desk-app">
    <${SkipLink} />
    <header class="topbar">
      <span class="desk-brand">${t('app.name')} · ${t('hq.title')}</span>
      <h1>${label ? t(label) : t('hq.title')}</h1>
      <span class="small" style="opacity:0.85">${session.user.display_name || session.user.username}</span>
    </header>
    <div class="desk-body">
    <${DeskNav}
      pages=${pages}
      current=${current}
      label=${t('hq.title')}
      testid="hq-nav"
      badges=${{
        alerts: alertCount
          ? html`<span class="count" data-testid="hq-alert-count" aria-label=${t('market.unacknowledged', { n: alertCount })}>${alertCount}</span>`
          : null,
        channel: html`<${AlertBadge} count=${channelCount} />`,
      }}
    />
    <div class="desk-main">
    <main class="content" id="main" tabindex="-1">
      ${!online ? html`<div class="banner banner-warn" role="alert">${t('desk.offline')}</div>` : null}
      ${
        current === 'imports' && alertCount
          ? html`<div class="banner banner-warn" data-testid="hq-alert-banner">
            <span class="grow">${t('market.unacknowledged', { n: alertCount })}</span>
            <a class="btn btn-small" href="#/market/alerts">${t('market.seeAlerts')}</a>
          </div>`
          : null
      }
      ${screen}
    </main>
    </div>
    </div>
  </div>`;
}
