// Strings and formats in zh-CN and English. The language comes from the browser unless the user
// chose one (kept in localStorage); dates, numbers, prices (CNY) and sizes go through Intl.
// zh-CN.js and en.js hold the first page's strings (login, shell, the rep's screens); each role's
// package (screens/clerk/, hq/, manager/) brings its own in its i18n/ folder and adds them with
// addStrings() when it is imported, so t('manager.…') works the same in its components.
import zh from './zh-CN.js';
import en from './en.js';
import reasons from './reasons.js';

export const LANGS = {
  'zh-CN': { name: '简体中文', strings: { ...zh, ...reasons['zh-CN'] } },
  en: { name: 'English', strings: { ...en, ...reasons.en } },
};
const STORAGE_KEY = 'fieldsales.lang';
const listeners = new Set();

function browserLang() {
  const prefs = (typeof navigator !== 'undefined' && (navigator.languages || [navigator.language])) || [];
  for (const l of prefs) {
    const low = String(l || '').toLowerCase();
    if (low.startsWith('zh')) return 'zh-CN';
    if (low.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}

function initialLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && LANGS[saved]) return saved;
  } catch {
    /* storage unavailable: fall back to the browser */
  }
  return browserLang();
}

let current = initialLang();
let formats = makeFormats(current);
let plurals = new Intl.PluralRules(current);

export function lang() {
  return current;
}

export function setLang(next) {
  if (!LANGS[next] || next === current) return;
  current = next;
  formats = makeFormats(next);
  plurals = new Intl.PluralRules(next);
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Adds strings of language `l` (a role's package's, loaded with it): t() finds them from then on. */
export function addStrings(l, strings) {
  if (!LANGS[l]) throw new Error(`addStrings: no language ${l}`);
  Object.assign(LANGS[l].strings, strings);
}

function pluralCount(vars) {
  const count = vars ? (vars.count ?? vars.n) : undefined;
  return typeof count === 'number' && Number.isFinite(count) ? count : null;
}

function lookup(key, vars) {
  // A count (`count`, else `n`) picks the plural form `key.one`, `key.few`… (Intl.PluralRules)
  // when the language has one; `key` itself is the general form ("{n} photos" / "{n} 张照片").
  const count = pluralCount(vars);
  const own = LANGS[current].strings;
  if (count !== null && own[`${key}.${plurals.select(count)}`] !== undefined) {
    return own[`${key}.${plurals.select(count)}`];
  }
  if (own[key] !== undefined) return own[key];
  if (count !== null) {
    const form = LANGS.en.strings[`${key}.${new Intl.PluralRules('en').select(count)}`];
    if (form !== undefined) return form;
  }
  return LANGS.en.strings[key];
}

// "{p, plural, one {# photo} other {# photos}}": a count inside a sentence that has two of them.
const PLURAL = /\{(\w+), plural,((?:\s*(?:=\d+|zero|one|two|few|many|other)\s*\{[^{}]*\})+)\s*\}/g;
const FORM = /(=\d+|zero|one|two|few|many|other)\s*\{([^{}]*)\}/g;

function plural(vars, name, forms) {
  const n = Number(vars[name]);
  const found = Object.fromEntries([...forms.matchAll(FORM)].map((m) => [m[1], m[2]]));
  const text = found[`=${n}`] ?? found[plurals.select(n)] ?? found.other ?? '';
  return text.replace(/#/g, String(vars[name]));
}

/** The string for `key` in the current language (else English, else the key itself), with `{name}`
 * replaced from `vars`. A number `count` (or `n`) in `vars` picks the plural form `key.one`,
 * `key.few`… when the language has one; `{x, plural, one {# photo} other {# photos}}` in a string
 * picks by `vars.x` (Intl.PluralRules of the UI language either way). */
export function t(key, vars) {
  let s = lookup(key, vars);
  if (s === undefined) return key;
  if (vars) s = s.replace(PLURAL, (m, name, forms) => (vars[name] === undefined ? m : plural(vars, name, forms)));
  if (vars) return s.replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined ? m : String(vars[name])));
  return s;
}

/**
 * An entity's name in the UI language: `name_en` in English when it has one, else `name` (the
 * Chinese, primary form) — brands, competitor models, our products, promo materials.
 */
export function localName(entity) {
  if (!entity) return '';
  if (current === 'en' && entity.name_en) return String(entity.name_en);
  return entity.name == null ? '' : String(entity.name);
}

/** A row's `key` in the UI language: `<key>_en` in English when the server sent one (HQ's market
 * rows: brand_en, model_en), else `key`. */
export function localField(row, key) {
  if (!row) return undefined;
  const en = row[`${key}_en`];
  return current === 'en' && en != null && en !== '' ? en : row[key];
}

function reasonParam(name, value) {
  if (Array.isArray(value)) return value.map((v) => reasonParam(name, v)).join(current === 'en' ? ', ' : '、');
  if (value === null || value === undefined) return '';
  if (name === 'field' || name === 'fields') {
    // an argument's name: its label (the Outbox's arg.<name>) when there is one
    const label = t(`arg.${String(value).split('.').pop()}`);
    return label.startsWith('arg.') ? String(value) : label;
  }
  if (name.endsWith('_at')) return fmt.dateTime(value) || String(value);
  // a calendar day (a 三包 window's last day `until` among them)
  if (name === 'date' || name === 'until' || name.endsWith('_date') || name.endsWith('_on')) return fmt.day(value);
  return String(value);
}

/**
 * A server refusal in the UI language: the error body's `reason` (a code of
 * backend/core/reasons.py) with its `params` through the `err.<reason>` template; null when the
 * error has no reason or this app has no template for it (show the server's `message` then).
 */
export function reasonText(error) {
  const reason = error?.reason;
  if (!reason || typeof reason !== 'string') return null;
  const key = `err.${reason}`;
  if (LANGS[current].strings[key] === undefined && LANGS.en.strings[key] === undefined) return null;
  const params = error.params && typeof error.params === 'object' ? error.params : {};
  const vars = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, reasonParam(k, v)]));
  return t(key, vars);
}

/** A server error for the user: its reason in the UI language, else the server's message. */
export function serverMessage(error, fallback = '') {
  if (!error) return fallback;
  if (typeof error === 'string') return error;
  return reasonText(error) || error.message || fallback;
}

function makeFormats(l) {
  return {
    date: new Intl.DateTimeFormat(l, { year: 'numeric', month: 'short', day: 'numeric' }),
    day: new Intl.DateTimeFormat(l, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }),
    time: new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit' }),
    dateTime: new Intl.DateTimeFormat(l, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    number: new Intl.NumberFormat(l),
    decimal1: new Intl.NumberFormat(l, { maximumFractionDigits: 1 }),
    price: new Intl.NumberFormat(l, { style: 'currency', currency: 'CNY' }),
    percent: new Intl.NumberFormat(l, { style: 'percent' }),
  };
}

function toDate(v) {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

export const fmt = {
  date: (v) => {
    const d = toDate(v);
    return d ? formats.date.format(d) : '';
  },
  /** A calendar day 'YYYY-MM-DD' (a purchase date, a 三包 date): the same day in every time zone. */
  day: (v) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(v ?? ''));
    if (!m) return v ? String(v) : '';
    return formats.day.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
  },
  time: (v) => {
    const d = toDate(v);
    return d ? formats.time.format(d) : '';
  },
  /** "14:05" today, "11月20日 14:05" another day. */
  when: (v) => {
    const d = toDate(v);
    if (!d) return '';
    return sameDay(d, new Date()) ? formats.time.format(d) : formats.dateTime.format(d);
  },
  dateTime: (v) => {
    const d = toDate(v);
    return d ? formats.dateTime.format(d) : '';
  },
  number: (n) => (n === null || n === undefined || n === '' ? '' : formats.number.format(Number(n))),
  /** A figure to one decimal at most (a weekly average 1.25 → "1.3", 5 → "5"): weeks of cover,
   * average weekly sales. */
  decimal1: (n) => (n === null || n === undefined || n === '' ? '' : formats.decimal1.format(Number(n))),
  /** Prices arrive from the server as decimal strings ("2999.00"). */
  price: (v) => {
    if (v === null || v === undefined || v === '') return '';
    const n = Number(v);
    return Number.isFinite(n) ? formats.price.format(n) : String(v);
  },
  percent: (x) => formats.percent.format(x),
  distance: (m) => {
    if (m === null || m === undefined || !Number.isFinite(Number(m))) return '';
    m = Number(m);
    if (m < 1000) return `${formats.number.format(Math.round(m))} m`;
    return `${formats.decimal1.format(m / 1000)} km`;
  },
  bytes: (b) => {
    if (b === null || b === undefined || !Number.isFinite(Number(b))) return '';
    let n = Number(b);
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return `${formats.decimal1.format(n)} ${units[i]}`;
  },
};

if (typeof document !== 'undefined') document.documentElement.lang = current;
