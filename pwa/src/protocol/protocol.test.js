// Unit tests of the JS port beyond the shared vectors: the JavaScript-specific pitfalls.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Clock,
  EnvelopeError,
  HLC,
  InvalidHLC,
  buildPush,
  canonicalJson,
  compareCodePoints,
  encodeCursor,
  decodeCursor,
  parsePush,
  sha256Hex,
} from './index.js';

describe('code point order and canonical JSON', () => {
  it('compares code points, not UTF-16 units', () => {
    expect('😀' < '！').toBe(true); // what JavaScript does …
    expect(compareCodePoints('😀', '！')).toBe(1); // … and what the spec says
    expect(compareCodePoints('a', 'ab')).toBe(-1);
    expect(compareCodePoints('é', 'z')).toBe(1);
    expect(compareCodePoints('x', 'x')).toBe(0);
    expect(['😀', '！', 'a', '\uffff'].sort(compareCodePoints)).toEqual(['a', '！', '\uffff', '😀']);
  });

  it('writes canonical JSON like Python json.dumps(sort_keys, separators, ensure_ascii=False)', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'é\n"\\\u0001'], '😀': 1, '！': 2 })).toBe(
      '{"a":[true,null,"é\\n\\"\\\\\\u0001"],"b":1,"！":2,"😀":1}',
    );
    expect(canonicalJson(23.1291)).toBe('23.1291');
    expect(canonicalJson(1e-7)).toBe('0.0000001');
    expect(canonicalJson(1.5e21)).toBe('1500000000000000000000');
    expect(canonicalJson(-2.5e-7)).toBe('-0.00000025');
    expect(() => canonicalJson(NaN)).toThrow(RangeError);
    expect(() => canonicalJson(Infinity)).toThrow(RangeError);
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });
});

describe('sha256', () => {
  it('matches node:crypto', () => {
    for (const text of ['', 'abc', '广东大区|5', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(1000)]) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });
});

describe('HLC and Clock', () => {
  it('a clock never goes back and follows what it receives', () => {
    let wall = 1_718_000_000_000;
    const c = new Clock('phone-a', () => wall);
    const a = c.now();
    wall -= 5000;
    const b = c.now();
    expect(b.compare(a)).toBe(1);
    const r = c.update('001718000009999:00003:server');
    expect(r.encode()).toBe('001718000009999:00004:phone-a');
    expect(c.now().compare(r)).toBe(1);
    expect(() => new Clock('bad node')).toThrow(InvalidHLC);
    expect(HLC.parse(a.encode()).equals(a)).toBe(true);
    expect(JSON.stringify({ h: a })).toBe(`{"h":"${a.encode()}"}`);
  });
});

describe('buildPush', () => {
  it('makes a valid push body and refuses one the server would refuse', () => {
    const body = buildPush({
      clientId: 'c0ffee00-rep-gz',
      appVersion: '1.4.2',
      mutations: [
        { id: 41, name: 'visit.check_in', args: { id: 'x' }, hlc: '001795435380415:00000:c0ffee00-rep-gz' },
        { id: 42, name: 'stock.move', args: {}, hlc: new HLC(1795435381002, 0, 'c0ffee00-rep-gz') },
      ],
    });
    expect(body).toEqual({
      client_id: 'c0ffee00-rep-gz',
      protocol_version: 1,
      app_version: '1.4.2',
      mutations: [
        { id: 41, name: 'visit.check_in', args: { id: 'x' }, hlc: '001795435380415:00000:c0ffee00-rep-gz' },
        { id: 42, name: 'stock.move', args: {}, hlc: '001795435381002:00000:c0ffee00-rep-gz' },
      ],
    });
    expect(() =>
      buildPush({
        clientId: 'c0ffee00-rep-gz',
        appVersion: '1',
        mutations: [{ id: 1, name: 'a.b', args: {}, hlc: '001795435380415:00000:other-node' }],
      }),
    ).toThrow(EnvelopeError);
  });

  it('refuses an app_version with an unpaired surrogate, not one with a pair (not in the shared vectors: some languages cannot hold one)', () => {
    const body = (appVersion) => ({
      client_id: 'phone-0001',
      protocol_version: 1,
      app_version: appVersion,
      mutations: [],
    });
    expect(() => parsePush(body('1.4\udc00'))).toThrow(EnvelopeError);
    expect(() => parsePush(body('1.4\ud83d'))).toThrow(EnvelopeError);
    expect(parsePush(body('1.4\ud83d\ude00')).appVersion).toBe('1.4\ud83d\ude00');
  });

  it('round-trips cursors with non-ASCII content', () => {
    const text = encodeCursor({ seq: 7, scope: 'ab', snapshot: { entity: 'store', after: '广州-0042' } });
    expect(decodeCursor(text)).toMatchObject({
      seq: 7,
      scope: 'ab',
      snapshot: { entity: 'store', after: '广州-0042' },
    });
  });
});
