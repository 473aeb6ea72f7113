// The sync protocol's pure rules, ported from sync_protocol/ (same names, camelCase).
export { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js';
export { SyncError, EnvelopeError, UnsupportedVersion, InvalidHLC, ClockDrift, InvalidCursor } from './errors.js';
export { HLC, MAX_COUNTER, MAX_WALL_MS, Clock, tick, receive, checkDrift, compare } from './hlc.js';
export {
  TOMBSTONE,
  canonicalJson,
  compareCodePoints,
  merge,
  applyPatch,
  isDeleted,
  values,
  stateFromValues,
} from './merge.js';
export {
  MAX_MUTATIONS,
  MAX_ARGS_BYTES,
  MAX_MUTATION_ID,
  DEFAULT_PULL_LIMIT,
  MAX_PULL_LIMIT,
  checkVersion,
  parsePush,
  buildPush,
  parsePullArgs,
} from './envelope.js';
export { Cursor, encodeCursor, decodeCursor, scopeFingerprint } from './cursor.js';
export { sha256Hex } from './sha256.js';
