// Store intel: a store opening, moving, renovating or closing, a new competitor counter — with the
// phone's position and photos.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { PhotoPicker } from '../../../components/PhotoPicker.js';
import { getPosition } from '../../../components/geo.js';
import { Saved, Step } from './common.js';

const KINDS = ['new_store', 'opening', 'moving', 'renovation', 'closing', 'new_competitor_counter'];

export function IntelStep({ visit, store, reports, readOnly }) {
  const { actions } = useApp();
  const [kind, setKind] = useState('new_store');
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [aboutStore, setAboutStore] = useState(false);
  const [notes, setNotes] = useState('');
  const [photoIds, setPhotoIds] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function save() {
    if (!name.trim()) {
      setError(t('intel.needName'));
      return;
    }
    setBusy(true);
    setError(null);
    // The report is placed where the phone is now; without a fix, where the visit checked in.
    let position;
    try {
      const p = await getPosition({ timeout: 8000, maximumAge: 60000 });
      position = { latitude: p.latitude, longitude: p.longitude, accuracy: p.accuracy };
    } catch {
      position = { latitude: visit.latitude, longitude: visit.longitude, accuracy: visit.accuracy_m };
    }
    try {
      await actions.reportIntel({
        kind,
        name: name.trim(),
        address: address.trim() || undefined,
        position,
        storeId: aboutStore ? store.id : undefined,
        notes: notes.trim() || undefined,
        photoIds,
      });
      setName('');
      setAddress('');
      setNotes('');
      setPhotoIds([]);
      setAboutStore(false);
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    } finally {
      setBusy(false);
    }
  }

  return html`<${Step} title=${t('visit.intel')} done=${reports.length > 0} testid="step-intel">
    ${reports.map(
      (r) => html`<${Saved} key=${r.id} pending=${r.pending}>
        ${t(`intel.kind.${r.kind}`)} · ${r.name}
        <span class="muted"> · ${fmt.time(r.reported_at)}</span>
      </${Saved}>`,
    )}
    ${
      readOnly
        ? null
        : html`<div data-testid="intel-form">
          <div class="field">
            <span class="label">${t('intel.kind')}</span>
            <div class="chips">
              ${KINDS.map(
                (
                  k,
                ) => html`<button type="button" class="chip" key=${k} aria-pressed=${kind === k ? 'true' : 'false'} onClick=${() => setKind(k)}>
                  ${t(`intel.kind.${k}`)}
                </button>`,
              )}
            </div>
          </div>
          <label class="field">
            <span class="label">${t('intel.name')}</span>
            <input value=${name} onInput=${(e) => setName(e.currentTarget.value)} data-testid="intel-name" />
          </label>
          <label class="field">
            <span class="label">${t('intel.address')} (${t('common.optional')})</span>
            <input value=${address} onInput=${(e) => setAddress(e.currentTarget.value)} data-testid="intel-address" />
          </label>
          <label class="field" style="display:flex;align-items:center;gap:0.5rem;min-height:44px">
            <input
              type="checkbox"
              checked=${aboutStore}
              onChange=${(e) => setAboutStore(e.currentTarget.checked)}
              style="width:22px;height:22px"
            />
            <span>${t('intel.thisStore')} (${store.name})</span>
          </label>
          <${PhotoPicker} label=${t('display.photos')} value=${photoIds} onChange=${setPhotoIds} testid="intel-photo-input" />
          <label class="field">
            <span class="label">${t('common.notes')}</span>
            <textarea rows="2" value=${notes} onInput=${(e) => setNotes(e.currentTarget.value)}></textarea>
          </label>
          ${error ? html`<div class="banner banner-err">${error}</div>` : null}
          <button type="button" class="btn btn-primary btn-block" disabled=${busy} onClick=${save} data-testid="save-intel">
            ${t('intel.save')}
          </button>
        </div>`
    }
  </${Step}>`;
}
