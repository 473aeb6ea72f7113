// Me: who is signed in, language, storage used on the phone, sync, sign out (asking first when
// entries have not reached the server). With no `status` (HQ's desktop screens, which do not
// sync), only the user, the language and signing out.
import { html } from 'htm/preact';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { syncLabel } from '../../components/SyncBar.js';
import { LangSwitch } from './Login.js';

export function Settings({ status, onLogout, version }) {
  const { session, engine } = useApp();
  const user = session?.user || {};
  const storage = status?.storage || {};
  return html`<div data-testid="settings-screen">
    <div class="card">
      <h2>${user.display_name || user.username}</h2>
      <p class="muted">${t('settings.user', { name: user.display_name || '', username: user.username || '' })}</p>
      ${user.role ? html`<span class="tag">${t(`settings.role.${user.role}`)}</span>` : null}
    </div>
    <div class="card">
      <h3>${t('settings.language')}</h3>
      <${LangSwitch} />
    </div>
    ${
      status
        ? html`<div class="card">
          <h3>${t('settings.sync')}</h3>
          <p>${syncLabel(status)}</p>
          <button type="button" class="btn btn-block" onClick=${() => engine?.syncNow()} disabled=${status.state === 'offline'}>
            ${t('sync.now')}
          </button>
        </div>
        <div class="card" data-testid="storage">
          <h3>${t('settings.storage')}</h3>
          ${
            storage.usage != null
              ? html`<p>${t('settings.storageValue', { used: fmt.bytes(storage.usage), quota: fmt.bytes(storage.quota) })}</p>
                ${
                  storage.quota
                    ? html`<div class="progress" style="border-radius:4px;height:8px">
                      <div style=${`width:${Math.min(100, (100 * storage.usage) / storage.quota)}%`}></div>
                    </div>`
                    : null
                }
                <p class="muted small">${storage.persisted ? t('settings.persisted') : t('settings.notPersisted')}</p>`
              : html`<p class="muted">${t('common.unknown')}</p>`
          }
        </div>`
        : null
    }
    <button type="button" class="btn btn-danger btn-block" onClick=${onLogout} data-testid="logout">${t('settings.logout')}</button>
    <p class="muted small" style="text-align:center;margin-top:1rem">${t('settings.version', { v: version })}</p>
  </div>`;
}
