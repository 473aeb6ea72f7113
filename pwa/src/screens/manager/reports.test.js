import { describe, expect, it } from 'vitest';
import { dupRule, whyCandidate } from './reports.js';

describe('the duplicate rule of a new-store report', () => {
  it('is the server’s, else its defaults', () => {
    expect(dupRule({ duplicate_radii: { any_name_m: 25, similar_name_m: 150 } })).toEqual({ near: 25, far: 150 });
    expect(dupRule({})).toEqual({ near: 30, far: 100 });
  });

  it('says why a candidate is one', () => {
    const rule = { near: 30, far: 100 };
    expect(whyCandidate({ distance_m: 13.2 }, rule)).toBe('close');
    expect(whyCandidate({ distance_m: 30 }, rule)).toBe('close');
    expect(whyCandidate({ distance_m: 80 }, rule)).toBe('similarName');
  });
});
