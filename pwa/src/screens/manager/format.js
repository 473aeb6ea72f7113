// Pure formatting and calendar helpers of the manager's screens (tested in format.test.js).
// Days are calendar days of the business time zone (the server's BUSINESS_TIMEZONE, from
// GET /app-config): a rep's day in Guangzhou is a day in Asia/Shanghai, wherever the manager is.

/** "45 min", "2 h 05 min" (through `t`, the i18n function); '' for null. */
export function formatMinutes(minutes, t) {
  if (minutes === null || minutes === undefined || !Number.isFinite(Number(minutes))) return '';
  const total = Math.max(0, Math.round(Number(minutes)));
  if (total < 60) return t('manager.unit.min', { n: total });
  const h = Math.floor(total / 60);
  const m = total % 60;
  return t('manager.unit.hmin', { h, m: String(m).padStart(2, '0') });
}

/** Metres as "850 m" / "4.2 km" (the app's `fmt.distance`), '' for null. */
export function formatMetres(metres, fmt) {
  if (metres === null || metres === undefined || !Number.isFinite(Number(metres))) return '';
  return fmt.distance(Number(metres));
}

const dayFormats = new Map();
function dayFormat(timeZone) {
  const key = timeZone || '';
  if (!dayFormats.has(key)) {
    dayFormats.set(
      key,
      new Intl.DateTimeFormat('en-CA', {
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        ...(timeZone ? { timeZone } : {}),
      }),
    );
  }
  return dayFormats.get(key);
}

/** The calendar day 'YYYY-MM-DD' of instant `date` (Date | ISO | ms) in `timeZone` (default: the browser's). */
export function dayIn(date, timeZone) {
  const d = date instanceof Date ? date : new Date(date);
  if (Number.isNaN(d.getTime())) return '';
  const parts = Object.fromEntries(
    dayFormat(timeZone)
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

const timeFormats = new Map();
/** "09:05" of instant `iso` in `timeZone`, 24-hour clock; '' for null. */
export function timeIn(iso, timeZone, lang = 'zh-CN') {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const key = `${lang}|${timeZone || ''}`;
  if (!timeFormats.has(key)) {
    timeFormats.set(
      key,
      new Intl.DateTimeFormat(lang, {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        ...(timeZone ? { timeZone } : {}),
      }),
    );
  }
  return timeFormats.get(key).format(d);
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Is `s` a calendar day 'YYYY-MM-DD' that exists? */
export function isDay(s) {
  const m = DAY_RE.exec(String(s ?? ''));
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function utcOf(day) {
  const m = DAY_RE.exec(day);
  return Date.UTC(+m[1], +m[2] - 1, +m[3]);
}

function dayOfUtc(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `day` ± `n` calendar days. */
export function addDays(day, n) {
  return dayOfUtc(utcOf(day) + n * 86_400_000);
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a, b) {
  return Math.round((utcOf(b) - utcOf(a)) / 86_400_000);
}

/** The Monday of the ISO week of `day`. */
export function mondayOf(day) {
  const dow = (new Date(utcOf(day)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -dow);
}

/** ISO week label of `day`: "2026-W48". */
export function isoWeek(day) {
  const thursday = addDays(mondayOf(day), 3);
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor(daysBetween(`${year}-01-01`, thursday) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The last `n` ISO weeks up to the one holding `today`, newest first: [{week, since, until}]
 * (Monday to Sunday). */
export function recentWeeks(today, n = 8) {
  const out = [];
  let monday = mondayOf(today);
  for (let i = 0; i < n; i += 1) {
    out.push({ week: isoWeek(monday), since: monday, until: addDays(monday, 6) });
    monday = addDays(monday, -7);
  }
  return out;
}

/** The wall-clock time of an HLC "001795435380415:00000:node" (ms since the epoch), or null. */
export function hlcMs(hlc) {
  const m = /^(\d{15}):\d+:/.exec(String(hlc ?? ''));
  return m ? Number(m[1]) : null;
}

/** Whole days since instant `iso` at `nowMs`; null for null. */
export function daysSince(iso, nowMs = Date.now()) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((nowMs - t) / 86_400_000));
}

/** A conflict's value as text: strings as they are, the rest as JSON; null → ''. */
export function valueText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** "23.1301, 113.3301" → {latitude, longitude}; '' → null; anything else → undefined (invalid). */
export function parseLatLon(text) {
  const s = String(text ?? '').trim();
  if (!s) return null;
  const m = /^(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)$/.exec(s);
  if (!m) return undefined;
  const latitude = Number(m[1]);
  const longitude = Number(m[2]);
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  return { latitude, longitude };
}

/** The share `part / whole` as a percentage text "87 %" style via `fmt.percent`; '' when whole is 0. */
export function share(part, whole, fmt) {
  if (!whole) return '';
  return fmt.percent(part / whole);
}
