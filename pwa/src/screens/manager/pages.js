// The manager's pages and their hash routes (pure: tested in manager.test.js).

export const PAGES = [
  ['team', '#/', 'manager.nav.team'],
  ['route', '#/route', 'manager.nav.route'],
  ['coverage', '#/coverage', 'manager.nav.coverage'],
  ['plans', '#/plans', 'manager.nav.plans'],
  ['conflicts', '#/conflicts', 'manager.nav.conflicts'],
  ['moves', '#/moves', 'manager.nav.moves'],
  ['reports', '#/reports', 'manager.nav.reports'],
  ['channel', '#/channel', 'manager.nav.channel'],
  ['quality', '#/quality', 'manager.nav.quality'],
  ['training', '#/training', 'manager.nav.training'],
  ['tasks', '#/tasks', 'manager.nav.tasks'],
  ['photos', '#/photos', 'manager.nav.photos'],
];
// Pages reached by a link, not in the navigation: a visit's detail (#/visits/<id>).
const LINKED = ['visits'];
const HEADS = new Set([...PAGES.map(([key]) => key), ...LINKED]);

/** The page key of the route parts (#/route/9/2026-11-20 → 'route'; #/ → 'team', the landing
 * page), or null (not a manager route). */
export function pageOf([head] = []) {
  if (!head) return 'team';
  return HEADS.has(head) ? head : null;
}
