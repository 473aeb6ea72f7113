// The app: the session (kept in the local database, so it survives offline reloads), the sync
// engine and its status, the screens of the signed-in user's role, the update prompt.
//   rep           the rep's screens (screens/rep/), in the first page's bundle (but "Plan a day",
//                 screens/rep/PlanDay.js, loaded on demand)
//   manager       the regional manager's screens (screens/manager/: route review, coverage, plans,
//                 conflicts, store reports), loaded on demand, plus the rep's screens for field visits
//   clerk         the store clerk's screens (screens/clerk/), loaded on demand
//   hq, admin     HQ's desktop screens (screens/hq/), loaded on demand, online only: no sync engine
import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import * as api from './api.js';
import { db, getMeta, loadSession, saveSession } from './db/index.js';
import { ensureOpen, onDeletedElsewhere, wipeLocalData } from './db/wipe.js';
import * as actions from './db/actions.js';
import * as queries from './db/queries.js';
import { createEngine } from './sync/engine.js';
import { onLangChange, t } from './i18n/index.js';
import { AppContext } from './components/context.js';
import { navigate, useOnline, useRoute } from './components/hooks.js';
import { NavBar } from './components/NavBar.js';
import { StaleWarning, SyncBar } from './components/SyncBar.js';
import { UpdatePrompt } from './components/UpdatePrompt.js';
import { Icon } from './components/icons.js';
import { Login } from './screens/rep/Login.js';
import { Today } from './screens/rep/Today.js';
import { StoreScreen } from './screens/rep/Store.js';
import { VisitScreen } from './screens/rep/Visit.js';
import { Outbox } from './screens/rep/Outbox.js';
import { Settings } from './screens/rep/Settings.js';
import { learnBusinessZone } from './warranty/zone.js';
import { version as packageVersion } from '../package.json';

export const APP_VERSION = packageVersion;

const APP_OF_ROLE = { rep: 'rep', manager: 'manager', clerk: 'clerk', hq: 'hq', admin: 'hq' };

/** Which screens a user gets: 'rep' | 'manager' | 'clerk' | 'hq' (an unknown role: the rep's). */
export function appOf(user) {
  return APP_OF_ROLE[user?.role] || 'rep';
}

// The clerk's and HQ's screens are separate chunks (precached by the service worker like the rest
// of the shell, so the clerk's open offline too).
const LOADERS = {
  plan: () => import('./screens/rep/PlanDay.js'), // the rep's "Plan a day" (#/plan[/<day>])
  clerk: () => import('./screens/clerk/index.js'),
  hq: () => import('./screens/hq/index.js'),
  manager: () => import('./screens/manager/index.js'),
};
const loaded = {};

/** The module of screens `name` (null: none wanted), loaded once: `[module | null, error | null]`. */
function useScreens(name) {
  const [state, setState] = useState(() => ({ mod: (name && loaded[name]) || null, error: null }));
  useEffect(() => {
    if (!name) return undefined;
    if (loaded[name]) {
      setState({ mod: loaded[name], error: null });
      return undefined;
    }
    let alive = true;
    LOADERS[name]()
      .then((mod) => {
        loaded[name] = mod;
        if (alive) setState({ mod, error: null });
      })
      .catch((error) => {
        console.error(error);
        if (alive) setState({ mod: null, error });
      });
    return () => {
      alive = false;
    };
  }, [name]);
  return name ? [state.mod, state.error] : [null, null];
}

// The service worker's "a new version is waiting" signal, set by main.js.
const updateListeners = new Set();
let updateState = { needRefresh: false, apply: null };
export function signalUpdate(apply) {
  updateState = { needRefresh: true, apply };
  for (const fn of updateListeners) fn(updateState);
}

/** "Update available", on every screen (the login screen included) until the user decides. */
function Update() {
  const [state, setState] = useState(updateState);
  useEffect(() => {
    updateListeners.add(setState);
    setState(updateState); // signalled between the first render and this effect: no listener saw it
    return () => updateListeners.delete(setState);
  }, []);
  if (!state.needRefresh) return null;
  return html`<${UpdatePrompt}
    onUpdate=${() => (state.apply ? state.apply() : location.reload())}
    onLater=${() => setState({ ...state, needRefresh: false })}
  />`;
}

const INITIAL_STATUS = {
  state: 'waiting',
  pending: 0,
  rejected: 0,
  photosPending: 0,
  progress: { done: 0, total: 0, bytesDone: 0, bytesTotal: 0 },
  oldestPendingAt: null,
  lastError: null,
  storage: {},
};

function useEngine(session) {
  const [engine, setEngine] = useState(null);
  const [status, setStatus] = useState(INITIAL_STATUS);
  useEffect(() => {
    if (!session) {
      setEngine(null);
      setStatus(INITIAL_STATUS);
      return undefined;
    }
    api.setToken(session.token);
    const e = createEngine({ db, api });
    // Until the first push + pull of this session has run, "synced" would be a claim nobody
    // checked (the engine reports it before it starts): show "syncing" instead.
    const unsubscribe = e.subscribe((s) => {
      const fresh = s.state === 'synced' && !s.lastSyncAt && !s.otherTab;
      setStatus({ ...INITIAL_STATUS, ...s, ...(fresh ? { state: 'syncing' } : {}) });
    });
    e.start();
    setEngine(e);
    return () => {
      unsubscribe?.();
      e.stop();
    };
  }, [session?.token, session?.user?.id]);
  return [engine, status];
}

function Shell({ session, engine, status, onLogout, onRelogin }) {
  const route = useRoute();
  const online = useOnline();
  const [head, arg] = route.parts;
  const app = appOf(session.user);
  const [clerk, clerkError] = useScreens(app === 'clerk' ? 'clerk' : null);
  const [manager, managerError] = useScreens(app === 'manager' ? 'manager' : null);
  const [plan, planError] = useScreens(app === 'rep' && head === 'plan' ? 'plan' : null);
  // "Plan a day" must open offline even before the service worker controls this page (the first
  // session after installing): load its chunk in idle time once a rep is signed in.
  useEffect(() => {
    if (app !== 'rep' || loaded.plan) return undefined;
    const idle = typeof requestIdleCallback === 'function' ? requestIdleCallback : (fn) => setTimeout(fn, 1500);
    const cancel = typeof cancelIdleCallback === 'function' ? cancelIdleCallback : clearTimeout;
    const handle = idle(() => {
      LOADERS.plan()
        .then((mod) => {
          loaded.plan = mod;
        })
        .catch(() => {}); // offline and not cached yet: tried again when the screen opens
    });
    return () => cancel(handle);
  }, [app]);

  // The status the bar shows: the engine's, or "offline" as soon as the browser says so.
  const shown =
    !online && status.state !== 'offline' && status.state !== 'syncing' ? { ...status, state: 'offline' } : status;

  let screen;
  let title = t('app.name');
  let current = 'today';
  const clerkScreen = app === 'clerk' && head !== 'outbox' && head !== 'settings';
  // A manager's screens: every route but the rep's ones (#/today, store, visit, outbox, settings).
  const managerScreen = app === 'manager' && !['today', 'store', 'visit', 'outbox', 'settings'].includes(head);
  if (clerkScreen) {
    const r = clerk && (clerk.clerkRoute(route.parts) || clerk.clerkRoute([]));
    if (r) ({ screen, title, current } = r);
    else
      screen = html`<p class="empty">${clerkError ? t('app.error', { message: clerkError.message }) : t('app.loading')}</p>`;
  } else if (managerScreen) {
    const r = manager && (manager.managerRoute(route.parts) || manager.managerRoute([]));
    if (r) ({ screen, title, current } = r);
    else
      screen = html`<p class="empty">${managerError ? t('app.error', { message: managerError.message }) : t('app.loading')}</p>`;
  } else if (app === 'rep' && head === 'plan') {
    screen = plan
      ? html`<${plan.PlanDay} day=${arg} />`
      : html`<p class="empty">${planError ? t('app.error', { message: planError.message }) : t('app.loading')}</p>`;
    title = t('plan.title');
    current = null;
  } else if (head === 'store' && arg) {
    screen = html`<${StoreScreen} id=${arg} />`;
    current = null;
  } else if (head === 'visit' && arg) {
    screen = html`<${VisitScreen} id=${arg} />`;
    title = t('visit.title');
    current = null;
  } else if (head === 'outbox') {
    screen = html`<${Outbox} status=${shown} />`;
    title = t('outbox.title');
    current = 'outbox';
  } else if (head === 'settings') {
    screen = html`<${Settings} status=${shown} onLogout=${onLogout} version=${APP_VERSION} />`;
    title = t('settings.title');
    current = 'settings';
  } else {
    screen = html`<${Today} />`;
    title = t('today.title');
    if (app === 'manager') current = 'field';
  }

  const unauthorized =
    status.lastError && (status.lastError.status === 401 || status.lastError.code === 'unauthorized');
  const tooOld = status.lastError && status.lastError.code === 'unsupported_protocol_version';

  // A manager's desk (screens/desk/DeskNav.js): the side navigation at >= 1024 px, tabs below.
  const desk = app === 'manager' && manager;
  const appClass = managerScreen ? 'app manager desk-app' : desk ? 'app desk-app desk-field' : 'app';
  const syncBar = html`<${SyncBar} status=${shown} onSyncNow=${engine ? () => engine.syncNow() : null} />`;
  const main = html`<main class="content" id=${desk ? 'main' : undefined} tabindex=${desk ? '-1' : undefined}>
      ${
        unauthorized
          ? html`<div class="banner banner-warn" role="alert">
            <span class="grow">${t('app.sessionExpired')}</span>
            <button type="button" class="btn btn-small" onClick=${onRelogin}>${t('login.submit')}</button>
          </div>`
          : null
      }
      ${tooOld ? html`<div class="banner banner-err" role="alert">${t('app.updateProtocol')}</div>` : null}
      ${head !== 'outbox' ? html`<${StaleWarning} status=${shown} />` : null} ${screen}
  </main>`;

  return html`<div class=${appClass}>
    ${desk ? html`<${manager.SkipLink} />` : null}
    <header class="topbar">
      ${
        current === null
          ? html`<button type="button" class="icon-btn" aria-label=${t('common.back')} onClick=${() => history.back()}>
            <${Icon} name="back" />
          </button>`
          : null
      }
      <h1>${title}</h1>
      <span class="small" style="opacity:0.85">${session.user.display_name || session.user.username}</span>
    </header>
    ${
      desk
        ? html`<div class="desk-body">
          <${manager.ManagerNav} parts=${route.parts} status=${status} />
          <div class="desk-main">${syncBar}${main}</div>
        </div>`
        : html`${syncBar}${main}`
    }
    <${NavBar}
      current=${current}
      outboxCount=${status.pending || 0}
      rejected=${status.rejected || 0}
      home=${app === 'clerk' ? { icon: 'card', label: t('nav.cards') } : app === 'manager' ? { icon: 'home', label: t('manager.nav.home') } : null}
      extra=${app === 'manager' ? [{ key: 'field', href: '#/today', icon: 'locate', label: t('nav.today') }] : null}
    />
  </div>`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stop a session's sync engine and let a run in progress end (its next request has no token any
 * more, so it ends soon), at most `ms`: a wipe must not be followed by the run's last write.
 */
async function stopEngine(engine, ms = 5000) {
  if (!engine) return;
  engine.stop();
  await Promise.race([engine.whenIdle(), sleep(ms)]);
}

/** Remove everything of the user from the phone (db/wipe.js); true when all of it went. */
async function wipe() {
  const report = await wipeLocalData({ db });
  if (!report.ok) console.error('local data not fully removed', report);
  return report.ok;
}

export function App() {
  const [session, setSession] = useState(undefined); // undefined: loading; null: signed out
  const [relogin, setRelogin] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const [wipeIncomplete, setWipeIncomplete] = useState(false);
  const [, setLangTick] = useState(0);
  const engineRef = useRef(null);
  const wiping = useRef(Promise.resolve());
  useEffect(() => onLangChange(() => setLangTick((n) => n + 1)), []);

  // The business time zone whose calendar "today" is on (GET /app-config, public): asked as the
  // app starts online — on the login screen too — and, until heard, again when the phone comes
  // back online or someone signs in; kept in localStorage for the offline days (warranty/zone.js).
  const online = useOnline();
  useEffect(() => {
    if (online) learnBusinessZone();
  }, [online, session?.user?.id]);

  useEffect(() => {
    loadSession()
      .then((s) => {
        if (s?.token) api.setToken(s.token);
        setSession(s?.token ? s : null);
      })
      .catch((err) => {
        console.error(err);
        setSession(null);
      });
  }, []);

  // Another tab signed out (or another user signed in there): it deleted the database. This tab's
  // session ends too, and what it shows goes with a reload (to the login screen).
  useEffect(
    () =>
      onDeletedElsewhere(db, () => {
        if (engineRef.current) engineRef.current.stop();
        api.setToken(null);
        location.reload();
      }),
    [],
  );

  // HQ's screens are online REST: only those who record in the field sync.
  const app = session ? appOf(session.user) : null;
  const [engine, status] = useEngine(session && app !== 'hq' ? session : null);
  engineRef.current = engine;
  const [hq, hqError] = useScreens(app === 'hq' ? 'hq' : null);

  const login = useCallback(async (username, password) => {
    await wiping.current; // a sign-out still removing the data
    const res = await api.login(username, password);
    // Not for the engine of an expired session still running: set again once this one is stored.
    api.setToken(null);
    await ensureOpen(db);
    // The phone's data belongs to one user (a client id is bound to one user): anyone else signing
    // in — another user, or a user whose session expired being replaced by another — starts from
    // an empty phone. The previous user's unsent entries are lost with it: ask first.
    const owner = await getMeta(db, 'clientUserId');
    if (res.user && owner !== res.user.id) {
      const c = await queries.syncCounts();
      const n = (c.pending || 0) + (c.rejected || 0) + (c.photosPending || 0);
      if (n > 0 && !confirm(t('login.otherUser', { n, user: res.user.username }))) {
        api.setToken(res.token);
        await api.logout();
        const err = new Error('cancelled');
        err.userMessage = t('login.cancelled');
        throw err;
      }
      await stopEngine(engineRef.current); // the expired session's engine
      setWipeIncomplete(!(await wipe()));
      await ensureOpen(db);
    }
    const next = { token: res.token, user: res.user, expiresAt: res.expires_at };
    await saveSession(next);
    api.setToken(next.token);
    setSession(next);
    setRelogin(false);
    navigate('/', { replace: true });
  }, []);

  const logout = useCallback(async () => {
    const unsynced = (status.pending || 0) + (status.rejected || 0) + (status.photosPending || 0);
    if (unsynced > 0 && !confirm(t('settings.logoutConfirm', { n: unsynced }))) return;
    if (!unsynced && !navigator.onLine && !confirm(t('settings.logoutOffline'))) return;
    let done;
    wiping.current = new Promise((resolve) => {
      done = resolve;
    });
    setSigningOut(true); // the screens (and their database queries) go first
    try {
      if (engine) engine.stop();
      try {
        await Promise.race([api.logout(), sleep(3000)]);
      } catch {
        /* offline or already expired: the local sign-out is what matters */
      }
      api.setToken(null);
      await stopEngine(engine);
      setWipeIncomplete(!(await wipe()));
    } finally {
      api.setToken(null);
      setSession(null);
      setRelogin(false);
      setSigningOut(false);
      done();
      navigate('/', { replace: true });
    }
  }, [engine, status]);

  const ctx = useMemo(() => ({ db, api, actions, queries, engine, session, navigate }), [engine, session]);

  let body;
  if (session === undefined) body = html`<p class="empty">${t('app.loading')}</p>`;
  else if (signingOut) body = html`<p class="empty" data-testid="signing-out">${t('app.signingOut')}</p>`;
  else if (!session) {
    body = html`${
      wipeIncomplete
        ? html`<div class="banner banner-warn" role="alert" data-testid="wipe-incomplete">${t('app.wipeIncomplete')}</div>`
        : null
    }<${Login} onLogin=${login} />`;
  } else if (relogin) {
    // The token expired: sign in again (same user: the outbox and data stay), or go back to work.
    body = html`<${Login} onLogin=${login} onCancel=${() => setRelogin(false)} username=${session.user.username} />`;
  } else if (app === 'hq') {
    body = html`<${AppContext.Provider} value=${ctx}>
      ${
        hq
          ? html`<${hq.HqShell} session=${session} onLogout=${logout} version=${APP_VERSION} />`
          : html`<p class="empty">${hqError ? t('app.error', { message: hqError.message }) : t('app.loading')}</p>`
      }
    </${AppContext.Provider}>`;
  } else {
    body = html`<${AppContext.Provider} value=${ctx}>
      <${Shell} session=${session} engine=${engine} status=${status} onLogout=${logout} onRelogin=${() => setRelogin(true)} />
    </${AppContext.Provider}>`;
  }
  return html`${body}<${Update} />`;
}
