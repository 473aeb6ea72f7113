// Display check against the VI checklist: yes/no and number items, photos, notes. "All
// compliant" answers every item with its passing answer in one tap; the score is shown as the rep
// answers (the server's formula, ../checklist.js); a failed item whose `on_fail` asks for a
// reason or a photo says so and the check is not saved without it. What is typed is a draft
// (db/drafts.js, section `display`) saved as it changes and restored when the visit opens.
// Saved through db/actions.recordDisplayCheck.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, lang, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { PhotoPicker } from '../../../components/PhotoPicker.js';
import { useDraft } from '../useDraft.js';
import { allCompliant, answered, answersToSend, checkScore, formScore, missingEvidence, passes } from '../checklist.js';
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

const EMPTY = { answers: {}, reasons: {}, photoIds: [], notes: '' };

const hasDraft = (f) => Object.keys(f.answers).length > 0 || f.photoIds.length > 0 || !!f.notes;

export function DisplayStep({ visit, checklist, checks, readOnly }) {
  const { actions, db } = useApp();
  const [form, update, { restored, reset }] = useDraft(db, visit.id, 'display', EMPTY);
  const [again, setAgain] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [tried, setTried] = useState(false);
  const { answers, reasons, photoIds, notes } = form;

  const set = (id, value) => update({ answers: { ...answers, [id]: value } });
  const setReason = (id, value) => update({ reasons: { ...reasons, [id]: value } });
  const done = checks.length > 0;
  const score = formScore(checklist, answers);
  const lacking = checklist
    .map((item) => ({
      item,
      needs: missingEvidence(item, answers[item.id], { reason: reasons[item.id], hasPhoto: photoIds.length > 0 }),
    }))
    .filter((x) => x.needs);
  const answeredCount = checklist.filter((item) => answered(item, answers[item.id])).length;

  async function save() {
    setTried(true);
    if (lacking.length) {
      setError(t('display.needsEvidence', { item: itemLabel(lacking[0].item) }));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await actions.recordDisplayCheck({
        visitId: visit.id,
        answers: answersToSend(checklist, answers, reasons),
        notes: notes.trim() || undefined,
        photoIds,
      });
      reset();
      setAgain(false);
      setTried(false);
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    } finally {
      setBusy(false);
    }
  }

  const showForm = !readOnly && (!done || again || (restored && hasDraft(form)));
  return html`<${Step} title=${t('visit.display')} done=${done} open=${!done && !readOnly} testid="step-display">
    ${checks.map((c) => {
      const s = checkScore(checklist, c);
      return html`<${Saved} key=${c.id} pending=${c.pending}>
        ${t('display.saved', { n: (c.answers || []).length, p: (c.photo_ids || []).length })}
        ${s != null ? html` · ${fmt.number(Math.round(s))}/100` : null}
      </${Saved}>`;
    })}
    ${
      showForm
        ? html`<div data-testid="display-form" data-restored=${restored ? 'true' : 'false'}>
          ${
            checklist.length
              ? html`<div class="checklist-head">
                  <button type="button" class="btn" onClick=${() => update({ answers: allCompliant(checklist) })} data-testid="checklist-all-ok">
                    ✓ ${t('display.allOk')}
                  </button>
                  <span class="checklist-score" data-testid="checklist-score" data-score=${score ?? ''} aria-live="polite">
                    ${score == null ? t('display.scoreNone') : t('display.score', { n: fmt.number(score) })}
                    <span class="muted small"> · ${t('display.answered', { n: answeredCount, total: checklist.length })}</span>
                  </span>
                </div>`
              : null
          }
          ${
            checklist.length
              ? checklist.map((item) => {
                  const needs = missingEvidence(item, answers[item.id], {
                    reason: reasons[item.id],
                    hasPhoto: photoIds.length > 0,
                  });
                  const failed = answered(item, answers[item.id]) && !passes(item, answers[item.id]);
                  const askReason =
                    (failed && ['reason', 'photo_or_reason'].includes(item.on_fail)) || !!reasons[item.id];
                  return html`<div class="check-item" key=${item.id} data-testid="checklist-item" data-item-code=${item.code}>
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
                  ${
                    needs
                      ? html`<p class="check-needs ${tried ? 'err' : ''} small" data-testid="checklist-needs" data-needs=${needs}>
                          ${t(`display.needs.${needs}`)}
                        </p>`
                      : null
                  }
                  ${
                    askReason
                      ? html`<input
                          type="text"
                          class="check-reason"
                          maxlength="500"
                          placeholder=${t('display.reason')}
                          aria-label=${`${t('display.reason')}: ${itemLabel(item)}`}
                          value=${reasons[item.id] ?? ''}
                          onInput=${(e) => setReason(item.id, e.currentTarget.value)}
                          data-testid="checklist-reason"
                        />`
                      : null
                  }
                </div>`;
                })
              : html`<p class="muted">${t('display.noItems')}</p>`
          }
          <div style="margin-top:0.75rem">
            <${PhotoPicker} label=${t('display.photos')} value=${photoIds} onChange=${(ids) => update({ photoIds: ids })} testid="display-photo-input" />
          </div>
          <label class="field">
            <span class="label">${t('common.notes')}</span>
            <textarea value=${notes} onInput=${(e) => update({ notes: e.currentTarget.value })} rows="2" data-testid="display-notes"></textarea>
          </label>
          ${error ? html`<div class="banner banner-err" role="alert">${error}</div>` : null}
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
