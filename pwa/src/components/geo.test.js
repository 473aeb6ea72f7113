import { describe, expect, it } from 'vitest';
import { isOffSite, offSiteLimit } from './geo.js';

describe('the off-site rule the server applies', () => {
  it('allows max(accuracy, 150 m), never more than 500 m', () => {
    expect(offSiteLimit(10)).toBe(150);
    expect(offSiteLimit(300)).toBe(300);
    expect(offSiteLimit(100000)).toBe(500);
    expect(isOffSite(499, 100000)).toBe(false);
    expect(isOffSite(501, 100000)).toBe(true);
    expect(isOffSite(null, 10)).toBe(false);
  });
});
