import { describe, expect, it } from 'vitest';
import en from './en.js';
import zh from './zh-CN.js';
import { fmt, lang, setLang, t } from './index.js';

describe('i18n', () => {
  it('has every string in both languages', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const vars = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(vars(zh[key]), key).toEqual(vars(text));
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

  it('formats prices in CNY, distances and sizes', () => {
    setLang('zh-CN');
    expect(fmt.price('2999.00')).toBe('¥2,999.00');
    expect(fmt.price(null)).toBe('');
    expect(fmt.distance(42.4)).toBe('42 m');
    expect(fmt.distance(2345)).toBe('2.3 km');
    expect(fmt.bytes(1536)).toBe('1.5 KB');
    setLang('en');
    expect(fmt.price(12.5)).toMatch(/12\.50/);
  });
});
