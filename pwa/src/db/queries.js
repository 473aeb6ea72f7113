// Read-only queries for the screens, over the local database only (they work offline and can be
// wrapped in Dexie's `liveQuery` to follow changes). Records come back as their `data` (the
// server's JSON shape: snake_case fields) plus `pending: true|false` — true while the record
// carries local changes the server has not confirmed. Locally deleted records are left out.
//
// Two layers (issue 12, step 4):
//   `…In(db, …)`   plain functions of the database (and of the day, where "today" matters), which
//                  can be imported and tested alone — "stores in db";
//   createQueries  binds them to one database and a clock (`now()`, which dates "today"), and the
//                  module's named exports (`stores()`, `store(id)`, …: what the screens import)
//                  are createQueries() over the app's database.
// The outbox reads and counts are db/replica.js's (the sync engine counts with the same function).
import { db as defaultDb, getMeta } from './index.js';
import { standing, termsFor, termsJson, termsOf } from '../warranty/rules.js';
import { businessDayOf, businessToday } from '../warranty/zone.js';
import { pickDayPlan, plansOfDay } from './plans.js';
import { outboxByRecord, outboxCounts, outboxRows } from './replica.js';
import { storeMatches } from './storeSearch.js';
import { serviceOutboxByCard } from './service.js';

const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres (haversine; plenty for "nearby" on a phone). */
export function haversineM(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

const record = (row) => ({ ...row.data, pending: Boolean(row.pending) });
const visible = (row) => !row.deleted;
const byName = (a, b) => String(a.name ?? '').localeCompare(String(b.name ?? ''), 'zh-CN');
/** Milliseconds of an ISO time (the server writes `+00:00` and microseconds, the device `Z`). */
const ms = (iso) => {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? -Infinity : t;
};
const later = (field) => (a, b) => ms(b[field]) - ms(a[field]);

/** Signed change in stock of one movement; `counted` resets (handled by the caller). */
const DELTA = { delivered: 1, used: -1, returned: -1 };

// --- records ------------------------------------------------------------------------------------

/** Every visible record of `entity` (`'visit'`, `'intel_report'`, …). */
export async function recordsIn(db, entity) {
  return (await db.entities.where('entity').equals(entity).toArray()).filter(visible).map(record);
}

/** The visible records of `entity` at store `storeId`. */
export async function ofStoreIn(db, entity, storeId) {
  const rows = await db.entities
    .where('[entity+storeId]')
    .equals([entity, String(storeId)])
    .toArray();
  return rows.filter(visible).map(record);
}

/** One visible record with its `clock` (field → HLC), or null. */
export async function oneIn(db, entity, id) {
  if (id === undefined || id === null) return null;
  const row = await db.entities.get([entity, String(id)]);
  return row && visible(row) ? { ...record(row), clock: row.clock ?? {} } : null;
}

// --- stores -------------------------------------------------------------------------------------

/** Every store the rep can see, by name. */
export async function storesIn(db) {
  return (await recordsIn(db, 'store')).sort(byName);
}

/** The `limit` stores nearest to (lat, lon), each with `distance_m`, nearest first. */
export async function nearbyStoresIn(db, lat, lon, limit = 20) {
  const list = (await recordsIn(db, 'store'))
    .filter((s) => Number.isFinite(s.latitude) && Number.isFinite(s.longitude))
    .map((s) => ({ ...s, distance_m: haversineM(lat, lon, s.latitude, s.longitude) }));
  list.sort((a, b) => a.distance_m - b.distance_m);
  return list.slice(0, limit);
}

/** Stores whose name, code or address contains `text` (case-insensitive), or whose name's pinyin
 * it is (syllables or initials: storeSearch.js), by name. */
export async function searchStoresIn(db, text) {
  const list = await storesIn(db);
  if (!String(text ?? '').trim()) return list;
  return list.filter((s) => storeMatches(s, text));
}

/** One store with its `clock` (field → HLC, for edits) and its `contacts`; null if unknown. */
export async function storeIn(db, id) {
  const s = await oneIn(db, 'store', id);
  if (!s) return null;
  s.contacts = (await ofStoreIn(db, 'contact', id)).sort(byName);
  return s;
}

/**
 * What the rep needs before walking in: `{lastVisit, visits (newest first), lastPrices (the
 * latest observation per product / competitor model, newest first), stock (per material:
 * {material_id, quantity, last_counted_at, last_movement_at}) }`. Current stock is the latest
 * `counted` by `recorded_at` plus the movements after it (delivered +, used −, returned −).
 */
export async function storeHistoryIn(db, id) {
  const [visits, prices, movements] = await Promise.all([
    ofStoreIn(db, 'visit', id),
    ofStoreIn(db, 'price_observation', id),
    ofStoreIn(db, 'stock_movement', id),
  ]);
  visits.sort(later('checked_in_at'));

  const latestPrice = new Map();
  for (const p of prices.sort(later('observed_at'))) {
    const key = p.product_id != null ? `p${p.product_id}` : `c${p.competitor_model_id}`;
    if (!latestPrice.has(key)) latestPrice.set(key, p);
  }

  const byMaterial = new Map();
  for (const m of movements) {
    if (!byMaterial.has(m.material_id)) byMaterial.set(m.material_id, []);
    byMaterial.get(m.material_id).push(m);
  }
  const stock = [];
  for (const [materialId, list] of byMaterial) {
    list.sort((a, b) => ms(a.recorded_at) - ms(b.recorded_at));
    let quantity = 0;
    let lastCounted = null;
    for (const m of list) {
      if (m.kind === 'counted') {
        quantity = m.quantity;
        lastCounted = m.recorded_at;
      } else {
        quantity += (DELTA[m.kind] ?? 0) * m.quantity;
      }
    }
    stock.push({
      material_id: materialId,
      quantity,
      last_counted_at: lastCounted,
      last_movement_at: list[list.length - 1].recorded_at,
      pending: list.some((m) => m.pending),
    });
  }
  stock.sort((a, b) => a.material_id - b.material_id);

  return { lastVisit: visits[0] ?? null, visits, lastPrices: [...latestPrice.values()], stock };
}

/**
 * Reference data for pickers (active entries only): `{regions, territories, partners,
 * products, competitorBrands, competitorModels, promoMaterials, checklistItems}`.
 */
export async function catalogueIn(db) {
  const active = (list) => list.filter((x) => x.active !== false);
  const [regions, territories, partners, products, competitorBrands, competitorModels, promoMaterials, checklistItems] =
    await Promise.all(
      [
        'region',
        'territory',
        'partner',
        'product',
        'competitor_brand',
        'competitor_model',
        'promo_material',
        'checklist_item',
      ].map((entity) => recordsIn(db, entity)),
    );
  checklistItems.sort((a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0) || a.id - b.id);
  return {
    regions: regions.sort(byName),
    territories: territories.sort(byName),
    partners: partners.sort(byName),
    products: active(products).sort(byName),
    competitorBrands: active(competitorBrands).sort(byName),
    competitorModels: active(competitorModels).sort(byName),
    promoMaterials: active(promoMaterials).sort(byName),
    checklistItems: active(checklistItems),
  };
}

// --- visits -------------------------------------------------------------------------------------

/** The visit checked in and not yet out (at `storeId`, or anywhere), newest first; or null. */
export async function openVisitIn(db, storeId) {
  const list =
    storeId === undefined || storeId === null ? await recordsIn(db, 'visit') : await ofStoreIn(db, 'visit', storeId);
  return list.filter((v) => !v.checked_out_at).sort(later('checked_in_at'))[0] ?? null;
}

/** What was recorded in a visit: `{displayChecks, stockMovements, priceObservations}`. */
export async function visitRecordsIn(db, visitId) {
  const v = String(visitId);
  const of = async (entity) => (await recordsIn(db, entity)).filter((r) => String(r.visit_id) === v);
  const [displayChecks, stockMovements, priceObservations] = await Promise.all(
    ['display_check', 'stock_movement', 'price_observation'].map(of),
  );
  return { displayChecks, stockMovements, priceObservations };
}

/** A stored photo `{id, blob, sha256, size, status, …}` (blob null once uploaded), or null. */
export async function photoIn(db, id) {
  return (await db.photos.get(String(id))) ?? null;
}

// --- warranty cards and IMEI spot checks ---------------------------------------------------

/**
 * Where a record stands with the server: `{state: 'pending' | 'synced' | 'refused', error,
 * mutationId, name}`, from its stored `row` (or null) and its outbox `entries`, oldest first.
 * Refused wins (its refused registration, else the latest refused correction), then anything
 * waiting in the outbox or not yet pulled back.
 */
export function syncOf(row, entries = []) {
  const refused = entries.filter((r) => r.status === 'rejected');
  if (refused.length) {
    // A refused registration first: the card never reached the server, whatever else was refused.
    const r = refused.find((e) => e.name === 'warranty.register') ?? refused[refused.length - 1];
    return { state: 'refused', error: r.error ?? null, mutationId: r.id, name: r.name };
  }
  const waiting = entries.filter((r) => r.status !== 'rejected');
  if (waiting.length || row?.pending) {
    return {
      state: 'pending',
      error: null,
      mutationId: waiting.length ? waiting[waiting.length - 1].id : (row.mutationId ?? null),
      name: waiting[0]?.name ?? null,
    };
  }
  return { state: 'synced', error: null, mutationId: null, name: null };
}

async function productsById(db) {
  const map = new Map();
  for (const p of await recordsIn(db, 'product')) map.set(String(p.id), p);
  return map;
}

/** A card the server refused to register: it lives in the outbox only (the local record is
 * dropped once the refusal is pulled), rebuilt from its arguments. */
function refusedCard(entry, products, storeId) {
  const a = entry.args || {};
  const product = products.get(String(a.product_id));
  let terms = null;
  try {
    terms = termsJson(termsFor(a.purchase_date, product));
  } catch {
    terms = null; // an impossible date: it was refused for it
  }
  return {
    imei2: null,
    buyer_address: '',
    ...a,
    store_id: storeId,
    revision: 1,
    corrected_at: null,
    voided_at: null,
    terms,
    masked: false,
    pending: false,
  };
}

function withCardExtras(card, products, today) {
  const product = products.get(String(card.product_id)) ?? null;
  const terms = termsOf(card.terms);
  return {
    ...card,
    product: product ? { id: product.id, name: product.name, model_code: product.model_code } : null,
    // What the buyer is entitled to today, on this phone's calendar (the server's `standing`
    // was right when it sent the card).
    standing: terms
      ? standing(terms, today, Boolean(card.voided_at), card.closed_kind ?? null)
      : (card.standing ?? null),
  };
}

async function allCards(db, today) {
  const [rows, entries, products, session] = await Promise.all([
    db.entities.where('entity').equals('warranty_card').toArray(),
    outboxByRecord(db, ['warranty.register', 'warranty.correct']),
    productsById(db),
    getMeta(db, 'session'),
  ]);
  // A card also waits for its 三包 service events (or shows their refusal): db/service.js.
  for (const [cid, es] of await serviceOutboxByCard(db)) {
    const all = [...(entries.get(cid) ?? []), ...es];
    all.sort((a, b) => a.id - b.id);
    entries.set(cid, all);
  }
  const seen = new Set();
  const list = [];
  for (const row of rows) {
    if (row.deleted) continue;
    seen.add(row.id);
    list.push(withCardExtras({ ...record(row), sync: syncOf(row, entries.get(row.id)) }, products, today));
  }
  for (const [id, es] of entries) {
    if (seen.has(id)) continue;
    const reg = es.find((e) => e.name === 'warranty.register');
    if (!reg) continue; // a correction of a card no longer on this phone
    const storeId = session?.user?.store_id ?? null;
    list.push(withCardExtras({ ...refusedCard(reg, products, storeId), sync: syncOf(null, es) }, products, today));
  }
  return list;
}

/**
 * The warranty cards on this phone (a clerk's: their store's), newest registration first, each
 * with `product` ({id, name, model_code}), `standing` as of `today` ('YYYY-MM-DD', this phone's
 * calendar) and `sync` (see syncOf); cards whose registration the server refused are included
 * (`sync.state === 'refused'`). `imeiPrefix`: only cards whose IMEI or IMEI 2 starts with these
 * digits.
 */
export async function cardsIn(db, today, { imeiPrefix } = {}) {
  const prefix = String(imeiPrefix ?? '').replace(/\s+/g, '');
  let list = await allCards(db, today);
  if (prefix)
    list = list.filter((c) => String(c.imei ?? '').startsWith(prefix) || String(c.imei2 ?? '').startsWith(prefix));
  return list.sort((a, b) => ms(b.registered_at) - ms(a.registered_at) || String(b.id).localeCompare(String(a.id)));
}

/** One card as in cardsIn(), or null. */
export async function cardIn(db, today, id) {
  if (id === undefined || id === null) return null;
  return (await allCards(db, today)).find((c) => String(c.id) === String(id)) ?? null;
}

/** The IMEI spot checks of a visit, newest first, each with `sync`; refused ones included. */
export async function spotChecksIn(db, visitId) {
  const v = String(visitId);
  const [rows, entries] = await Promise.all([
    db.entities.where('entity').equals('imei_spot_check').toArray(),
    outboxByRecord(db, ['imei.spot_check']),
  ]);
  const seen = new Set();
  const list = [];
  for (const row of rows) {
    if (row.deleted || String(row.data?.visit_id) !== v) continue;
    seen.add(row.id);
    list.push({ ...record(row), sync: syncOf(row, entries.get(row.id)) });
  }
  for (const [id, es] of entries) {
    if (seen.has(id) || String(es[0].args?.visit_id) !== v) continue;
    list.push({ shipment_match: null, ...es[0].args, pending: false, sync: syncOf(null, es) });
  }
  return list.sort((a, b) => ms(b.seen_at) - ms(a.seen_at));
}

// --- the day's visit plan ------------------------------------------------------------------

/** The raw row of the signed-in user's plan of `day` ('YYYY-MM-DD') that counts on this phone
 * (db/plans.js), or null. */
async function dayPlanRow(db, day) {
  const [session, rows] = await Promise.all([
    getMeta(db, 'session'),
    db.entities.where('entity').equals('visit_plan').toArray(),
  ]);
  return pickDayPlan(plansOfDay(rows, day, session?.user?.id ?? null));
}

/**
 * The signed-in user's plan of `day` ('YYYY-MM-DD') as stored (`store_ids` in the order to
 * follow) plus `pending` (saved on this phone, the server's version not pulled yet), or null. One
 * plan per day: see db/plans.js for which one counts while the phone holds its own and the
 * server's under different ids.
 */
export async function dayPlanIn(db, day) {
  const row = await dayPlanRow(db, day);
  return row ? record(row) : null;
}

/**
 * The stores of `day`'s visit plan ('YYYY-MM-DD') in the order to follow, as stored records plus
 * `plan_order` (1-based), `visited` (checked in there that day), `plan_id`, `plan_note` and
 * `plan_pending` (saved on this phone, the server's version not pulled yet: in the order picked);
 * a store not on this phone (yet) comes as `{id, plan_order, visited, plan_id, plan_note,
 * plan_pending, unknown: true}`. Only the signed-in user's own plan counts (a manager's phone also
 * receives their reps' plans), and only one plan per day (dayPlanIn). [] when there is none.
 */
export async function plannedStoresIn(db, day) {
  const row = await dayPlanRow(db, day);
  if (!row) return [];
  const plan = row.data;
  const session = await getMeta(db, 'session');
  const me = session?.user?.id ?? null;
  const mine = (x) => me === null || x.rep_id === undefined || x.rep_id === null || x.rep_id === me;
  const visited = new Set(
    (await recordsIn(db, 'visit'))
      .filter((v) => mine(v) && v.checked_in_at && businessDayOf(v.checked_in_at) === day)
      .map((v) => String(v.store_id)),
  );
  const extra = (id, i) => ({
    plan_order: i + 1,
    visited: visited.has(String(id)),
    plan_id: plan.id,
    plan_note: plan.note || '',
    plan_pending: Boolean(row.pending),
  });
  return Promise.all(
    (plan.store_ids || []).map(async (id, i) => {
      const s = await oneIn(db, 'store', id);
      return s ? { ...s, ...extra(id, i) } : { id, unknown: true, ...extra(id, i) };
    }),
  );
}

/**
 * The signed-in user's visits checked in on `day` ('YYYY-MM-DD', the business day: zone.js), planned
 * or not, oldest first, each with `store` (the store record, or null when not on this phone).
 */
export async function dayVisitsIn(db, day) {
  const session = await getMeta(db, 'session');
  const me = session?.user?.id ?? null;
  const list = (await recordsIn(db, 'visit')).filter(
    (v) =>
      (me === null || v.rep_id === undefined || v.rep_id === null || v.rep_id === me) &&
      v.checked_in_at &&
      businessDayOf(v.checked_in_at) === day,
  );
  list.sort((a, b) => ms(a.checked_in_at) - ms(b.checked_in_at));
  return Promise.all(list.map(async (v) => ({ ...v, store: await oneIn(db, 'store', v.store_id) })));
}

// --- sync -----------------------------------------------------------------------------------

/** When the last complete pull ended (ISO) and the server's last applied mutation id. */
export async function syncInfoIn(db) {
  return {
    lastPulledAt: (await getMeta(db, 'lastPulledAt')) ?? null,
    lastMutationId: (await getMeta(db, 'lastMutationId')) ?? 0,
    clientId: (await getMeta(db, 'clientId')) ?? null,
  };
}

// --- bound to one database ------------------------------------------------------------------

/** The queries over database `db`; `now()` (ms, for tests) dates "today" on the business
 * calendar, as the server's (zone.js): the cards' standing and the default day of the visit plan. */
export function createQueries(db = defaultDb, { now = () => Date.now() } = {}) {
  const today = () => businessToday(now());
  return {
    stores: () => storesIn(db),
    nearbyStores: (lat, lon, limit) => nearbyStoresIn(db, lat, lon, limit),
    searchStores: (text) => searchStoresIn(db, text),
    store: (id) => storeIn(db, id),
    storeHistory: (id) => storeHistoryIn(db, id),
    catalogue: () => catalogueIn(db),
    /** The outbox: every entry not yet acknowledged (`pending`) or refused (`rejected`), oldest first. */
    outbox: () => outboxRows(db),
    /** `{pending, rejected, photosPending, photosFailed, oldestPendingAt}` for badges. */
    syncCounts: () => outboxCounts(db),
    /** One visit, or null. */
    visit: (id) => oneIn(db, 'visit', id),
    openVisit: (storeId) => openVisitIn(db, storeId),
    visitRecords: (visitId) => visitRecordsIn(db, visitId),
    photo: (id) => photoIn(db, id),
    /** Every record of one entity (`'visit'`, `'intel_report'`, …). */
    records: (entity) => recordsIn(db, entity),
    syncInfo: () => syncInfoIn(db),
    cards: (options) => cardsIn(db, today(), options),
    card: (id) => cardIn(db, today(), id),
    spotChecks: (visitId) => spotChecksIn(db, visitId),
    /** The plan of `day` (default: today, the business day). */
    dayPlan: (day) => dayPlanIn(db, day || today()),
    /** The planned stores of `day` (default: today, the business day). */
    plannedStores: (day) => plannedStoresIn(db, day || today()),
    /** The signed-in user's visits of `day` (default: today), planned or not. */
    dayVisits: (day) => dayVisitsIn(db, day || today()),
  };
}

const queries = createQueries();

export const {
  stores,
  nearbyStores,
  searchStores,
  store,
  storeHistory,
  catalogue,
  outbox,
  syncCounts,
  visit,
  openVisit,
  visitRecords,
  photo,
  records,
  syncInfo,
  cards,
  card,
  spotChecks,
  dayPlan,
  plannedStores,
  dayVisits,
} = queries;
