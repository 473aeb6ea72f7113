import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import en from './en.js';
import reasons from './reasons.js';
import zh from './zh-CN.js';
import clerkEn from '../screens/clerk/i18n/en.js';
import clerkZh from '../screens/clerk/i18n/zh-CN.js';
import hqEn from '../screens/hq/i18n/en.js';
import hqZh from '../screens/hq/i18n/zh-CN.js';
import managerEn from '../screens/manager/i18n/en.js';
import managerZh from '../screens/manager/i18n/zh-CN.js';
import deskEn from '../screens/desk/i18n/en.js';
import deskZh from '../screens/desk/i18n/zh-CN.js';
import adminEn from '../screens/admin/i18n/en.js';
import adminZh from '../screens/admin/i18n/zh-CN.js';
import { addStrings, fmt, lang, localName, reasonText, serverMessage, setLang, t } from './index.js';

// Plural forms (`key.one`, `key.few`…) exist only in the languages that need them, beside `key`.
const PLURAL_FORM = /\.(zero|one|two|few|many)$/;
const base = (key) => key.replace(PLURAL_FORM, '');
// A string's placeholders: {name} and the counts of {name, plural, …}.
const vars = (s) => [...new Set([...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]))].sort();

// The first page's strings (src/i18n/), those each role's package loads with it (screens/<role>/i18n/),
// and those of the desk kit HQ's and the managers' packages share (screens/desk/i18n/).
// A feature's strings may be files of their own beside them (screens/<pkg>/i18n/<feature>.en.js and
// <feature>.zh-CN.js, added by the package's i18n/index.js): they count as the package's.
const FEATURE_STRINGS = import.meta.glob('../screens/*/i18n/*.{en,zh-CN}.js', { eager: true, import: 'default' });
function withFeatures(name, en, zh) {
  const merged = { en: { ...en }, zh: { ...zh } };
  for (const [file, strings] of Object.entries(FEATURE_STRINGS)) {
    const m = file.match(/^\.\.\/screens\/([^/]+)\/i18n\/[^/]+\.(en|zh-CN)\.js$/);
    if (m && m[1] === name) Object.assign(merged[m[2] === 'en' ? 'en' : 'zh'], strings);
  }
  return merged;
}
const DICTS = {
  shared: { en, zh },
  clerk: withFeatures('clerk', clerkEn, clerkZh),
  hq: withFeatures('hq', hqEn, hqZh),
  manager: withFeatures('manager', managerEn, managerZh),
  desk: withFeatures('desk', deskEn, deskZh),
  admin: withFeatures('admin', adminEn, adminZh),
};
const PACKAGES = ['clerk', 'hq', 'manager', 'admin']; // admin: a chunk HQ's shell loads for administrators
const KITS = ['desk']; // shared by packages: loaded (with its strings) by those that import it

describe('i18n', () => {
  it.each(Object.keys(DICTS))('has every string in both languages (%s)', (name) => {
    const { en: e, zh: z } = DICTS[name];
    expect(Object.keys(e).length).toBeGreaterThan(0);
    const general = (d) => Object.keys(d).filter((k) => !PLURAL_FORM.test(k));
    expect(general(z).sort()).toEqual(general(e).sort());
    for (const key of general(e)) expect(vars(z[key]), key).toEqual(vars(e[key]));
    // a plural form has its general form, with the same placeholders
    for (const d of [e, z]) {
      for (const key of Object.keys(d).filter((k) => PLURAL_FORM.test(k))) {
        expect(d[base(key)], key).toBeDefined();
        expect(vars(d[key]), key).toEqual(vars(d[base(key)]));
      }
    }
  });

  it('picks plural forms by Intl.PluralRules', () => {
    setLang('en');
    expect(t('sync.photos', { n: 1 })).toBe('1 photo to upload');
    expect(t('sync.photos', { n: 0 })).toBe('0 photos to upload');
    expect(t('sync.photos', { n: 3 })).toBe('3 photos to upload');
    expect(t('display.saved', { n: 1, p: 1 })).toBe('Display check saved (1 answer, 1 photo).');
    expect(t('display.saved', { n: 5, p: 0 })).toBe('Display check saved (5 answers, 0 photos).');
    addStrings('en', { 'test.count': '{count} items', 'test.count.one': 'one item ({count})' });
    expect(t('test.count', { count: 1 })).toBe('one item (1)');
    expect(t('test.count', { count: 2 })).toBe('2 items');
    setLang('zh-CN');
    expect(t('sync.photos', { n: 1 })).toBe('1 张照片待上传');
    expect(t('display.saved', { n: 1, p: 1 })).toBe(zh['display.saved'].replace('{n}', '1').replace('{p}', '1'));
  });

  it.each(Object.keys(DICTS))('gives every English count of things a singular form (%s)', (name) => {
    // "{n} photos" needs its "x.one" ("1 photo") or a {n, plural, …}; "{n} waiting" does not.
    const { en: e } = DICTS[name];
    const counted = Object.keys(e).filter((k) => !PLURAL_FORM.test(k) && /\{(n|count)\} [a-z-]+s\b/.test(e[k]));
    expect(counted.filter((k) => e[`${k}.one`] === undefined)).toEqual([]);
  });

  it('names an entity in the UI language, falling back to the Chinese name', () => {
    const brand = { name: '华为', name_en: 'Huawei' };
    setLang('en');
    expect(localName(brand)).toBe('Huawei');
    expect(localName({ name: 'OPPO', name_en: null })).toBe('OPPO');
    expect(localName(null)).toBe('');
    setLang('zh-CN');
    expect(localName(brand)).toBe('华为');
  });

  it("says a server refusal's reason in the UI language, else shows the server's message", () => {
    const err = {
      code: 'conflict',
      message: 'A store with code GZ-1 already exists.',
      reason: 'store.code_taken',
      params: { store_code: 'GZ-1' },
    };
    setLang('zh-CN');
    expect(reasonText(err)).toBe('门店编码 GZ-1 已被使用。');
    setLang('en');
    expect(serverMessage(err)).toBe('A store with code GZ-1 already exists.');
    const fields = { reason: 'store.rep_may_not_change', params: { fields: ['tier', 'code'] }, message: 'x' };
    expect(reasonText(fields)).toBe('A rep may not change tier, code.');
    // an argument's name by its label when the app has one
    expect(reasonText({ reason: 'invalid_value', params: { field: 'shelf_price' } })).toBe(
      'The value of Shelf price (¥) is not valid.',
    );
    setLang('zh-CN');
    expect(reasonText({ reason: 'store.rep_may_not_change', params: { fields: ['name', 'tier'] } })).toBe(
      '业务员不能修改：名称、tier。',
    );
    setLang('en');
    // a reason this app does not know yet, or none: the server's English
    expect(reasonText({ reason: 'future.rule', message: 'Newer rule.' })).toBeNull();
    expect(serverMessage({ reason: 'future.rule', message: 'Newer rule.' })).toBe('Newer rule.');
    expect(serverMessage({ code: 'invalid', message: 'Bad.' })).toBe('Bad.');
  });

  it('has each key in one dictionary only', () => {
    const seen = new Map();
    for (const [name, { en: e }] of Object.entries(DICTS)) {
      for (const key of Object.keys(e)) {
        expect(seen.get(key), `${key} in ${name}`).toBeUndefined();
        seen.set(key, name);
      }
    }
  });

  it('fills placeholders and falls back to the key', () => {
    setLang('en');
    expect(lang()).toBe('en');
    expect(t('sync.waiting', { n: 3 })).toBe('3 waiting');
    expect(t('no.such.key')).toBe('no.such.key');
    setLang('zh-CN');
    expect(t('sync.waiting', { n: 3 })).toBe('3 条待同步');
  });

  it("finds a package's strings once the package adds them, with the same fallbacks", async () => {
    setLang('en');
    expect(t('manager.title')).toBe('manager.title'); // the package is not loaded
    await import('../screens/manager/i18n/index.js');
    expect(t('manager.title')).toBe(managerEn['manager.title']);
    expect(t('manager.unit.min', { n: 5 })).toBe(managerEn['manager.unit.min'].replace('{n}', '5'));
    setLang('zh-CN');
    expect(t('manager.title')).toBe(managerZh['manager.title']);
    expect(t('sync.waiting', { n: 3 })).toBe('3 条待同步'); // the first page's are still there
    addStrings('en', { 'test.onlyEnglish': 'only {x}' });
    expect(t('test.onlyEnglish', { x: 1 })).toBe('only 1'); // missing in zh-CN: the English one
    expect(() => addStrings('fr', {})).toThrow();
  });

  it('formats prices in CNY, distances and sizes', () => {
    setLang('zh-CN');
    expect(fmt.price('2999.00')).toBe('¥2,999.00');
    expect(fmt.price(null)).toBe('');
    expect(fmt.distance(42.4)).toBe('42 m');
    expect(fmt.distance(2345)).toBe('2.3 km');
    expect(fmt.bytes(1536)).toBe('1.5 KB');
    // A weekly average to one decimal: 5 cards over 4 weeks is 1.25 a week, said "1.3" (not "1.25").
    expect(fmt.decimal1(5 / 4)).toBe('1.3');
    expect(fmt.decimal1(5)).toBe('5');
    expect(fmt.decimal1(1234.56)).toBe('1,234.6');
    expect(fmt.decimal1(null)).toBe('');
    setLang('en');
    expect(fmt.price(12.5)).toMatch(/12\.50/);
  });
});

// --- Every key the code names resolves in the dictionaries loaded with it ---------------------------
// The first page's modules (main.js and what it imports, but not the role packages it loads on
// demand) against src/i18n alone; each package's modules (its index.js and what it imports,
// statically or not) against src/i18n plus the package's own. A key is any quoted literal whose first
// part names a dictionary's namespace ('market.title', `manager.kind.${k}`: some key must match).

const SRC = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const packageRoot = (name) => path.join(SRC, 'screens', name, 'index.js');
const NAMESPACES = new Set(Object.values(DICTS).flatMap((d) => Object.keys(d.en).map((k) => k.split('.')[0])));
// Literals shaped like keys that are not: mutation names ('visit.check_in'; their labels are the keys
// 'mutation.<name>'), the server's reason codes a screen tests for ('plan.exists'; their messages are
// 'err.<reason>') and the sync engine's stand-in for a lost mutation (LOST_MUTATION).
const isMutationName = (s) => `mutation.${s}` in en || `err.${s}` in reasons.en || s === 'sync.lost';

function source(file) {
  // Without comments (which quote keys as examples); '//' after a ':' is a URL.
  return fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

function importsOf(file) {
  const src = source(file);
  const found = [
    ...src.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...src.matchAll(/^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...src.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
  ];
  return found
    .sort((a, b) => a.index - b.index) // in the order of the source
    .map((m) => path.resolve(path.dirname(file), m[1]))
    .filter((p) => p.endsWith('.js'));
}

/** The modules `entry` imports, directly or not (static or dynamic), but not those in `stopAt`. */
function moduleGraph(entry, stopAt = new Set()) {
  const seen = new Set();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop();
    if (seen.has(file) || stopAt.has(file)) continue;
    seen.add(file);
    todo.push(...importsOf(file));
  }
  return [...seen].filter((f) => !f.startsWith(path.join(SRC, 'i18n') + path.sep));
}

/** The keys a module names: exact ones, and patterns (template literals) some key must match. */
function keysNamed(file) {
  const src = source(file);
  const exact = new Set();
  const patterns = new Set();
  for (const m of src.matchAll(/(['"`])([A-Za-z]\w*(?:\.\w+)+)\1/g)) {
    if (NAMESPACES.has(m[2].split('.')[0]) && !isMutationName(m[2])) exact.add(m[2]);
  }
  for (const m of src.matchAll(/`([A-Za-z]\w*(?:\.\w+)*\.)\$\{[^}`]*\}([\w.]*)`/g)) {
    if (NAMESPACES.has(m[1].split('.')[0])) patterns.add(`${m[1]}\u0000${m[2]}`);
  }
  return { exact, patterns };
}

function unresolved(files, strings) {
  const keys = Object.keys(strings);
  const missing = [];
  for (const file of files) {
    const { exact, patterns } = keysNamed(file);
    const where = path.relative(SRC, file);
    for (const key of exact) {
      // a plural form (en's 'x.one') resolves in a language that has only the general form
      if (!(key in strings) && !(PLURAL_FORM.test(key) && base(key) in strings)) missing.push(`${where}: ${key}`);
    }
    for (const p of patterns) {
      const [head, tail] = p.split('\u0000');
      const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const re = new RegExp(`^${esc(head)}[\\w.]+${esc(tail)}$`);
      if (!keys.some((k) => re.test(k))) missing.push(`${where}: ${head}\${…}${tail}`);
    }
  }
  return missing;
}

describe('i18n: the strings each bundle needs', () => {
  const roots = new Set(PACKAGES.map(packageRoot));
  const firstPage = moduleGraph(path.join(SRC, 'main.js'), roots);

  it("gives the first page every key its modules name, none of a package's", () => {
    const rel = firstPage.map((f) => path.relative(SRC, f).split(path.sep).join('/'));
    expect(rel).toEqual(
      expect.arrayContaining(['app.js', 'screens/rep/Login.js', 'screens/rep/Today.js', 'screens/rep/Outbox.js']),
    );
    for (const name of [...PACKAGES, ...KITS]) expect(rel.filter((f) => f.startsWith(`screens/${name}/`))).toEqual([]);
    expect(firstPage.reduce((n, f) => n + keysNamed(f).exact.size, 0)).toBeGreaterThan(100);
    expect(unresolved(firstPage, en)).toEqual([]);
    expect(unresolved(firstPage, zh)).toEqual([]);
  });

  it.each(PACKAGES)('gives the %s package every key its modules name', (name) => {
    const files = moduleGraph(packageRoot(name));
    expect(files.filter((f) => f.startsWith(path.join(SRC, 'screens', name) + path.sep)).length).toBeGreaterThan(2);
    const own = files.filter((f) => !firstPage.includes(f));
    expect(own.reduce((n, f) => n + keysNamed(f).exact.size, 0)).toBeGreaterThan(20);
    // A kit's strings count where the package loads them: the kit's i18n/index.js is in its graph —
    // and so do another package's (the manager's channel tab loads HQ's screens with their strings).
    const kits = [...KITS, ...PACKAGES.filter((p) => p !== name)].filter((kit) =>
      files.includes(path.join(SRC, 'screens', kit, 'i18n', 'index.js')),
    );
    const strings = (l) => Object.assign({}, l === 'en' ? en : zh, DICTS[name][l], ...kits.map((kit) => DICTS[kit][l]));
    expect(unresolved(files, strings('en'))).toEqual([]);
    expect(unresolved(files, strings('zh'))).toEqual([]);
  });

  it.each(KITS)("loads the %s kit's strings before its modules", (kit) => {
    const first = importsOf(path.join(SRC, 'screens', kit, 'kit.js'))[0];
    expect(path.relative(SRC, first).split(path.sep).join('/')).toBe(`screens/${kit}/i18n/index.js`);
  });

  it.each(PACKAGES)("loads the %s package's strings before its modules", (name) => {
    const first = importsOf(packageRoot(name))[0];
    expect(path.relative(SRC, first).split(path.sep).join('/')).toBe(`screens/${name}/i18n/index.js`);
  });
});
