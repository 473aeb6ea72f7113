// Bottom navigation: Today (a clerk's: Cards), Outbox (with the count of waiting and refused
// entries), Me. `extra`: more entries after the first one [{key, href, icon, label}] (a manager's
// Today, beside their own screens).
import { html } from 'htm/preact';
import { t } from '../i18n/index.js';
import { Icon } from './icons.js';

export function NavBar({ current, outboxCount, rejected, home = null, extra = null }) {
  const item = (key, href, icon, label, count) => html`<a
    href=${href}
    class=${current === key ? 'active' : ''}
    aria-current=${current === key ? 'page' : undefined}
    data-testid=${`nav-${key}`}
    ><span class="nav-icon"><${Icon} name=${icon} /></span><span>${label}</span>
    ${count ? html`<span class="count">${count}</span>` : null}</a
  >`;
  return html`<nav class="navbar">
    ${item('today', '#/', home ? home.icon : 'home', home ? home.label : t('nav.today'))}
    ${extra ? extra.map((x) => item(x.key, x.href, x.icon, x.label)) : null}
    ${item('outbox', '#/outbox', 'sync', t('nav.outbox'), rejected || outboxCount)}
    ${item('settings', '#/settings', 'user', t('nav.settings'))}
  </nav>`;
}
