// The business time zone on the phone: the server's BUSINESS_TIMEZONE (GET /app-config, public),
// whose calendar days everything dated by day counts in — the 三包 windows, a training's day, which
// visits were "today", the visit plans' today and tomorrow, tasks' overdue, sell-out periods — not
// the zone the phone happens to be set to. Learned as the app starts online (app.js; again when
// the phone comes back online) and kept in localStorage for the offline day, through a sign-out too
// (db/wipe.js: it is the server's public setting, no user's data); until the phone has heard it,
// the server's default. Screens showing a day re-render when it is learned
// (components/hooks.js useBusinessZone).
import * as api from '../api.js';
import { businessDay, DEFAULT_BUSINESS_TIMEZONE, isTimeZone } from './rules.js';

export const STORAGE_KEY = 'fs.businessTimezone';

let known = null;
const listeners = new Set();

function storage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked: the zone lives in memory only
  }
}

/** The business time zone as this phone knows it (its last answer from the server, else the default). */
export function businessZone() {
  if (known) return known;
  const saved = storage()?.getItem(STORAGE_KEY);
  if (isTimeZone(saved)) known = saved;
  return known || DEFAULT_BUSINESS_TIMEZONE;
}

/** Remember the server's zone (an unknown or empty one is ignored). → whether it was taken. */
export function setBusinessZone(zone) {
  if (!isTimeZone(zone)) return false;
  const before = businessZone();
  known = zone;
  try {
    storage()?.setItem(STORAGE_KEY, zone);
  } catch {
    // full or blocked storage: this page still knows it
  }
  if (zone !== before) for (const fn of [...listeners]) fn(zone);
  return true;
}

/** Call `fn(zone)` whenever the business zone changes (learned from the server). → unsubscribe. */
export function onBusinessZone(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

let asking = null;

/** Ask the server for its zone once per page (again after a failure, e.g. offline). → the zone. */
export function learnBusinessZone(request = api.request) {
  asking ??= request('GET', '/app-config').then(
    (cfg) => {
      setBusinessZone(cfg?.business_timezone);
      return businessZone();
    },
    () => {
      asking = null;
      return businessZone();
    },
  );
  return asking;
}

/** The business day 'YYYY-MM-DD' of instant `at` (ms, Date or ISO string): the day the server
 * gives it (core.timeutil.business_date), e.g. the day a visit was checked in on. */
export function businessDayOf(at) {
  return businessDay(at, businessZone());
}

/** Today, 'YYYY-MM-DD', in the business time zone: the day a 三包 window is checked on, a visit
 * plan's today, the day tasks are overdue after and sell-out periods may end on. */
export function businessToday(now = Date.now()) {
  return businessDayOf(now);
}

/** Forget what this page learned (tests). */
export function resetBusinessZone() {
  known = null;
  asking = null;
  listeners.clear();
}
