// Store intel: a store opening, moving, renovating or closing, a new competitor counter — with the
// phone's position and photos. What is typed is a draft (section `intel`, ../useDraft.js) until
// the report is recorded.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { PhotoPicker } from '../../../components/PhotoPicker.js';
import { getPosition } from '../../../components/geo.js';
import { useDraft } from '../useDraft.js';
import { Saved, Step } from './common.js';

const KINDS = ['new_store', 'opening', 'moving', 'renovation', 'closing', 'new_competitor_counter'];

const EMPTY = { kind: 'new_store', name: '', address: '', aboutStore: false, notes: '', photoIds: [] };

export function IntelStep({ visit, store, reports, readOnly }) {
  const { actions, db } = useApp();
  const [form, update, { reset }] = useDraft(db, visit.id, 'intel', EMPTY);
  const { kind, name, address, aboutStore, notes, photoIds } = form;
  const setKind = (v) => update({ kind: v });
  const setName = (v) => update({ name: v });
  const setAddress = (v) => update({ address: v });
  const setAboutStore = (v) => update({ aboutStore: v });
  const setNotes = (v) => update({ notes: v });
  const setPhotoIds = (v) => update({ photoIds: v });
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
      reset({ drop: true });
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
            <textarea rows="2" value=${notes} onInput=${(e) => setNotes(e.currentTarget.value)} data-testid="intel-notes"></textarea>
          </label>
          ${error ? html`<div class="banner banner-err">${error}</div>` : null}
          <button type="button" class="btn btn-primary btn-block" disabled=${busy} onClick=${save} data-testid="save-intel">
            ${t('intel.save')}
          </button>
        </div>`
    }
  </${Step}>`;
}
