// The administrators' desk pages (#/admin/<page>): users and master data, loaded as a chunk of its
// own by HQ's shell (screens/hq/index.js, through AdminLoader.js) when an admin opens one; the
// navigation's entries and their names are HQ's (ADMIN_PAGES there, i18n/admin.*.js). Each page is a configuration
// (pages.js) of one list + form component (AdminPage.js).
import './i18n/index.js'; // this package's strings, added first: before any of its modules runs
import { html } from 'htm/preact';
import { AdminPage } from './AdminPage.js';
import { ADMIN_PAGES } from './pages.js';

/** The admin page `page` (a key of ADMIN_PAGES; the users' when unknown). */
export function Admin({ page, user }) {
  const found = ADMIN_PAGES.find(([key]) => key === page) || ADMIN_PAGES[0];
  return html`<${AdminPage} key=${found[0]} config=${found[1]} user=${user} />`;
}
