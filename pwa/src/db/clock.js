// The device's hybrid logical clock, persisted in `meta.lastHlc` so that a restart (or another
// tab) never issues a timestamp already used. Its node is the client id (`meta.clientId`).
import { HLC, receive, tick } from '../protocol/hlc.js';
import { getMeta, randomUUID, setMeta } from './index.js';

/** The client id, created on first use. Call inside a transaction that includes `meta`. */
export async function clientIdIn(db, makeId = randomUUID) {
  let id = await getMeta(db, 'clientId');
  if (!id) {
    id = makeId();
    await setMeta(db, 'clientId', id);
    if ((await getMeta(db, 'nextMutationId')) === undefined) await setMeta(db, 'nextMutationId', 1);
  }
  return id;
}

function lastOf(text) {
  try {
    return text ? HLC.parse(text) : null;
  } catch {
    return null;
  }
}

/** The next HLC (encoded) for a local event. Call inside a transaction that includes `meta`. */
export async function nextHlcIn(db, wallMs, makeId = randomUUID) {
  const node = await clientIdIn(db, makeId);
  const next = tick(lastOf(await getMeta(db, 'lastHlc')), wallMs, node);
  await setMeta(db, 'lastHlc', next.encode());
  return next.encode();
}

/** Account for a remote HLC (e.g. a response's `server_hlc`). Call inside a transaction with `meta`. */
export async function receiveHlcIn(db, remoteText, wallMs, makeId = randomUUID) {
  let remote;
  try {
    remote = HLC.parse(remoteText);
  } catch {
    return null; // a server that sends no (or a bad) HLC must not stop the sync
  }
  const node = await clientIdIn(db, makeId);
  const next = receive(lastOf(await getMeta(db, 'lastHlc')), remote, wallMs, node);
  await setMeta(db, 'lastHlc', next.encode());
  return next.encode();
}

/**
 * A clock object over the database: `tick()` and `receive(remoteHlc)` each run in their own
 * transaction (or join the caller's) and resolve to the new encoded HLC.
 */
export function createPersistentClock(db, { now = () => Date.now() } = {}) {
  return {
    tick: () => db.transaction('rw', db.meta, async () => nextHlcIn(db, now())),
    receive: (remote) => db.transaction('rw', db.meta, async () => receiveHlcIn(db, remote, now())),
  };
}
