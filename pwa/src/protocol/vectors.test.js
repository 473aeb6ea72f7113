// Runs every case of the language-neutral vectors in ../sync_protocol/vectors/*.json through the
// JavaScript port, with the op names of sync_protocol/vectors.py, comparing canonical JSON.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Cursor,
  HLC,
  SyncError,
  applyPatch,
  canonicalJson,
  checkDrift,
  checkVersion,
  compare,
  decodeCursor,
  encodeCursor,
  isDeleted,
  merge,
  parsePullArgs,
  parsePush,
  receive,
  scopeFingerprint,
  stateFromValues,
  tick,
  values,
} from './index.js';

const VECTOR_DIR = new URL('../../../sync_protocol/vectors/', import.meta.url);

const hlcOrNull = (text) => (text === null || text === undefined ? null : HLC.parse(text));
const hlcJson = (h) => ({ wall_ms: h.wallMs, counter: h.counter, node: h.node });
const cursorJson = (c) => (c === null ? null : { seq: c.seq, scope: c.scope, snapshot: c.snapshot });

const OPS = {
  // hlc.json
  'HLC.encode': (i) => new HLC(i.wall_ms, i.counter, i.node).encode(),
  'HLC.parse': (i) => hlcJson(HLC.parse(i.text)),
  compare: (i) => compare(HLC.parse(i.a), HLC.parse(i.b)),
  tick: (i) => tick(hlcOrNull(i.last), i.wall_ms, i.node).encode(),
  receive: (i) => receive(hlcOrNull(i.last), HLC.parse(i.remote), i.wall_ms, i.node).encode(),
  check_drift: (i) => {
    checkDrift(HLC.parse(i.hlc), i.wall_ms, i.max_ahead_ms);
    return null;
  },
  // merge.json
  merge: (i) => merge(i.a, i.b),
  apply_patch: (i) => applyPatch(i.state, i.patch, i.hlc, i.by, i.base ?? null),
  is_deleted: (i) => isDeleted(i.state),
  values: (i) => values(i.state),
  state_from_values: (i) => stateFromValues(i.values, i.hlc, i.by),
  // envelope.json
  parse_push: (i) => {
    const req = parsePush(i.body);
    return {
      client_id: req.clientId,
      protocol_version: req.protocolVersion,
      app_version: req.appVersion,
      mutations: req.mutations.map((m) => ({ id: m.id, name: m.name, args: m.args, hlc: m.hlc.encode() })),
    };
  },
  check_version: (i) => checkVersion(i.version),
  parse_pull_args: (i) => {
    const { cursor, limit } = parsePullArgs(i.cursor ?? null, i.limit ?? null);
    return { cursor: cursorJson(cursor), limit };
  },
  // cursor.json
  encode_cursor: (i) => encodeCursor(new Cursor(i.seq, i.scope, i.snapshot ?? null)),
  decode_cursor: (i) => cursorJson(decodeCursor(i.text)),
  scope_fingerprint: (i) => scopeFingerprint(...i.parts),
};

const files = readdirSync(VECTOR_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const suites = files.map((f) => [f, JSON.parse(readFileSync(new URL(f, VECTOR_DIR), 'utf8'))]);
const total = suites.reduce((n, [, s]) => n + s.cases.length, 0);

function runCase(c) {
  expect('expected' in c !== 'error' in c, 'a case needs exactly one of expected and error').toBe(true);
  const op = OPS[c.op];
  expect(op, `unknown op ${c.op}`).toBeTypeOf('function');
  if ('error' in c) {
    let result;
    let error = null;
    try {
      result = op(c.input);
    } catch (exc) {
      error = exc;
    }
    expect(error, `expected error ${c.error}, got result ${JSON.stringify(result)}`).not.toBeNull();
    expect(error).toBeInstanceOf(SyncError);
    expect(error.code).toBe(c.error);
    if ('error_field' in c) expect(error.field).toBe(c.error_field);
    if ('error_details' in c) expect(canonicalJson(error.details)).toBe(canonicalJson(c.error_details));
    return;
  }
  expect(canonicalJson(op(c.input))).toBe(canonicalJson(c.expected));
}

describe('sync_protocol vectors', () => {
  it('finds the vector files (hlc, merge, envelope, cursor) and all their cases', () => {
    expect(files).toEqual(['cursor.json', 'envelope.json', 'hlc.json', 'merge.json']);
    expect(total).toBe(226);
  });

  for (const [file, suite] of suites) {
    describe(file, () => {
      for (const c of suite.cases) {
        it(`${c.op}: ${c.name}`, () => runCase(c));
      }
    });
  }
});
