import { describe, expect, it } from 'vitest';
import {
  attention,
  idleMinutes,
  minutesSince,
  sortReps,
  teamMarkers,
  teamTotals,
  whereabouts,
  withoutPosition,
} from './team.js';

const rep = (id, name, extra = {}) => ({
  rep_id: id,
  name,
  done: 0,
  planned: { count: 0, store_ids: [], visited_store_ids: [] },
  open_visit: null,
  last_visit: null,
  off_site: 0,
  idle_gaps: [],
  unsynced: false,
  last_position: null,
  ...extra,
});
const gap = (minutes) => ({ from: '2026-12-04T01:00:00+00:00', to: '2026-12-04T03:00:00+00:00', minutes });
const pos = (lat, lon) => ({ latitude: lat, longitude: lon, at: '2026-12-04T02:00:00+00:00', kind: 'check_in' });

describe('attention', () => {
  it('weighs unsynced over idle over off-site', () => {
    expect(attention(rep(1, 'a'))).toEqual({ score: 0, unsynced: false, idle: false, offSite: false });
    expect(attention(rep(1, 'a', { unsynced: true })).score).toBe(4);
    expect(attention(rep(1, 'a', { idle_gaps: [gap(91)] })).score).toBe(2);
    expect(attention(rep(1, 'a', { off_site: 2 })).score).toBe(1);
    expect(attention(rep(1, 'a', { off_site: 1, idle_gaps: [gap(95)], unsynced: true })).score).toBe(7);
  });
  it('adds up idle minutes', () => {
    expect(idleMinutes(rep(1, 'a', { idle_gaps: [gap(91), gap(120.5)] }))).toBe(211.5);
    expect(idleMinutes(rep(1, 'a'))).toBe(0);
  });
});

describe('sortReps', () => {
  const reps = [
    rep(1, 'Ann'),
    rep(2, 'Bob', { off_site: 1 }),
    rep(3, 'Cai', { idle_gaps: [gap(100)] }),
    rep(4, 'Dee', { idle_gaps: [gap(200)] }),
    rep(5, 'Eve', { unsynced: true }),
  ];
  it('puts unsynced, then idle (longer first), then off-site first', () => {
    expect(sortReps(reps, 'attention', 'en').map((r) => r.name)).toEqual(['Eve', 'Dee', 'Cai', 'Bob', 'Ann']);
  });
  it('sorts by name, without changing the input', () => {
    const shuffled = [reps[3], reps[0], reps[4]];
    expect(sortReps(shuffled, 'name', 'en').map((r) => r.name)).toEqual(['Ann', 'Dee', 'Eve']);
    expect(shuffled.map((r) => r.name)).toEqual(['Dee', 'Ann', 'Eve']);
  });
});

describe('whereabouts and totals', () => {
  const open = { visit_id: 'v1', store_name: 'S1', checked_in_at: '2026-12-04T02:00:00+00:00' };
  const last = { visit_id: 'v0', store_name: 'S0', checked_out_at: '2026-12-04T01:30:00+00:00' };
  it('says at a store, left a store, or nothing yet', () => {
    expect(whereabouts(rep(1, 'a', { open_visit: open, last_visit: last }))).toEqual({ kind: 'at', visit: open });
    expect(whereabouts(rep(1, 'a', { last_visit: last }))).toEqual({ kind: 'left', visit: last });
    expect(whereabouts(rep(1, 'a'))).toEqual({ kind: 'none', visit: null });
  });
  it('counts the team', () => {
    const t = teamTotals([
      rep(1, 'a', { open_visit: open, done: 3, planned: { count: 5, store_ids: [], visited_store_ids: [1, 2] } }),
      rep(2, 'b', { done: 1, idle_gaps: [gap(91)], off_site: 2, unsynced: true }),
      rep(3, 'c'),
    ]);
    expect(t).toEqual({
      reps: 3,
      atStore: 1,
      done: 4,
      planned: 5,
      plannedVisited: 2,
      idle: 1,
      offSite: 1,
      unsynced: 1,
    });
  });
});

describe('the map', () => {
  it('numbers the reps with a position as in the list, toned by what needs attention', () => {
    const ordered = [
      rep(5, 'Eve', { unsynced: true, last_position: pos(23.1, 113.3) }),
      rep(4, 'Dee'),
      rep(3, 'Cai', { idle_gaps: [gap(100)], last_position: pos(23.2, 113.2) }),
      rep(1, 'Ann', { open_visit: { visit_id: 'v' }, last_position: pos(23.3, 113.1) }),
      rep(2, 'Bob', { last_position: pos(23.4, 113.0) }),
    ];
    const markers = teamMarkers(ordered);
    expect(markers.map((m) => [m.id, m.label, m.tone, m.title])).toEqual([
      ['rep-5', '1', 'err', 'Eve'],
      ['rep-3', '3', 'warn', 'Cai'],
      ['rep-1', '4', 'ok', 'Ann'],
      ['rep-2', '5', 'brand', 'Bob'],
    ]);
    expect(markers[0]).toMatchObject({ lat: 23.1, lon: 113.3, permanent: true, data: { repId: 5 } });
    expect(withoutPosition(ordered).map((r) => r.name)).toEqual(['Dee']);
  });
  it('counts minutes since a time', () => {
    const now = Date.parse('2026-12-04T03:00:00Z');
    expect(minutesSince('2026-12-04T01:59:30+00:00', now)).toBe(60);
    expect(minutesSince(null, now)).toBeNull();
    expect(minutesSince('2026-12-04T04:00:00+00:00', now)).toBe(0);
  });
});
