// Hybrid logical clocks (port of sync_protocol/hlc.py; SPEC.md Part II §2).
//
// Every write carries an HLC `(wallMs, counter, node)`. Its text form is fixed-width ASCII, so
// comparing encoded HLCs as strings compares the clocks.
import { ClockDrift, InvalidHLC } from './errors.js';

/** Largest counter (5 digits). Beyond it the clock borrows a millisecond from the future. */
export const MAX_COUNTER = 99_999;
/** Largest wall time (15 digits): keeps the text fixed-width and below 2**53. */
export const MAX_WALL_MS = 10 ** 15 - 1;

export const NODE_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const WALL_RE = /^[0-9]{15}$/;
const COUNTER_RE = /^[0-9]{5}$/;

const isInt = (v) => typeof v === 'number' && Number.isInteger(v);

/** One timestamp, validated on construction (so every HLC that exists can be encoded). */
export class HLC {
  constructor(wallMs, counter, node) {
    if (!isInt(wallMs) || wallMs < 0 || wallMs > MAX_WALL_MS) {
      throw new InvalidHLC(`wall_ms must be an integer from 0 to ${MAX_WALL_MS}, got ${String(wallMs)}`);
    }
    if (!isInt(counter) || counter < 0 || counter > MAX_COUNTER) {
      throw new InvalidHLC(`counter must be an integer from 0 to ${MAX_COUNTER}, got ${String(counter)}`);
    }
    if (typeof node !== 'string' || !NODE_RE.test(node)) {
      throw new InvalidHLC(`node must be 1-64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(node)}`);
    }
    this.wallMs = wallMs;
    this.counter = counter;
    this.node = node;
    Object.freeze(this);
  }

  /** `"001718000000000:00042:phone-7"`: zero-padded, so string order is HLC order. */
  encode() {
    return `${String(this.wallMs).padStart(15, '0')}:${String(this.counter).padStart(5, '0')}:${this.node}`;
  }

  toString() {
    return this.encode();
  }

  toJSON() {
    return this.encode();
  }

  /** -1, 0 or 1: by wallMs, then counter, then node (ASCII, so plain string order is code point order). */
  compare(other) {
    return compare(this, other);
  }

  equals(other) {
    return compare(this, other) === 0;
  }

  /** The strict inverse of `encode`: exactly one spelling per HLC, or `InvalidHLC`. */
  static parse(text) {
    if (typeof text !== 'string') {
      throw new InvalidHLC(`an HLC must be a string, got ${text === null ? 'null' : typeof text}`);
    }
    const parts = text.split(':');
    if (parts.length !== 3) throw new InvalidHLC("an HLC must have three ':'-separated parts: wall_ms:counter:node");
    const [wall, counter, node] = parts;
    if (!WALL_RE.test(wall)) throw new InvalidHLC('the wall time of an HLC must be exactly 15 digits');
    if (!COUNTER_RE.test(counter)) throw new InvalidHLC('the counter of an HLC must be exactly 5 digits');
    if (!NODE_RE.test(node)) throw new InvalidHLC('the node of an HLC must be 1-64 characters of A-Z a-z 0-9 _ . -');
    return new HLC(Number(wall), Number(counter), node);
  }
}

/** Compare two HLCs (objects or encoded strings): -1, 0 or 1. */
export function compare(a, b) {
  const x = typeof a === 'string' ? HLC.parse(a) : a;
  const y = typeof b === 'string' ? HLC.parse(b) : b;
  if (x.wallMs !== y.wallMs) return x.wallMs < y.wallMs ? -1 : 1;
  if (x.counter !== y.counter) return x.counter < y.counter ? -1 : 1;
  if (x.node !== y.node) return x.node < y.node ? -1 : 1;
  return 0;
}

function make(wallMs, counter, node) {
  if (counter > MAX_COUNTER) return new HLC(wallMs + 1, 0, node);
  return new HLC(wallMs, counter, node);
}

/** The timestamp for a local event; strictly greater than `last` (null at first start). */
export function tick(last, wallMs, node) {
  if (last === null || last === undefined) return new HLC(wallMs, 0, node);
  const wall = Math.max(last.wallMs, wallMs);
  const counter = wall === last.wallMs ? last.counter + 1 : 0;
  return make(wall, counter, node);
}

/** The timestamp after receiving `remote`; strictly greater than both `last` and `remote`. */
export function receive(last, remote, wallMs, node) {
  const hasLast = last !== null && last !== undefined;
  const wall = hasLast ? Math.max(last.wallMs, remote.wallMs, wallMs) : Math.max(remote.wallMs, wallMs);
  const fromLast = hasLast && wall === last.wallMs;
  const fromRemote = wall === remote.wallMs;
  let counter;
  if (fromLast && fromRemote) counter = Math.max(last.counter, remote.counter) + 1;
  else if (fromLast) counter = last.counter + 1;
  else if (fromRemote) counter = remote.counter + 1;
  else counter = 0;
  return make(wall, counter, node);
}

/** Refuse a timestamp more than `maxAheadMs` ahead of the physical clock `wallMs` (ClockDrift). */
export function checkDrift(hlc, wallMs, maxAheadMs, { field = null } = {}) {
  const ahead = hlc.wallMs - wallMs;
  if (ahead > maxAheadMs) throw new ClockDrift(ahead, maxAheadMs, { field });
}

/**
 * A node's clock: remembers the last timestamp and issues the next ones. `nowMs` is injectable;
 * `last` may be restored from storage so that a restart never issues a timestamp already used.
 */
export class Clock {
  constructor(node, nowMs = () => Date.now(), { last = null } = {}) {
    if (typeof node !== 'string' || !NODE_RE.test(node)) {
      throw new InvalidHLC(`node must be 1-64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(node)}`);
    }
    this.node = node;
    this._nowMs = nowMs;
    this._last = typeof last === 'string' ? HLC.parse(last) : last;
  }

  /** The last timestamp issued or received, null before the first. */
  get last() {
    return this._last;
  }

  /** A fresh timestamp for a local event. */
  now() {
    this._last = tick(this._last, this._nowMs(), this.node);
    return this._last;
  }

  /** Account for a timestamp received from elsewhere; returns the new (greater) timestamp. */
  update(remote) {
    const r = typeof remote === 'string' ? HLC.parse(remote) : remote;
    this._last = receive(this._last, r, this._nowMs(), this.node);
    return this._last;
  }
}
