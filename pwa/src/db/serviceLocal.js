// The optimistic local effects of the clerk's 三包 service events (issue 17): what the phone shows
// the moment a return, an exchange or a repair referral is queued, until the server's version of
// each record is pulled (db/mutations.js names these as the `apply` of `warranty.return`,
// `warranty.exchange` and `warranty.repair`; db/service.js builds and checks their arguments).
//
//   return    a `service_event` row, and the card closed (`closed_kind: 'returned'`);
//   exchange  the same with `'exchanged'`, and the replacement unit's new card: the old card's
//             buyer, invoice and purchase date (三包 is not restarted: its dates are the old
//             card's purchase date under the new model's periods), `replaces_card_id` the old card;
//   repair    a `service_event` row only: the card stays live.
//
// Each runs inside enqueue's transaction (entities + meta). The rows are those the server sends
// (SPEC.md's `service_event` and `warranty_card` entities), with what only the server knows left
// null (region_id, received_at); the server's versions replace them when pulled. A refused
// mutation's rows go back to the server's state with the next pull (db/replica.js finishPull).
import { getMeta } from './index.js';
import { applyOverlay } from './overlay.js';
import { termsFor, termsJson } from '../warranty/rules.js';
import { businessToday } from '../warranty/zone.js';

const CLOSED = { return: 'returned', exchange: 'exchanged' };

async function data(db, entity, id) {
  if (id === undefined || id === null) return null;
  return (await db.entities.get([entity, String(id)]))?.data ?? null;
}

/** The active-or-not fault code `code` on this phone, or null. */
export async function faultCodeIn(db, code) {
  const rows = await db.entities.where('entity').equals('fault_code').toArray();
  const row = rows.find((r) => !r.deleted && r.data?.code === code);
  return row ? row.data : null;
}

/** The `service_event` record of mutation `kind` with `args` (the REST body without `kind`). */
async function eventRecord(db, kind, args, card, user) {
  const fault = await faultCodeIn(db, args.fault_code);
  return {
    id: args.id,
    kind,
    card_id: args.card_id,
    store_id: card?.store_id ?? user?.store_id ?? null,
    region_id: null,
    product_id: card?.product_id ?? null,
    purchase_date: card?.purchase_date ?? null,
    fault_code: args.fault_code,
    fault_code_id: fault?.id ?? null,
    note: args.note ?? '',
    occurred_at: args.occurred_at,
    // The business day of occurred_at, as the server gives it (not the phone's own calendar).
    occurred_on: businessToday(args.occurred_at),
    new_card_id: args.new_card?.id ?? null,
    repair_store_id: args.repair_store_id ?? null,
    repair_partner_id: args.repair_partner_id ?? null,
    terms: card?.terms ?? null,
    recorded_by: user?.id ?? null,
    received_at: null,
  };
}

/** The replacement unit's card, as the server registers it with an exchange. */
async function replacementCard(db, args, card, user) {
  const n = args.new_card;
  const product = await data(db, 'product', n.product_id);
  return {
    id: n.id,
    imei: n.imei,
    imei2: n.imei2 ?? null,
    product_id: n.product_id,
    serial_number: n.serial_number,
    buyer_name: card?.buyer_name ?? '',
    buyer_phone: card?.buyer_phone ?? '',
    buyer_address: card?.buyer_address ?? '',
    invoice_number: card?.invoice_number ?? '',
    purchase_date: card?.purchase_date ?? null,
    store_id: card?.store_id ?? user?.store_id ?? null,
    registered_by: user?.id ?? null,
    registered_at: args.occurred_at,
    received_at: null,
    revision: 1,
    corrected_at: null,
    voided_at: null,
    void_reason: null,
    closed_at: null,
    closed_kind: null,
    replaces_card_id: args.card_id,
    terms: card?.purchase_date ? termsJson(termsFor(card.purchase_date, product)) : null,
    masked: Boolean(card?.masked),
  };
}

async function applyEvent(db, kind, args, ctx) {
  const card = await data(db, 'warranty_card', args.card_id);
  const user = (await getMeta(db, 'session'))?.user ?? null;
  const event = await applyOverlay(db, 'service_event', args.id, await eventRecord(db, kind, args, card, user), ctx);
  if (kind === 'exchange' && args.new_card) {
    await applyOverlay(db, 'warranty_card', args.new_card.id, await replacementCard(db, args, card, user), ctx);
  }
  if (CLOSED[kind]) {
    await applyOverlay(
      db,
      'warranty_card',
      args.card_id,
      { closed_at: args.occurred_at, closed_kind: CLOSED[kind] },
      ctx,
    );
  }
  return event;
}

export const applyReturn = (db, args, ctx) => applyEvent(db, 'return', args, ctx);
export const applyExchange = (db, args, ctx) => applyEvent(db, 'exchange', args, ctx);
export const applyRepair = (db, args, ctx) => applyEvent(db, 'repair', args, ctx);
