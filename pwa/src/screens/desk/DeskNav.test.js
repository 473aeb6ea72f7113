// The desk navigation's grouping (DeskNav.js): a role's PAGES array, ungrouped entries first, then
// each group in the order it first appears — so a page added to PAGES lands in the navigation.
import { describe, expect, it } from 'vitest';
import { navGroups } from './DeskNav.js';

describe('navGroups', () => {
  it('keeps PAGES order, ungrouped first, groups in order of appearance', () => {
    const pages = [
      ['team', '#/', 'a'],
      ['field', '#/today', 'b', { group: 'field' }],
      ['route', '#/route', 'c'],
      ['users', '#/admin/users', 'd', { group: 'admin' }],
      ['outbox', '#/outbox', 'e', { group: 'field' }],
      ['tasks', '#/tasks', 'f', { badge: 3 }],
    ];
    const groups = navGroups(pages);
    expect(groups.map((g) => g.group)).toEqual([null, 'field', 'admin']);
    expect(groups.map((g) => g.items.map(([key]) => key))).toEqual([
      ['team', 'route', 'tasks'],
      ['field', 'outbox'],
      ['users'],
    ]);
  });

  it('has no empty group', () => {
    expect(navGroups([['x', '#/x', 'x', { group: 'admin' }]])).toEqual([
      { group: 'admin', items: [['x', '#/x', 'x', { group: 'admin' }]] },
    ]);
    expect(navGroups([])).toEqual([]);
  });
});
