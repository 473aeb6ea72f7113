// Push and pull messages (port of sync_protocol/envelope.py; SPEC.md Part II §4).
//
// `parsePush` validates an untrusted push body in the order of §4.2 and reports the first failure
// as an `EnvelopeError` whose `field` is a path (`"mutations[3].hlc"`). `buildPush` makes the body a
// client sends and checks it with the same rules, so a client bug shows up before the server says so.
import { decodeCursor } from './cursor.js';
import { EnvelopeError, InvalidHLC, UnsupportedVersion } from './errors.js';
import { HLC } from './hlc.js';
import { canonicalJson, compareCodePoints } from './merge.js';
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js';

export const MAX_MUTATIONS = 10_000;
export const MAX_ARGS_BYTES = 64 * 1024;
export const MAX_MUTATION_ID = 2 ** 53 - 1;
export const DEFAULT_PULL_LIMIT = 500;
export const MAX_PULL_LIMIT = 5000;
export const CLIENT_ID_RE = /^[A-Za-z0-9_.-]{8,64}$/;
export const MUTATION_NAME_RE = /^[a-z][a-z_]*\.[a-z][a-z_]*$/;
export const MAX_NAME_CHARS = 64;
export const MAX_APP_VERSION_CHARS = 32;
/** Control characters and unpaired surrogates (with the u flag a valid pair is one code point). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its job
const UNPRINTABLE_RE = /[\u0000-\u001f\u007f]|\p{Cs}/u;
const PUSH_KEYS = ['client_id', 'protocol_version', 'app_version', 'mutations'];
const MUTATION_KEYS = ['id', 'name', 'args', 'hlc'];
const LIMIT_RE = /^[0-9]{1,10}$/;

const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o, k) => Object.hasOwn(o, k);
const utf8Length = (s) => new TextEncoder().encode(s).length;

/** `v` if supported; `EnvelopeError` if not an integer, `UnsupportedVersion` if another version. */
export function checkVersion(v) {
  if (!isInt(v)) throw new EnvelopeError('protocol_version must be an integer', { field: 'protocol_version' });
  if (!SUPPORTED_VERSIONS.includes(v)) {
    throw new UnsupportedVersion(
      `protocol version ${v} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')}); update the app`,
    );
  }
  return v;
}

function rejectUnknownKeys(obj, known, prefix) {
  const unknown = Object.keys(obj)
    .filter((k) => !known.includes(k))
    .sort(compareCodePoints);
  if (unknown.length) throw new EnvelopeError(`unknown key '${unknown[0]}'`, { field: prefix + unknown[0] });
}

function parseMutation(raw, path, clientId, previousId) {
  if (!isObject(raw)) throw new EnvelopeError('a mutation must be a JSON object', { field: path });
  rejectUnknownKeys(raw, MUTATION_KEYS, `${path}.`);

  const id = raw.id;
  if (!isInt(id) || id < 1 || id > MAX_MUTATION_ID) {
    throw new EnvelopeError(`id must be an integer from 1 to ${MAX_MUTATION_ID}`, { field: `${path}.id` });
  }
  if (previousId !== null && id !== previousId + 1) {
    throw new EnvelopeError(`mutation ids must be consecutive: expected ${previousId + 1}, got ${id}`, {
      field: `${path}.id`,
    });
  }

  const name = raw.name;
  if (typeof name !== 'string' || name.length > MAX_NAME_CHARS || !MUTATION_NAME_RE.test(name)) {
    throw new EnvelopeError(
      `name must look like 'entity.action' (lower-case letters and '_', at most ${MAX_NAME_CHARS})`,
      { field: `${path}.name` },
    );
  }

  const args = raw.args;
  if (!isObject(args)) throw new EnvelopeError('args must be a JSON object', { field: `${path}.args` });
  let size;
  try {
    size = utf8Length(canonicalJson(args));
  } catch {
    throw new EnvelopeError('args must be plain JSON (no NaN or Infinity)', { field: `${path}.args` });
  }
  if (size > MAX_ARGS_BYTES) {
    throw new EnvelopeError(`args are ${size} bytes, more than ${MAX_ARGS_BYTES}`, { field: `${path}.args` });
  }

  let hlc;
  try {
    hlc = HLC.parse(own(raw, 'hlc') ? raw.hlc : null);
  } catch (exc) {
    if (exc instanceof InvalidHLC) throw new EnvelopeError(exc.message, { field: `${path}.hlc` });
    throw exc;
  }
  if (hlc.node !== clientId)
    throw new EnvelopeError('the node of the hlc must be the client_id', { field: `${path}.hlc` });
  return { id, name, args, hlc };
}

/**
 * Validate a push body (SPEC.md §4.1, §4.2). Returns `{clientId, protocolVersion, appVersion,
 * mutations: [{id, name, args, hlc: HLC}]}` or throws the first `EnvelopeError` / `UnsupportedVersion`.
 */
export function parsePush(body) {
  if (!isObject(body)) throw new EnvelopeError('the push body must be a JSON object');
  if (!own(body, 'protocol_version'))
    throw new EnvelopeError('protocol_version is required', { field: 'protocol_version' });
  const protocolVersion = checkVersion(body.protocol_version);

  rejectUnknownKeys(body, PUSH_KEYS, '');

  const clientId = body.client_id;
  if (typeof clientId !== 'string' || !CLIENT_ID_RE.test(clientId)) {
    throw new EnvelopeError('client_id must be 8-64 characters of A-Z a-z 0-9 _ . -', { field: 'client_id' });
  }

  const appVersion = body.app_version;
  const appChars = typeof appVersion === 'string' ? [...appVersion].length : 0;
  if (
    typeof appVersion !== 'string' ||
    appChars < 1 ||
    appChars > MAX_APP_VERSION_CHARS ||
    UNPRINTABLE_RE.test(appVersion)
  ) {
    throw new EnvelopeError(`app_version must be a string of 1-${MAX_APP_VERSION_CHARS} printable characters`, {
      field: 'app_version',
    });
  }

  const rawMutations = body.mutations;
  if (!Array.isArray(rawMutations)) throw new EnvelopeError('mutations must be a list', { field: 'mutations' });
  if (rawMutations.length > MAX_MUTATIONS) {
    throw new EnvelopeError(`at most ${MAX_MUTATIONS} mutations per push`, { field: 'mutations' });
  }

  const mutations = [];
  rawMutations.forEach((raw, i) => {
    const previousId = mutations.length ? mutations[mutations.length - 1].id : null;
    mutations.push(parseMutation(raw, `mutations[${i}]`, clientId, previousId));
  });
  return { clientId, protocolVersion, appVersion, mutations };
}

/**
 * The body of a push: `{client_id, protocol_version, app_version, mutations: [{id, name, args, hlc}]}`
 * (HLCs encoded). Validated by `parsePush`, so an invalid message throws here, not at the server.
 */
export function buildPush({ clientId, appVersion, mutations }) {
  const body = {
    client_id: clientId,
    protocol_version: PROTOCOL_VERSION,
    app_version: appVersion,
    mutations: mutations.map((m) => ({
      id: m.id,
      name: m.name,
      args: m.args,
      hlc: typeof m.hlc === 'string' ? m.hlc : m.hlc.encode(),
    })),
  };
  parsePush(body);
  return body;
}

/**
 * The decoded cursor (null: pull from the beginning) and page size of a pull: `{cursor, limit}`.
 * Empty strings count as absent; `limit` may be a string of 1-10 ASCII digits.
 */
export function parsePullArgs(cursor, limit = null) {
  const decoded = cursor === null || cursor === undefined || cursor === '' ? null : decodeCursor(cursor);
  if (limit === null || limit === undefined || limit === '') return { cursor: decoded, limit: DEFAULT_PULL_LIMIT };
  let n = limit;
  if (typeof n === 'string' && LIMIT_RE.test(n)) n = Number(n);
  if (!isInt(n) || n < 1 || n > MAX_PULL_LIMIT) {
    throw new EnvelopeError(`limit must be an integer from 1 to ${MAX_PULL_LIMIT}`, { field: 'limit' });
  }
  return { cursor: decoded, limit: n };
}
