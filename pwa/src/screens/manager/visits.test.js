import { describe, expect, it } from 'vitest';
import {
  answerShown,
  appendPage,
  feedQuery,
  itemsFailedFirst,
  recycledPlace,
  visitHref,
  visitLayers,
  visitPhotos,
} from './visits.js';

const store = { id: 1, name: '天河城店', latitude: 23.1291, longitude: 113.3269 };
const detail = (over = {}) => ({
  visit: {
    id: 'v-1',
    store,
    off_site: false,
    check_in: { latitude: 23.1292, longitude: 113.327, accuracy_m: 12, distance_m: 15 },
    check_out: { latitude: 23.1291, longitude: 113.3269, accuracy_m: 8, distance_m: 0 },
    ...over,
  },
  display_checks: [{ id: 'c1', photos: [{ photo_id: 'p1' }, { photo_id: 'p2' }] }],
  price_observations: [
    { id: 'o1', photos: [] },
    { id: 'o2', photos: [{ photo_id: 'p3' }] },
  ],
  intel_reports: [],
  tasks: [{ id: 't1', photos: [{ photo_id: 'p4' }] }],
});

describe('visit detail', () => {
  it('links to a visit by id (managers and HQ), not to the rep’s own screen', () => {
    expect(visitHref('a b')).toBe('#/visits/a%20b');
  });

  it('draws the store, the check-in and the check-out; an off-site check-in red with a line to the store', () => {
    const seen = [];
    const on = visitLayers(detail(), (kind, vars) => {
      seen.push([kind, vars]);
      return kind;
    });
    expect(on.markers.map((m) => [m.id, m.tone, m.label ?? null])).toEqual([
      ['store', 'muted', null],
      ['in', 'brand', '1'],
      ['out', 'ok', '2'],
    ]);
    expect(on.lines).toEqual([]);
    expect(seen[1]).toEqual(['in', { distance: 15, accuracy: 12 }]);

    const off = visitLayers(detail({ off_site: true, check_out: null }));
    expect(off.markers.map((m) => [m.id, m.tone])).toEqual([
      ['store', 'muted'],
      ['in', 'err'],
    ]);
    expect(off.lines).toEqual([
      {
        id: 'offsite',
        points: [
          [23.1292, 113.327],
          [23.1291, 113.3269],
        ],
        tone: 'err',
        dashed: true,
      },
    ]);
    expect(visitLayers(null)).toEqual({ markers: [], lines: [] });
  });

  it('says yes/no answers as words and numbers as they are', () => {
    expect(answerShown({ value: true })).toBe('yes');
    expect(answerShown({ value: false })).toBe('no');
    expect(answerShown({ value: 0 })).toBe('0');
    expect(answerShown({ value: 2.5 })).toBe('2.5');
    expect(answerShown(null)).toBe('');
  });

  it('lists the photos in the page’s order for the viewer', () => {
    expect(visitPhotos(detail()).map((p) => [p.photo.photo_id, p.section, p.recordId])).toEqual([
      ['p1', 'display_checks', 'c1'],
      ['p2', 'display_checks', 'c1'],
      ['p3', 'price_observations', 'o2'],
      ['p4', 'tasks', 't1'],
    ]);
    expect(visitPhotos(null)).toEqual([]);
  });

  it('says where a recycled photo was used: a link when the reader may open it, the time only outside scope', () => {
    const at = '2026-11-20T02:00:00+00:00';
    expect(
      recycledPlace({
        uses: [
          { visible: false, can_open: false, at },
          { visible: true, can_open: true, store_name: '体育西店', visit_id: 'v 2', at },
        ],
      }),
    ).toEqual({ store: '体育西店', at, href: '#/visits/v%202', hidden: false });
    expect(
      recycledPlace({ uses: [{ visible: true, can_open: false, store_name: '体育西店', visit_id: 'v2', at }] }),
    ).toEqual({
      store: '体育西店',
      at,
      href: null,
      hidden: false,
    });
    expect(recycledPlace({ uses: [{ visible: false, can_open: false, store_name: null, at }] })).toEqual({
      store: null,
      at,
      href: null,
      hidden: true,
    });
    expect(recycledPlace({ uses: [] }).hidden).toBe(true);
  });
});

describe('photo feed', () => {
  it('sends only the filters that are set, recycled as 1', () => {
    expect(
      feedQuery({
        region_id: '',
        since: '2026-11-01',
        tier: 'A',
        rep_id: null,
        recycled: false,
        checklist_item_id: '3',
      }),
    ).toEqual({ since: '2026-11-01', tier: 'A', checklist_item_id: '3' });
    expect(feedQuery({ recycled: true })).toEqual({ recycled: 1 });
  });

  it('appends the next page without repeating an item already shown', () => {
    const a = { photo_id: 'p1', record_type: 'display_check', record_id: 'c1' };
    const b = { photo_id: 'p2', record_type: 'display_check', record_id: 'c2' };
    const sameOtherRecord = { photo_id: 'p1', record_type: 'task', record_id: 't1' };
    expect(appendPage([a, b], [b, sameOtherRecord])).toEqual([a, b, sameOtherRecord]);
  });

  it('puts the failed checklist items first, keeping the checklist order otherwise', () => {
    const items = [
      { id: 1, passed: true },
      { id: 2, passed: false },
      { id: 3, passed: true },
      { id: 4, passed: false },
    ];
    expect(itemsFailedFirst(items).map((i) => i.id)).toEqual([2, 4, 1, 3]);
    expect(items.map((i) => i.id)).toEqual([1, 2, 3, 4]);
  });
});
