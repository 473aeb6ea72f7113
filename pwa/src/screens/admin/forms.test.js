import { describe, expect, it } from 'vitest';
import {
  bodyOf,
  checkField,
  checkValues,
  errorField,
  formValues,
  listQuery,
  refOptions,
  selfAndBelow,
  splitList,
  visibleFields,
} from './forms.js';
import { ADMIN_PAGES, labelOf, placementOf } from './pages.js';

const config = (key) => ADMIN_PAGES.find(([k]) => k === key)[1];
const USERS = config('users').fields;
const PRODUCTS = config('products').fields;
const CHECKLIST = config('checklist').fields;

describe('admin forms: checks before sending (the API rules)', () => {
  it('asks a rep for a territory, a manager for a region, a clerk for a store, HQ for none', () => {
    const base = {
      username: 'li_lei',
      display_name: '李雷',
      password: 'long enough',
      territory_id: '',
      region_id: '',
      store_id: '',
    };
    expect(Object.keys(checkValues(USERS, { ...base, role: 'rep' }, true))).toEqual(['territory_id']);
    expect(Object.keys(checkValues(USERS, { ...base, role: 'manager' }, true))).toEqual(['region_id']);
    expect(Object.keys(checkValues(USERS, { ...base, role: 'clerk' }, true))).toEqual(['store_id']);
    expect(checkValues(USERS, { ...base, role: 'hq' }, true)).toEqual({});
  });

  it('checks the username pattern and the password rule (8 to 256) on a new user only', () => {
    const values = { username: 'a', display_name: 'A', role: 'hq', password: 'short' };
    const problems = checkValues(USERS, values, true);
    expect(problems.username.key).toBe('admin.check.username');
    expect(problems.password).toEqual({ key: 'admin.check.minLength', vars: { n: 8 } });
    // editing: the username is fixed and there is no password field (a reset has its own)
    expect(checkValues(USERS, values, false)).toEqual({});
    expect(visibleFields(USERS, values, false).map((f) => f.name)).not.toContain('password');
    expect(checkField({ type: 'password', minLength: 8, max: 256 }, ' '.repeat(8))).toBeNull(); // spaces count
    expect(checkField({ type: 'password', minLength: 8, max: 256 }, 'x'.repeat(257)).key).toBe('admin.check.maxLength');
  });

  it('checks TACs as 8 digits, each once, and the 三包 terms as whole days / months in range', () => {
    const product = formValues(PRODUCTS, null);
    expect(product.return_days).toBe('7');
    expect(product.active).toBe(true);
    const bad = {
      ...product,
      model_code: 'XL-P40',
      name: 'P40',
      tac_codes: '86000001, 8600002',
      return_days: '400',
      repair_months: '1.5',
    };
    const problems = checkValues(PRODUCTS, bad, true);
    expect(problems.tac_codes).toEqual({ key: 'admin.check.tac', vars: { value: '8600002' } });
    expect(problems.return_days).toEqual({ key: 'admin.check.max', vars: { max: 365 } });
    expect(problems.repair_months.key).toBe('admin.check.integer');
    expect(
      checkField(
        PRODUCTS.find((f) => f.name === 'tac_codes'),
        '86000001\n86000001',
      ).key,
    ).toBe('admin.check.twice');
    expect(checkField({ type: 'money' }, '2999.999').key).toBe('admin.check.money');
    expect(checkField({ type: 'money' }, '2999.5')).toBeNull();
  });

  it('asks a number checklist item for a target, not a yes/no one', () => {
    const v = { ...formValues(CHECKLIST, null), code: 'DEMO', label_zh: '演示机', label_en: 'Demo phones' };
    expect(checkValues(CHECKLIST, v, true)).toEqual({});
    expect(Object.keys(checkValues(CHECKLIST, { ...v, answer_type: 'number' }, true))).toEqual(['target']);
  });
});

describe('admin forms: the request body', () => {
  it("sends a new record's filled fields as the API types them", () => {
    const values = {
      ...formValues(PRODUCTS, null),
      model_code: ' XL-P40 ',
      name: '星澜 P40',
      tac_codes: '86000001 86000002',
      list_price: '3299',
    };
    expect(bodyOf(PRODUCTS, values, null)).toEqual({
      model_code: 'XL-P40',
      name: '星澜 P40',
      list_price: '3299',
      tac_codes: ['86000001', '86000002'],
      return_days: 7,
      exchange_days: 15,
      repair_months: 12,
      active: true,
    });
    // rivals picked from the loaded competitor models: ids as numbers
    expect(bodyOf(PRODUCTS, { ...values, rival_model_ids: ['4', '9'] }, null).rival_model_ids).toEqual([4, 9]);
  });

  it('sends only what changed on an edit, a cleared optional field as null', () => {
    const record = {
      id: 3,
      model_code: 'XL-P30',
      name: 'P30',
      name_en: 'P30',
      launch_date: '2026-03-01',
      list_price: '2999.00',
      tac_codes: ['86000001'],
      return_days: 7,
      exchange_days: 15,
      repair_months: 12,
      active: true,
    };
    const values = formValues(PRODUCTS, record);
    expect(bodyOf(PRODUCTS, values, record)).toEqual({});
    expect(bodyOf(PRODUCTS, { ...values, rival_model_ids: ['5'] }, { ...record, rival_model_ids: [5] })).toEqual({});
    expect(bodyOf(PRODUCTS, { ...values, rival_model_ids: [] }, { ...record, rival_model_ids: [5] })).toEqual({
      rival_model_ids: [],
    });
    expect(bodyOf(PRODUCTS, { ...values, name_en: '', tac_codes: '86000001\n86000003' }, record)).toEqual({
      name_en: null,
      tac_codes: ['86000001', '86000003'],
    });
  });

  it('moves a rep by their territory alone; a rep made a manager loses the territory', () => {
    const rep = {
      id: 9,
      username: 'li',
      display_name: 'Li',
      role: 'rep',
      phone: null,
      territory_id: 1,
      region_id: null,
      store_id: null,
    };
    const values = formValues(USERS, rep);
    expect(bodyOf(USERS, { ...values, territory_id: '2' }, rep)).toEqual({ territory_id: 2 });
    expect(bodyOf(USERS, { ...values, role: 'manager', region_id: '4' }, rep)).toEqual({
      role: 'manager',
      region_id: 4,
      territory_id: null,
    });
    expect(config('users').editNote(rep, { ...values, territory_id: '2' })).toBeTruthy();
    expect(config('users').editNote(rep, values)).toBeNull();
  });
});

describe('admin forms: fields the API takes no null for', () => {
  it("sends a store's empty address as '' and leaves an unchanged one out", () => {
    const STORES = config('stores').fields;
    const store = {
      id: 3,
      code: 'A2-001',
      name: '国美',
      territory_id: 2,
      partner_id: null,
      kind: 'counter',
      tier: 'B',
      status: 'active',
      address: '',
      latitude: 23.12,
      longitude: 113.27,
    };
    const values = formValues(STORES, store);
    expect(bodyOf(STORES, { ...values, name: '国美 旗舰店' }, store)).toEqual({ name: '国美 旗舰店' });
    expect(bodyOf(STORES, { ...values, address: '' }, { ...store, address: '北京路 1 号' })).toEqual({ address: '' });
  });
});

describe('admin forms: a server refusal at its field', () => {
  it('finds the field a refusal names, in `field` or in `errors.json`', () => {
    expect(errorField({ field: 'username', reason: 'user.username_taken' }, USERS)).toBe('username');
    expect(errorField({ errors: { json: { tac_codes: { 0: ['x'] } } } }, PRODUCTS)).toBe('tac_codes');
    expect(errorField({ field: 'nope' }, USERS)).toBeNull();
    expect(errorField(null, USERS)).toBeNull();
  });
});

describe('admin lists', () => {
  it('leaves blank filters out of the query', () => {
    expect(listQuery({ q: ' 天河 ', role: '', active: 'false' }, 2, 25)).toEqual({
      page: 2,
      page_size: 25,
      q: '天河',
      active: 'false',
    });
  });

  it('splits a list typed with commas, spaces, Chinese commas or new lines', () => {
    expect(splitList('1, 2，3、4\n\n5 ')).toEqual(['1', '2', '3', '4', '5']);
  });

  it("names a user's placement from the loaded lists", () => {
    const lists = { territories: [{ id: 1, label: 'GZ-TH · 天河片区' }], regions: [], stores: [] };
    expect(placementOf({ role: 'rep', territory_id: 1 }, lists)).toBe('GZ-TH · 天河片区');
    expect(placementOf({ role: 'hq' }, lists)).toBe('');
    expect(labelOf(lists, 'territories', 7)).toBe('#7');
  });
});

describe("a partner's 'buys from'", () => {
  // national 1 ← provincial 2 ← local 3; 4 on its own; 5 buys from 3.
  const list = [
    { id: 1, label: 'N', parent_id: null },
    { id: 2, label: 'P', parent_id: 1 },
    { id: 3, label: 'L', parent_id: 2 },
    { id: 4, label: 'X', parent_id: null },
    { id: 5, label: 'L2', parent_id: 3 },
  ];
  const field = config('partners').fields.find((f) => f.name === 'parent_id');

  it('offers neither the partner itself nor one that buys from it, however far down', () => {
    expect([...selfAndBelow(list, 2)].sort()).toEqual(['2', '3', '5']);
    expect(refOptions(field, list, { id: 2 }).map(([id]) => id)).toEqual(['1', '4']);
    expect(refOptions(field, list, { id: 5 }).map(([id]) => id)).toEqual(['1', '2', '3', '4']);
  });

  it('offers every partner to a new one', () => {
    expect(refOptions(field, list, null)).toEqual([
      ['1', 'N'],
      ['2', 'P'],
      ['3', 'L'],
      ['4', 'X'],
      ['5', 'L2'],
    ]);
  });
});
