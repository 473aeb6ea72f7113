import { describe, expect, it } from 'vitest';
import sharedEn from '../../i18n/en.js';
import managerEn from './i18n/en.js';
import {
  addDays,
  dayIn,
  daysBetween,
  daysSince,
  formatMinutes,
  hlcMs,
  isDay,
  isoWeek,
  mondayOf,
  parseLatLon,
  recentWeeks,
  timeIn,
  valueText,
} from './format.js';
import { dayTotals, missingPlanStores, planRows, routeLayers, timelineRows } from './timeline.js';
import { MAX_STOPS, filterStores, move, planBody, sameOrder, savingOf, togglePick } from './plan.js';
import { pageOf } from './pages.js';

// The English strings (the first page's and this package's), as t() fills them.
const en = { ...sharedEn, ...managerEn };
const t = (key, vars = {}) => en[key].replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));

describe('formatting', () => {
  it('writes durations in minutes, then hours and minutes', () => {
    expect(formatMinutes(0, t)).toBe('0 min');
    expect(formatMinutes(18.3, t)).toBe('18 min');
    expect(formatMinutes(59.6, t)).toBe('1 h 00 min');
    expect(formatMinutes(95, t)).toBe('1 h 35 min');
    expect(formatMinutes(125, t)).toBe('2 h 05 min');
    expect(formatMinutes(-3, t)).toBe('0 min');
    expect(formatMinutes(null, t)).toBe('');
    expect(formatMinutes(undefined, t)).toBe('');
  });

  it('gives days and times in the business time zone', () => {
    // 2026-11-20T17:30Z is already the 21st in Shanghai (UTC+8), still the 20th in UTC.
    expect(dayIn('2026-11-20T17:30:00Z', 'Asia/Shanghai')).toBe('2026-11-21');
    expect(dayIn('2026-11-20T17:30:00Z', 'UTC')).toBe('2026-11-20');
    expect(dayIn('nonsense', 'UTC')).toBe('');
    expect(timeIn('2026-11-20T01:12:00+00:00', 'Asia/Shanghai', 'en-GB')).toBe('09:12');
    expect(timeIn('2026-11-20T16:05:00Z', 'Asia/Shanghai', 'zh-CN')).toBe('00:05');
    expect(timeIn(null, 'UTC')).toBe('');
  });

  it('does calendar arithmetic on YYYY-MM-DD days', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-2-3')).toBe(false);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-11-01', '2026-11-23')).toBe(22);
    expect(mondayOf('2026-11-23')).toBe('2026-11-23'); // a Monday
    expect(mondayOf('2026-11-22')).toBe('2026-11-16'); // a Sunday
    expect(isoWeek('2026-11-23')).toBe('2026-W48');
    expect(isoWeek('2027-01-01')).toBe('2026-W53'); // a Friday: ISO year 2026 has 53 weeks
    expect(isoWeek('2024-12-30')).toBe('2025-W01');
  });

  it('lists the recent ISO weeks, Monday to Sunday, newest first', () => {
    expect(recentWeeks('2026-11-25', 3)).toEqual([
      { week: '2026-W48', since: '2026-11-23', until: '2026-11-29' },
      { week: '2026-W47', since: '2026-11-16', until: '2026-11-22' },
      { week: '2026-W46', since: '2026-11-09', until: '2026-11-15' },
    ]);
  });

  it('reads HLC times, ages, values and coordinates', () => {
    expect(hlcMs('001795435380415:00000:c0ffee00-rep-gz')).toBe(1795435380415);
    expect(hlcMs('garbage')).toBeNull();
    expect(daysSince('2026-11-20T00:00:00Z', Date.parse('2026-11-23T12:00:00Z'))).toBe(3);
    expect(daysSince(null)).toBeNull();
    expect(valueText('天河路 1 号')).toBe('天河路 1 号');
    expect(valueText(23.5)).toBe('23.5');
    expect(valueText(null)).toBe('');
    expect(valueText({ a: 1 })).toBe('{"a":1}');
    expect(parseLatLon(' 23.1301, 113.3301 ')).toEqual({ latitude: 23.1301, longitude: 113.3301 });
    expect(parseLatLon('23.1301，113.3301')).toEqual({ latitude: 23.1301, longitude: 113.3301 });
    expect(parseLatLon('')).toBeNull();
    expect(parseLatLon('91, 10')).toBeUndefined();
    expect(parseLatLon('here')).toBeUndefined();
  });
});

// A day as GET /routes answers it: three visits, the second off site, an idle gap before the third.
const route = {
  rep_id: 9,
  rep_name: '李晓峰',
  day: '2026-11-20',
  visits: [
    {
      visit_id: 'v1',
      store_id: 5,
      store_name: 'A',
      store_latitude: 23.12,
      store_longitude: 113.35,
      checked_in_at: '2026-11-20T01:00:00+00:00',
      checked_out_at: '2026-11-20T01:40:00+00:00',
      latitude: 23.1201,
      longitude: 113.3501,
      accuracy_m: 9,
      distance_m: 15,
      off_site: false,
      minutes_on_site: 40,
      travel_m: null,
      gap_minutes: null,
      idle: false,
    },
    {
      visit_id: 'v2',
      store_id: 6,
      store_name: 'B',
      store_latitude: 23.13,
      store_longitude: 113.36,
      checked_in_at: '2026-11-20T02:00:00+00:00',
      checked_out_at: '2026-11-20T02:25:00+00:00',
      latitude: 23.1264,
      longitude: 113.36,
      accuracy_m: 20,
      distance_m: 400,
      off_site: true,
      minutes_on_site: 25,
      travel_m: 1600,
      gap_minutes: 20,
      idle: false,
    },
    {
      visit_id: 'v3',
      store_id: 5,
      store_name: 'A',
      store_latitude: 23.12,
      store_longitude: 113.35,
      checked_in_at: '2026-11-20T04:00:00+00:00',
      checked_out_at: null,
      latitude: 23.12,
      longitude: 113.35,
      accuracy_m: 10,
      distance_m: 0,
      off_site: false,
      minutes_on_site: null,
      travel_m: 1650,
      gap_minutes: 95,
      idle: true,
    },
  ],
  totals: {
    visits: 3,
    travel_m: 3250,
    on_site_minutes: 65,
    idle_minutes: 95,
    off_site: 1,
    first_check_in: '2026-11-20T01:00:00+00:00',
    last_check_out: '2026-11-20T02:25:00+00:00',
  },
  plan: { id: 'p', store_ids: [6, 7, 5], visited_store_ids: [6, 5] },
};

describe('the route timeline', () => {
  it('puts the visits in order with the gaps between them', () => {
    const rows = timelineRows(route);
    expect(rows.map((r) => (r.type === 'visit' ? `v${r.n}` : `gap${r.from}-${r.to}${r.idle ? '!' : ''}`))).toEqual([
      'v1',
      'gap1-2',
      'v2',
      'gap2-3!',
      'v3',
    ]);
    expect(rows[1]).toMatchObject({ minutes: 20, travel_m: 1600, idle: false });
    expect(rows[3]).toMatchObject({ minutes: 95, travel_m: 1650, idle: true });
    expect(rows.filter((r) => r.type === 'visit').map((r) => [r.planned, r.planOrder])).toEqual([
      [true, 3],
      [true, 1],
      [true, 3],
    ]);
    expect(timelineRows(null)).toEqual([]);
    expect(timelineRows({ ...route, plan: null })[0].planned).toBeNull();
  });

  it('gives the totals, with the plan against the visits', () => {
    expect(dayTotals(route)).toMatchObject({
      visits: 3,
      travel_m: 3250,
      on_site_minutes: 65,
      idle_minutes: 95,
      off_site: 1,
      idle_gaps: 1,
      planned: 3,
      planned_visited: 2,
      unplanned: 0,
    });
    // Without the server's totals, from the visits.
    expect(dayTotals({ visits: route.visits, plan: null })).toMatchObject({
      visits: 3,
      travel_m: 3250,
      on_site_minutes: 65,
      idle_minutes: 95,
      off_site: 1,
      first_check_in: '2026-11-20T01:00:00+00:00',
      planned: null,
    });
  });

  it('lists the plan in order, visited or not, with names from the visits or fetched stores', () => {
    const fetched = new Map([[7, { id: 7, name: 'C', latitude: 23.14, longitude: 113.37 }]]);
    expect(missingPlanStores(route)).toEqual([7]);
    expect(missingPlanStores(route, fetched)).toEqual([]);
    expect(planRows(route, fetched)).toEqual([
      { order: 1, store_id: 6, name: 'B', latitude: 23.13, longitude: 113.36, visited: true, visitNumbers: [2] },
      { order: 2, store_id: 7, name: 'C', latitude: 23.14, longitude: 113.37, visited: false, visitNumbers: [] },
      { order: 3, store_id: 5, name: 'A', latitude: 23.12, longitude: 113.35, visited: true, visitNumbers: [1, 3] },
    ]);
    expect(planRows(route)[1]).toMatchObject({ store_id: 7, name: null, latitude: null, visited: false });
    expect(planRows({ ...route, plan: null })).toEqual([]);
  });

  it('draws numbered check-ins, the route, the stores and the off-site line', () => {
    const plan = planRows(route, new Map([[7, { id: 7, name: 'C', latitude: 23.14, longitude: 113.37 }]]));
    const { markers, lines } = routeLayers(route, plan);
    const visits = markers.filter((m) => m.testid === 'map-visit');
    expect(visits.map((m) => [m.label, m.tone, m.lat, m.lon])).toEqual([
      ['1', 'brand', 23.1201, 113.3501],
      ['2', 'err', 23.1264, 113.36],
      ['3', 'brand', 23.12, 113.35],
    ]);
    expect(markers.filter((m) => m.testid === 'map-store').map((m) => m.id)).toEqual(['store-5', 'store-6']);
    expect(markers.filter((m) => m.testid === 'map-planned').map((m) => [m.id, m.tone])).toEqual([['plan-7', 'warn']]);
    const routeLine = lines.find((l) => l.id === 'route');
    expect(routeLine.points).toEqual([
      [23.1201, 113.3501],
      [23.1264, 113.36],
      [23.12, 113.35],
    ]);
    const off = lines.filter((l) => l.dashed);
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({
      tone: 'err',
      points: [
        [23.1264, 113.36],
        [23.13, 113.36],
      ],
      title: '2: 400 m',
    });
    // The visit markers come last: drawn on top of the store dots.
    expect(markers.slice(-3).every((m) => m.testid === 'map-visit')).toBe(true);
  });

  it('draws nothing for an empty day, and no route line for a single visit', () => {
    expect(routeLayers({ visits: [], plan: null })).toEqual({ markers: [], lines: [] });
    const one = routeLayers({ visits: [route.visits[0]], plan: null });
    expect(one.lines).toEqual([]);
    expect(one.markers).toHaveLength(2);
  });
});

describe('the visit planner', () => {
  it('picks and unpicks stores, at most MAX_STOPS', () => {
    expect(togglePick([1, 2], 3)).toEqual([1, 2, 3]);
    expect(togglePick([1, 2, 3], 2)).toEqual([1, 3]);
    const full = Array.from({ length: MAX_STOPS }, (_, i) => i);
    expect(togglePick(full, 99)).toBe(full);
    expect(togglePick(full, 0)).toHaveLength(MAX_STOPS - 1);
  });

  it('moves a stop up or down', () => {
    expect(move([1, 2, 3], 1, -1)).toEqual([2, 1, 3]);
    expect(move([1, 2, 3], 1, 1)).toEqual([1, 3, 2]);
    expect(move([1, 2, 3], 0, -1)).toEqual([1, 2, 3]);
    expect(move([1, 2, 3], 2, 1)).toEqual([1, 2, 3]);
  });

  it('says what the proposed order saves', () => {
    expect(savingOf({ distance_picked_m: 10000, distance_planned_m: 7500 })).toEqual({
      picked: 10000,
      planned: 7500,
      saved: 2500,
      ratio: 0.25,
    });
    expect(savingOf({ distance_picked_m: 0, distance_planned_m: 0 })).toEqual({
      picked: 0,
      planned: 0,
      saved: 0,
      ratio: 0,
    });
    expect(savingOf({ distance_picked_m: 100, distance_planned_m: 100.2 }).saved).toBe(0);
    expect(sameOrder([1, 2], [1, 2])).toBe(true);
    expect(sameOrder([1, 2], [2, 1])).toBe(false);
  });

  it('searches the stores and builds the plan body', () => {
    const stores = [
      {
        id: 1,
        name: '天河城店',
        code: 'GZ-001',
        address: '天河路',
        name_pinyin: { full: 'tian he cheng dian', initials: 'thcd' },
      },
      { id: 2, name: 'Beijing Rd', code: 'GZ-002', address: '北京路' },
    ];
    expect(filterStores(stores, ' gz-00 ').map((s) => s.id)).toEqual([1, 2]);
    expect(filterStores(stores, '北京').map((s) => s.id)).toEqual([2]);
    expect(filterStores(stores, 'beijing').map((s) => s.id)).toEqual([2]);
    expect(filterStores(stores, 'thc').map((s) => s.id)).toEqual([1]); // pinyin initials of 天河城
    expect(filterStores(stores, 'tianhe').map((s) => s.id)).toEqual([1]);
    expect(filterStores(stores, '')).toBe(stores);
    expect(planBody({ id: 'u', repId: 9, day: '2026-11-24', storeIds: [3, 1] })).toEqual({
      id: 'u',
      rep_id: 9,
      day: '2026-11-24',
      store_ids: [3, 1],
      optimise: true,
      note: '',
    });
    expect(
      planBody({
        id: 'u',
        repId: 9,
        day: '2026-11-24',
        storeIds: [3],
        keepOrder: true,
        note: 'x',
        start: { latitude: 23.1, longitude: 113.3 },
      }),
    ).toEqual({
      id: 'u',
      rep_id: 9,
      day: '2026-11-24',
      store_ids: [3],
      optimise: false,
      note: 'x',
      start_latitude: 23.1,
      start_longitude: 113.3,
    });
  });
});

describe('manager routes', () => {
  it('maps the hash to a page', () => {
    expect(pageOf([])).toBe('team');
    expect(pageOf(['team'])).toBe('team');
    expect(pageOf(['route'])).toBe('route');
    expect(pageOf(['route', '9', '2026-11-20'])).toBe('route');
    expect(pageOf(['coverage'])).toBe('coverage');
    expect(pageOf(['plans'])).toBe('plans');
    expect(pageOf(['conflicts'])).toBe('conflicts');
    expect(pageOf(['moves'])).toBe('moves');
    expect(pageOf(['reports'])).toBe('reports');
    expect(pageOf(['channel'])).toBe('channel');
    expect(pageOf(['channel', 'aging'])).toBe('channel');
    expect(pageOf(['store', '12'])).toBeNull();
    expect(pageOf(['photos'])).toBe('photos');
    // a visit's detail (a link, not in the navigation); the rep's own visit screen stays theirs
    expect(pageOf(['visits', 'b9f6c1de-0000-4000-8000-000000000001'])).toBe('visits');
    expect(pageOf(['visit', 'b9f6c1de-0000-4000-8000-000000000001'])).toBeNull();
  });
});
