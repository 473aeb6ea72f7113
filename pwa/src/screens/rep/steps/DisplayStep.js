// Display check against the VI checklist: yes/no and number items, photos, notes. Saved at once
// through db/actions.recordDisplayCheck.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, lang, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { PhotoPicker } from '../../../components/PhotoPicker.js';
import { Saved, Step } from './common.js';

export function itemLabel(item) {
  return lang() === 'zh-CN' ? item.label_zh || item.label_en : item.label_en || item.label_zh;
}

function YesNo({ value, onChange, name }) {
  return html`<div class="segmented" role="group" aria-label=${name}>
    <button type="button" aria-pressed=${value === true ? 'true' : 'false'} onClick=${() => onChange(true)}>
      ${t('common.yes')}
    </button>
    <button type="button" aria-pressed=${value === false ? 'true' : 'false'} onClick=${() => onChange(false)}>
      ${t('common.no')}
    </button>
  </div>`;
}

export function DisplayStep({ visit, checklist, checks, readOnly }) {
  const { actions } = useApp();
  const [answers, setAnswers] = useState({});
  const [photoIds, setPhotoIds] = useState([]);
  const [notes, setNotes] = useState('');
  const [again, setAgain] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const set = (id, value) => setAnswers((a) => ({ ...a, [id]: value }));
  const done = checks.length > 0;

  async function save() {
    const list = checklist
      .filter((item) => answers[item.id] !== undefined && answers[item.id] !== '')
      .map((item) => ({
        item_id: item.id,
        value: item.answer_type === 'number' ? Number(answers[item.id]) : answers[item.id],
      }));
    setBusy(true);
    setError(null);
    try {
      await actions.recordDisplayCheck({
        visitId: visit.id,
        answers: list,
        notes: notes.trim() || undefined,
        photoIds,
      });
      setAnswers({});
      setPhotoIds([]);
      setNotes('');
      setAgain(false);
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    } finally {
      setBusy(false);
    }
  }

  const showForm = !readOnly && (!done || again);
  return html`<${Step} title=${t('visit.display')} done=${done} open=${!done && !readOnly} testid="step-display">
    ${checks.map(
      (c) => html`<${Saved} key=${c.id} pending=${c.pending}>
        ${t('display.saved', { n: (c.answers || []).length, p: (c.photo_ids || []).length })}
        ${c.score != null ? html` · ${fmt.number(Math.round(c.score))}/100` : null}
      </${Saved}>`,
    )}
    ${
      showForm
        ? html`<div data-testid="display-form">
          ${
            checklist.length
              ? checklist.map(
                  (
                    item,
                  ) => html`<div class="check-item" key=${item.id} data-testid="checklist-item" data-item-code=${item.code}>
                  <span class="label"
                    >${itemLabel(item)}
                    ${
                      item.answer_type === 'number' && item.target != null
                        ? html`<span class="muted small"> (${t('display.target', { n: fmt.number(item.target) })})</span>`
                        : null
                    }</span
                  >
                  ${
                    item.answer_type === 'number'
                      ? html`<input
                        type="number"
                        inputmode="numeric"
                        min="0"
                        step="1"
                        aria-label=${itemLabel(item)}
                        value=${answers[item.id] ?? ''}
                        onInput=${(e) => set(item.id, e.currentTarget.value)}
                      />`
                      : html`<${YesNo} name=${itemLabel(item)} value=${answers[item.id]} onChange=${(v) => set(item.id, v)} />`
                  }
                </div>`,
                )
              : html`<p class="muted">${t('display.noItems')}</p>`
          }
          <div style="margin-top:0.75rem">
            <${PhotoPicker} label=${t('display.photos')} value=${photoIds} onChange=${setPhotoIds} testid="display-photo-input" />
          </div>
          <label class="field">
            <span class="label">${t('common.notes')}</span>
            <textarea value=${notes} onInput=${(e) => setNotes(e.currentTarget.value)} rows="2"></textarea>
          </label>
          ${error ? html`<div class="banner banner-err">${error}</div>` : null}
          <button type="button" class="btn btn-primary btn-block" disabled=${busy} onClick=${save} data-testid="save-display">
            ${t('display.save')}
          </button>
        </div>`
        : !readOnly
          ? html`<button type="button" class="btn btn-block" onClick=${() => setAgain(true)}>${t('display.again')}</button>`
          : null
    }
  </${Step}>`;
}
