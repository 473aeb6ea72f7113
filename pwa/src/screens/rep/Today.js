// Today, top to bottom: where the rep stands (the store whose check-in radius the phone is inside,
// with one "check in" button — or the visit already open, to continue it), today's plan with the
// distance to each stop, what was visited today (planned or not) and the progress, the stores
// nearest to the phone (after the tasks due soon or overdue at the rep's stores), tomorrow's plan and "Plan a day" (a rep), and search by name. Reads only
// the local database.
//
// Nothing moves while it loads (issue 15: Lighthouse measured CLS 0.80): the "here" card has one
// fixed height whatever it says (locating, a store, an open visit, none in range); the sections
// below it are rendered together once the day's records are read (a skeleton until then), and the
// nearby list shows as many skeleton rows as it will have stores until the position is known.
// The stock-out card (issue 16: a store counted 0 of a model its region sells) is read with the
// day's records and shown with them, under today's plan; none: nothing is drawn.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, lang, localName, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useBusinessZone, useLive } from '../../components/hooks.js';
import { distanceM, getPosition, offSiteLimit, positionError } from '../../components/geo.js';
import { asStore, entitiesOfStore, entityGet, entityList, openVisits, planDays } from './model.js';
import { openStockOuts } from './phones.js';
import { allTasks, dueSoon } from '../../db/tasks.js';
import { TaskTags } from './steps/TaskStep.js';
import { Icon } from '../../components/icons.js';

// Stores listed under "nearby" (or by name without a position); search finds the others.
export const NEARBY_LIMIT = 10;
/** 'granted' | 'prompt' | 'denied' | 'unknown' (no Permissions API: just ask). */
export async function geolocationPermission() {
  try {
    const status = await navigator.permissions.query({ name: 'geolocation' });
    return status.state;
  } catch {
    return 'unknown';
  }
}

const FIRST_PULL_WAIT_MS = 10_000;
// A position older than this is asked again before a check-in from the here card.
const FRESH_MS = 30_000;

/**
 * The store the phone stands in: the nearest open store within its check-in radius (the off-site
 * rule, max(accuracy, 150 m) capped at 500 m — where a check-in counts as on site), or null.
 * `stores` carry `distance_m` (nearest first).
 */
export function storeHere(stores, pos) {
  if (!pos) return null;
  const limit = offSiteLimit(pos.accuracy);
  return (stores || []).find((s) => s.status !== 'closed' && s.distance_m != null && s.distance_m <= limit) || null;
}

/**
 * Whether a fresh fix `p` is still within `store`'s check-in radius: the here card was worked out
 * from an earlier fix, and a rep who walked on must not be checked in where they no longer are.
 */
export function stillHere(store, p) {
  const d = distanceM(p, store);
  return d != null && d <= offSiteLimit(p.accuracy);
}

export function StoreItem({ store, extra }) {
  return html`<li>
    <a class="list-item" href=${`#/store/${store.id}`} data-testid="store-item" data-store-id=${store.id}>
      <div class="main">
        <div class="title">${store.name}</div>
        <div class="sub">${store.address || store.code || '\u00a0'}</div>
        ${extra}
      </div>
      <div class="side">${store.distance_m != null ? fmt.distance(store.distance_m) : ''}</div>
      <span class="chev"><${Icon} name="chevron" size=${18} /></span>
    </a>
  </li>`;
}

function SkeletonRows({ n }) {
  return Array.from(
    { length: n },
    (_, i) => html`<li key=${`sk${i}`} aria-hidden="true">
      <div class="list-item skeleton-row">
        <div class="main"><div class="title"><span class="skeleton-line"></span></div><div class="sub">\u00a0</div></div>
      </div>
    </li>`,
  );
}

// The first thing on screen: one fixed height, whatever it holds.
function HereCard({ here, open, pos, locating, posError, askFirst, onLocate, onMoved, notice }) {
  const { actions } = useApp();
  const [state, setState] = useState({ step: 'idle' });

  async function checkIn() {
    setState({ step: 'saving' });
    try {
      let p = pos;
      if (!p?.at || Date.now() - p.at > FRESH_MS) {
        p = await getPosition({ maximumAge: 10000 });
        if (!stillHere(here, p)) {
          // Walked on since the card was drawn: no check-in; the card (drawn again for where the
          // phone is now) says why.
          onMoved(p, here);
          return;
        }
        onMoved(p);
      }
      const id = await actions.checkIn({
        storeId: here.id,
        position: { latitude: p.latitude, longitude: p.longitude, accuracy: p.accuracy },
      });
      navigate(`/visit/${id}`);
    } catch (err) {
      console.error(err);
      let message = err.message || String(err);
      if (err?.code === 'visit_open_elsewhere') message = t('store.openElsewhere', { store: `#${err.storeId}` });
      else if (err?.code) message = positionError(err);
      setState({ step: 'error', message });
    }
  }

  if (open) {
    const name = open.store ? open.store.name : `#${open.visit.store_id}`;
    const atHere = here && String(here.id) === String(open.visit.store_id);
    return html`<section class="card here-card here-open" data-testid=${atHere ? 'here-card' : 'open-visit'} data-store-id=${open.visit.store_id}>
      <div class="here-label">${t('today.openVisit')} · ${fmt.when(open.visit.checked_in_at)}</div>
      <div class="here-name">${name}</div>
      <a class="btn btn-primary btn-block" href=${`#/visit/${open.visit.id}`} data-testid="here-continue"
        ><span class="ellipsis">${t('today.continueAt', { store: name })}</span></a
      >
    </section>`;
  }
  if (here) {
    const busy = state.step === 'saving';
    return html`<section class="card here-card" data-testid="here-card" data-store-id=${here.id}>
      ${
        state.step === 'error'
          ? html`<div class="here-label here-error" role="alert" title=${state.message}>${state.message}</div>`
          : notice
            ? html`<div class="here-label here-error" role="status" title=${notice}>${notice}</div>`
            : html`<div class="here-label">${t('today.here')} · ${fmt.distance(here.distance_m)}</div>`
      }
      <a class="here-name" href=${`#/store/${here.id}`}>${here.name}</a>
      <button type="button" class="btn btn-primary btn-block" onClick=${checkIn} disabled=${busy} data-testid="here-check-in">
        ${busy ? t('checkin.locating') : t('store.checkIn')}
      </button>
    </section>`;
  }
  let text = t('today.locating');
  if (!locating && askFirst) text = t('today.askPosition');
  else if (!locating && posError) text = t('today.noPosition', { message: posError });
  else if (!locating) text = notice || t('today.hereNone');
  return html`<section class="card here-card here-none" data-testid="here-none" aria-busy=${locating ? 'true' : 'false'}>
    <div class="here-label">${t('today.where')}</div>
    <div class="here-text">${text}</div>
    <button type="button" class="btn btn-block" onClick=${onLocate} disabled=${locating} data-testid="here-locate">
      <${Icon} name="locate" size=${18} /> ${t('today.locate')}
    </button>
  </section>`;
}

// Today's plan: each stop with its distance from the phone and whether it was visited today; the
// visits to stores outside the plan listed after it (they count as visits, not as planned stops).
function TodayPlan({ planned, visits, pos, canPlan, day }) {
  const plannedIds = new Set(planned.map((s) => String(s.id)));
  const unplanned = [];
  const seen = new Set();
  for (const v of visits) {
    const id = String(v.store_id);
    if (plannedIds.has(id) || seen.has(id)) continue;
    seen.add(id);
    unplanned.push(v);
  }
  if (!planned.length && !unplanned.length) return null;
  const done = planned.filter((s) => s.visited).length;
  const next = planned.find((s) => !s.visited && !s.unknown);
  const dist = (s) => (pos && !s.unknown ? distanceM(pos, s) : null);
  const row = (s, { order, visited, isNext, unplannedVisit }) => html`<li key=${s.id}>
    <a class="list-item" href=${`#/store/${s.id}`} data-testid="plan-row" data-store-id=${s.id} data-visited=${visited ? 'true' : 'false'} data-planned=${unplannedVisit ? 'false' : 'true'}>
      <span class=${visited ? 'plan-mark plan-mark-done' : 'plan-mark'} aria-hidden="true">${visited ? '✓' : order}</span>
      <div class="main">
        <div class="title">${s.unknown ? t('manager.todayPlan.unknown', { id: s.id }) : s.name}</div>
        <div class="sub">
          ${visited ? html`<span class="tag tag-ok">${t('manager.todayPlan.visited')}</span>` : null}
          ${isNext ? html`<span class="tag tag-warn">${t('manager.todayPlan.next')}</span>` : null}
          ${unplannedVisit ? html`<span class="tag">${t('today.unplanned')}</span>` : null}
          ${!visited && !isNext && !unplannedVisit ? s.address || s.code || '\u00a0' : null}
        </div>
      </div>
      <div class="side">${dist(s) != null ? fmt.distance(dist(s)) : ''}</div>
    </a>
  </li>`;
  return html`<h2 class="section-title">
      <span>${planned.length ? t('today.planned') : t('today.visitedToday')}</span>
      <span class="small">
        ${planned[0]?.plan_pending ? html`<span class="tag tag-warn" data-testid="plan-pending">${t('common.waiting')}</span> ` : null}
        ${planned.length ? html`<span data-testid="planned-progress">${t('manager.todayPlan.progress', { done, n: planned.length })}</span>` : null}
        ${unplanned.length ? html` <span data-testid="unplanned-count">${t('today.unplannedCount', { n: unplanned.length })}</span>` : null}
      </span>
    </h2>
    <div class="card" data-testid="planned" data-plan-id=${planned[0]?.plan_id}>
      ${planned.length ? html`<div class="progress plan-progress" aria-hidden="true"><div style=${`width:${(100 * done) / planned.length}%`}></div></div>` : null}
      ${planned[0]?.plan_note ? html`<p class="muted small">${planned[0].plan_note}</p>` : null}
      <ul class="list">
        ${planned.map((s) => row(s, { order: s.plan_order, visited: s.visited, isNext: s === next }))}
        ${unplanned.map((v) =>
          row(v.store ? v.store : { id: v.store_id, unknown: true }, { visited: true, unplannedVisit: true }),
        )}
      </ul>
      ${canPlan && planned.length ? html`<a class="btn btn-block btn-quiet" href=${`#/plan/${day}`} data-testid="edit-plan">${t('plan.edit')}</a>` : null}
    </div>`;
}

/**
 * The open stock-out alerts of the rep's stores (`channel_alert` records pulled by sync), as
 * phones.js `openStockOuts` lists them: only the stores, products and counts they name are read.
 */
export async function stockOutsIn(db) {
  const alerts = (await entityList(db, 'channel_alert'))
    .map((r) => r.data)
    .filter((a) => a?.kind === 'stock_out' && a.store_id != null && !a.acknowledged_at);
  if (!alerts.length) return [];
  const storeIds = [...new Set(alerts.map((a) => String(a.store_id)))];
  const [stores, products, counts] = await Promise.all([
    Promise.all(storeIds.map((id) => entityGet(db, 'store', id))),
    entityList(db, 'product'),
    Promise.all(storeIds.map((id) => entitiesOfStore(db, 'shop_stock_count', id))),
  ]);
  return openStockOuts({
    alerts,
    stores: stores.filter(Boolean).map((r) => r.data),
    products: products.map((r) => r.data),
    counts: counts.flat().map((r) => r.data),
  });
}

const weekDay = (day) =>
  new Intl.DateTimeFormat(lang(), { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${day}T00:00:00Z`),
  );

// "<store>: <model> out of stock, selling in the region — restock", each to its store.
function StockOuts({ items }) {
  if (!items.length) return null;
  return html`<h2 class="section-title">
      <span>${t('today.stockOuts')}</span>
      <span class="small" data-testid="stock-out-count">${fmt.number(items.length)}</span>
    </h2>
    <div class="card" data-testid="stock-outs">
      <ul class="list">
        ${items.map(
          ({ alert, store, product }) => html`<li key=${alert.id}>
            <a
              class="list-item"
              href=${`#/store/${store.id}`}
              data-testid="stock-out"
              data-store-id=${store.id}
              data-product-id=${alert.product_id}
            >
              <div class="main">
                <div class="title">
                  ${t('today.stockOut', { store: store.name, model: product ? localName(product) : `#${alert.product_id}` })}
                </div>
                ${
                  alert.weekly_sales != null && /^\d{4}-\d{2}-\d{2}$/.test(String(alert.week_start))
                    ? html`<div class="sub">
                      ${t('today.stockOutSales', { n: fmt.decimal1(alert.weekly_sales), date: weekDay(alert.week_start) })}
                    </div>`
                    : null
                }
              </div>
              <span class="chev"><${Icon} name="chevron" size=${18} /></span>
            </a>
          </li>`,
        )}
      </ul>
    </div>`;
}

/**
 * The rep's open tasks due soon or overdue (db/tasks.js dueSoon), each with its store's name:
 * `[{task, store}]` (store null when the phone lacks it). `userId`: the rep (tasks named for
 * another rep are left out).
 */
export async function tasksDueIn(db, today, userId = null) {
  const tasks = dueSoon(await allTasks(db), today, { userId });
  if (!tasks.length) return [];
  const ids = [...new Set(tasks.map((x) => String(x.store_id)))];
  const stores = new Map();
  for (const id of ids) stores.set(id, (await entityGet(db, 'store', id))?.data ?? null);
  return tasks.map((task) => ({ task, store: stores.get(String(task.store_id)) }));
}

// At most this many tasks on Today (a campaign may give a task at every store of the territory):
// the first ones — overdue, then soonest due —, and how many more (each store lists its own).
export const TODAY_TASKS_MAX = 8;

// "Tasks": what managers and HQ asked for at the rep's stores, overdue first, each to its store.
function TodayTasks({ items, today }) {
  if (!items.length) return null;
  const shown = items.slice(0, TODAY_TASKS_MAX);
  const overdue = items.filter((x) => x.task.overdue).length;
  return html`<h2 class="section-title">
      <span>${t('today.tasks')}</span>
      <span class="small" data-testid="task-count">
        ${overdue ? html`<span class="tag tag-err">${t('repTask.overdue')} ${fmt.number(overdue)}</span> ` : null}${fmt.number(items.length)}
      </span>
    </h2>
    <div class="card" data-testid="today-tasks">
      <ul class="list">
        ${shown.map(
          ({ task, store }) => html`<li key=${task.id}>
            <a
              class="list-item"
              href=${`#/store/${task.store_id}`}
              data-testid="today-task"
              data-task-id=${task.id}
              data-store-id=${task.store_id}
              data-overdue=${task.overdue ? 'true' : 'false'}
            >
              <div class="main">
                <div class="title">${task.title}</div>
                <div class="sub">${store ? store.name : `#${task.store_id}`} <${TaskTags} task=${task} today=${today} /></div>
              </div>
              <span class="chev"><${Icon} name="chevron" size=${18} /></span>
            </a>
          </li>`,
        )}
      </ul>
      ${
        items.length > shown.length
          ? html`<p class="muted small center" data-testid="today-tasks-more">${t('repTask.more', { n: items.length - shown.length })}</p>`
          : null
      }
    </div>`;
}

// Tomorrow's plan (just the order) and its "Edit".
function TomorrowPlan({ planned, canPlan, day }) {
  if (!planned.length) return null;
  return html`<h2 class="section-title">
      <span>${t('plan.tomorrowTitle')}</span>
      <span class="small">
        ${planned[0].plan_pending ? html`<span class="tag tag-warn" data-testid="plan-pending">${t('common.waiting')}</span>` : null}
      </span>
    </h2>
    <div class="card" data-testid="planned-tomorrow" data-plan-id=${planned[0].plan_id}>
      ${planned[0].plan_note ? html`<p class="muted small">${planned[0].plan_note}</p>` : null}
      <ul class="list">
        ${planned.map((s) =>
          s.unknown
            ? html`<li key=${s.id} class="list-item" data-testid="planned-unknown">
                <div class="main"><div class="title">${t('manager.todayPlan.unknown', { id: s.id })}</div></div>
              </li>`
            : html`<${StoreItem} key=${s.id} store=${asStore(s)} extra=${html`<div class="tags"><span class="tag">${s.plan_order}</span></div>`} />`,
        )}
      </ul>
      ${canPlan ? html`<a class="btn btn-block btn-quiet" href=${`#/plan/${day}`} data-testid="edit-plan-tomorrow">${t('plan.edit')}</a>` : null}
    </div>`;
}

export function Today() {
  const { db, queries, session } = useApp();
  // A rep plans their own days (a manager plans the reps' days on the desk: #/plans).
  const canPlan = Boolean(session?.user && session.user.role === 'rep');
  // Today and tomorrow are business days: rendered (and read) again when the zone is learned.
  useBusinessZone();
  const days = planDays();
  const [q, setQ] = useState('');
  const [pos, setPos] = useState(null);
  const [posError, setPosError] = useState(null);
  const [locating, setLocating] = useState(true);

  function locate() {
    setAskFirst(false);
    setLocating(true);
    getPosition()
      .then((p) => {
        setPos(p);
        setLeft(null);
        setPosError(null);
      })
      .catch((err) => setPosError(positionError(err)))
      .finally(() => setLocating(false));
  }
  // Located at once when the phone already lets the app know its position; the first time
  // (permission not asked yet) the browser's question waits for the rep's tap on "locate" —
  // a permission prompt nobody asked for is refused more often (Lighthouse: geolocation-on-start).
  const [askFirst, setAskFirst] = useState(false);
  // The store a check-in from the here card was refused at (the rep had walked on), said on the
  // card until the next fix.
  const [left, setLeft] = useState(null);
  function moved(p, leftStore = null) {
    setPos(p);
    setLeft(leftStore ? leftStore.name : null);
  }
  // Back in the foreground (the phone was in a pocket between two stores), the fix is taken again
  // quietly, so the here card shows the store the rep stands in now.
  useEffect(() => {
    const refresh = () => {
      if (document.visibilityState !== 'visible') return;
      geolocationPermission().then((state) => {
        if (state === 'prompt' || state === 'denied') return; // asked on a tap, or not at all
        getPosition({ maximumAge: 0 }).then(
          (p) => {
            setPos(p);
            setLeft(null);
            setPosError(null);
          },
          () => {}, // the last fix stays; the check-in takes its own
        );
      });
    };
    document.addEventListener('visibilitychange', refresh);
    return () => document.removeEventListener('visibilitychange', refresh);
  }, []);
  useEffect(() => {
    let alive = true;
    geolocationPermission().then((state) => {
      if (!alive) return;
      if (state === 'prompt') {
        setAskFirst(true);
        setLocating(false);
      } else locate();
    });
    return () => {
      alive = false;
    };
  }, []);

  // The day's records, read together: the sections below the here card appear at once.
  const [day, dayLoaded] = useLive(async () => {
    const [planned, visits, tomorrow, open, count, sync, stockOuts, tasks] = await Promise.all([
      queries.plannedStores ? queries.plannedStores(days.today) : [],
      queries.dayVisits ? queries.dayVisits(days.today) : [],
      queries.plannedStores ? queries.plannedStores(days.tomorrow) : [],
      openVisits(db, { repId: session?.user?.id }),
      db.entities.where('entity').equals('store').count(),
      queries.syncInfo ? queries.syncInfo() : { lastPulledAt: true },
      stockOutsIn(db),
      tasksDueIn(db, days.today, session?.user?.role === 'rep' ? session.user.id : null),
    ]);
    let openVisit = null;
    if (open.length) {
      const visit = open[0];
      openVisit = { visit, store: await queries.store(visit.store_id) };
    }
    return {
      planned,
      visits,
      tomorrow,
      open: openVisit,
      storeCount: count,
      pulled: Boolean(sync.lastPulledAt),
      stockOuts,
      tasks,
    };
  }, [days.today, days.tomorrow]);

  // Right after signing in the phone holds nothing until the first pull ends: the sections wait
  // for it (plans and stores arrive together), or FIRST_PULL_WAIT_MS at most (a failing sync).
  const [waited, setWaited] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setWaited(true), FIRST_PULL_WAIT_MS);
    return () => clearTimeout(timer);
  }, []);
  const ready = dayLoaded && (day.pulled || waited);

  const text = q.trim();
  // Nearby (with a position) or by name (without one, once locating gave up); null: not yet known.
  const [stores] = useLive(
    async () => {
      if (text) return queries.searchStores(text);
      if (pos) return queries.nearbyStores(pos.latitude, pos.longitude, NEARBY_LIMIT);
      if (!locating) return (await queries.stores()).slice(0, NEARBY_LIMIT);
      return null;
    },
    [text, pos?.latitude, pos?.longitude, locating],
    null,
  );
  const list = stores ? stores.map(asStore).filter(Boolean) : null;
  // The here card looks at the nearest stores whatever the search says.
  const [nearest] = useLive(
    async () => (pos ? queries.nearbyStores(pos.latitude, pos.longitude, 3) : []),
    [pos?.latitude, pos?.longitude],
    [],
  );
  const here = storeHere(nearest, pos);

  let heading = t('today.all');
  if (text) heading = t('today.results');
  else if (pos || locating) heading = t('today.nearby');

  const nearby = html`<h2 class="section-title">
      <span>${heading}</span>
      ${
        !text
          ? html`<span class="small" data-testid="position-accuracy">
            ${locating ? t('today.locating') : pos ? t('today.accuracy', { m: fmt.distance(pos.accuracy) }) : '\u00a0'}
          </span>`
          : null
      }
    </h2>
    <div class="card">
      ${
        list === null
          ? html`<ul class="list" aria-busy="true">
            <${SkeletonRows} n=${Math.max(1, Math.min(NEARBY_LIMIT, day?.storeCount ?? 1))} />
          </ul>`
          : list.length
            ? html`<ul class="list" data-testid="store-list">
              ${list.map((s) => html`<${StoreItem} key=${s.id} store=${s} />`)}
            </ul>`
            : html`<p class="empty">${text ? t('today.noResults', { q: text }) : t('today.noStores')}</p>`
      }
      ${!text && (day?.storeCount ?? 0) > NEARBY_LIMIT ? html`<p class="muted small center">${t('today.searchMore')}</p>` : null}
    </div>`;

  return html`<div class="today">
    <${HereCard}
      key=${here ? `here-${here.id}` : 'here-none'}
      here=${here}
      open=${day?.open ?? null}
      pos=${pos}
      locating=${locating || !dayLoaded}
      posError=${posError}
      askFirst=${askFirst}
      onLocate=${locate}
      onMoved=${moved}
      notice=${left ? t('today.moved', { name: left }) : null}
    />
    <label class="field">
      <span class="visually-hidden">${t('common.search')}</span>
      <input
        type="search"
        placeholder=${t('today.search')}
        value=${q}
        onInput=${(e) => setQ(e.currentTarget.value)}
        data-testid="store-search"
        enterkeyhint="search"
      />
    </label>
    ${
      !ready
        ? html`<div class="today-skeleton" aria-busy="true"></div>`
        : text
          ? nearby
          : html`<${TodayPlan} planned=${day.planned} visits=${day.visits} pos=${pos} canPlan=${canPlan} day=${days.today} />
            <${TodayTasks} items=${day.tasks} today=${days.today} />
            <${StockOuts} items=${day.stockOuts} />
            ${nearby}
            <${TomorrowPlan} planned=${day.tomorrow} canPlan=${canPlan} day=${days.tomorrow} />
            ${
              canPlan
                ? html`<a class="btn btn-block" href="#/plan" data-testid="plan-day-link">${t('plan.title')}</a>`
                : null
            }`
    }
  </div>`;
}
