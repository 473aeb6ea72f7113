// Opaque pull cursors (port of sync_protocol/cursor.py; SPEC.md Part II §5). Clients store the
// text the server sends and send it back unchanged; decoding is here for the vectors and tools.
import { InvalidCursor } from './errors.js';
import { canonicalJson } from './merge.js';
import { sha256Hex } from './sha256.js';

export const PREFIX = 'v1.';
/** Largest sequence: the largest integer a JavaScript number holds exactly. */
export const MAX_SEQ = 2 ** 53 - 1;
/** Longer texts are refused without decoding them. */
export const MAX_CURSOR_CHARS = 4096;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const KEYS = ['scope', 'seq', 'snap', 'v'];

const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Where a pull left off. Validated on construction (raises `InvalidCursor`). */
export class Cursor {
  constructor(seq, scope, snapshot = null) {
    if (!isInt(seq) || seq < 0 || seq > MAX_SEQ) {
      throw new InvalidCursor(`cursor seq must be an integer from 0 to ${MAX_SEQ}`, { field: 'cursor' });
    }
    if (typeof scope !== 'string') throw new InvalidCursor('cursor scope must be a string', { field: 'cursor' });
    if (snapshot !== null && snapshot !== undefined && !isObject(snapshot)) {
      throw new InvalidCursor('cursor snapshot must be an object or null', { field: 'cursor' });
    }
    this.seq = seq;
    this.scope = scope;
    this.snapshot = snapshot ?? null;
    Object.freeze(this);
  }
}

function base64urlEncode(bytes) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63];
  }
  return out;
}

/** Decode unpadded base64url (the caller has checked the alphabet and that length % 4 != 1). */
function base64urlDecode(text) {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (const ch of text) {
    acc = (acc << 6) | ALPHABET.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, j);
}

/** `"v1." + base64url(canonical JSON {v: 1, seq, scope, snap})`, without padding. */
export function encodeCursor(c) {
  const cursor = c instanceof Cursor ? c : new Cursor(c.seq, c.scope, c.snapshot ?? null);
  const payload = canonicalJson({ v: 1, seq: cursor.seq, scope: cursor.scope, snap: cursor.snapshot });
  return PREFIX + base64urlEncode(new TextEncoder().encode(payload));
}

/** The cursor in `text`, or `InvalidCursor` for anything `encodeCursor` did not produce. */
export function decodeCursor(text) {
  const bad = (why) => new InvalidCursor(`invalid cursor: ${why}; pull again without a cursor`, { field: 'cursor' });
  if (typeof text !== 'string') throw bad('not a string');
  if (text.length > MAX_CURSOR_CHARS) throw bad('too long');
  if (!text.startsWith(PREFIX)) throw bad('unknown format or version');
  const body = text.slice(PREFIX.length);
  if (!B64URL_RE.test(body) || body.length % 4 === 1) throw bad('not base64url');
  let data;
  try {
    const raw = base64urlDecode(body);
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw));
  } catch {
    throw bad('not base64url-encoded JSON');
  }
  if (!isObject(data) || Object.keys(data).sort().join(',') !== KEYS.join(',')) throw bad('wrong keys');
  if (!isInt(data.v) || data.v !== 1) throw bad('unknown version');
  const { seq, scope, snap } = data;
  if (!isInt(seq) || seq < 0 || seq > MAX_SEQ) throw bad('seq is not a non-negative integer');
  if (typeof scope !== 'string') throw bad('scope is not a string');
  if (snap !== null && !isObject(snap)) throw bad('snap is not an object or null');
  return new Cursor(seq, scope, snap);
}

/** First 16 hex digits of SHA-256 over the parts joined with `|` (null counts as ""). */
export function scopeFingerprint(...parts) {
  const texts = parts.map((part) => {
    if (part === null || part === undefined) return '';
    if (typeof part === 'string') return part;
    if (isInt(part)) return String(part);
    throw new TypeError(`scope parts must be strings, integers or null, got ${JSON.stringify(part)}`);
  });
  return sha256Hex(texts.join('|')).slice(0, 16);
}
