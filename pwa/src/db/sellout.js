// The phone's side of sell-out capture (issue 16): the values the server takes for shop stock
// counts, declared sell-out and competitor estimates (backend/sellout/models.py, schemas.py and
// rules.py), and the calendar-day arithmetic the periods and weeks need. Pure: actions.js checks
// the mutations' arguments with it, screens/rep/phones.js builds the visit's rows on it.
// Days are 'YYYY-MM-DD' calendar days (the phone's: localToday).

/** Who gave a sell-out figure (backend/sellout/models.py `Source`), in the select's order. */
export const SOURCES = ['promoter', 'clerk', 'owner', 'competitor_promoter', 'rep_estimate'];
/** Who tells a store's sell-out unless the rep picks another: our promoter at the counter. */
export const DEFAULT_SOURCE = 'promoter';
/** A competitor's weekly volume nobody will put a number on (backend/sellout/models.py `Band`). */
export const BANDS = ['0', '1-5', '6-20', '21-50', '50+'];
/** The longest declared period the server takes, in days (backend/sellout/rules.py MAX_PERIOD_DAYS). */
export const MAX_PERIOD_DAYS = 92;
/** The most units a count, a report or an estimate may say (backend/sellout/schemas.py MAX_UNITS). */
export const MAX_UNITS = 100_000;

const DAY_MS = 24 * 3600 * 1000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);
const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Whether `day` is a real calendar day 'YYYY-MM-DD'. */
export function isDay(day) {
  if (typeof day !== 'string' || !DAY_RE.test(day)) return false;
  const t = dayMs(day);
  return !Number.isNaN(t) && dayOf(t) === day;
}

/** `day` plus `n` days (n may be negative). */
export function addDays(day, n) {
  return dayOf(dayMs(day) + n * DAY_MS);
}

/** Days from `a` to `b` (b − a). */
export function daysBetween(a, b) {
  return Math.round((dayMs(b) - dayMs(a)) / DAY_MS);
}

/** The Monday of `day`'s ISO week (the server's `d - timedelta(days=d.weekday())`). */
export function weekStart(day) {
  const weekday = (new Date(dayMs(day)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -weekday);
}
