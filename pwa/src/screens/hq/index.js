// HQ's (and administrators') desktop screens, online only (REST; nothing of theirs is recorded
// offline, so no sync engine runs for them). Loaded on demand. Routes:
//   #/            shipment imports      #/diversion   diversion report
//   #/cards       warranty-card look-up #/settings    me (language, sign out)
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';
import { useOnline, useRoute } from '../../components/hooks.js';
import { Settings } from '../rep/Settings.js';
import { Imports } from './Imports.js';
import { Diversion } from './Diversion.js';
import { CardLookup } from './CardLookup.js';

const PAGES = [
  ['imports', '#/', 'hq.nav.imports'],
  ['diversion', '#/diversion', 'hq.nav.diversion'],
  ['cards', '#/cards', 'hq.nav.cards'],
  ['settings', '#/settings', 'nav.settings'],
];

export function HqShell({ session, onLogout, version }) {
  const route = useRoute();
  const online = useOnline();
  const [head] = route.parts;
  let current = 'imports';
  let screen = html`<${Imports} />`;
  if (head === 'diversion') {
    current = 'diversion';
    screen = html`<${Diversion} />`;
  } else if (head === 'cards') {
    current = 'cards';
    screen = html`<${CardLookup} />`;
  } else if (head === 'settings') {
    current = 'settings';
    screen = html`<${Settings} status=${null} onLogout=${onLogout} version=${version} />`;
  }
  return html`<div class="app hq">
    <header class="topbar">
      <h1>${t('app.name')} · ${t('hq.title')}</h1>
      <nav class="hq-nav" aria-label=${t('hq.title')}>
        ${PAGES.map(
          ([key, href, label]) => html`<a key=${key} href=${href} class=${current === key ? 'active' : ''} aria-current=${current === key ? 'page' : undefined} data-testid=${`hq-nav-${key}`}
            >${t(label)}</a
          >`,
        )}
      </nav>
      <span class="small" style="opacity:0.85">${session.user.display_name || session.user.username}</span>
    </header>
    <main class="content">
      ${!online ? html`<div class="banner banner-warn" role="alert">${t('hq.offline')}</div>` : null} ${screen}
    </main>
  </div>`;
}
