// Sign in. The session (token and user) is kept in the local database, so the app opens signed
// in after a reload with no network.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { LANGS, lang, setLang, t } from '../../i18n/index.js';

function loginError(err) {
  const status = err?.status;
  if (status === 401 || status === 422 || status === 400) return t('login.failed');
  if (status === 429) return t('login.tooMany');
  if (!status || err.name === 'TypeError' || (typeof navigator !== 'undefined' && !navigator.onLine)) {
    return t('login.offline');
  }
  return t('login.error', { message: err.message || status });
}

export function LangSwitch() {
  const current = lang();
  return html`<div class="lang-switch" role="group" aria-label=${t('settings.language')}>
    ${Object.entries(LANGS).map(
      ([code, { name }]) => html`<button
        type="button"
        class="chip"
        aria-pressed=${code === current ? 'true' : 'false'}
        lang=${code}
        onClick=${() => setLang(code)}
      >
        ${name}
      </button>`,
    )}
  </div>`;
}

export function Login({ onLogin, onCancel, username: knownUser = '' }) {
  const [username, setUsername] = useState(knownUser);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function submit(ev) {
    ev.preventDefault();
    if (!username || !password || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onLogin(username.trim(), password);
    } catch (err) {
      if (!err?.status) console.error(err);
      setError(err?.userMessage ? err.userMessage : loginError(err));
      setBusy(false);
    }
  }

  return html`<main class="login">
    <img class="logo" src="/icons/icon-192.png" alt="" />
    <h1>${t('app.name')}</h1>
    <form class="card" onSubmit=${submit} data-testid="login-form">
      <h2>${t('login.title')}</h2>
      <label class="field">
        <span class="label">${t('login.username')}</span>
        <input
          name="username"
          autocomplete="username"
          autocapitalize="off"
          spellcheck="false"
          value=${username}
          onInput=${(e) => setUsername(e.currentTarget.value)}
          required
        />
      </label>
      <label class="field">
        <span class="label">${t('login.password')}</span>
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)}
          required
        />
      </label>
      ${error ? html`<div class="banner banner-err" role="alert" data-testid="login-error">${error}</div>` : null}
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>
        ${busy ? t('login.busy') : t('login.submit')}
      </button>
      ${
        onCancel
          ? html`<button type="button" class="btn btn-block" style="margin-top:0.5rem" onClick=${onCancel}>
            ${t('common.cancel')}
          </button>`
          : null
      }
    </form>
    <${LangSwitch} />
  </main>`;
}
