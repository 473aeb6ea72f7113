// Per-field last-writer-wins records (port of sync_protocol/merge.py; SPEC.md Part II §1, §3).
//
// A record's state maps each field to an entry `{value, hlc, by}`. Two replicas merge field by
// field, keeping the entry with the greater HLC (ties: the greater canonical JSON). `_deleted` is
// the tombstone. `merge` is commutative, associative and idempotent for all inputs.
import { HLC, compare as compareHlc } from './hlc.js';

/** The reserved field whose value `true` marks the record deleted. */
export const TOMBSTONE = '_deleted';

/**
 * Compare two strings by Unicode code point (= UTF-8 byte order), not by UTF-16 code unit as `<`
 * does: -1, 0 or 1.
 */
export function compareCodePoints(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (U+D800–DFFF, i.e. code points above U+FFFF) sort after U+E000–FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

const ESCAPES = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes exactly these
const JSON_ESCAPED_RE = /["\\\u0000-\u001f]/g;

function quote(s) {
  return `"${s.replace(JSON_ESCAPED_RE, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** A finite number in plain notation (no exponent): integers as digits, others shortest round-trip. */
function plainNumber(n) {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  const [, sign, lead, frac = '', expText] = m;
  const digits = lead + frac;
  const point = 1 + Number(expText); // position of the decimal point within `digits`
  let out;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + out;
}

/**
 * The canonical text of a JSON value (SPEC.md §1): object keys sorted by code point, no
 * whitespace, non-ASCII written as itself. NaN and infinities are refused (RangeError); values
 * that are not JSON (functions, symbols, bigints) are refused (TypeError).
 */
export function canonicalJson(value) {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`${value} is not JSON`);
      return plainNumber(value);
    case 'string':
      return quote(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
      const keys = Object.keys(value).filter((k) => value[k] !== undefined);
      keys.sort(compareCodePoints);
      return `{${keys.map((k) => `${quote(k)}:${canonicalJson(value[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} is not JSON`);
  }
}

function hlcOf(entry) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || !('hlc' in entry)) {
    throw new TypeError(`a field entry must be an object with an 'hlc', got ${JSON.stringify(entry)}`);
  }
  return HLC.parse(entry.hlc);
}

/** The entry that survives: greater HLC; on equal HLCs the greater canonical JSON. */
function winner(x, y) {
  const c = compareHlc(hlcOf(x), hlcOf(y));
  if (c !== 0) return c > 0 ? x : y;
  return compareCodePoints(canonicalJson(x), canonicalJson(y)) >= 0 ? x : y;
}

function sortedObject(obj) {
  const out = {};
  for (const k of Object.keys(obj).sort(compareCodePoints)) out[k] = obj[k];
  return out;
}

const own = (o, k) => Object.hasOwn(o, k);

/** The join of two states of the same record. Inputs are not modified (entries are shared). */
export function merge(a, b) {
  const out = {};
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const ea = own(a, field) ? a[field] : undefined;
    const eb = own(b, field) ? b[field] : undefined;
    if (ea === undefined || ea === null) {
      hlcOf(eb);
      out[field] = eb;
    } else if (eb === undefined || eb === null) {
      hlcOf(ea);
      out[field] = ea;
    } else {
      out[field] = winner(ea, eb);
    }
  }
  return sortedObject(out);
}

/** A state where every field of `values` was written at `hlc` by `by`. */
export function stateFromValues(values, hlc, by) {
  HLC.parse(hlc);
  if (typeof by !== 'string') throw new TypeError(`'by' must be a string, got ${JSON.stringify(by)}`);
  const out = {};
  for (const [field, value] of Object.entries(values)) out[field] = { value, hlc, by };
  return out;
}

/**
 * Merge an edit of some fields into `state` and report the conflicts it ran into (SPEC.md §3.3).
 * Returns `{state, conflicts}`; `state` is exactly `merge(state, stateFromValues(patch, hlc, by))`.
 */
export function applyPatch(state, patch, hlc, by, base = null) {
  const incoming = stateFromValues(patch, hlc, by);
  const newState = merge(state, incoming);
  const conflicts = [];
  for (const field of Object.keys(incoming).sort(compareCodePoints)) {
    const current = own(state, field) ? state[field] : undefined;
    if (current === undefined || current === null) continue;
    const mine = incoming[field];
    if (canonicalJson(current.value) === canonicalJson(mine.value)) continue;
    if (winner(current, mine) === current) {
      conflicts.push({ field, kept: current, lost: mine });
    } else if (base !== null && base !== undefined && (own(base, field) ? base[field] : undefined) !== current.hlc) {
      conflicts.push({ field, kept: mine, lost: current });
    }
  }
  return { state: newState, conflicts };
}

/** True iff the tombstone field's value is exactly `true`. */
export function isDeleted(state) {
  const entry = own(state, TOMBSTONE) ? state[TOMBSTONE] : undefined;
  return entry !== null && typeof entry === 'object' && entry.value === true;
}

/** Plain `field → value`, without the tombstone. */
export function values(state) {
  const out = {};
  for (const [field, entry] of Object.entries(state)) if (field !== TOMBSTONE) out[field] = entry.value;
  return out;
}
