// The desk shell's navigation, shared by the regional manager's screens (screens/manager/, through
// app.js's Shell) and HQ's / administrators' (screens/hq/index.js). One component renders a role's
// PAGES array, so a page added there shows in the navigation with no other edit:
//
//   PAGES entry: [key, href, labelKey, {group?, badge?}]
//     group   the entry's group ('field', 'admin'…): groups follow the ungrouped entries, each under
//             its heading t(`desk.group.<group>`); order: as they first appear
//     badge   a number shown beside the label (the shell's `badges[key]` overrides it: a live count)
//
// The CSS (shell.css) makes it a side navigation at ≥ 1024 px (the desk layout: no phone bottom bar,
// the content using the width) and a row of tabs below. Keyboard: a skip link to <main id="main">
// comes first, the navigation is a list of links with aria-current on the current page.
import './i18n/index.js';
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';
import './shell.css';

/** The entries of `pages` by group: `[{group: null | string, items: [entry…]}]`, ungrouped first. */
export function navGroups(pages) {
  const groups = [{ group: null, items: [] }];
  for (const entry of pages) {
    const group = entry[3]?.group || null;
    let g = groups.find((x) => x.group === group);
    if (!g) {
      g = { group, items: [] };
      groups.push(g);
    }
    g.items.push(entry);
  }
  return groups.filter((g) => g.items.length);
}

/** Move the focus to the page's <main id="main"> (a hash link would change the app's route). */
function skipToMain(event) {
  event.preventDefault();
  const main = document.getElementById('main');
  if (main) {
    main.focus();
    main.scrollIntoView({ block: 'start' });
  }
}

/** "Skip to content": the first thing Tab reaches; visible only while it has the focus. */
export function SkipLink() {
  return html`<a class="skip-link" href="#main" onClick=${skipToMain} data-testid="skip-link">${t('desk.skip')}</a>`;
}

function Badge({ value }) {
  if (value === null || value === undefined || value === 0 || value === false) return null;
  if (typeof value === 'number') return html` <span class="count">${value}</span>`;
  return html` ${value}`;
}

/**
 * The navigation of `pages` (see above); `current`: the current page's key; `label`: the nav's
 * accessible name; `testid`: each link's data-testid is `${testid}-${key}`; `badges`: {key: number |
 * vnode}; `className`: extra classes (the manager's field group is hidden below 1024 px, where the
 * bottom bar has those entries).
 */
export function DeskNav({ pages, current, label, testid = 'desk-nav', badges = {}, className = '' }) {
  return html`<nav class=${`desk-nav ${className}`.trim()} aria-label=${label || t('desk.navLabel')} data-testid="desk-nav">
    ${navGroups(pages).map(
      ({
        group,
        items,
      }) => html`<div key=${group || '-'} class=${group ? `desk-nav-group desk-nav-group-${group}` : 'desk-nav-group'}>
        ${group ? html`<p class="desk-nav-heading" id=${`desk-nav-${group}`}>${t(`desk.group.${group}`)}</p>` : null}
        <ul aria-labelledby=${group ? `desk-nav-${group}` : undefined}>
          ${items.map(
            ([key, href, labelKey, opts]) => html`<li key=${key}>
              <a
                href=${href}
                class=${current === key ? 'active' : ''}
                aria-current=${current === key ? 'page' : undefined}
                data-testid=${`${testid}-${key}`}
                >${t(labelKey)}<${Badge} value=${key in badges ? badges[key] : opts?.badge} /></a
              >
            </li>`,
          )}
        </ul>
      </div>`,
    )}
  </nav>`;
}
