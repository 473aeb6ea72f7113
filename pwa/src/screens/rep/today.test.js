import { describe, expect, it } from 'vitest';
import { stillHere, storeHere } from './Today.js';

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

describe('stillHere', () => {
  const store = { id: 1, latitude: 23.1291, longitude: 113.2644 };
  it('holds within the check-in radius of a fresh fix, not after walking 2 km on', () => {
    expect(stillHere(store, { latitude: 23.1292, longitude: 113.2645, accuracy: 10 })).toBe(true);
    expect(stillHere(store, { latitude: 23.1471, longitude: 113.2644, accuracy: 10 })).toBe(false); // 2 km north
    expect(stillHere(store, { latitude: 23.1311, longitude: 113.2644, accuracy: 300 })).toBe(true); // 220 m, poor fix
    expect(stillHere({ id: 2 }, { latitude: 23.1, longitude: 113.2, accuracy: 10 })).toBe(false); // no position
  });
});
