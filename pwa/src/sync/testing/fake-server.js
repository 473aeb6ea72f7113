// An in-memory stand-in for the server's sync endpoints, for the engine's unit tests only (the
// real server is exercised end to end elsewhere). It follows SPEC.md Part I closely enough to
// test a client: push validates the envelope, refuses gaps (409 mutation_gap), answers
// duplicate / applied / rejected per mutation and commits `last_mutation_id`; pull sends a
// paginated snapshot, then changes since a cursor, with `last_mutation_id` of the client.
import { ApiError } from '../../api.js';
import { MUTATIONS } from '../../db/mutations.js';
import { parsePush } from '../../protocol/envelope.js';
import { SyncError } from '../../protocol/errors.js';

// Names are the app's mutation registry's (db/mutations.js): a name it lacks is the server's
// `unknown_mutation`. A registry entry that `creates` a record is stored as its `entity` under
// `args.id` as sent; the others need a server effect below (what the real server does, simply).
const SERVER_EFFECTS = {
  'visit.check_out': (s, a) => {
    const v = s.get('visit', a.visit_id);
    s.put('visit', a.visit_id, { ...(v?.data ?? {}), checked_out_at: a.checked_out_at });
  },
  'store.update': (s, a, m) => {
    const st = s.get('store', a.store_id);
    s.put('store', a.store_id, { ...(st?.data ?? { id: a.store_id }), ...a.fields }, clockOf(st, a.fields, m.hlc));
  },
  'contact.upsert': (s, a, m) => {
    const c = s.get('contact', a.id);
    s.put(
      'contact',
      a.id,
      { ...(c?.data ?? { id: a.id, store_id: a.store_id }), ...a.fields },
      clockOf(c, a.fields, m.hlc),
    );
  },
  'contact.delete': (s, a) => s.del('contact', a.id),
  'warranty.correct': (s, a) => {
    const c = s.get('warranty_card', a.id);
    s.put('warranty_card', a.id, { ...(c?.data ?? { id: a.id }), ...a.fields, revision: (c?.data?.revision ?? 1) + 1 });
  },
  'plan.save': (s, a) => {
    // One plan per (rep, day), keeping the id of the first save; "optimise" sorts by store id.
    const repId = a.rep_id ?? s.repId;
    const old = [...s.entities.values()].find(
      (e) => e.entity === 'visit_plan' && e.data.rep_id === repId && e.data.day === a.day,
    );
    const id = old ? old.id : a.id;
    s.put('visit_plan', id, {
      id,
      rep_id: repId,
      day: a.day,
      store_ids: a.optimise === false ? [...a.store_ids] : [...a.store_ids].sort((x, y) => x - y),
      picked_store_ids: [...a.store_ids],
      note: a.note ?? '',
      updated_at: new Date(1_718_000_000_000 + s.seq).toISOString(),
    });
  },
  'task.complete': (s, a) => {
    // Done once: another completion of a done task changes nothing (the real server refuses it).
    const t = s.get('task', a.task_id);
    if (t?.data?.status === 'done') return;
    s.put('task', a.task_id, {
      ...(t?.data ?? { id: a.task_id }),
      status: 'done',
      done_at: a.done_at,
      done_by: s.repId,
      done_visit_id: a.visit_id ?? null,
      done_note: a.note ?? '',
      photo_ids: [...(a.photo_ids ?? [])],
    });
  },
};

/** An editable record's field clock after an edit of `fields` at `hlc`. */
function clockOf(record, fields, hlc) {
  const clock = { ...(record?.clock ?? {}) };
  for (const f of Object.keys(fields)) clock[f] = hlc;
  return clock;
}

/** How this server applies mutation `name`: its effect, or the registry's plain create. */
function effectOf(name) {
  if (SERVER_EFFECTS[name]) return SERVER_EFFECTS[name];
  const { entity, creates } = MUTATIONS[name];
  if (creates) return (s, a) => s.put(entity, a.id, { ...a });
  throw new Error(`fake server: no effect for mutation ${name}; add one to SERVER_EFFECTS`);
}

export function apiError(status, code, extra = {}) {
  return new ApiError({ status, code, message: extra.message ?? code, ...extra });
}

export function createFakeServer({ serverHlc = '001718000000000:00000:server' } = {}) {
  const s = {
    last: new Map(), // client id → last applied mutation id
    applied: [], // every mutation applied, in order
    pushes: [], // every push body received (also those that failed)
    pulls: [], // every pull's arguments
    entities: new Map(), // 'entity:id' → {entity, id, data, clock, removed?}
    log: [], // change log: {seq, entity, id}
    seq: 0,
    /** (mutation) → error object to reject it with, or null. */
    reject: () => null,
    /** Errors to throw from the next push / pull calls (an entry 'apply-then-drop' applies the push, then fails). */
    failPush: [],
    failPull: [],
    /** Snapshot page size cap (the client's limit applies too). */
    pageSize: Infinity,
    uploads: [],
    /** The rep whose phone pushes (plan.save without rep_id). */
    repId: 7,
  };

  const key = (entity, id) => `${entity}:${id}`;

  /** Put a record into the server's state (and its change log). */
  s.put = (entity, id, data, clock = undefined) => {
    s.entities.set(key(entity, id), { entity, id: String(id), data, clock });
    s.log.push({ seq: ++s.seq, entity, id: String(id) });
  };
  /** Delete (tombstone) a record. */
  s.del = (entity, id) => {
    s.entities.delete(key(entity, id));
    s.log.push({ seq: ++s.seq, entity, id: String(id) });
  };
  /** A record leaves the caller's scope. */
  s.remove = (entity, id) => {
    const e = s.entities.get(key(entity, id));
    if (e) e.removed = true;
    s.log.push({ seq: ++s.seq, entity, id: String(id) });
  };

  /** A record of the server's state (undefined if none). */
  s.get = (entity, id) => s.entities.get(key(entity, id));

  function apply(m) {
    if (!Object.hasOwn(MUTATIONS, m.name)) {
      return { status: 'rejected', error: { code: 'unknown_mutation', message: `Unknown mutation '${m.name}'` } };
    }
    effectOf(m.name)(s, m.args, m);
    s.applied.push({ id: m.id, name: m.name, args: m.args });
    return { status: 'applied' };
  }

  async function push(body) {
    s.pushes.push(structuredClone(body));
    let after = null;
    if (s.failPush.length) {
      const f = s.failPush.shift();
      if (f === 'apply-then-drop') after = apiError(0, 'network', { message: 'connection reset' });
      else if (f) throw f;
    }
    let req;
    try {
      req = parsePush(body);
    } catch (e) {
      if (e instanceof SyncError) throw apiError(400, e.code, { field: e.field, details: e.details });
      throw e;
    }
    let last = s.last.get(req.clientId) ?? 0;
    if (req.mutations.length && req.mutations[0].id > last + 1) {
      throw apiError(409, 'mutation_gap', { details: { expected_id: last + 1, got_id: req.mutations[0].id } });
    }
    const results = [];
    for (const m of req.mutations) {
      if (m.id <= last) {
        results.push({ id: m.id, status: 'duplicate' });
        continue;
      }
      const refusal = s.reject(m);
      if (refusal) results.push({ id: m.id, status: 'rejected', error: refusal });
      else {
        const r = apply({ ...m, hlc: m.hlc.encode() });
        results.push({ id: m.id, ...r });
      }
      last = m.id;
    }
    s.last.set(req.clientId, last);
    if (after) throw after;
    return { protocol_version: 1, last_mutation_id: last, results, server_hlc: serverHlc };
  }

  function itemOf(e) {
    if (!e) return null;
    if (e.removed) return { entity: e.entity, id: e.id, op: 'remove' };
    const item = { entity: e.entity, id: e.id, op: 'put', data: structuredClone(e.data) };
    if (e.clock) item.clock = { ...e.clock };
    return item;
  }

  async function pull({ cursor = null, limit = 500, clientId = null } = {}) {
    s.pulls.push({ cursor, limit, clientId });
    if (s.failPull.length) {
      const f = s.failPull.shift();
      if (typeof f === 'function') return f({ cursor, limit, clientId });
      if (f) throw f;
    }
    const size = Math.min(limit, s.pageSize);
    const lastMutationId = s.last.get(clientId) ?? 0;
    const base = { protocol_version: 1, reset: false, last_mutation_id: lastMutationId, server_hlc: serverHlc };
    let c = cursor ? JSON.parse(cursor) : null;
    if (c === null) c = { seq: s.seq, snap: 0 };
    if (c.snap !== null && c.snap !== undefined) {
      const all = [...s.entities.values()].filter((e) => !e.removed);
      const page = all.slice(c.snap, c.snap + size).map(itemOf);
      const done = c.snap + size >= all.length;
      const next = done ? { seq: c.seq, snap: null } : { seq: c.seq, snap: c.snap + size };
      const more = done ? s.log.some((l) => l.seq > c.seq) : true;
      return { ...base, snapshot: true, changes: page, cursor: JSON.stringify(next), has_more: more };
    }
    const rows = s.log.filter((l) => l.seq > c.seq).slice(0, size + 1);
    const hasMore = rows.length > size;
    const page = rows.slice(0, size);
    const latest = new Map();
    for (const l of page) latest.set(key(l.entity, l.id), l.seq);
    const changes = [...latest.entries()]
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => {
        const e = s.entities.get(k);
        if (e) return itemOf(e);
        const at = k.indexOf(':');
        return { entity: k.slice(0, at), id: k.slice(at + 1), op: 'delete' };
      });
    const lastSeq = page.length ? page[page.length - 1].seq : c.seq;
    return {
      ...base,
      snapshot: false,
      changes,
      cursor: JSON.stringify({ seq: lastSeq, snap: null }),
      has_more: hasMore,
    };
  }

  async function uploadPhoto(photo, onProgress) {
    s.uploads.push(photo.id);
    onProgress?.(photo.size, photo.size);
    return { id: photo.id, sha256: photo.sha256, size_bytes: photo.size, status: 'received' };
  }

  s.api = { push, pull, uploadPhoto };
  return s;
}

/** A manual clock and timer queue: `timers` lists pending `{fn, ms, id}`; `fire(t)` runs one. */
export function createFakeTimers(start = 1_718_000_000_000) {
  const t = {
    now: start,
    timers: [],
    nextId: 1,
    delays: [],
  };
  t.setTimeout = (fn, ms) => {
    const id = t.nextId++;
    t.timers.push({ fn, ms, id, at: t.now + ms });
    t.delays.push(ms);
    return id;
  };
  t.clearTimeout = (id) => {
    t.timers = t.timers.filter((x) => x.id !== id);
  };
  /** Advance to the earliest timer (optionally only those with delay `ms`) and run it. */
  t.fire = (predicate = () => true) => {
    const candidates = t.timers.filter(predicate).sort((a, b) => a.at - b.at);
    const next = candidates[0];
    if (!next) throw new Error('no timer to fire');
    t.timers = t.timers.filter((x) => x !== next);
    t.now = Math.max(t.now, next.at);
    next.fn();
    return next;
  };
  return t;
}
