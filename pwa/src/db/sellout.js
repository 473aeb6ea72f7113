// The phone's side of sell-out capture (issue 16): the values the server takes for shop stock
// counts, declared sell-out and competitor estimates (backend/sellout/models.py, schemas.py and
// rules.py), and the calendar-day arithmetic the periods and weeks need. Pure: actions.js checks
// the mutations' arguments with it, screens/rep/phones.js builds the visit's rows on it.
// Days are 'YYYY-MM-DD' calendar days; today is the business day (warranty/zone.js businessToday),
// as the server's. The arithmetic below is on a day's UTC midnight, whatever zone the phone is in.

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
/** How far ahead of the server's business day a phone's day may be (backend/sellout/rules.py
 * FUTURE_DAYS): a rep near midnight, a phone in another zone. */
export const FUTURE_DAYS = 1;
/** The units a band counts for in the channel's rollups (backend/sellout/models.py BAND_UNITS). */
export const BAND_UNITS = { 0: 0, '1-5': 3, '6-20': 13, '21-50': 35, '50+': 60 };

const DAY_MS = 24 * 3600 * 1000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);
// The day of a day's UTC midnight (plus whole days): calendar arithmetic, not an instant's day.
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

// The server's checks (backend/sellout/rules.py), ported so the phone refuses before queueing
// what the server would refuse after the push: a reason code of backend/core/reasons.py, or null.
// tests/vectors/sellout_rules.json holds the cases both sides pass (sellout.test.js).

/** Why a declared period `start`…`end` (inclusive days) is refused on `today`, or null. */
export function periodFault(start, end, today) {
  if (end < start) return 'sellout.period_order';
  if (daysBetween(start, end) + 1 > MAX_PERIOD_DAYS) return 'sellout.period_too_long';
  if (end > addDays(today, FUTURE_DAYS)) return 'sellout.period_future';
  return null;
}

/** Why a competitor estimate's week `day` is refused on `today`, or null: a Monday, of a week
 * that has begun (a phone's day ahead by FUTURE_DAYS takes the next week on a Sunday night). */
export function weekFault(day, today) {
  if (weekStart(day) !== day) return 'sellout.week_not_monday';
  if (day > weekStart(addDays(today, FUTURE_DAYS))) return 'sellout.week_future';
  return null;
}

/** Why a competitor estimate is refused, or null: a number of units or a band, exactly one. */
export function estimateFault(units, band) {
  const given = (v) => v !== null && v !== undefined;
  return given(units) === given(band) ? 'sellout.units_and_band' : null;
}
