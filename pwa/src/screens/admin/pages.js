// The admin pages as configurations of AdminPage: which endpoint, which filters, columns and
// fields (their checks are the API's: backend/auth/schemas.py, backend/stores/schemas.py,
// backend/catalogue/schemas.py), and the users' extra actions. Nothing here is a screen of its own
// but the password reset panel (ResetPassword.js).
import { html } from 'htm/preact';
import { request, requestPage } from '../../api.js';
import { lang, localName, t } from '../../i18n/index.js';
import { fetchAllPages } from '../desk/kit.js';
import { selfAndBelow } from './forms.js';
import { ResetPassword } from './ResetPassword.js';

// --- the lists selects and columns name ----------------------------------------------------------

const all = (path, label) => async () =>
  (
    await fetchAllPages(({ page, pageSize }) => requestPage(path, { query: { page, page_size: pageSize } }), {
      maxRows: 5000,
    })
  ).map((item) => ({ ...item, label: label(item) }));
const coded = (item) => `${item.code} · ${item.name}`;

const LISTS = {
  regions: all('/regions', coded),
  territories: all('/territories', coded),
  stores: all('/stores', coded),
  partners: all('/partners', coded),
  brands: all('/competitor-brands', (b) => localName(b)),
  rivals: all('/competitor-models', (m) => localName(m)),
};

/** The label of `id` in a loaded list ('' when unknown or none). */
export function labelOf(lists, name, id) {
  if (id === null || id === undefined) return '';
  return (lists?.[name] || []).find((item) => item.id === id)?.label || `#${id}`;
}

/** A page's configuration: its strings are admin.<key>.title, .new, .newTitle, .editTitle (and
 * .explain when `explain`). */
function page(key, path, { explain = false } = {}, config = {}) {
  return {
    key,
    path,
    title: `admin.${key}.title`,
    explain: explain ? `admin.${key}.explain` : null,
    newLabel: `admin.${key}.new`,
    newTitle: `admin.${key}.newTitle`,
    editTitle: `admin.${key}.editTitle`,
    ...config,
  };
}
const choices = (keyOf, values) => values.map((v) => [v, keyOf(v)]);
const ACTIVE_FILTER = {
  name: 'active',
  label: 'admin.state',
  options: [
    ['true', 'admin.active'],
    ['false', 'admin.inactive'],
  ],
};
const SEARCH = { name: 'q', label: 'common.search', type: 'search' };
const ACTIVE_FIELD = { name: 'active', label: 'admin.activeField', type: 'checkbox', initial: true };
const stateTag = (row) =>
  row.active === false
    ? html`<span class="tag tag-err">${t('admin.inactive')}</span>`
    : html`<span class="tag tag-ok">${t('admin.active')}</span>`;
const STATE_COLUMN = { key: 'active', label: 'admin.state', value: stateTag };
const nameColumn = (key = 'name') => ({ key, label: 'admin.name', value: (row) => localName(row) });
const price = (v) => (v === null || v === undefined ? '' : `¥${v}`);
const adminOnly = (user) => user?.role === 'admin';
const inactive = (row) => row.active === false;

// --- users ---------------------------------------------------------------------------------------

export const ROLES = ['rep', 'manager', 'clerk', 'hq', 'admin'];
const PLACEMENT = {
  rep: ['territory_id', 'territories'],
  manager: ['region_id', 'regions'],
  clerk: ['store_id', 'stores'],
};

/** Where a user belongs, as text: a rep's territory, a manager's region, a clerk's store. */
export function placementOf(user, lists) {
  const [field, list] = PLACEMENT[user.role] || [];
  return field ? labelOf(lists, list, user[field]) : '';
}

async function setActive(row, ctx) {
  const saved = await ctx.run(() => request('PATCH', `/users/${row.id}`, { json: { active: !row.active } }), row.id);
  if (saved) {
    ctx.say(t(saved.active ? 'admin.users.reactivated' : 'admin.users.deactivated', { name: saved.username }));
    ctx.reload();
  }
}

const users = page(
  'users',
  '/users',
  { explain: true },
  {
    rowName: (u) => u.username,
    canEdit: adminOnly,
    inactive,
    lists: { regions: LISTS.regions, territories: LISTS.territories, stores: LISTS.stores },
    filters: [
      SEARCH,
      { name: 'role', label: 'admin.users.role', options: choices((v) => `admin.role.${v}`, ROLES) },
      { name: 'region_id', label: 'admin.region', options: 'regions' },
      ACTIVE_FILTER,
    ],
    columns: [
      { key: 'username', label: 'admin.users.username' },
      { key: 'display_name', label: 'admin.users.displayName' },
      { key: 'role', label: 'admin.users.role', value: (u) => t(`admin.role.${u.role}`) },
      { key: 'placement', label: 'admin.users.placement', value: placementOf },
      { key: 'phone', label: 'admin.users.phone' },
      STATE_COLUMN,
    ],
    fields: [
      {
        name: 'username',
        label: 'admin.users.username',
        type: 'text',
        required: true,
        fixed: true,
        pattern: /^[A-Za-z0-9_.-]{2,64}$/,
        hint: 'admin.check.username',
        help: 'admin.users.usernameHelp',
      },
      { name: 'display_name', label: 'admin.users.displayName', type: 'text', required: true, max: 120 },
      {
        name: 'role',
        label: 'admin.users.role',
        type: 'select',
        required: true,
        options: choices((v) => `admin.role.${v}`, ROLES),
        initial: 'rep',
      },
      { name: 'phone', label: 'admin.users.phone', type: 'text', max: 32 },
      {
        name: 'territory_id',
        label: 'admin.territory',
        type: 'ref',
        options: 'territories',
        required: true,
        when: (v) => v.role === 'rep',
        clearWhenHidden: true,
      },
      {
        name: 'region_id',
        label: 'admin.region',
        type: 'ref',
        options: 'regions',
        required: true,
        when: (v) => v.role === 'manager',
        clearWhenHidden: true,
      },
      {
        name: 'store_id',
        label: 'admin.store',
        type: 'ref',
        options: 'stores',
        required: true,
        when: (v) => v.role === 'clerk',
        clearWhenHidden: true,
      },
      {
        name: 'password',
        label: 'admin.users.password',
        type: 'password',
        required: true,
        create: true,
        minLength: 8,
        max: 256,
        help: 'admin.users.passwordHelp',
      },
    ],
    createDefaults: { active: true },
    // A rep moved to another territory: what becomes of their work (backend: users, sync scope).
    editNote: (record, values) =>
      record?.role === 'rep' && values.role === 'rep' && String(record.territory_id ?? '') !== values.territory_id
        ? t('admin.users.moveNote')
        : null,
    actions: [
      {
        key: 'toggle',
        label: (u) => (u.active ? 'admin.users.deactivate' : 'admin.users.reactivate'),
        run: setActive,
        when: (u, me) => u.id !== me?.id,
      },
      { key: 'reset', label: () => 'admin.users.reset', panel: 'reset' },
    ],
    panels: { reset: ResetPassword },
  },
);

// --- stores --------------------------------------------------------------------------------------

const KINDS = ['counter', 'shop', 'service_point'];
const TIERS = ['A', 'B', 'C'];
const STATUSES = ['prospect', 'active', 'closed'];

const stores = page(
  'stores',
  '/stores',
  {},
  {
    rowName: (s) => s.name,
    inactive: (s) => s.status === 'closed',
    lists: { territories: LISTS.territories, partners: LISTS.partners, regions: LISTS.regions },
    filters: [
      SEARCH,
      { name: 'region_id', label: 'admin.region', options: 'regions' },
      { name: 'territory_id', label: 'admin.territory', options: 'territories' },
      { name: 'tier', label: 'admin.stores.tier', options: choices((v) => `admin.tier.${v}`, TIERS) },
      { name: 'status', label: 'admin.stores.status', options: choices((v) => `admin.status.${v}`, STATUSES) },
    ],
    columns: [
      { key: 'code', label: 'admin.code' },
      { key: 'name', label: 'admin.name' },
      {
        key: 'territory_id',
        label: 'admin.territory',
        value: (s, lists) => labelOf(lists, 'territories', s.territory_id),
      },
      { key: 'tier', label: 'admin.stores.tier' },
      { key: 'kind', label: 'admin.stores.kind', value: (s) => t(`admin.kind.${s.kind}`) },
      {
        key: 'partner_id',
        label: 'admin.stores.partner',
        value: (s, lists) => labelOf(lists, 'partners', s.partner_id),
      },
      { key: 'status', label: 'admin.stores.status', value: (s) => t(`admin.status.${s.status}`) },
    ],
    fields: [
      { name: 'code', label: 'admin.code', type: 'text', required: true, max: 32 },
      { name: 'name', label: 'admin.name', type: 'text', required: true, max: 200 },
      { name: 'territory_id', label: 'admin.territory', type: 'ref', options: 'territories', required: true },
      { name: 'partner_id', label: 'admin.stores.partner', type: 'ref', options: 'partners' },
      {
        name: 'kind',
        label: 'admin.stores.kind',
        type: 'select',
        required: true,
        options: choices((v) => `admin.kind.${v}`, KINDS),
        initial: 'counter',
      },
      {
        name: 'tier',
        label: 'admin.stores.tier',
        type: 'select',
        required: true,
        options: choices((v) => `admin.tier.${v}`, TIERS),
        initial: 'C',
      },
      {
        name: 'status',
        label: 'admin.stores.status',
        type: 'select',
        required: true,
        options: choices((v) => `admin.status.${v}`, STATUSES),
        initial: 'active',
      },
      { name: 'address', label: 'admin.stores.address', type: 'text', max: 300, wide: true, blank: '' },
      { name: 'latitude', label: 'admin.stores.latitude', type: 'number', required: true, min: -90, max: 90 },
      { name: 'longitude', label: 'admin.stores.longitude', type: 'number', required: true, min: -180, max: 180 },
    ],
  },
);

// --- partners ------------------------------------------------------------------------------------

const PARTNER_KINDS = [
  'national_distributor',
  'provincial_distributor',
  'local_distributor',
  'retail_chain',
  'carrier',
  'online',
];
const YES_NO = [
  ['true', 'common.yes'],
  ['false', 'common.no'],
];

// Channel partners (backend/org): the distributors' chain (a local distributor's parent is a
// provincial one…) and whether one repairs phones under 三包 — an active repair provider is offered
// to the clerks as a repair point (GET /repair-points), beside the service-point stores.
const partners = page(
  'partners',
  '/partners',
  { explain: true },
  {
    rowName: (p) => p.code,
    inactive,
    lists: { partners: LISTS.partners },
    filters: [
      SEARCH,
      { name: 'kind', label: 'admin.partners.kind', options: choices((v) => `admin.partnerKind.${v}`, PARTNER_KINDS) },
      { name: 'repair_provider', label: 'admin.partners.repairProvider', options: YES_NO },
      ACTIVE_FILTER,
    ],
    columns: [
      { key: 'code', label: 'admin.code' },
      { key: 'name', label: 'admin.name' },
      { key: 'kind', label: 'admin.partners.kind', value: (p) => t(`admin.partnerKind.${p.kind}`) },
      {
        key: 'parent_id',
        label: 'admin.partners.parent',
        value: (p, lists) => labelOf(lists, 'partners', p.parent_id),
      },
      {
        key: 'repair_provider',
        label: 'admin.partners.repairProvider',
        value: (p) =>
          p.repair_provider
            ? html`<span class="tag tag-ok" data-testid="admin-repair-provider">${t('admin.partners.repairs')}</span>`
            : '',
      },
      STATE_COLUMN,
    ],
    fields: [
      { name: 'code', label: 'admin.code', type: 'text', required: true, max: 32 },
      { name: 'name', label: 'admin.name', type: 'text', required: true, max: 200 },
      {
        name: 'kind',
        label: 'admin.partners.kind',
        type: 'select',
        required: true,
        options: choices((v) => `admin.partnerKind.${v}`, PARTNER_KINDS),
        initial: 'local_distributor',
      },
      {
        name: 'parent_id',
        label: 'admin.partners.parent',
        type: 'ref',
        options: 'partners',
        help: 'admin.partners.parentHelp',
        // Not itself nor a partner that buys from it (directly or further down): the server would
        // refuse the loop.
        exclude: (item, record, list) => !!record && selfAndBelow(list, record.id).has(String(item.id)),
      },
      {
        name: 'repair_provider',
        label: 'admin.partners.repairProviderField',
        type: 'checkbox',
        initial: false,
        help: 'admin.partners.repairProviderHelp',
      },
      ACTIVE_FIELD,
    ],
  },
);

// --- catalogue -----------------------------------------------------------------------------------

const products = page(
  'products',
  '/products',
  { explain: true },
  {
    rowName: (p) => p.model_code,
    inactive,
    lists: { rivals: LISTS.rivals },
    filters: [SEARCH, ACTIVE_FILTER],
    columns: [
      { key: 'model_code', label: 'admin.products.model' },
      nameColumn(),
      {
        key: 'tac_codes',
        label: 'admin.products.tacs',
        value: (p) => html`<span class="admin-tacs">${(p.tac_codes || []).join(' ')}</span>`,
      },
      {
        key: 'terms',
        label: 'admin.products.terms',
        value: (p) => t('admin.products.termsValue', { r: p.return_days, e: p.exchange_days, m: p.repair_months }),
      },
      { key: 'list_price', label: 'admin.price', num: true, value: (p) => price(p.list_price) },
      STATE_COLUMN,
    ],
    fields: [
      { name: 'model_code', label: 'admin.products.model', type: 'text', required: true, max: 32 },
      { name: 'name', label: 'admin.nameZh', type: 'text', required: true, max: 120 },
      { name: 'name_en', label: 'admin.nameEn', type: 'text', max: 120 },
      { name: 'launch_date', label: 'admin.launchDate', type: 'date' },
      { name: 'list_price', label: 'admin.price', type: 'money' },
      {
        name: 'tac_codes',
        label: 'admin.products.tacs',
        type: 'list',
        pattern: /^[0-9]{8}$/,
        hint: 'admin.check.tac',
        maxItems: 200,
        help: 'admin.products.tacHelp',
        wide: true,
      },
      { name: 'return_days', label: 'admin.products.returnDays', type: 'integer', min: 0, max: 365, initial: 7 },
      { name: 'exchange_days', label: 'admin.products.exchangeDays', type: 'integer', min: 0, max: 365, initial: 15 },
      { name: 'repair_months', label: 'admin.products.repairMonths', type: 'integer', min: 0, max: 120, initial: 12 },
      {
        name: 'rival_model_ids',
        label: 'admin.products.rivals',
        type: 'multi',
        options: 'rivals',
        maxItems: 50,
        help: 'admin.products.rivalsHelp',
      },
      ACTIVE_FIELD,
    ],
  },
);

const brands = page(
  'brands',
  '/competitor-brands',
  {},
  {
    rowName: (b) => b.name,
    inactive,
    filters: [SEARCH, ACTIVE_FILTER],
    columns: [nameColumn(), STATE_COLUMN],
    fields: [
      { name: 'name', label: 'admin.nameZh', type: 'text', required: true, max: 80 },
      { name: 'name_en', label: 'admin.nameEn', type: 'text', max: 80 },
      ACTIVE_FIELD,
    ],
  },
);

const competitors = page(
  'competitors',
  '/competitor-models',
  {},
  {
    rowName: (m) => m.name,
    inactive,
    lists: { brands: LISTS.brands },
    filters: [SEARCH, { name: 'brand_id', label: 'admin.competitors.brand', options: 'brands' }, ACTIVE_FILTER],
    columns: [
      { key: 'brand_id', label: 'admin.competitors.brand', value: (m, lists) => labelOf(lists, 'brands', m.brand_id) },
      nameColumn(),
      { key: 'launch_date', label: 'admin.launchDate' },
      { key: 'list_price', label: 'admin.price', num: true, value: (m) => price(m.list_price) },
      STATE_COLUMN,
    ],
    fields: [
      { name: 'brand_id', label: 'admin.competitors.brand', type: 'ref', options: 'brands', required: true },
      { name: 'name', label: 'admin.nameZh', type: 'text', required: true, max: 120 },
      { name: 'name_en', label: 'admin.nameEn', type: 'text', max: 120 },
      { name: 'launch_date', label: 'admin.launchDate', type: 'date' },
      { name: 'list_price', label: 'admin.price', type: 'money' },
      ACTIVE_FIELD,
    ],
  },
);

const MATERIAL_KINDS = ['poster', 'standee', 'demo_unit', 'gift', 'other'];

const materials = page(
  'materials',
  '/promo-materials',
  {},
  {
    rowName: (m) => m.code,
    inactive,
    filters: [
      SEARCH,
      { name: 'kind', label: 'admin.materials.kind', options: choices((v) => `admin.material.${v}`, MATERIAL_KINDS) },
      ACTIVE_FILTER,
    ],
    columns: [
      { key: 'code', label: 'admin.code' },
      nameColumn(),
      { key: 'kind', label: 'admin.materials.kind', value: (m) => t(`admin.material.${m.kind}`) },
      { key: 'unit_cost', label: 'admin.materials.unitCost', num: true, value: (m) => price(m.unit_cost) },
      STATE_COLUMN,
    ],
    fields: [
      { name: 'code', label: 'admin.code', type: 'text', required: true, max: 32 },
      { name: 'name', label: 'admin.nameZh', type: 'text', required: true, max: 120 },
      { name: 'name_en', label: 'admin.nameEn', type: 'text', max: 120 },
      {
        name: 'kind',
        label: 'admin.materials.kind',
        type: 'select',
        required: true,
        options: choices((v) => `admin.material.${v}`, MATERIAL_KINDS),
        initial: 'poster',
      },
      { name: 'unit_cost', label: 'admin.materials.unitCost', type: 'money' },
      ACTIVE_FIELD,
    ],
  },
);

const ANSWER_TYPES = ['yes_no', 'number'];
const ON_FAIL = ['none', 'reason', 'photo', 'photo_or_reason'];

const checklist = page(
  'checklist',
  '/checklist-items',
  { explain: true },
  {
    rowName: (c) => c.code,
    inactive,
    filters: [SEARCH, ACTIVE_FILTER],
    columns: [
      { key: 'sort_order', label: 'admin.checklist.order', num: true },
      { key: 'code', label: 'admin.code' },
      {
        key: 'label',
        label: 'admin.checklist.label',
        value: (c) => (lang() === 'en' ? c.label_en : c.label_zh) || c.label_zh,
      },
      {
        key: 'answer_type',
        label: 'admin.checklist.answerType',
        value: (c) => t(`admin.answer.${c.answer_type}`) + (c.answer_type === 'number' ? ` ≥ ${c.target}` : ''),
      },
      { key: 'weight', label: 'admin.checklist.weight', num: true },
      { key: 'on_fail', label: 'admin.checklist.onFail', value: (c) => t(`admin.onFail.${c.on_fail}`) },
      STATE_COLUMN,
    ],
    fields: [
      { name: 'code', label: 'admin.code', type: 'text', required: true, max: 32 },
      { name: 'label_zh', label: 'admin.checklist.labelZh', type: 'text', required: true, max: 200 },
      { name: 'label_en', label: 'admin.checklist.labelEn', type: 'text', required: true, max: 200 },
      {
        name: 'answer_type',
        label: 'admin.checklist.answerType',
        type: 'select',
        required: true,
        options: choices((v) => `admin.answer.${v}`, ANSWER_TYPES),
        initial: 'yes_no',
      },
      {
        name: 'target',
        label: 'admin.checklist.target',
        type: 'number',
        required: true,
        min: 0,
        when: (v) => v.answer_type === 'number',
        clearWhenHidden: true,
      },
      { name: 'weight', label: 'admin.checklist.weight', type: 'integer', min: 0, max: 100, initial: 1 },
      { name: 'sort_order', label: 'admin.checklist.order', type: 'integer', initial: 0 },
      {
        name: 'on_fail',
        label: 'admin.checklist.onFail',
        type: 'select',
        required: true,
        options: choices((v) => `admin.onFail.${v}`, ON_FAIL),
        initial: 'none',
      },
      ACTIVE_FIELD,
    ],
  },
);

/** The pages in the navigation's order: [key, config]. */
export const ADMIN_PAGES = [
  ['users', users],
  ['stores', stores],
  ['partners', partners],
  ['products', products],
  ['competitors', competitors],
  ['brands', brands],
  ['materials', materials],
  ['checklist', checklist],
];
