// Promo material: one entry grid per store (issue 15). A row per material the store holds (its
// ledger), recorded this visit or added by the rep — every material when the store has no ledger
// yet (grid.js). The grid records counts by default (the quantity seen on site; the ledger's
// latest count sets the stock, so typing a count again corrects it); deliveries, uses and
// returns are a tap away, each entry a movement of its own. Typing records (on Enter or on
// leaving the field; a count also after a short pause): no save tap.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmt, localName, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { DEFAULT_KIND, quantityOf, STOCK_KINDS, stockEntry, stockRows } from '../grid.js';
import { materialName } from '../Store.js';
import { PAUSE_MS } from './PriceStep.js';
import { GridInput, Saved, Step, usePauses } from './common.js';

const SIGN = { counted: '=', delivered: '+', used: '−', returned: '−' };
const badQuantity = (text) => String(text ?? '').trim() !== '' && quantityOf(text) === null;

function StockRow({ row, kind, draft, error, onDraft, onCommit, onNext }) {
  const name = localName(row.material);
  const countedText = row.counted ? String(row.counted.quantity) : '';
  const value = draft ?? (kind === 'counted' ? countedText : '');
  const saved = row.moves.length > 0 && (draft === undefined || (kind === 'counted' && draft === countedText));
  const bad = badQuantity(value);
  return html`<li
    class="grid-row ${saved ? 'is-saved' : ''} ${bad || error ? 'is-bad' : ''}"
    data-testid="stock-row"
    data-material-id=${row.materialId}
    data-recorded=${row.moves.length ? 'true' : 'false'}
  >
    <div class="grid-line">
      <div class="grid-name">
        <span>${name}</span>
        ${
          row.moves.length
            ? html`<span class="grid-sub grid-ok">✓ ${row.moves
                .map((m) => `${t(`grid.kind.${m.kind}`)} ${SIGN[m.kind] ?? ''}${fmt.number(m.quantity)}`)
                .join(' · ')}</span>`
            : row.current != null
              ? html`<span class="grid-sub">${t('stock.current', { n: fmt.number(row.current) })}</span>`
              : null
        }
        ${error ? html`<span class="grid-sub grid-err" role="alert">${error}</span>` : null}
      </div>
      <${GridInput}
        numeric
        label=${`${name} ${t(`stock.kind.${kind}`)}`}
        bad=${bad}
        placeholder=${kind === 'counted' && row.current != null ? String(row.current) : SIGN[kind]}
        value=${value}
        onDraft=${onDraft}
        onCommit=${onCommit}
        onNext=${onNext}
        testid="stock-input"
      />
    </div>
  </li>`;
}

export function StockStep({ visit, catalogue, history, movements, readOnly }) {
  const { actions } = useApp();
  const [kind, setKind] = useState(DEFAULT_KIND);
  const [extraIds, setExtraIds] = useState([]);
  const [drafts, setDrafts] = useState({});
  const [errors, setErrors] = useState({});
  const [picking, setPicking] = useState(false);
  const [focusId, setFocusId] = useState(null);
  const listRef = useRef(null);
  const pauses = usePauses(PAUSE_MS);
  // What this screen last recorded per material and kind (no double entry on Enter + blur).
  const committed = useRef({});

  const rows = stockRows({ materials: catalogue.materials, stock: history.stock, movements, extraIds });
  const inGrid = new Set(rows.map((r) => String(r.materialId)));
  const others = catalogue.materials.filter((m) => !inGrid.has(String(m.id)));

  useEffect(() => {
    if (focusId == null || !listRef.current) return;
    const input = listRef.current.querySelector(`[data-material-id="${focusId}"] [data-testid=stock-input]`);
    if (input) {
      input.focus();
      setFocusId(null);
    }
  });

  async function commit(row, text, k = kind) {
    pauses.done(row.materialId);
    if (badQuantity(text)) {
      setErrors((e) => ({ ...e, [row.materialId]: t('grid.invalidQuantity') }));
      return;
    }
    const entry = stockEntry(row, text, k);
    if (!entry) return;
    const mark = `${k}:${entry.quantity}:${row.moves.length}`;
    if (committed.current[row.materialId] === mark) return;
    committed.current[row.materialId] = mark;
    try {
      await actions.recordStock({
        storeId: visit.store_id,
        visitId: visit.id,
        materialId: row.materialId,
        kind: entry.kind,
        quantity: entry.quantity,
      });
      setErrors((e) => ({ ...e, [row.materialId]: null }));
      // A delivery, use or return is one entry: the field empties for the next one.
      if (k !== 'counted') setDrafts((d) => ({ ...d, [row.materialId]: undefined }));
    } catch (err) {
      console.error(err);
      committed.current[row.materialId] = undefined;
      setErrors((e) => ({ ...e, [row.materialId]: err.message || String(err) }));
    }
  }

  function draft(row, text) {
    setDrafts((d) => ({ ...d, [row.materialId]: text }));
    setErrors((e) => (e[row.materialId] ? { ...e, [row.materialId]: null } : e));
    // Only a count records after a pause: a count typed again corrects itself, a delivery would add up.
    pauses.done(row.materialId);
    if (kind === 'counted')
      pauses.schedule(row.materialId, () => {
        if (!badQuantity(text)) commit(row, text, 'counted');
      });
  }

  function next(row) {
    const i = rows.findIndex((r) => r.materialId === row.materialId);
    if (i >= 0 && i + 1 < rows.length) setFocusId(rows[i + 1].materialId);
    else document.activeElement?.blur?.();
  }

  function pickKind(k) {
    setKind(k);
    setDrafts({});
    setErrors({});
  }

  return html`<${Step} title=${t('visit.stock')} done=${movements.length > 0} open=${!readOnly} testid="step-stock">
    ${
      readOnly
        ? movements.length
          ? html`<p class="muted small">${t('stock.recorded')}</p>
            ${movements.map(
              (m) => html`<${Saved} key=${m.id} pending=${m.pending}>
                ${materialName(catalogue, m.material_id)} · ${t(`stock.kind.${m.kind}`)} ${fmt.number(m.quantity)}
                ${m.note ? html`<span class="muted"> · ${m.note}</span>` : null}
              </${Saved}>`,
            )}`
          : null
        : catalogue.materials.length
          ? html`<div data-testid="stock-grid" data-kind=${kind} ref=${listRef}>
            <div class="chips grid-kinds" role="group" aria-label=${t('stock.kind')} data-testid="stock-kinds">
              ${STOCK_KINDS.map(
                (k) => html`<button
                  type="button"
                  class="chip"
                  key=${k}
                  data-kind=${k}
                  aria-pressed=${kind === k ? 'true' : 'false'}
                  onClick=${() => pickKind(k)}
                >
                  ${t(`grid.kind.${k}`)}
                </button>`,
              )}
            </div>
            <p class="muted small">${t(kind === 'counted' ? 'grid.stockHint' : 'grid.stockHintMove')}</p>
            <ul class="grid-list">
              ${rows.map(
                (row) => html`<${StockRow}
                  key=${row.materialId}
                  row=${row}
                  kind=${kind}
                  draft=${drafts[row.materialId]}
                  error=${errors[row.materialId]}
                  onDraft=${(text) => draft(row, text)}
                  onCommit=${(text) => commit(row, text)}
                  onNext=${() => next(row)}
                />`,
              )}
            </ul>
            ${
              others.length
                ? picking
                  ? html`<div class="grid-picker">
                    <div class="chips" data-testid="stock-materials">
                      ${others.map(
                        (m) => html`<button
                          type="button"
                          class="chip"
                          key=${m.id}
                          onClick=${() => {
                            setExtraIds((ids) => [...ids, m.id]);
                            setPicking(false);
                            setFocusId(m.id);
                          }}
                        >
                          ${localName(m)}
                        </button>`,
                      )}
                    </div>
                    <button type="button" class="btn btn-small" onClick=${() => setPicking(false)}>${t('common.cancel')}</button>
                  </div>`
                  : html`<button type="button" class="btn btn-block" onClick=${() => setPicking(true)} data-testid="stock-add-material">
                    ${t('grid.addMaterial')}
                  </button>`
                : null
            }
          </div>`
          : html`<p class="muted">${t('stock.noMaterials')}</p>`
    }
  </${Step}>`;
}
