// Photos for a record: the camera (capture="environment") or the gallery. Each photo is stored
// at once through db/actions.addPhoto (downscaled, queued for upload in its own lane); the record
// then lists the photo ids.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { useApp } from './context.js';
import { useLive, useObjectUrl } from './hooks.js';
import { Icon } from './icons.js';

function Thumb({ id, file }) {
  const { db } = useApp();
  const [row] = useLive(() => (file ? null : db.photos.get(id)), [id, !!file]);
  const url = useObjectUrl(file || row?.blob || null);
  return url
    ? html`<img src=${url} alt="" data-photo-id=${id} />`
    : html`<span class="photo-add" data-photo-id=${id} aria-label="photo">✓</span>`;
}

export function PhotoPicker({ value = [], onChange, max = 20, label, testid = 'photo-input', disabled }) {
  const { actions } = useApp();
  const [files, setFiles] = useState({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function onPick(ev) {
    const input = ev.currentTarget;
    const picked = Array.from(input.files || []);
    input.value = '';
    if (!picked.length) return;
    setBusy(true);
    setError(null);
    const ids = [...value];
    const known = { ...files };
    try {
      for (const file of picked) {
        if (ids.length >= max) break;
        const id = await actions.addPhoto(file);
        ids.push(id);
        known[id] = file;
      }
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    } finally {
      setFiles(known);
      setBusy(false);
      onChange(ids);
    }
  }

  return html`<div class="field">
    ${label ? html`<span class="label">${label}</span>` : null}
    <div class="photos">
      ${value.map((id) => html`<${Thumb} key=${id} id=${id} file=${files[id]} />`)}
      ${
        value.length < max && !disabled
          ? html`<label class="photo-add">
            <${Icon} name="camera" size=${26} />
            <span>${busy ? '…' : t('display.addPhoto')}</span>
            <input
              type="file"
              accept="image/*"
              capture="environment"
              multiple
              data-testid=${testid}
              disabled=${busy}
              onChange=${onPick}
            />
          </label>`
          : null
      }
    </div>
    ${error ? html`<p class="small" style="color:var(--err)">${error}</p>` : null}
  </div>`;
}
