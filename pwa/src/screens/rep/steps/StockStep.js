// Promo material: deliveries, use, returns and counts, each a ledger movement saved at once.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { stockOf } from '../model.js';
import { materialName } from '../Store.js';
import { Saved, Step } from './common.js';

const KINDS = ['counted', 'delivered', 'used', 'returned'];

export function StockStep({ visit, catalogue, history, movements, readOnly }) {
  const { actions } = useApp();
  const [materialId, setMaterialId] = useState(null);
  const [kind, setKind] = useState('counted');
  const [quantity, setQuantity] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const materials = catalogue.materials;
  const selected = materialId ?? (materials.length === 1 ? materials[0].id : null);
  const qty = quantity === '' ? NaN : Number(quantity);
  const valid = selected != null && Number.isInteger(qty) && qty >= 0;

  async function save() {
    if (!valid) return;
    setBusy(true);
    setError(null);
    try {
      await actions.recordStock({
        storeId: visit.store_id,
        visitId: visit.id,
        materialId: selected,
        kind,
        quantity: qty,
        note: note.trim() || undefined,
      });
      setQuantity('');
      setNote('');
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    } finally {
      setBusy(false);
    }
  }

  return html`<${Step} title=${t('visit.stock')} done=${movements.length > 0} testid="step-stock">
    ${
      movements.length
        ? html`<p class="muted small">${t('stock.recorded')}</p>
          ${movements.map(
            (m) => html`<${Saved} key=${m.id} pending=${m.pending}>
              ${materialName(catalogue, m.material_id)} · ${t(`stock.kind.${m.kind}`)} ${fmt.number(m.quantity)}
              ${m.note ? html`<span class="muted"> · ${m.note}</span>` : null}
            </${Saved}>`,
          )}`
        : null
    }
    ${
      readOnly
        ? null
        : materials.length
          ? html`<div data-testid="stock-form">
            <div class="field">
              <span class="label">${t('stock.material')}</span>
              <div class="chips">
                ${materials.map(
                  (m) => html`<button
                    type="button"
                    class="chip"
                    key=${m.id}
                    aria-pressed=${selected === m.id ? 'true' : 'false'}
                    onClick=${() => setMaterialId(m.id)}
                  >
                    ${m.name}
                  </button>`,
                )}
              </div>
              ${
                selected != null && stockOf(history, selected) != null
                  ? html`<p class="muted small">${t('stock.current', { n: fmt.number(stockOf(history, selected)) })}</p>`
                  : null
              }
            </div>
            <div class="field">
              <span class="label">${t('stock.kind')}</span>
              <div class="chips">
                ${KINDS.map(
                  (k) => html`<button
                    type="button"
                    class="chip"
                    key=${k}
                    aria-pressed=${kind === k ? 'true' : 'false'}
                    onClick=${() => setKind(k)}
                  >
                    ${t(`stock.kind.${k}`)}
                  </button>`,
                )}
              </div>
            </div>
            <div class="row">
              <label class="field">
                <span class="label">${t('stock.quantity')}</span>
                <input
                  type="number"
                  inputmode="numeric"
                  min="0"
                  step="1"
                  value=${quantity}
                  onInput=${(e) => setQuantity(e.currentTarget.value)}
                  data-testid="stock-quantity"
                />
              </label>
              <label class="field">
                <span class="label">${t('stock.note')} (${t('common.optional')})</span>
                <input value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
              </label>
            </div>
            ${error ? html`<div class="banner banner-err">${error}</div>` : null}
            <button
              type="button"
              class="btn btn-primary btn-block"
              disabled=${!valid || busy}
              onClick=${save}
              data-testid="save-stock"
            >
              ${t('stock.save')}
            </button>
          </div>`
          : html`<p class="muted">${t('stock.noMaterials')}</p>`
    }
  </${Step}>`;
}
