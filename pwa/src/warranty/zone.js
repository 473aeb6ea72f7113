// The business time zone on the phone: the server's BUSINESS_TIMEZONE (GET /app-config, public),
// whose calendar days the 三包 windows and a training's day count in — not the zone the phone
// happens to be set to. Learned when a screen that needs it opens online and kept in
// localStorage for the offline day; until the phone has heard it, the server's default.
import * as api from '../api.js';
import { businessDay, DEFAULT_BUSINESS_TIMEZONE, isTimeZone } from './rules.js';

export const STORAGE_KEY = 'fs.businessTimezone';

let known = null;

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
  known = zone;
  try {
    storage()?.setItem(STORAGE_KEY, zone);
  } catch {
    // full or blocked storage: this page still knows it
  }
  return true;
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

/** Today, 'YYYY-MM-DD', in the business time zone: the day a 三包 window is checked on. */
export function businessToday(now = Date.now()) {
  return businessDay(now, businessZone());
}

/** Forget what this page learned (tests). */
export function resetBusinessZone() {
  known = null;
  asking = null;
}
