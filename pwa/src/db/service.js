// The clerk's 三包 service events at the counter (issue 17): a return (退货), an exchange (换货) or a
// repair referral (维修) of one of the store's warranty cards — checked on the phone as the server
// checks them (the card still live, its window still open on today's date, a known fault code, the
// replacement unit's IMEI like a registration's), then queued as `warranty.return` /
// `warranty.exchange` / `warranty.repair` with a new event id (SPEC.md §I.3.1). The local effect of
// each (the card closed at once, the new card of an exchange) is db/serviceLocal.js's.
//
// Also what the screens read: the fault codes (sync entity `fault_code`), what a card allows today,
// its events with their sync state (refused ones included, with the server's reason), and the
// repair points (GET /repair-points while online, kept in `meta.repairPoints` for offline use).
import { db as defaultDb, getMeta, randomUUID, setMeta } from './index.js';
import { createActions } from './actions.js';
import { given, putGiven } from './mutations.js';
import { outboxRows } from './replica.js';
import { faultCodeIn } from './serviceLocal.js';
import { serviceRefusal, standing, termsOf } from '../warranty/rules.js';
import { businessToday } from '../warranty/zone.js';
import { CardError, cardProblems, cleanField } from '../warranty/card.js';

export const SERVICE_KINDS = ['return', 'exchange', 'repair'];
export const SERVICE_MUTATIONS = {
  return: 'warranty.return',
  exchange: 'warranty.exchange',
  repair: 'warranty.repair',
};
const KIND_OF = Object.fromEntries(Object.entries(SERVICE_MUTATIONS).map(([k, v]) => [v, k]));
/** The longest note the server keeps. */
export const NOTE_MAX = 300;

/**
 * A service event refused on the phone for what the server would refuse after the push: `reason`
 * is the server's code (`service.return_expired`, …) with its `params`, said in the UI language by
 * i18n reasonText (`err.<reason>`). Nothing is queued.
 */
export class ServiceError extends TypeError {
  constructor(reason, params = {}) {
    super(`${reason} ${JSON.stringify(params)}`);
    this.name = 'ServiceError';
    this.reason = reason;
    this.params = params;
  }
}

const isoOf = (ms) => new Date(ms).toISOString();
const ms = (iso) => {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? -Infinity : t;
};

// --- reads ----------------------------------------------------------------------------------------

/**
 * The fault codes a clerk picks from for an event of `kind`: the active ones, by position (then
 * code). The "no fault" code (`is_fault: false`) only for a return: the server refuses it for an
 * exchange or a repair, and for a return where the company's policy does not allow it.
 */
export async function faultCodesIn(db, kind = 'return') {
  const rows = await db.entities.where('entity').equals('fault_code').toArray();
  return rows
    .filter((r) => !r.deleted && r.data && r.data.active !== false)
    .map((r) => r.data)
    .filter((f) => kind === 'return' || f.is_fault !== false)
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || String(a.code).localeCompare(String(b.code)));
}

/** Outbox entries of service events by the cards they are about (`args.card_id`, and an exchange's
 * new card `args.new_card.id`), oldest first: a card waits for them, or shows their refusal. */
export async function serviceOutboxByCard(db) {
  const map = new Map();
  const add = (key, r) => {
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(r);
  };
  for (const r of await outboxRows(db)) {
    if (!KIND_OF[r.name]) continue;
    add(String(r.args?.card_id), r);
    if (r.args?.new_card?.id) add(String(r.args.new_card.id), r);
  }
  return map;
}

/**
 * What `card` (as queries.card gives it: with `terms` and `sync`) allows on `today`: for each kind
 * `{allowed, reason, params}`, `reason` the code of the rule that refuses it (the server's
 * `service.*` ones; `unregistered` for a card the server refused to register).
 */
export function cardAllowance(card, today) {
  const out = {};
  for (const kind of SERVICE_KINDS) out[kind] = allowanceOf(card, kind, today);
  return out;
}

function allowanceOf(card, kind, today) {
  if (!card) return { allowed: false, reason: 'unregistered', params: {} };
  if (card.sync?.state === 'refused' && card.sync.name === 'warranty.register')
    return { allowed: false, reason: 'unregistered', params: {} };
  if (card.voided_at) return { allowed: false, reason: 'service.card_voided', params: {} };
  if (card.closed_kind)
    return { allowed: false, reason: 'service.card_closed', params: { closed_kind: card.closed_kind } };
  const terms = termsOf(card.terms);
  if (!terms) return { allowed: false, reason: 'unregistered', params: {} };
  const refusal = serviceRefusal(kind, card.terms, today);
  if (refusal) return { allowed: false, reason: refusal.reason, params: refusal.params };
  const until = { return: terms.returnUntil, exchange: terms.exchangeUntil, repair: terms.repairUntil }[kind];
  return { allowed: true, reason: null, params: { until } };
}

/** Where an event stands with the server (as queries' syncOf, for one event's outbox entries). */
function eventSync(row, entries = []) {
  const refused = entries.filter((e) => e.status === 'rejected');
  if (refused.length) {
    const r = refused[refused.length - 1];
    return { state: 'refused', error: r.error ?? null, mutationId: r.id, name: r.name };
  }
  const waiting = entries.filter((e) => e.status !== 'rejected');
  if (waiting.length || row?.pending)
    return { state: 'pending', error: null, mutationId: waiting.at(-1)?.id ?? row?.mutationId ?? null, name: null };
  return { state: 'synced', error: null, mutationId: null, name: null };
}

/**
 * The service events of card `cardId` on this phone, newest first: those recorded on it, and the
 * exchange that made it (`new_card_id` = this card: `replacing: true`). Each with `sync` and, when
 * known, its `fault` (the fault code record); events the server refused (gone from the records
 * once pulled) are rebuilt from their outbox entry.
 */
export async function serviceEventsIn(db, cardId) {
  const id = String(cardId);
  const [rows, outbox] = await Promise.all([
    db.entities.where('entity').equals('service_event').toArray(),
    outboxRows(db),
  ]);
  const entries = new Map();
  for (const e of outbox) {
    if (!KIND_OF[e.name]) continue;
    const key = String(e.args?.id);
    if (!entries.has(key)) entries.set(key, []);
    entries.get(key).push(e);
  }
  const list = [];
  const seen = new Set();
  for (const row of rows) {
    const ev = row.data;
    if (row.deleted || !ev) continue;
    const mine = String(ev.card_id) === id;
    const replacing = String(ev.new_card_id ?? '') === id;
    if (!mine && !replacing) continue;
    seen.add(String(ev.id));
    list.push({ ...ev, replacing, pending: Boolean(row.pending), sync: eventSync(row, entries.get(String(ev.id))) });
  }
  for (const [eid, es] of entries) {
    if (seen.has(eid)) continue;
    const e = es[0];
    if (String(e.args?.card_id) !== id && String(e.args?.new_card?.id ?? '') !== id) continue;
    const a = e.args || {};
    list.push({
      ...a,
      kind: KIND_OF[e.name],
      new_card_id: a.new_card?.id ?? null,
      replacing: String(a.card_id) !== id,
      pending: false,
      sync: eventSync(null, es),
    });
  }
  const faults = new Map();
  for (const ev of list) {
    if (!faults.has(ev.fault_code)) faults.set(ev.fault_code, await faultCodeIn(db, ev.fault_code));
    ev.fault = faults.get(ev.fault_code);
  }
  return list.sort((a, b) => ms(b.occurred_at) - ms(a.occurred_at) || String(b.id).localeCompare(String(a.id)));
}

// --- repair points (online look-up, kept for offline use) -----------------------------------------

/** The repair points kept on this phone: `{items: [{kind, id, name, address}], fetchedAt}` or null. */
export async function repairPointsIn(db) {
  return (await getMeta(db, 'repairPoints')) ?? null;
}

/**
 * Ask the server for the repair points (`api.request('GET', '/repair-points')`) and keep them.
 * Resolves to what is kept afterwards; offline (or refused) it keeps what it had and rethrows.
 */
export async function refreshRepairPoints(db, api, now = () => Date.now()) {
  const items = await api.request('GET', '/repair-points');
  const kept = {
    items: (Array.isArray(items) ? items : []).map((p) => ({
      kind: p.kind,
      id: p.id,
      name: p.name,
      address: p.address ?? '',
    })),
    fetchedAt: isoOf(now()),
  };
  await setMeta(db, 'repairPoints', kept);
  return kept;
}

/** How long kept repair points are fresh enough not to ask again on the clerk's home screen. */
export const REPAIR_POINTS_MAX_AGE_MS = 12 * 3600 * 1000;

/**
 * Keep the repair points on the phone before they are needed offline: ask the server when none
 * are kept or they are older than REPAIR_POINTS_MAX_AGE_MS (online only; a failure is ignored).
 * Resolves to what is kept.
 */
export async function keepRepairPoints(db, api, now = () => Date.now()) {
  const kept = await repairPointsIn(db);
  const age = kept ? now() - Date.parse(kept.fetchedAt) : Infinity;
  const online = typeof navigator === 'undefined' || navigator.onLine !== false;
  if (!online || age < REPAIR_POINTS_MAX_AGE_MS) return kept;
  try {
    return await refreshRepairPoints(db, api, now);
  } catch {
    return kept;
  }
}

// --- actions --------------------------------------------------------------------------------------

/**
 * The service actions over database `db` (options for tests: `now()` in ms, `uuid()`). Each checks
 * its card and arguments as the server would, throws ServiceError (a rule: `reason`, `params`),
 * CardError (the replacement unit's fields, as in the card form) or TypeError (a programming
 * error), or queues its mutation and resolves to `{eventId, newCardId?}`.
 */
export function createServiceActions({ db = defaultDb, now = () => Date.now(), uuid = randomUUID } = {}) {
  // enqueue, and the registration's check of a live card with the same IMEI on this phone.
  const { enqueue, duplicateProblems } = createActions({ db, now, uuid });

  async function products() {
    return (await db.entities.where('entity').equals('product').toArray()).map((r) => r.data).filter(Boolean);
  }

  /** The card `cardId` as the phone shows it, with what it allows today; throws what refuses `kind`. */
  async function checkedCard(cardId, kind, today) {
    const row = await db.entities.get(['warranty_card', String(cardId)]);
    if (!row || row.deleted || !row.data) throw new TypeError(`no warranty card ${cardId} on this phone`);
    const refused = (await db.outbox.where('status').equals('rejected').toArray()).some(
      (e) => e.name === 'warranty.register' && String(e.args?.id) === String(cardId),
    );
    const card = { ...row.data, sync: refused ? { state: 'refused', name: 'warranty.register' } : null };
    const allowance = allowanceOf(card, kind, today);
    if (!allowance.allowed) {
      if (allowance.reason === 'unregistered') throw new TypeError(`card ${cardId} is not registered`);
      throw new ServiceError(allowance.reason, allowance.params);
    }
    return row.data;
  }

  async function checkedFault(code, kind) {
    if (!given(code)) throw new ServiceError('service.unknown_fault_code', { fault_code: '' });
    const fault = await faultCodeIn(db, String(code));
    if (!fault || fault.active === false) throw new ServiceError('service.unknown_fault_code', { fault_code: code });
    if (fault.is_fault === false && kind !== 'return') throw new ServiceError('service.no_fault_only_return', {});
    return fault;
  }

  function noteArg(note) {
    const text = given(note) ? String(note).trim() : '';
    if (Array.from(text).length > NOTE_MAX) throw new TypeError(`a note is at most ${NOTE_MAX} characters`);
    return text || undefined;
  }

  const labelOf = async (card) => {
    const product = (await products()).find((p) => String(p.id) === String(card.product_id));
    return [product?.model_code || product?.name, card.imei].filter(Boolean).join(' · ');
  };

  /** The common arguments, checked: `{id, card_id, fault_code, note?, occurred_at}` and the card. */
  async function base(kind, { cardId, faultCode, note }) {
    const t = now();
    // The business day of the event, as the server will count it — not the phone's own date.
    const card = await checkedCard(cardId, kind, businessToday(t));
    await checkedFault(faultCode, kind);
    const args = putGiven(
      { id: uuid(), card_id: String(card.id), fault_code: String(faultCode), occurred_at: isoOf(t) },
      { note: noteArg(note) },
    );
    return { args, card };
  }

  /** 退货: the card closes (`returned`). → `{eventId}`. */
  async function recordReturn({ cardId, faultCode, note } = {}) {
    const { args, card } = await base('return', { cardId, faultCode, note });
    await enqueue('warranty.return', args, await labelOf(card));
    return { eventId: args.id };
  }

  /**
   * 换货: the replacement unit (`imei`, `imei2`, `productId` — the old card's model by default, the
   * server decides whether another is allowed — and `serialNumber`) gets a new card that inherits
   * the old one's purchase date and buyer; the old card closes (`exchanged`). → `{eventId, newCardId}`.
   */
  async function recordExchange({ cardId, faultCode, note, imei, imei2, productId, serialNumber } = {}) {
    const { args, card } = await base('exchange', { cardId, faultCode, note });
    const all = await products();
    const pid = given(productId) ? productId : card.product_id;
    const product = all.find((p) => String(p.id) === String(pid)) ?? null;
    const values = { imei, imei2, product_id: pid, serial_number: serialNumber };
    const problems = {
      ...(await duplicateProblems(values)),
      ...cardProblems(values, { product, products: all, only: ['imei', 'imei2', 'product_id', 'serial_number'] }),
    };
    if (Object.keys(problems).length) throw new CardError(problems);
    args.new_card = putGiven(
      {
        id: uuid(),
        imei: cleanField('imei', imei),
        product_id: cleanField('product_id', pid),
        serial_number: cleanField('serial_number', serialNumber),
      },
      { imei2: cleanField('imei2', imei2) },
    );
    await enqueue('warranty.exchange', args, await labelOf(card));
    return { eventId: args.id, newCardId: args.new_card.id };
  }

  /** 维修: the phone goes to `repairPoint` `{kind: 'store' | 'partner', id}`; the card stays live. → `{eventId}`. */
  async function recordRepair({ cardId, faultCode, note, repairPoint } = {}) {
    const { args, card } = await base('repair', { cardId, faultCode, note });
    const id = Number(repairPoint?.id);
    if (!repairPoint || !Number.isInteger(id) || !['store', 'partner'].includes(repairPoint.kind))
      throw new ServiceError('service.repair_point_required', {});
    if (repairPoint.kind === 'store') args.repair_store_id = id;
    else args.repair_partner_id = id;
    await enqueue('warranty.repair', args, await labelOf(card));
    return { eventId: args.id };
  }

  return { recordReturn, recordExchange, recordRepair };
}

const service = createServiceActions();

export const { recordReturn, recordExchange, recordRepair } = service;

/** The standing of `card` on `today` with its closed kind (rules.standing), for screens and tests. */
export function cardStanding(card, today) {
  const terms = termsOf(card?.terms);
  if (!terms) return null;
  return standing(terms, today, Boolean(card.voided_at), card.closed_kind ?? null);
}
