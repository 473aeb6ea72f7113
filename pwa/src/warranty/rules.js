// Pure rules of warranty cards: IMEI check digit and TAC, buyer phone numbers, 三包 terms, masking.
//
// A port of backend/warranty/rules.py (same names, camelCase); both pass the same vectors
// (tests/vectors/warranty_rules.json), so a card the phone accepts offline is a card the server
// accepts. Dates are 'YYYY-MM-DD' strings; date arithmetic runs on UTC dates, so the device's
// time zone and daylight-saving changes never shift a day.

export const IMEI_LENGTH = 15;
export const TAC_LENGTH = 8;

const DIGITS = /^\d+$/;
const SEPARATORS = /[\s\-()]/g;
const MAINLAND = /^1[3-9]\d{9}$/;
const E164 = /^\+[1-9]\d{7,14}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// --- IMEI ---------------------------------------------------------------------------------------

/** The Luhn digit that completes `body` (digits only): every second digit from the right of the
 * body is doubled, the digits of the products summed. */
export function luhnCheckDigit(body) {
  let total = 0;
  const s = String(body);
  for (let i = 0; i < s.length; i++) {
    let d = s.charCodeAt(s.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
  }
  return (10 - (total % 10)) % 10;
}

/**
 * Why `imei` is not a valid IMEI, or null: `'digits'` (something else than digits, or empty),
 * `'length'` (not 15 digits) or `'checkDigit'` (the Luhn digit is wrong). Shape and check digit
 * only. The message keys are `imei.problem.<key>` in i18n.
 */
export function imeiProblem(imei) {
  const s = imei ?? '';
  if (typeof s !== 'string' || !DIGITS.test(s)) return 'digits';
  if (s.length !== IMEI_LENGTH) return 'length';
  if (luhnCheckDigit(s.slice(0, -1)) !== Number(s[s.length - 1])) return 'checkDigit';
  return null;
}

/** The Type Allocation Code: the first 8 digits, which name the phone model. */
export function tac(imei) {
  return String(imei ?? '').slice(0, TAC_LENGTH);
}

// --- buyer phone numbers ------------------------------------------------------------------------

/**
 * A mainland mobile number as its 11 digits, anything else as E.164 (`+<country><number>`); null
 * when it is neither. Spaces, dashes and brackets are ignored; `0086`/`+86` before a mainland
 * number is dropped; a leading `00` means `+`.
 */
export function normalisePhone(raw) {
  let s = String(raw ?? '').replace(SEPARATORS, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (s.startsWith('+86') && MAINLAND.test(s.slice(3))) return s.slice(3);
  if (MAINLAND.test(s)) return s;
  if (E164.test(s) && !s.startsWith('+86')) return s;
  return null;
}

// --- dates (UTC calendar days) --------------------------------------------------------------------

/** 'YYYY-MM-DD' → [year, month (1–12), day], or null when it is not a real date. */
export function parseDate(text) {
  const m = ISO_DATE.exec(String(text ?? ''));
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return [y, mo, d];
}

export function isDate(text) {
  return parseDate(text) !== null;
}

function daysInMonth(year, month) {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function utcDate(text) {
  const p = parseDate(text);
  if (!p) throw new TypeError(`not a date (YYYY-MM-DD): ${JSON.stringify(text)}`);
  const d = new Date(Date.UTC(p[0], p[1] - 1, p[2]));
  d.setUTCFullYear(p[0]); // years 0–99 would otherwise be read as 1900–1999
  return d;
}

function isoOfUtc(d) {
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  return `${y}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** `date` + `days` days. */
export function addDays(date, days) {
  const d = utcDate(date);
  d.setUTCDate(d.getUTCDate() + days);
  return isoOfUtc(d);
}

/** The same day `months` later, or that month's last day when it is shorter (31 Jan + 1 → 28/29 Feb). */
export function addMonths(date, months) {
  const p = parseDate(date);
  if (!p) throw new TypeError(`not a date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  const [y, m, day] = p;
  const index = m - 1 + months;
  const year = y + Math.floor(index / 12);
  const month = (((index % 12) + 12) % 12) + 1;
  const d = new Date(Date.UTC(year, month - 1, Math.min(day, daysInMonth(year, month))));
  d.setUTCFullYear(year);
  return isoOfUtc(d);
}

/** The server's default BUSINESS_TIMEZONE: the zone whose calendar days the business counts in. */
export const DEFAULT_BUSINESS_TIMEZONE = 'Asia/Shanghai';

const dayFormats = new Map();

function dayFormat(timeZone) {
  let f = dayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, f);
  }
  return f;
}

/** Whether `zone` is an IANA time zone this device knows. */
export function isTimeZone(zone) {
  if (typeof zone !== 'string' || !zone) return false;
  try {
    dayFormat(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The calendar day 'YYYY-MM-DD' of instant `at` (ms, Date or ISO string) in `timeZone` — the
 * business day the server gives it (core.timeutil.business_date), whatever zone the phone is set
 * to: at 00:30 in Shanghai a phone set to UTC is still on the day before, and at 23:30 one set to
 * New Zealand time is already on the next. 三包 windows count in this day.
 */
export function businessDay(at, timeZone = DEFAULT_BUSINESS_TIMEZONE) {
  const parts = {};
  for (const p of dayFormat(timeZone).formatToParts(new Date(at))) parts[p.type] = p.value;
  return `${parts.year.padStart(4, '0')}-${parts.month}-${parts.day}`;
}

// --- 三包 terms -----------------------------------------------------------------------------------

export const RETURNABLE = 'returnable';
export const EXCHANGEABLE = 'exchangeable';
export const REPAIRABLE = 'repairable';
export const EXPIRED = 'expired';
export const VOID = 'void';
// A card closed by a 三包 service event (its closed_kind): the phone went back to the store.
export const RETURNED = 'returned';
export const EXCHANGED = 'exchanged';
export const CLOSED_KINDS = [RETURNED, EXCHANGED];
// The 三包 service events (issue 17).
export const SERVICE_KINDS = ['return', 'exchange', 'repair'];

/** The 三包 dates of a phone bought on `purchaseDate`; each date is the last day it applies. */
export function terms(purchaseDate, returnDays = 7, exchangeDays = 15, repairMonths = 12) {
  return {
    returnUntil: addDays(purchaseDate, returnDays),
    exchangeUntil: addDays(purchaseDate, exchangeDays),
    repairUntil: addMonths(purchaseDate, repairMonths),
  };
}

/** terms() with a product's own periods (the national 7 / 15 days, 12 months by default). */
export function termsFor(purchaseDate, product) {
  const n = (v, d) => (Number.isInteger(v) ? v : d);
  return terms(purchaseDate, n(product?.return_days, 7), n(product?.exchange_days, 15), n(product?.repair_months, 12));
}

/** The server's shape of terms: `{return_until, exchange_until, repair_until}`. */
export function termsJson(t) {
  return { return_until: t.returnUntil, exchange_until: t.exchangeUntil, repair_until: t.repairUntil };
}

/** Terms from either shape (ours or the server's snake_case one), or null. */
export function termsOf(x) {
  if (!x) return null;
  const returnUntil = x.returnUntil ?? x.return_until;
  const exchangeUntil = x.exchangeUntil ?? x.exchange_until;
  const repairUntil = x.repairUntil ?? x.repair_until;
  return returnUntil && exchangeUntil && repairUntil ? { returnUntil, exchangeUntil, repairUntil } : null;
}

/** What the buyer is entitled to on `today`: the best of return, exchange, repair, or nothing.
 * ('YYYY-MM-DD' strings compare like the dates they name.) A voided card is 'void' (even when it
 * was closed first); a card closed by a return or an exchange (`closedKind`, the card's
 * closed_kind) is 'returned' / 'exchanged': nothing more applies to it. */
export function standing(t, today, voided = false, closedKind = null) {
  if (voided) return VOID;
  if (closedKind) return closedKind;
  const x = termsOf(t);
  if (today <= x.returnUntil) return RETURNABLE;
  if (today <= x.exchangeUntil) return EXCHANGEABLE;
  if (today <= x.repairUntil) return REPAIRABLE;
  return EXPIRED;
}

/**
 * Why a 三包 service event of `kind` ('return', 'exchange' or 'repair') on `occurredOn` (a
 * 'YYYY-MM-DD' business date) falls outside the card's terms (either shape), as
 * `{reason, params: {until, occurred_on}}`, or null when it is within them. Each term's date is the
 * last day it applies: a return on return_until is allowed, the day after is refused.
 */
export function serviceRefusal(kind, t, occurredOn) {
  const x = termsOf(t);
  const until = { return: x.returnUntil, exchange: x.exchangeUntil, repair: x.repairUntil }[kind];
  if (!until) throw new TypeError(`not a service kind: ${JSON.stringify(kind)}`);
  if (occurredOn <= until) return null;
  return { reason: `service.${kind}_expired`, params: { until, occurred_on: occurredOn } };
}

// --- masking of buyers' personal data -------------------------------------------------------------
// By characters (code points), as Python slices strings.

/** 138****5678; +44******3456: the first 3 and last 4 characters stay. */
export function maskPhone(phone) {
  if (!phone) return phone;
  const c = Array.from(phone);
  if (c.length <= 7) return '*'.repeat(Math.max(0, c.length - 2)) + c.slice(-2).join('');
  return c.slice(0, 3).join('') + '*'.repeat(c.length - 7) + c.slice(-4).join('');
}

/** The first 6 characters (city and district, usually) and ****; an empty address stays empty. */
export function maskAddress(address) {
  if (!address) return address;
  const c = Array.from(address);
  return `${c.length > 6 ? c.slice(0, 6).join('') : ''}****`;
}

/** 张** : the first character (the family name, usually) and one star per other character. */
export function maskName(name) {
  if (!name) return name;
  const c = Array.from(name);
  return c[0] + '*'.repeat(c.length - 1);
}
