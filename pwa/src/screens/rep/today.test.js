import { describe, expect, it } from 'vitest';
import { storeHere } from './Today.js';

const stores = [
  { id: 1, name: 'A', status: 'active', distance_m: 90 },
  { id: 2, name: 'B', status: 'active', distance_m: 140 },
  { id: 3, name: 'C', status: 'active', distance_m: 400 },
];

describe('storeHere', () => {
  it('is the nearest open store within the check-in radius (max(accuracy, 150 m), at most 500 m)', () => {
    expect(storeHere(stores, { accuracy: 10 })?.id).toBe(1);
    expect(storeHere(stores.slice(2), { accuracy: 10 })).toBeNull(); // 400 m > 150 m
    expect(storeHere(stores.slice(2), { accuracy: 450 })?.id).toBe(3); // a poor fix widens it
    expect(storeHere([{ ...stores[2], distance_m: 520 }], { accuracy: 2000 })).toBeNull(); // capped at 500 m
  });

  it('skips closed stores, and needs a position', () => {
    expect(storeHere([{ ...stores[0], status: 'closed' }, stores[1]], { accuracy: 10 })?.id).toBe(2);
    expect(storeHere(stores, null)).toBeNull();
    expect(storeHere([], { accuracy: 10 })).toBeNull();
  });
});
