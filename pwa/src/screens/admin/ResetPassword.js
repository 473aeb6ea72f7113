// A user's password reset (POST /users/<id>/password): a password the admin types (the same rule
// as a new user's: 8 to 256 characters), or one the server makes and shows here once. Either way
// every session of the user ends: their phone asks them to sign in again.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../api.js';
import { t } from '../../i18n/index.js';
import { apiMessage, ErrorBanner, useAction } from '../desk/kit.js';
import { checkField } from './forms.js';

const PASSWORD = { name: 'password', type: 'password', required: true, minLength: 8, max: 256 };

export function ResetPassword({ record, ctx }) {
  const [mode, setMode] = useState('generate');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState(null);
  const [made, setMade] = useState(null);
  const action = useAction();
  const ref = useRef(null);
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: 'nearest' });
    ref.current?.querySelector('input')?.focus();
  }, []);
  async function submit(e) {
    e.preventDefault();
    const check = mode === 'set' ? checkField(PASSWORD, password) : null;
    setProblem(check);
    if (check) return;
    const answer = await action.run(() =>
      request('POST', `/users/${record.id}/password`, { json: mode === 'set' ? { password } : {} }),
    );
    if (!answer) return;
    if (answer.password) setMade(answer.password);
    else {
      ctx.say(t('admin.reset.done', { name: record.username }));
      ctx.close();
    }
  }
  const fieldError = problem
    ? t(problem.key, problem.vars)
    : action.error?.field === 'password'
      ? apiMessage(action.error)
      : null;
  if (made) {
    return html`<section class="card admin-form" data-testid="admin-reset-done">
      <h3>${t('admin.reset.title', { name: record.username })}</h3>
      <p>${t('admin.reset.madeIntro', { name: record.username })}</p>
      <p class="admin-secret" data-testid="admin-generated-password">${made}</p>
      <p class="small muted">${t('admin.reset.madeNote')}</p>
      <div class="toolbar"><span style="flex:1"></span>
        <button type="button" class="btn btn-primary" onClick=${ctx.close} data-testid="admin-reset-close">${t('common.close')}</button>
      </div>
    </section>`;
  }
  return html`<form class="card admin-form" ref=${ref} onSubmit=${submit} noValidate data-testid="admin-reset">
    <h3>${t('admin.reset.title', { name: record.username })}</h3>
    <${ErrorBanner} error=${action.error?.field === 'password' ? null : action.error} />
    <fieldset class="admin-radios">
      <legend class="label">${t('admin.reset.how')}</legend>
      <label><input type="radio" name="reset-mode" checked=${mode === 'generate'} onChange=${() => setMode('generate')} data-testid="admin-reset-generate" /> ${t('admin.reset.generate')}</label>
      <label><input type="radio" name="reset-mode" checked=${mode === 'set'} onChange=${() => setMode('set')} data-testid="admin-reset-set" /> ${t('admin.reset.set')}</label>
    </fieldset>
    ${
      mode === 'set'
        ? html`<div class="field admin-field">
            <label class="label" for="admin-reset-password">${t('admin.users.password')}</label>
            <input id="admin-reset-password" type="text" autocomplete="new-password" spellcheck="false" value=${password}
              aria-invalid=${fieldError ? 'true' : undefined} aria-describedby=${fieldError ? 'admin-reset-error' : undefined}
              onInput=${(e) => {
                setPassword(e.currentTarget.value);
                setProblem(null);
              }} data-testid="admin-reset-password" />
            <p class="small muted">${t('admin.users.passwordHelp')}</p>
            ${fieldError ? html`<p class="check check-err small" id="admin-reset-error" role="alert" data-testid="admin-field-error" data-field="password">✗ ${fieldError}</p>` : null}
          </div>`
        : null
    }
    <p class="banner banner-warn small">${t('admin.reset.sessionsEnd')}</p>
    <div class="toolbar"><span style="flex:1"></span>
      <button type="button" class="btn" onClick=${ctx.close} data-testid="admin-reset-cancel">${t('common.cancel')}</button>
      <button type="submit" class="btn btn-primary" disabled=${!!action.busy} data-testid="admin-reset-submit">${t('admin.reset.submit')}</button>
    </div>
  </form>`;
}
