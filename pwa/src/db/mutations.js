// The one registry of the sync mutations this app sends (SPEC.md §I.3.1), after Replicache's
// `mutators`: one entry per mutation name, holding everything the app knows about it —
//
//   label     the i18n key of its name in the outbox (in src/i18n/en.js and zh-CN.js);
//   entity    the kind of local record it writes;
//   creates   true when `args.id` is the id of a new record of `entity`, created once (SPEC's
//             "create" and "append-only" rules); the test fake server creates those by itself;
//   apply     its optimistic local write: (db, args, {mutationId, hlc}) inside a transaction over
//             `entities` and `meta` (also what re-applies a corrected refused mutation);
//   describe  (optional) the outbox line's parts: (args, {store, label, t, fmt}) → [text | null];
//             without it the outbox shows the store's name, else the entry's label, else `#store_id`.
//
// Actions (actions.js) build and validate the args, then enqueue through `mutationNamed`, which
// throws for a name not in here; the outbox (screens/rep/Outbox.js) labels and describes entries
// from here; the engine's test server (sync/testing/fake-server.js) checks names against it.
// mutations.test.js keeps these names equal to SPEC.md's list (tests/sync/test_mutation_names.py
// does the same for the server's handlers), so a new mutation is: one entry here, its two
// labels, the server's handler, SPEC.md — and an action to enqueue it.
import { getMeta } from './index.js';
import { applyOverlay } from './overlay.js';
import { termsFor, termsJson } from '../warranty/rules.js';
import { businessToday } from '../warranty/zone.js';
import { quizOf, scoredAttendees } from './training.js';
import { applyExchange, applyRepair, applyReturn } from './serviceLocal.js';

/** A value that is there (not undefined / null / ''). */
export function given(v) {
  return v !== undefined && v !== null && v !== '';
}

/** Copy `source` into `target` without the absent (undefined / null / '') values. */
export function putGiven(target, source) {
  for (const [k, v] of Object.entries(source)) if (given(v)) target[k] = v;
  return target;
}

const userOf = async (db) => (await getMeta(db, 'session'))?.user ?? null;
const entityData = async (db, entity, id) => (await db.entities.get([entity, String(id)]))?.data;

/** The store of a clerk's phone when the session does not say it: the only store pulled. */
async function onlyStoreId(db) {
  const stores = await db.entities.where('entity').equals('store').limit(2).toArray();
  return stores.length === 1 ? (stores[0].data?.id ?? Number(stores[0].id)) : null;
}

export const MUTATIONS = {
  'visit.check_in': {
    label: 'mutation.visit.check_in',
    entity: 'visit',
    creates: true,
    async apply(db, args, ctx) {
      const user = await userOf(db);
      return applyOverlay(
        db,
        'visit',
        args.id,
        {
          id: args.id,
          store_id: args.store_id,
          rep_id: user?.id ?? null,
          checked_in_at: args.checked_in_at,
          latitude: args.latitude,
          longitude: args.longitude,
          accuracy_m: args.accuracy_m,
          checked_out_at: null,
          ...(given(args.notes) ? { notes: args.notes } : {}),
        },
        ctx,
      );
    },
  },

  'visit.check_out': {
    label: 'mutation.visit.check_out',
    entity: 'visit',
    apply: (db, args, ctx) =>
      applyOverlay(
        db,
        'visit',
        args.visit_id,
        putGiven(
          { checked_out_at: args.checked_out_at },
          {
            check_out_latitude: args.latitude,
            check_out_longitude: args.longitude,
            check_out_accuracy_m: args.accuracy_m,
            notes: args.notes,
          },
        ),
        ctx,
      ),
  },

  'display.check': {
    label: 'mutation.display.check',
    entity: 'display_check',
    creates: true,
    async apply(db, args, ctx) {
      const visit = await entityData(db, 'visit', args.visit_id);
      return applyOverlay(
        db,
        'display_check',
        args.id,
        { ...args, store_id: visit?.store_id ?? null, photo_ids: args.photo_ids ?? [] },
        ctx,
      );
    },
  },

  'stock.move': {
    label: 'mutation.stock.move',
    entity: 'stock_movement',
    creates: true,
    apply: (db, args, ctx) => applyOverlay(db, 'stock_movement', args.id, { visit_id: null, ...args }, ctx),
    describe: (a, { store, label, t, fmt }) => [store, label, `${t(`stock.kind.${a.kind}`)} ${fmt.number(a.quantity)}`],
  },

  'price.observe': {
    label: 'mutation.price.observe',
    entity: 'price_observation',
    creates: true,
    apply: (db, args, ctx) =>
      applyOverlay(
        db,
        'price_observation',
        args.id,
        {
          visit_id: null,
          product_id: null,
          competitor_model_id: null,
          promo_price: null,
          ...args,
          photo_ids: args.photo_ids ?? [],
        },
        ctx,
      ),
    describe: (a, { store, label, fmt }) => [
      store,
      label,
      fmt.price(a.shelf_price),
      a.promo_price != null ? `→ ${fmt.price(a.promo_price)}` : null,
    ],
  },

  // Phones at the store (issue 16): append-only field records, like a price observation.
  'shop_stock.count': {
    label: 'mutation.shop_stock.count',
    entity: 'shop_stock_count',
    creates: true,
    apply: (db, args, ctx) =>
      applyOverlay(db, 'shop_stock_count', args.id, { visit_id: null, demo_unit: null, ...args }, ctx),
    describe: (a, { store, label, t, fmt }) => [
      store,
      label,
      a.on_hand === 0 ? t('phones.outOfStock') : t('phones.onHand', { n: fmt.number(a.on_hand) }),
      a.demo_unit === true ? t('phones.demo') : null,
    ],
  },

  'sellout.report': {
    label: 'mutation.sellout.report',
    entity: 'sellout_report',
    creates: true,
    apply: (db, args, ctx) => applyOverlay(db, 'sellout_report', args.id, { visit_id: null, ...args }, ctx),
    describe: (a, { store, label, t, fmt }) => [
      store,
      label,
      t('phones.soldLine', { n: fmt.number(a.units), from: a.period_start, to: a.period_end }),
      t(`phones.source.${a.source}`),
    ],
  },

  'sellout.competitor': {
    label: 'mutation.sellout.competitor',
    entity: 'competitor_sellout',
    creates: true,
    apply: (db, args, ctx) =>
      applyOverlay(db, 'competitor_sellout', args.id, { visit_id: null, units: null, band: null, ...args }, ctx),
    describe: (a, { store, label, t, fmt }) => [
      store,
      label,
      a.units !== undefined && a.units !== null
        ? t('phones.weekUnits', { n: fmt.number(a.units), week: a.week_start })
        : t('phones.weekBand', { band: a.band, week: a.week_start }),
      t(`phones.source.${a.source}`),
    ],
  },

  'intel.report': {
    label: 'mutation.intel.report',
    entity: 'intel_report',
    creates: true,
    apply: (db, args, ctx) =>
      applyOverlay(db, 'intel_report', args.id, { status: 'pending', ...args, photo_ids: args.photo_ids ?? [] }, ctx),
    describe: (a, { t }) => [a.kind ? t(`intel.kind.${a.kind}`) : null, a.name],
  },

  'store.update': {
    label: 'mutation.store.update',
    entity: 'store',
    apply: (db, args, ctx) => applyOverlay(db, 'store', args.store_id, args.fields, { ...ctx, editable: true }),
  },

  'contact.upsert': {
    label: 'mutation.contact.upsert',
    entity: 'contact',
    apply: (db, args, ctx) =>
      applyOverlay(
        db,
        'contact',
        args.id,
        { id: args.id, store_id: args.store_id, ...args.fields },
        { ...ctx, editable: true },
      ),
  },

  'contact.delete': {
    label: 'mutation.contact.delete',
    entity: 'contact',
    apply: (db, args, ctx) =>
      applyOverlay(db, 'contact', args.id, { id: args.id, store_id: args.store_id }, { ...ctx, deleted: true }),
  },

  'warranty.register': {
    label: 'mutation.warranty.register',
    entity: 'warranty_card',
    creates: true,
    async apply(db, args, ctx) {
      const user = await userOf(db);
      const product = await entityData(db, 'product', args.product_id);
      return applyOverlay(
        db,
        'warranty_card',
        args.id,
        {
          imei2: null,
          buyer_address: '',
          ...args,
          store_id: user?.store_id ?? (await onlyStoreId(db)),
          registered_by: user?.id ?? null,
          received_at: null,
          revision: 1,
          corrected_at: null,
          voided_at: null,
          void_reason: null,
          terms: termsJson(termsFor(args.purchase_date, product)),
          masked: false,
        },
        ctx,
      );
    },
  },

  'warranty.correct': {
    label: 'mutation.warranty.correct',
    entity: 'warranty_card',
    async apply(db, args, ctx) {
      const card = await entityData(db, 'warranty_card', args.id);
      const fields = { ...args.fields };
      const next = { ...(card || {}), ...fields };
      if (('purchase_date' in fields || 'product_id' in fields) && next.purchase_date) {
        fields.terms = termsJson(termsFor(next.purchase_date, await entityData(db, 'product', next.product_id)));
      }
      return applyOverlay(db, 'warranty_card', args.id, fields, ctx);
    },
  },

  // 三包 service events at the counter (issue 17): db/serviceLocal.js has their local effects.
  'warranty.return': {
    label: 'mutation.warranty.return',
    entity: 'service_event',
    creates: true,
    apply: applyReturn,
  },

  'warranty.exchange': {
    label: 'mutation.warranty.exchange',
    entity: 'service_event',
    creates: true,
    apply: applyExchange,
  },

  'warranty.repair': {
    label: 'mutation.warranty.repair',
    entity: 'service_event',
    creates: true,
    apply: applyRepair,
  },

  'imei.spot_check': {
    label: 'mutation.imei.spot_check',
    entity: 'imei_spot_check',
    creates: true,
    async apply(db, args, ctx) {
      const user = await userOf(db);
      return applyOverlay(
        db,
        'imei_spot_check',
        args.id,
        {
          visit_id: null,
          ...args,
          rep_id: user?.id ?? null,
          received_at: null,
          shipment_match: null,
        },
        ctx,
      );
    },
  },

  'plan.save': {
    label: 'mutation.plan.save',
    entity: 'visit_plan',
    // Shown at once in the order picked; the server's version (ordered when `optimise`) replaces
    // it when pulled. Distances are the server's to work out.
    async apply(db, args, ctx) {
      const user = await userOf(db);
      const plan = await entityData(db, 'visit_plan', args.id);
      const wall = ctx.hlc ? Number(String(ctx.hlc).slice(0, 15)) : NaN;
      return applyOverlay(
        db,
        'visit_plan',
        args.id,
        {
          id: args.id,
          rep_id: args.rep_id ?? plan?.rep_id ?? user?.id ?? null,
          day: args.day,
          store_ids: [...args.store_ids],
          picked_store_ids: [...args.store_ids],
          start_latitude: args.start_latitude ?? null,
          start_longitude: args.start_longitude ?? null,
          distance_picked_m: null,
          distance_planned_m: null,
          note: args.note ?? '',
          ...(Number.isFinite(wall) ? { updated_at: new Date(wall).toISOString() } : {}),
        },
        ctx,
      );
    },
  },
};

// Promoters' training at a visit (issue 17): a field record like a price observation; the
// phone scores each attendee's answers against the topic's quiz as the server does again.
MUTATIONS['training.record'] = {
  label: 'mutation.training.record',
  entity: 'training_session',
  creates: true,
  async apply(db, args, ctx) {
    const user = await userOf(db);
    const topic = await entityData(db, 'training_topic', args.topic_id);
    return applyOverlay(
      db,
      'training_session',
      args.id,
      {
        visit_id: null,
        note: '',
        ...args,
        rep_id: user?.id ?? null,
        held_on: businessToday(args.held_at),
        received_at: null,
        attendees: scoredAttendees(quizOf(topic), args.attendees),
      },
      ctx,
    );
  },
  describe: (a, { store, label, t, fmt }) => [
    store,
    label,
    t('trainStep.people', { n: (a.attendees || []).length }),
    t('trainStep.minutes', { n: fmt.number(a.duration_minutes) }),
  ],
};

// Tasks for reps (issue 18): the task shows done at once, by this rep, at this visit; the server's
// version replaces it when pulled (refused: the server's state — cancelled, or done by another —
// comes back and the outbox says why).
MUTATIONS['task.complete'] = {
  label: 'mutation.task.complete',
  entity: 'task',
  async apply(db, args, ctx) {
    const user = await userOf(db);
    return applyOverlay(
      db,
      'task',
      args.task_id,
      {
        status: 'done',
        done_at: args.done_at,
        done_by: user?.id ?? null,
        done_visit_id: args.visit_id ?? null,
        done_note: args.note ?? '',
        photo_ids: [...(args.photo_ids ?? [])],
      },
      ctx,
    );
  },
  describe: (a, { label, t }) => [label, a.photo_ids?.length ? t('repTask.photos', { n: a.photo_ids.length }) : null],
};

/** The registry's entry for `name`; throws for a name this app does not send. */
export function mutationNamed(name) {
  const entry = Object.hasOwn(MUTATIONS, name) ? MUTATIONS[name] : undefined;
  if (!entry) throw new TypeError(`unknown mutation ${JSON.stringify(name)} (not in db/mutations.js)`);
  return entry;
}

/** The optimistic effect of mutation `name` with `args` on the local records (see `apply` above). */
export async function applyLocal(db, name, args, { mutationId, hlc }) {
  return mutationNamed(name).apply(db, args, { mutationId, hlc });
}

/** The i18n key of the outbox label of mutation `name` (`mutation.<name>` for one not in here). */
export function labelKey(name) {
  return (Object.hasOwn(MUTATIONS, name) && MUTATIONS[name].label) || `mutation.${name}`;
}

/**
 * The outbox's line for outbox row `row` (`{name, args, label}`), its parts joined with ' · ':
 * `storeName` is the name of the store of `args.store_id` when this phone has it, `t` and `fmt`
 * the i18n functions (passed in so that this module stays free of the UI's language state).
 */
export function describeMutation(row, storeName, { t, fmt }) {
  const a = row.args || {};
  const store = storeName || (a.store_id != null ? `#${a.store_id}` : null);
  const describe = Object.hasOwn(MUTATIONS, row.name) ? MUTATIONS[row.name].describe : undefined;
  const bits = describe ? describe(a, { store, label: row.label, t, fmt }) : [storeName || row.label || store];
  return bits.filter(Boolean).join(' · ');
}
