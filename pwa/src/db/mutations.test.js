// The mutation registry (mutations.js) is the app's one list of mutations: it must name exactly
// SPEC.md §I.3.1's mutations (tests/sync/test_mutation_names.py holds the server's handlers to
// the same list), label each in both languages, and be the only way into the outbox.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDb, getMeta } from './index.js';
import { createActions } from './actions.js';
import { MUTATIONS, applyLocal, describeMutation, labelKey, mutationNamed } from './mutations.js';
import en from '../i18n/en.js';
import zh from '../i18n/zh-CN.js';
import { createFakeServer } from '../sync/testing/fake-server.js';

const SPEC = fs.readFileSync(new URL('../../../sync_protocol/SPEC.md', import.meta.url), 'utf8');

/** The names in the first column of the table under "### I.3.1 Mutations", in order. */
function specMutationNames() {
  const start = SPEC.indexOf('### I.3.1 Mutations');
  expect(start, 'SPEC.md has a section "### I.3.1 Mutations"').toBeGreaterThan(-1);
  const end = SPEC.indexOf('\n### ', start + 1);
  const section = SPEC.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^\| `([a-z][a-z_]*\.[a-z][a-z_]*)` \|/gm)].map((m) => m[1]);
}

describe('the mutation registry', () => {
  it("names exactly SPEC.md's mutations, in its order", () => {
    const spec = specMutationNames();
    expect(spec.length).toBeGreaterThan(10);
    expect(Object.keys(MUTATIONS)).toEqual(spec);
  });

  it.each(Object.entries(MUTATIONS))('%s: is complete, with its label in both languages', (name, entry) => {
    expect(typeof entry.apply).toBe('function');
    expect(typeof entry.entity).toBe('string');
    expect(['function', 'undefined']).toContain(typeof entry.describe);
    expect(entry.label).toBe(labelKey(name));
    expect(en[entry.label], `${entry.label} in i18n/en.js`).toBeTypeOf('string');
    expect(zh[entry.label], `${entry.label} in i18n/zh-CN.js`).toBeTypeOf('string');
  });

  it('throws for a name it does not have', async () => {
    expect(() => mutationNamed('visit.teleport')).toThrow(/unknown mutation "visit.teleport"/);
    expect(() => mutationNamed('toString')).toThrow(/unknown mutation/);
    await expect(async () => applyLocal(null, 'visit.teleport', {}, { mutationId: 1, hlc: null })).rejects.toThrow(
      /unknown/,
    );
  });

  it('is the only way into the outbox: enqueue of an unknown name writes nothing', async () => {
    const db = createDb('mutations-test-enqueue');
    try {
      const actions = createActions({
        db,
        now: () => Date.UTC(2026, 10, 23),
        uuid: () => '00000000-0000-4000-8000-000000000001',
      });
      await expect(actions.enqueue('visit.teleport', { id: 'x' })).rejects.toThrow(/unknown mutation/);
      expect(await db.outbox.count()).toBe(0);
      expect(await getMeta(db, 'nextMutationId')).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('describes outbox entries as the outbox always has', () => {
    const ui = { t: (key) => `<${key}>`, fmt: { price: (v) => `¥${v}`, number: (n) => `${n}` } };
    const line = (name, args, storeName = null, label = 'L') => describeMutation({ name, args, label }, storeName, ui);
    expect(line('price.observe', { store_id: 12, shelf_price: '1299.00', promo_price: '999.00' }, '天河店')).toBe(
      '天河店 · L · ¥1299.00 · → ¥999.00',
    );
    expect(line('price.observe', { store_id: 12, shelf_price: '1299.00', promo_price: null })).toBe(
      '#12 · L · ¥1299.00',
    );
    expect(line('stock.move', { store_id: 12, kind: 'counted', quantity: 14 }, '天河店')).toBe(
      '天河店 · L · <stock.kind.counted> 14',
    );
    expect(line('intel.report', { kind: 'opening', name: '新店' })).toBe('<intel.kind.opening> · 新店');
    expect(line('visit.check_in', { store_id: 12 }, '天河店')).toBe('天河店');
    expect(line('visit.check_in', { store_id: 12 })).toBe('L');
    expect(line('visit.check_in', { store_id: 12 }, null, '')).toBe('#12');
    expect(line('some.future', {}, null, '')).toBe('');
    expect(labelKey('some.future')).toBe('mutation.some.future');
  });
});

describe("the engine tests' fake server", () => {
  it('applies every mutation of the registry and refuses other names as the server does', async () => {
    const server = createFakeServer();
    const names = [...Object.keys(MUTATIONS), 'visit.teleport'];
    const args = {
      id: '00000000-0000-4000-8000-000000000009',
      visit_id: 'v1',
      store_id: 12,
      fields: { name: 'x' },
      day: '2026-11-23',
      store_ids: [12],
    };
    const hlc = (i) => `001795435380415:${String(i).padStart(5, '0')}:client-0001`;
    const body = {
      client_id: 'client-0001',
      protocol_version: 1,
      app_version: 'test',
      mutations: names.map((name, i) => ({ id: i + 1, name, args, hlc: hlc(i) })),
    };
    const res = await server.api.push(body);
    expect(res.results.map((r) => r.status)).toEqual([...names.slice(0, -1).map(() => 'applied'), 'rejected']);
    expect(res.results.at(-1).error.code).toBe('unknown_mutation');
  });
});
