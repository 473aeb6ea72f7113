// "A new version is ready": the service worker waits (registerType 'prompt') until the rep
// chooses to reload, so the app is never replaced in the middle of a visit.
import { html } from 'htm/preact';
import { t } from '../i18n/index.js';

export function UpdatePrompt({ onUpdate, onLater }) {
  return html`<div class="banner update-prompt" role="alert" data-testid="update-prompt">
    <span class="grow">${t('app.update')}</span>
    <button type="button" class="btn btn-small" onClick=${onLater}>${t('app.update.later')}</button>
    <button type="button" class="btn btn-primary btn-small" onClick=${onUpdate}>${t('app.update.now')}</button>
  </div>`;
}
