import { describe, expect, it } from 'vitest';
import { pinyinMatches, storeMatches } from './storeSearch.js';

// 迪信通 体育西店 as the server sends it (backend/stores/pinyin.py)
const STORE = {
  code: 'A1-002',
  name: '迪信通 体育西店',
  address: '天河区体育西路 101 号',
  name_pinyin: { full: 'di xin tong ti yu xi dian', initials: 'dxttyxd' },
};

describe('store search', () => {
  it.each(['tiyuxi', 'tyx', 'tiyx', 'tyxi', 'TiYuXi', 'ti yu xi', 'dixintong', 'dxt', 'xidian'])(
    'finds 体育西 by pinyin %s',
    (text) => expect(storeMatches(STORE, text)).toBe(true),
  );

  it.each(['体育西', 'a1-00', '101 号', '  迪信通 '])('keeps finding it by name, code and address (%s)', (text) =>
    expect(storeMatches(STORE, text)).toBe(true),
  );

  it.each(['tiyuxu', 'yt', 'tyxdx', 'beijing', 'x1'])('does not find it by %s', (text) =>
    expect(storeMatches(STORE, text)).toBe(false),
  );

  it('matches on the name only without pinyin, and everything on empty text', () => {
    const { name_pinyin: _, ...old } = STORE; // pulled before the server sent name_pinyin
    expect(storeMatches(old, 'tyx')).toBe(false);
    expect(storeMatches(old, '体育')).toBe(true);
    expect(storeMatches(STORE, '  ')).toBe(true);
  });

  it('takes a beginning of each syllable, in order, from any syllable', () => {
    expect(pinyinMatches(['ti', 'yu', 'xi'], 'tiyux')).toBe(true);
    expect(pinyinMatches(['ti', 'yu', 'xi'], 'yuxi')).toBe(true);
    expect(pinyinMatches(['ti', 'yu', 'xi'], 'txi')).toBe(false); // skips 育
    expect(pinyinMatches(['zhong', 'guan'], 'zhg')).toBe(true);
  });
});
