// Everything the rep records. Each action is ONE IndexedDB transaction that writes the optimistic
// local record into `entities` (pending) AND appends the mutation to the outbox, with the next
// mutation id (`meta.nextMutationId`) and a fresh HLC (`meta.lastHlc`, node = `meta.clientId`): a
// crash or a closed tab loses nothing and half-writes nothing. Actions never wait for the network;
// each resolves to the id of the record it created (or changed).
//
// Arguments become the JSON bodies the server's REST endpoints take (SPEC.md §I.3.1): record ids
// are client UUIDs, times ISO 8601 UTC with `Z`, prices strings with 2 decimals. What each
// mutation writes locally (and how the outbox shows it) is its entry in mutations.js: the actions
// here validate and build the args, then `enqueue`, which only takes a name that registry has.
import { db as defaultDb, getMeta, randomUUID, setMeta } from './index.js';
import { clientIdIn, nextHlcIn } from './clock.js';
import { markOverlay, revertRow } from './overlay.js';
import { applyLocal, given, mutationNamed, putGiven } from './mutations.js';
import { pickDayPlan, plansOfDay, serverKnown } from './plans.js';
import { dropDraft, saveDraft } from './drafts.js';
import { BANDS, estimateFault, isDay, MAX_UNITS, periodFault, SOURCES, weekFault, weekStart } from './sellout.js';
import { createTrainingActions } from './training.js';
import { createTaskActions } from './tasks.js';
import { sha256Hex } from '../protocol/sha256.js';
import { businessToday } from '../warranty/zone.js';
import { CardError, FIELDS as CARD_FIELDS, cardProblems, cleanField, imeiDigits, imeiIssue } from '../warranty/card.js';

export const MAX_PHOTO_PX = 1600;
/** The most stores in one day's plan (the server's limit, backend/routes/service.py MAX_STOPS). */
export const MAX_PLAN_STOPS = 40;
/** A visit left open longer than this no longer blocks a check-in (a forgotten check-out). */
export const OPEN_VISIT_MAX_AGE_H = 16;

/** checkIn refused: a visit is open (checked in, not out) at `storeId`. One visit at a time. */
export class VisitOpenError extends Error {
  constructor(visit) {
    super(`A visit is open at store ${visit.store_id}: check out there first.`);
    this.name = 'VisitOpenError';
    this.code = 'visit_open_elsewhere';
    this.visitId = String(visit.id);
    this.storeId = visit.store_id;
  }
}

/**
 * A sell-out figure refused on the phone for what the server would refuse after the push
 * (backend/sellout/rules.py, ported in sellout.js): `reason` is the server's code, so the screen
 * says it in the UI language (i18n reasonText, `err.<reason>`) and nothing is queued. A
 * TypeError, as the other refused arguments here.
 */
export class SellOutError extends TypeError {
  constructor(reason, message) {
    super(message);
    this.name = 'SellOutError';
    this.reason = reason;
    this.params = {};
  }
}

const SELLOUT_MESSAGES = {
  'sellout.period_order': ({ start, end }) => `periodEnd ${end} is before periodStart ${start}`,
  'sellout.period_too_long': () => 'a period is at most 92 days',
  'sellout.period_future': ({ end }) => `periodEnd ${end} is in the future`,
  'sellout.week_not_monday': ({ week }) => `weekStart must be a Monday, got ${week}`,
  'sellout.week_future': ({ week }) => `weekStart ${week} is a week that has not begun`,
  'sellout.units_and_band': () => 'give exactly one of units or band',
};

function refuseSellOut(reason, vars = {}) {
  if (reason) throw new SellOutError(reason, SELLOUT_MESSAGES[reason](vars));
}

/**
 * The visit open on this phone (checked in within OPEN_VISIT_MAX_AGE_H, not checked out), newest
 * first, or null. The phone keeps this rule alone: the server accepts a check-in while another
 * visit is open, because the phone pushes offline work late and a check-out the server refuses
 * (or one still queued behind a failing entry) would otherwise make it refuse every later visit.
 */
export async function openVisitIn(db, nowMs = Date.now()) {
  const since = nowMs - OPEN_VISIT_MAX_AGE_H * 3600 * 1000;
  const rows = await db.entities.where('entity').equals('visit').toArray();
  const open = rows
    .filter((r) => !r.deleted && r.data && !r.data.checked_out_at)
    .map((r) => r.data)
    .filter((v) => new Date(v.checked_in_at).getTime() >= since)
    .sort((a, b) => String(b.checked_in_at).localeCompare(String(a.checked_in_at)));
  return open[0] || null;
}

// --- argument helpers ---------------------------------------------------------------------------

const isoOf = (ms) => new Date(ms).toISOString();

function requireValue(value, name) {
  if (!given(value)) throw new TypeError(`${name} is required`);
  return value;
}

function intOf(value, name) {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (!Number.isInteger(n)) throw new TypeError(`${name} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

function optionalInt(value, name) {
  return given(value) ? intOf(value, name) : undefined;
}

function numberOf(value, name) {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new TypeError(`${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * A CNY amount as the server's Money field wants it: a decimal string with exactly 2 decimals
 * (`12.5` → `"12.50"`, `"1,299"` → `"1299.00"`; a third decimal rounds half up). Undefined if absent.
 */
export function moneyOf(value, name = 'price') {
  if (!given(value)) return undefined;
  let text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value).trim();
  text = text.replace(/[,\s¥￥]/g, '');
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new TypeError(`${name} must be an amount like 1299.00, got ${JSON.stringify(value)}`);
  const frac = m[2] || '';
  let cents = BigInt(m[1] + frac.slice(0, 2).padEnd(2, '0'));
  if (frac.length > 2 && frac[2] >= '5') cents += 1n;
  const s = cents.toString().padStart(3, '0');
  return `${s.slice(0, -2).replace(/^0+(?=\d)/, '')}.${s.slice(-2)}`;
}

function positionArgs(position, { required }) {
  if (!position) {
    if (required) throw new TypeError('position is required');
    return {};
  }
  const out = {
    latitude: numberOf(position.latitude, 'latitude'),
    longitude: numberOf(position.longitude, 'longitude'),
  };
  if (given(position.accuracy)) out.accuracy_m = numberOf(position.accuracy, 'accuracy');
  else if (required) throw new TypeError('position.accuracy is required');
  return out;
}

/** A number of phones, 0…MAX_UNITS (the server's range). */
function unitsArg(value, name) {
  const n = intOf(value, name);
  if (n < 0 || n > MAX_UNITS) throw new TypeError(`${name} must be 0…${MAX_UNITS}, got ${n}`);
  return n;
}

function dayArg(value, name) {
  if (!isDay(value)) throw new TypeError(`${name} must be a day YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}

function sourceArg(value) {
  if (!SOURCES.includes(value))
    throw new TypeError(`source must be one of ${SOURCES.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** Display-check answers as `[{item_id, value}]`, from that or from `{itemId: value}`. */
function answersOf(answers) {
  if (Array.isArray(answers)) {
    return answers.map((a) =>
      putGiven({ item_id: intOf(a.item_id ?? a.itemId, 'item_id'), value: a.value }, { reason: a.reason || undefined }),
    );
  }
  if (answers && typeof answers === 'object') {
    return Object.entries(answers).map(([k, value]) => ({ item_id: intOf(k, 'item_id'), value }));
  }
  throw new TypeError('answers are required');
}

function idsOf(ids) {
  return Array.isArray(ids) && ids.length ? ids.map(String) : undefined;
}

async function nameOf(db, entity, id) {
  if (!given(id)) return '';
  const row = await db.entities.get([entity, String(id)]);
  return row?.data?.name ?? '';
}

// --- photos -------------------------------------------------------------------------------------

/**
 * Shrink an image to at most `maxPx` on its longer side and re-encode it as JPEG (which also
 * drops its EXIF metadata), with createImageBitmap + OffscreenCanvas (or a DOM canvas). Where
 * neither exists the blob is returned unchanged.
 */
export async function downscaleImage(blob, { maxPx = MAX_PHOTO_PX, quality = 0.85 } = {}) {
  if (typeof createImageBitmap !== 'function') return blob;
  const hasOffscreen = typeof OffscreenCanvas === 'function';
  const hasDom = typeof document !== 'undefined' && typeof document.createElement === 'function';
  if (!hasOffscreen && !hasDom) return blob;
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    bitmap = await createImageBitmap(blob); // browsers without the options (the photo is unreadable if this fails too)
  }
  try {
    const scale = Math.min(1, maxPx / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    if (hasOffscreen) {
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      if (ctx && canvas.convertToBlob) {
        ctx.drawImage(bitmap, 0, 0, w, h);
        return await canvas.convertToBlob({ type: 'image/jpeg', quality });
      }
    }
    if (!hasDom) return blob;
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d').drawImage(bitmap, 0, 0, w, h);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('could not encode the photo'))), 'image/jpeg', quality),
    );
  } finally {
    bitmap.close?.();
  }
}

async function bytesOf(blob) {
  if (blob instanceof Uint8Array) return blob;
  if (blob instanceof ArrayBuffer) return new Uint8Array(blob);
  return new Uint8Array(await blob.arrayBuffer());
}

/** SHA-256 of a blob's bytes as 64 hex digits (WebCrypto when available). */
export async function sha256OfBlob(blob) {
  const bytes = await bytesOf(blob);
  if (globalThis.crypto?.subtle?.digest) {
    const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  return sha256Hex(bytes);
}

// --- the actions --------------------------------------------------------------------------------

/**
 * The actions over database `db`. Options (for tests): `now()` in ms, `uuid()`, `resizeImage(blob)`.
 */
export function createActions({
  db = defaultDb,
  now = () => Date.now(),
  uuid = randomUUID,
  resizeImage = downscaleImage,
} = {}) {
  /**
   * Append mutation `name(args)` and apply its local effect (its registry entry's `apply`), in one
   * transaction. Throws for a name not in the registry (mutations.js). → mutation id.
   */
  async function enqueue(name, args, label = '') {
    mutationNamed(name); // before the transaction: an unknown name throws and writes nothing
    return db.transaction('rw', db.meta, db.entities, db.outbox, async () => {
      const t = now();
      await clientIdIn(db, uuid);
      const id = (await getMeta(db, 'nextMutationId')) ?? 1;
      const hlc = await nextHlcIn(db, t, uuid);
      await setMeta(db, 'nextMutationId', id + 1);
      await applyLocal(db, name, args, { mutationId: id, hlc });
      await db.outbox.add({ id, name, args, hlc, status: 'pending', error: null, createdAt: isoOf(t), label });
      return id;
    });
  }

  /** Check in; refused (VisitOpenError) while a visit is open on this phone, at any store. */
  async function checkIn({ storeId, position, notes } = {}) {
    const open = await openVisitIn(db, now());
    if (open) throw new VisitOpenError(open);
    const id = uuid();
    const args = putGiven(
      {
        id,
        store_id: intOf(storeId, 'storeId'),
        checked_in_at: isoOf(now()),
        ...positionArgs(position, { required: true }),
      },
      { notes },
    );
    await enqueue('visit.check_in', args, await nameOf(db, 'store', storeId));
    return id;
  }

  async function checkOut(visitId, { position, notes } = {}) {
    requireValue(visitId, 'visitId');
    const args = putGiven(
      { visit_id: String(visitId), checked_out_at: isoOf(now()), ...positionArgs(position, { required: false }) },
      { notes },
    );
    const visit = await db.entities.get(['visit', String(visitId)]);
    await enqueue('visit.check_out', args, await nameOf(db, 'store', visit?.data?.store_id));
    await dropDraft(db, visitId); // recorded: nothing typed in this visit is waiting any more
    return String(visitId);
  }

  async function recordDisplayCheck({ visitId, answers, notes, photoIds } = {}) {
    const id = uuid();
    const args = putGiven(
      { id, visit_id: String(requireValue(visitId, 'visitId')), checked_at: isoOf(now()), answers: answersOf(answers) },
      { notes, photo_ids: idsOf(photoIds) },
    );
    const visit = await db.entities.get(['visit', String(visitId)]);
    await enqueue('display.check', args, await nameOf(db, 'store', visit?.data?.store_id));
    await saveDraft(db, visitId, { display: null }, now()); // the check's draft is recorded
    return id;
  }

  async function recordStock({ storeId, visitId, materialId, kind, quantity, note } = {}) {
    const id = uuid();
    const args = putGiven(
      {
        id,
        store_id: intOf(storeId, 'storeId'),
        material_id: intOf(materialId, 'materialId'),
        kind: requireValue(kind, 'kind'),
        quantity: intOf(quantity, 'quantity'),
        recorded_at: isoOf(now()),
      },
      { visit_id: given(visitId) ? String(visitId) : undefined, note },
    );
    await enqueue('stock.move', args, await nameOf(db, 'promo_material', materialId));
    return id;
  }

  async function observePrice({
    storeId,
    visitId,
    productId,
    competitorModelId,
    shelfPrice,
    promoPrice,
    promoText,
    photoIds,
  } = {}) {
    const id = uuid();
    if (given(productId) === given(competitorModelId))
      throw new TypeError('give exactly one of productId or competitorModelId');
    const args = putGiven(
      {
        id,
        store_id: intOf(storeId, 'storeId'),
        shelf_price: requireValue(moneyOf(shelfPrice, 'shelfPrice'), 'shelfPrice'),
        observed_at: isoOf(now()),
      },
      {
        product_id: optionalInt(productId, 'productId'),
        competitor_model_id: optionalInt(competitorModelId, 'competitorModelId'),
        promo_price: moneyOf(promoPrice, 'promoPrice'),
        promo_text: promoText,
        visit_id: given(visitId) ? String(visitId) : undefined,
        photo_ids: idsOf(photoIds),
      },
    );
    const label = given(productId)
      ? await nameOf(db, 'product', productId)
      : await nameOf(db, 'competitor_model', competitorModelId);
    await enqueue('price.observe', args, label);
    return id;
  }

  async function reportIntel({ kind, name, address, position, storeId, territoryId, notes, photoIds } = {}) {
    const id = uuid();
    const args = putGiven(
      {
        id,
        kind: requireValue(kind, 'kind'),
        name: requireValue(name, 'name'),
        reported_at: isoOf(now()),
        ...positionArgs(position, { required: false }),
      },
      {
        address,
        store_id: optionalInt(storeId, 'storeId'),
        territory_id: optionalInt(territoryId, 'territoryId'),
        notes,
        photo_ids: idsOf(photoIds),
      },
    );
    requireValue(args.latitude, 'position');
    await enqueue('intel.report', args, name);
    return id;
  }

  /** Per-field edit of a store; `base` (the HLCs of the values the rep saw) comes from its clock. */
  async function updateStore(storeId, fields) {
    const sid = intOf(storeId, 'storeId');
    if (!fields || !Object.keys(fields).length) throw new TypeError('fields are required');
    const row = await db.entities.get(['store', String(sid)]);
    const base = {};
    for (const f of Object.keys(fields)) if (row?.clock?.[f]) base[f] = row.clock[f];
    await enqueue('store.update', { store_id: sid, fields: { ...fields }, base }, row?.data?.name ?? '');
    return String(sid);
  }

  /** Create (id null: a new UUID) or edit a store contact. */
  async function upsertContact(storeId, id, fields) {
    const sid = intOf(storeId, 'storeId');
    const cid = given(id) ? String(id) : uuid();
    if (!fields || !Object.keys(fields).length) throw new TypeError('fields are required');
    const row = await db.entities.get(['contact', cid]);
    const base = {};
    for (const f of Object.keys(fields)) if (row?.clock?.[f]) base[f] = row.clock[f];
    await enqueue(
      'contact.upsert',
      { store_id: sid, id: cid, fields: { ...fields }, base },
      fields.name ?? row?.data?.name ?? '',
    );
    return cid;
  }

  async function deleteContact(storeId, id) {
    const sid = intOf(storeId, 'storeId');
    const cid = String(requireValue(id, 'id'));
    const row = await db.entities.get(['contact', cid]);
    await enqueue('contact.delete', { store_id: sid, id: cid }, row?.data?.name ?? '');
    return cid;
  }

  // --- warranty cards (store clerks) and IMEI spot checks (reps) --------------------------------

  async function products() {
    return (await db.entities.where('entity').equals('product').toArray()).map((r) => r.data).filter(Boolean);
  }

  /** Ids of cards whose registration the server refused (they exist on this phone only). */
  async function refusedCardIds() {
    const rows = await db.outbox.where('status').equals('rejected').toArray();
    return new Set(rows.filter((r) => r.name === 'warranty.register').map((r) => String(r.args?.id)));
  }

  /** A live card on this phone (not refused, voided or closed, not `exceptId`) with `imei` as its IMEI or IMEI 2, or null. */
  async function cardWithImei(imei, exceptId) {
    if (!imei) return null;
    const refused = await refusedCardIds();
    const rows = await db.entities.where('entity').equals('warranty_card').toArray();
    const hit = rows.find(
      (r) =>
        !r.deleted &&
        r.id !== String(exceptId) &&
        !refused.has(r.id) &&
        !r.data?.voided_at &&
        !r.data?.closed_kind && // returned or exchanged: the unit may be sold again
        (r.data?.imei === imei || r.data?.imei2 === imei),
    );
    return hit ? hit.data : null;
  }

  async function duplicateProblems(values, exceptId, fields = ['imei', 'imei2']) {
    const problems = {};
    for (const f of fields) {
      const other = await cardWithImei(imeiDigits(values[f]), exceptId);
      if (other)
        problems[f] = { key: 'card.problem.duplicate', vars: { date: String(other.registered_at ?? '').slice(0, 10) } };
    }
    return problems;
  }

  /**
   * Register a warranty card (`warranty.register`) at the clerk's store. Checked like the server
   * checks it (IMEI check digit and TAC, serial, buyer, phone, invoice, purchase date) and against
   * the cards on this phone (duplicate IMEI); refused input throws CardError `{problems}`. The
   * phone is sent normalised. `replacing`: the mutation id of a refused registration of this card
   * to send again corrected (same card id). → the card id.
   */
  async function registerCard({
    id,
    imei,
    imei2,
    productId,
    serialNumber,
    buyerName,
    buyerPhone,
    buyerAddress,
    invoiceNumber,
    purchaseDate,
    replacing,
  } = {}) {
    const values = {
      imei,
      imei2,
      product_id: productId,
      serial_number: serialNumber,
      buyer_name: buyerName,
      buyer_phone: buyerPhone,
      buyer_address: buyerAddress,
      invoice_number: invoiceNumber,
      purchase_date: purchaseDate,
    };
    const all = await products();
    const product = all.find((p) => String(p.id) === String(productId)) ?? null;
    const cid = given(id) ? String(id) : uuid();
    const problems = {
      ...(await duplicateProblems(values, cid)),
      ...cardProblems(values, { product, products: all, today: businessToday(now()) }),
    };
    if (Object.keys(problems).length) throw new CardError(problems);
    const args = putGiven(
      {
        id: cid,
        imei: cleanField('imei', imei),
        product_id: cleanField('product_id', productId),
        serial_number: cleanField('serial_number', serialNumber),
        buyer_name: cleanField('buyer_name', buyerName),
        buyer_phone: cleanField('buyer_phone', buyerPhone),
        invoice_number: cleanField('invoice_number', invoiceNumber),
        purchase_date: cleanField('purchase_date', purchaseDate),
        registered_at: isoOf(now()),
      },
      { imei2: cleanField('imei2', imei2), buyer_address: cleanField('buyer_address', buyerAddress) },
    );
    const label = [product.model_code || product.name, args.imei].filter(Boolean).join(' · ');
    if (given(replacing)) {
      const mid = Number(replacing);
      await db.transaction('rw', db.meta, db.entities, db.outbox, async () => {
        const row = await rejectedRow(mid);
        if (row.name !== 'warranty.register' || String(row.args?.id) !== cid)
          throw new Error(`outbox entry ${mid} is not this card's registration`);
        await db.outbox.delete(mid);
        await dropOverlay(mid);
        await enqueue('warranty.register', args, label);
      });
    } else {
      await enqueue('warranty.register', args, label);
    }
    return cid;
  }

  /**
   * Correct fields of a card of the clerk's store (`warranty.correct`): `fields` with the
   * server's names (imei, imei2, product_id, serial_number, buyer_name, buyer_phone,
   * buyer_address, invoice_number, purchase_date), only the changed ones. Checked as at
   * registration (a new model re-checks the IMEI's TAC and the purchase date). → the card id.
   */
  async function correctCard(cardId, fields) {
    const cid = String(requireValue(cardId, 'cardId'));
    const keys = Object.keys(fields || {}).filter((k) => fields[k] !== undefined);
    if (!keys.length) throw new TypeError('fields are required');
    const unknown = keys.filter((k) => !CARD_FIELDS.includes(k));
    if (unknown.length) throw new TypeError(`not a card field: ${unknown.join(', ')}`);
    const row = await db.entities.get(['warranty_card', cid]);
    if (!row || row.deleted) throw new Error(`no warranty card ${cid} on this phone`);
    // An exchange's replacement card keeps the replaced card's purchase date: the server refuses
    // to move it (card.purchase_date_inherited: it would restart or cut 三包).
    if (
      row.data?.replaces_card_id &&
      keys.includes('purchase_date') &&
      cleanField('purchase_date', fields.purchase_date) !== row.data.purchase_date
    )
      throw new CardError({
        purchase_date: { key: 'card.problem.purchaseDateInherited', vars: { date: row.data.purchase_date } },
      });
    const values = { ...row.data, ...fields };
    const all = await products();
    const product = all.find((p) => String(p.id) === String(values.product_id)) ?? null;
    const only = new Set(keys);
    if (only.has('product_id')) for (const k of ['imei', 'purchase_date']) only.add(k);
    if (only.has('imei')) only.add('imei2'); // they must differ
    const problems = {
      ...(await duplicateProblems(
        values,
        cid,
        keys.filter((k) => k === 'imei' || k === 'imei2'),
      )),
      ...cardProblems(values, { product, products: all, today: businessToday(now()), only: [...only] }),
    };
    if (Object.keys(problems).length) throw new CardError(problems);
    const clean = {};
    for (const k of keys) clean[k] = cleanField(k, fields[k]);
    const label = [product?.model_code || product?.name, values.imei].filter(Boolean).join(' · ');
    await enqueue('warranty.correct', { id: cid, fields: clean }, label);
    return cid;
  }

  /** An IMEI seen on a store's shelf by a rep (`imei.spot_check`), during a visit or not. → its id. */
  async function spotCheck({ storeId, visitId, imei } = {}) {
    const value = imeiDigits(imei);
    const issue = imeiIssue(value);
    if (issue) throw new CardError({ imei: issue });
    const id = uuid();
    const args = putGiven(
      { id, store_id: intOf(storeId, 'storeId'), imei: value, seen_at: isoOf(now()) },
      { visit_id: given(visitId) ? String(visitId) : undefined },
    );
    await enqueue('imei.spot_check', args, value);
    return id;
  }

  // --- phones at the store (issue 16) -----------------------------------------------------------

  /**
   * Units of one of our models on hand at a store (`shop_stock.count`); 0 is "out of stock", an
   * answer of its own. `demoUnit`: a demo phone on the counter (true / false; left out: not
   * asked). A later count of the same model corrects it: the latest count is the store's stock.
   * → its id.
   */
  async function countShopStock({ storeId, visitId, productId, onHand, demoUnit } = {}) {
    const id = uuid();
    if (demoUnit !== undefined && demoUnit !== null && typeof demoUnit !== 'boolean')
      throw new TypeError(`demoUnit must be true, false or null, got ${JSON.stringify(demoUnit)}`);
    const args = putGiven(
      {
        id,
        store_id: intOf(storeId, 'storeId'),
        product_id: intOf(productId, 'productId'),
        on_hand: unitsArg(onHand, 'onHand'),
        counted_at: isoOf(now()),
      },
      { visit_id: given(visitId) ? String(visitId) : undefined, demo_unit: demoUnit ?? undefined },
    );
    await enqueue('shop_stock.count', args, await nameOf(db, 'product', productId));
    return id;
  }

  /**
   * Units of one of our models a store says it sold from `periodStart` to `periodEnd` (inclusive
   * days, at most MAX_PERIOD_DAYS), as told by `source` (`sellout.report`). The period is the
   * caller's (screens/rep/phones.js `salesPeriod`: since the last report known on the phone).
   * → its id.
   */
  async function reportSellOut({ storeId, visitId, productId, units, periodStart, periodEnd, source } = {}) {
    const start = dayArg(periodStart, 'periodStart');
    const end = dayArg(periodEnd, 'periodEnd');
    refuseSellOut(periodFault(start, end, businessToday(now())), { start, end });
    const id = uuid();
    const args = putGiven(
      {
        id,
        store_id: intOf(storeId, 'storeId'),
        product_id: intOf(productId, 'productId'),
        units: unitsArg(units, 'units'),
        period_start: start,
        period_end: end,
        source: sourceArg(source),
        reported_at: isoOf(now()),
      },
      { visit_id: given(visitId) ? String(visitId) : undefined },
    );
    await enqueue('sellout.report', args, await nameOf(db, 'product', productId));
    return id;
  }

  /**
   * A competitor model's sales at a store in one ISO week (`sellout.competitor`): `units` OR
   * `band` (one of BANDS), exactly one, as told by `source`. `weekStart`: a Monday, by default
   * this week's on the business calendar (zone.js). → its id.
   */
  async function reportCompetitorSellOut({
    storeId,
    visitId,
    competitorModelId,
    weekStart: week,
    units,
    band,
    source,
  } = {}) {
    refuseSellOut(estimateFault(given(units) ? units : null, given(band) ? band : null));
    if (given(band) && !BANDS.includes(String(band)))
      throw new TypeError(`band must be one of ${BANDS.join(', ')}, got ${JSON.stringify(band)}`);
    const today = businessToday(now());
    const monday = given(week) ? dayArg(week, 'weekStart') : weekStart(today);
    refuseSellOut(weekFault(monday, today), { week: monday });
    const id = uuid();
    const args = putGiven(
      {
        id,
        store_id: intOf(storeId, 'storeId'),
        competitor_model_id: intOf(competitorModelId, 'competitorModelId'),
        week_start: monday,
        source: sourceArg(source),
        reported_at: isoOf(now()),
      },
      {
        units: given(units) ? unitsArg(units, 'units') : undefined,
        band: given(band) ? String(band) : undefined,
        visit_id: given(visitId) ? String(visitId) : undefined,
      },
    );
    await enqueue('sellout.competitor', args, await nameOf(db, 'competitor_model', competitorModelId));
    return id;
  }

  // --- visit plans ------------------------------------------------------------------------------

  /**
   * Plan a day (`plan.save`): `day` 'YYYY-MM-DD', `storeIds` in the order picked (1 to 40, no
   * repeats), `optimise` (default true: the server puts them in the order that shortens the day),
   * `note`, `start` `{latitude, longitude}` (where the day starts, optional). The plan keeps the id
   * of the plan this phone already has for that day (the server's when it has pulled one, else its
   * own pending one), else gets a new UUID; rep_id is left out (a rep plans their own days). Until
   * the server's version is pulled the phone shows the stores in the order picked. → the plan id.
   */
  async function savePlan({ day, storeIds, optimise = true, note, start } = {}) {
    if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day))
      throw new TypeError(`day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
    if (!Array.isArray(storeIds) || !storeIds.length) throw new TypeError('storeIds are required');
    const ids = storeIds.map((v) => intOf(v, 'storeIds'));
    if (new Set(ids).size !== ids.length) throw new TypeError('a store is in the plan twice');
    if (ids.length > MAX_PLAN_STOPS) throw new TypeError(`a day's plan has at most ${MAX_PLAN_STOPS} stores`);
    const startArgs = start
      ? {
          start_latitude: numberOf(start.latitude, 'start.latitude'),
          start_longitude: numberOf(start.longitude, 'start.longitude'),
        }
      : {};
    return db.transaction('rw', db.meta, db.entities, db.outbox, async () => {
      const session = await getMeta(db, 'session');
      const rows = plansOfDay(
        await db.entities.where('entity').equals('visit_plan').toArray(),
        day,
        session?.user?.id ?? null,
      );
      const existing = pickDayPlan(rows.filter(serverKnown)) ?? pickDayPlan(rows);
      const id = existing ? existing.id : uuid();
      const args = {
        id,
        day,
        store_ids: ids,
        optimise: optimise !== false,
        note: given(note) ? String(note).trim() : '',
        ...startArgs,
      };
      await enqueue('plan.save', args, day);
      return id;
    });
  }

  /** Keep a photo (downscaled to ≤1600 px JPEG) for the photo lane. → photo id. */
  async function addPhoto(blob) {
    const resized = (await resizeImage(blob)) ?? blob;
    const sha256 = await sha256OfBlob(resized);
    const size = resized.size ?? resized.byteLength;
    const id = uuid();
    await db.photos.add({
      id,
      blob: resized,
      sha256,
      size,
      offset: 0,
      status: 'pending',
      error: null,
      createdAt: isoOf(now()),
    });
    return id;
  }

  async function rejectedRow(mutationId) {
    const row = await db.outbox.get(Number(mutationId));
    if (!row) throw new Error(`no outbox entry ${mutationId}`);
    if (row.status !== 'rejected') throw new Error(`outbox entry ${mutationId} was not refused`);
    return row;
  }

  async function dropOverlay(mutationId) {
    const overlays = (await getMeta(db, 'overlays')) ?? {};
    for (const [key, mid] of Object.entries(overlays)) {
      if (mid !== mutationId) continue;
      const at = key.indexOf(':');
      const row = await db.entities.get([key.slice(0, at), key.slice(at + 1)]);
      if (row?.pending) await revertRow(db, row);
      else await markOverlay(db, key.slice(0, at), key.slice(at + 1), null);
    }
  }

  /** Give up a refused entry: it leaves the outbox (and its local effect, if still shown). → its id. */
  async function discardRejected(mutationId) {
    const id = Number(mutationId);
    await db.transaction('rw', db.outbox, db.entities, db.meta, async () => {
      await rejectedRow(id);
      await db.outbox.delete(id);
      await dropOverlay(id);
    });
    return id;
  }

  /**
   * Send a refused entry again, corrected: a NEW mutation (new id, new HLC) with `correctedArgs`
   * (default: the same args), replacing the refused one in the same transaction. → the new
   * mutation id.
   */
  async function resendRejected(mutationId, correctedArgs) {
    const id = Number(mutationId);
    return db.transaction('rw', db.meta, db.entities, db.outbox, async () => {
      const row = await rejectedRow(id);
      await db.outbox.delete(id);
      await dropOverlay(id);
      return enqueue(row.name, correctedArgs ?? row.args, row.label);
    });
  }

  // Promoters' training at a visit (issue 17): db/training.js.
  const training = createTrainingActions({ db, now, uuid, enqueue, upsertContact });
  // Tasks for reps, completed at a visit (issue 18): db/tasks.js.
  const tasks = createTaskActions({ db, now, uuid, enqueue });

  return {
    ...training,
    ...tasks,
    duplicateProblems, // the registration's live-IMEI check, also an exchange's (db/service.js)
    checkIn,
    checkOut,
    recordDisplayCheck,
    recordStock,
    observePrice,
    reportIntel,
    updateStore,
    upsertContact,
    deleteContact,
    addPhoto,
    discardRejected,
    resendRejected,
    registerCard,
    correctCard,
    spotCheck,
    countShopStock,
    reportSellOut,
    reportCompetitorSellOut,
    savePlan,
    enqueue,
  };
}

const actions = createActions();

export const {
  addPromoter,
  recordTraining,
  completeTask,
  checkIn,
  checkOut,
  recordDisplayCheck,
  recordStock,
  observePrice,
  reportIntel,
  updateStore,
  upsertContact,
  deleteContact,
  addPhoto,
  discardRejected,
  resendRejected,
  registerCard,
  correctCard,
  spotCheck,
  countShopStock,
  reportSellOut,
  reportCompetitorSellOut,
  savePlan,
} = actions;
