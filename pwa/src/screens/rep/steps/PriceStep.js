// Prices: one entry grid per store (issue 15). A row per model this store is expected to carry
// (our range, then the competitor models seen here or in the territory: grid.js says which),
// the last shelf price at this store as the placeholder. Typing a price records it (on Enter,
// on leaving the field, or after a short pause: no save tap); "same as last time" records the
// last price of every row not recorded this visit. A row's promo price, promotion and price-tag
// photo sit behind its "⋯"; a model not in the grid is picked brand → model ("+ other model").
// Entering a row again records a correction: a new observation, the later one counts.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmt, lang, localName, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { useLive } from '../../../components/hooks.js';
import { PhotoPicker } from '../../../components/PhotoPicker.js';
import { groupRows, invalidPrice, keyArgs, priceEntry, priceRows, sameAsLast } from '../grid.js';
import { entityGet, entityList } from '../model.js';
import { modelName } from '../Store.js';
import { GridInput, moneyString, Saved, Step, usePauses } from './common.js';

const FILTER_FROM = 9;
/** How long a typed price waits for more keys before it is recorded (ms). */
export const PAUSE_MS = 2000;

/** A price as a field shows it: "2899", "2899.50". */
function priceNumber(v) {
  if (v === null || v === undefined || v === '') return '';
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** "¥2,899" (cents only when there are some) and "11月28日" / "Nov 28": a row's hint stays one line. */
function short(kind, v) {
  const l = lang();
  if (kind === 'price') {
    const n = Number(v);
    const f = new Intl.NumberFormat(l, {
      style: 'currency',
      currency: 'CNY',
      maximumFractionDigits: 2,
      minimumFractionDigits: 0,
    });
    return Number.isFinite(n) ? f.format(n) : String(v);
  }
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : new Intl.DateTimeFormat(l, { month: 'short', day: 'numeric' }).format(d);
}

function rowName(catalogue, row) {
  if (row.productId !== undefined) {
    const p = catalogue.products.find((x) => Number(x.id) === row.productId);
    return p ? localName(p) : `#${row.productId}`;
  }
  return modelName(catalogue, { competitor_model_id: row.competitorModelId });
}

/** The price observations on the phone and the stores' territories (for grid.js). */
async function loadObservations(db, storeId) {
  const [rows, stores, store] = await Promise.all([
    entityList(db, 'price_observation'),
    entityList(db, 'store'),
    entityGet(db, 'store', storeId),
  ]);
  return {
    observations: rows.map((r) => ({ ...r.data, pending: !!r.pending })).filter((o) => o.id),
    storesById: new Map(stores.map((s) => [String(s.id), s.data])),
    territoryId: store?.data?.territory_id ?? null,
  };
}

function PromoForm({ row, shelfText, onSave, onClose }) {
  const [shelfInput, setShelfInput] = useState(
    shelfText || priceNumber(row.recorded?.shelf_price ?? row.last?.shelf_price ?? null),
  );
  const [promo, setPromo] = useState(row.recorded?.promo_price != null ? priceNumber(row.recorded.promo_price) : '');
  const [promoText, setPromoText] = useState(row.recorded?.promo_text || '');
  const [photoIds, setPhotoIds] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const shelf = moneyString(shelfInput);

  async function save() {
    if (shelf === null || invalidPrice(promo)) {
      setError(t('price.invalid'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSave({ shelfPrice: shelf, promoPrice: moneyString(promo), promoText: promoText.trim(), photoIds });
      onClose({ saved: true });
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
      setBusy(false);
    }
  }

  return html`<div class="grid-more" data-testid="price-more">
    <div class="row">
      <label class="field">
        <span class="label">${t('price.shelf')}</span>
        <input
          type="text"
          inputmode="decimal"
          value=${shelfInput}
          onInput=${(e) => setShelfInput(e.currentTarget.value)}
          data-testid="price-promo-shelf"
        />
      </label>
      <label class="field">
        <span class="label">${t('price.promo')}</span>
        <input
          type="text"
          inputmode="decimal"
          value=${promo}
          onInput=${(e) => setPromo(e.currentTarget.value)}
          data-testid="price-promo"
        />
      </label>
    </div>
    <label class="field">
      <span class="label">${t('price.promoText')} (${t('common.optional')})</span>
      <input value=${promoText} onInput=${(e) => setPromoText(e.currentTarget.value)} data-testid="price-promo-text" />
    </label>
    <${PhotoPicker} label=${t('price.photo')} value=${photoIds} onChange=${setPhotoIds} max=${5} testid="price-photo-input" />
    ${error ? html`<div class="banner banner-err">${error}</div>` : null}
    <div class="btn-row">
      <button type="button" class="btn btn-primary" disabled=${busy} onClick=${save} data-testid="price-promo-save">
        ${t('grid.savePromo')}
      </button>
      <button type="button" class="btn" onClick=${() => onClose()}>${t('common.cancel')}</button>
    </div>
  </div>`;
}

function PriceRow({ row, name, draft, error, open, onDraft, onCommit, onBlur, onNext, onHold, onToggle, onSavePromo }) {
  const recordedText = row.recorded ? priceNumber(row.recorded.shelf_price) : '';
  const value = draft ?? recordedText;
  const saved = !!row.recorded && (draft === undefined || moneyString(draft) === moneyString(row.recorded.shelf_price));
  const bad = invalidPrice(value);
  const hint = row.last
    ? t('grid.last', { price: short('price', row.last.shelf_price), date: short('date', row.last.observed_at) })
    : row.nearby
      ? t('grid.nearby', { price: short('price', row.nearby.shelf_price) })
      : row.model?.list_price != null
        ? t('price.list', { price: short('price', row.model.list_price) })
        : null;
  const promo = row.recorded?.promo_price != null ? ` → ${fmt.price(row.recorded.promo_price)}` : '';
  return html`<li
    class="grid-row ${saved ? 'is-saved' : ''} ${bad || error ? 'is-bad' : ''}"
    data-testid="price-row"
    data-model-key=${row.key}
    data-recorded=${saved ? 'true' : 'false'}
  >
    <div class="grid-line">
      <div class="grid-name">
        <span>${name}</span>
        ${
          saved
            ? html`<span class="grid-sub grid-ok">✓ ${t('grid.recorded')}${promo}</span>`
            : hint
              ? html`<span class="grid-sub">${hint}</span>`
              : null
        }
        ${error ? html`<span class="grid-sub grid-err" role="alert">${error}</span>` : null}
      </div>
      <${GridInput}
        label=${`${name} ${t('price.shelf')}`}
        bad=${bad}
        placeholder=${row.last ? priceNumber(row.last.shelf_price) : '¥'}
        value=${value}
        onDraft=${onDraft}
        onBlur=${onBlur}
        onCommit=${onCommit}
        onNext=${onNext}
        testid="price-input"
      />
      <button
        type="button"
        class="grid-more-btn"
        aria-expanded=${open ? 'true' : 'false'}
        aria-label=${t('grid.more', { name })}
        title=${t('grid.more', { name })}
        onPointerDown=${onHold}
        onMouseDown=${onHold}
        onClick=${() => onToggle()}
        data-testid="price-more-toggle"
      >
        ⋯
      </button>
    </div>
    ${open ? html`<${PromoForm} row=${row} shelfText=${value} onSave=${onSavePromo} onClose=${onToggle} />` : null}
  </li>`;
}

function OtherModel({ catalogue, inGrid, onPick }) {
  const [open, setOpen] = useState(false);
  const [brand, setBrand] = useState(null);
  const [filter, setFilter] = useState('');
  if (!open)
    return html`<button type="button" class="btn btn-block" onClick=${() => setOpen(true)} data-testid="price-add-model">
      ${t('grid.addModel')}
    </button>`;
  const models =
    brand == null
      ? []
      : catalogue.models.filter((m) => Number(m.brand_id) === Number(brand) && !inGrid.has(`c:${m.id}`));
  const f = filter.trim().toLowerCase();
  const shown = f
    ? models.filter((m) => `${m.name} ${m.name_en || ''} ${m.model_code || ''}`.toLowerCase().includes(f))
    : models;
  return html`<div class="grid-picker" data-testid="price-picker">
    <div class="field">
      <span class="label">${t('price.brand')}</span>
      <div class="chips" data-testid="price-brands">
        ${catalogue.brands.map(
          (b) => html`<button
            type="button"
            class="chip"
            key=${b.id}
            aria-pressed=${Number(brand) === Number(b.id) ? 'true' : 'false'}
            onClick=${() => {
              setBrand(b.id);
              setFilter('');
            }}
          >
            ${localName(b)}
          </button>`,
        )}
      </div>
    </div>
    ${
      brand == null
        ? html`<p class="muted small">${t('price.pickBrand')}</p>`
        : html`<div class="field">
          <span class="label">${t('price.model')}</span>
          ${
            models.length >= FILTER_FROM
              ? html`<input
                type="search"
                placeholder=${t('price.filter')}
                value=${filter}
                onInput=${(e) => setFilter(e.currentTarget.value)}
                style="margin-bottom:0.4rem"
              />`
              : null
          }
          <div class="chips" data-testid="price-models">
            ${shown.map(
              (m) => html`<button
                type="button"
                class="chip"
                key=${m.id}
                onClick=${() => {
                  onPick(`c:${m.id}`);
                  setOpen(false);
                  setBrand(null);
                }}
              >
                ${localName(m)}
              </button>`,
            )}
            ${shown.length ? null : html`<span class="muted small">${t('grid.allListed')}</span>`}
          </div>
        </div>`
    }
    <button type="button" class="btn btn-small" onClick=${() => setOpen(false)}>${t('common.cancel')}</button>
  </div>`;
}

export function PriceStep({ visit, catalogue, prices, readOnly }) {
  const { db, actions } = useApp();
  const [extraKeys, setExtraKeys] = useState([]);
  const [drafts, setDrafts] = useState({});
  const [errors, setErrors] = useState({});
  const [openKey, setOpenKey] = useState(null);
  const [focusKey, setFocusKey] = useState(null);
  const [busy, setBusy] = useState(false);
  const [nearbyOpen, setNearbyOpen] = useState(false);
  const listRef = useRef(null);
  const pauses = usePauses(PAUSE_MS);
  // The row whose "⋯" is being pressed: leaving its field for the promotion form records nothing
  // yet (the form records the shelf price with the promotion, one observation).
  const holding = useRef(null);
  // The shelf price this screen last recorded per row: a blur right after Enter, or before the
  // replica shows the new entry, records nothing twice.
  const committed = useRef({});
  const [data] = useLive(() => loadObservations(db, visit.store_id), [visit.store_id], null);

  useEffect(() => {
    if (!focusKey || !listRef.current) return;
    const input = listRef.current.querySelector(`[data-model-key="${focusKey}"] [data-testid=price-input]`);
    if (input) {
      input.focus();
      input.scrollIntoView?.({ block: 'center' });
      setFocusKey(null);
    }
  });

  const rows = data
    ? priceRows({
        catalogue,
        storeId: visit.store_id,
        territoryId: data.territoryId,
        visitId: visit.id,
        observations: data.observations,
        storesById: data.storesById,
        extraKeys,
      })
    : [];
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const same = sameAsLast(rows);
  const groups = groupRows(rows, extraKeys);
  const showNearby = nearbyOpen || groups.nearby.some((r) => r.recorded);
  // The rows on screen, in order (Enter moves to the next of them).
  const shown = [...groups.own, ...groups.here, ...(showNearby ? groups.nearby : [])];

  async function record(key, fields) {
    await actions.observePrice({ storeId: visit.store_id, visitId: visit.id, ...keyArgs(key), ...fields });
  }

  async function commit(key, text) {
    pauses.done(key);
    const row = byKey.get(key);
    if (!row) return;
    if (invalidPrice(text)) {
      setErrors((e) => ({ ...e, [key]: t('grid.invalid') }));
      return;
    }
    const entry = priceEntry(row, text);
    if (!entry || committed.current[key] === entry.shelfPrice) return;
    committed.current[key] = entry.shelfPrice;
    try {
      await record(key, { shelfPrice: entry.shelfPrice });
      setErrors((e) => ({ ...e, [key]: null }));
      // What was typed ("2,599") shows as recorded ("2599"), unless the rep typed on meanwhile.
      setDrafts((d) => (d[key] === text ? { ...d, [key]: priceNumber(entry.shelfPrice) } : d));
    } catch (err) {
      console.error(err);
      committed.current[key] = undefined;
      setErrors((e) => ({ ...e, [key]: err.message || String(err) }));
    }
  }

  function blur(key, text) {
    if (holding.current === key) {
      holding.current = null;
      return;
    }
    commit(key, text);
  }

  function hold(key) {
    holding.current = key;
    pauses.hold(key);
  }

  /** Open or close a row's promotion form; closing it without saving records the typed price. */
  function toggle(key, { saved = false } = {}) {
    holding.current = null;
    if (openKey === key) {
      setOpenKey(null);
      if (!saved && drafts[key] !== undefined) commit(key, drafts[key]);
    } else {
      pauses.hold(key);
      if (openKey && drafts[openKey] !== undefined) commit(openKey, drafts[openKey]);
      setOpenKey(key);
    }
  }

  function draft(key, text) {
    if (holding.current === key) holding.current = null; // "⋯" pressed, then not opened
    setDrafts((d) => ({ ...d, [key]: text }));
    setErrors((e) => (e[key] ? { ...e, [key]: null } : e));
    pauses.schedule(key, () => {
      if (!invalidPrice(text) && openKey !== key) commit(key, text);
    });
  }

  function next(key) {
    const i = shown.findIndex((r) => r.key === key);
    setFocusKey(i >= 0 && i + 1 < shown.length ? shown[i + 1].key : null);
    if (i < 0 || i + 1 >= shown.length) document.activeElement?.blur?.();
  }

  async function sameAsBefore() {
    setBusy(true);
    try {
      for (const entry of same) {
        // A row the rep typed in or recorded on this screen keeps what the rep typed: the tap
        // that got here may have just recorded it (leaving the field), before the grid re-read.
        if (committed.current[entry.key] !== undefined || (drafts[entry.key] ?? '') !== '') continue;
        committed.current[entry.key] = entry.shelfPrice;
        await record(entry.key, { shelfPrice: entry.shelfPrice });
      }
    } catch (err) {
      console.error(err);
      setErrors((e) => ({ ...e, _all: err.message || String(err) }));
    } finally {
      setBusy(false);
    }
  }

  async function savePromo(key, fields) {
    await record(key, fields);
    committed.current[key] = fields.shelfPrice;
    setDrafts((d) => ({ ...d, [key]: priceNumber(fields.shelfPrice) }));
  }

  const renderRow = (row) =>
    html`<${PriceRow}
      key=${row.key}
      row=${row}
      name=${rowName(catalogue, row)}
      draft=${drafts[row.key]}
      error=${errors[row.key]}
      open=${openKey === row.key}
      onDraft=${(text) => draft(row.key, text)}
      onCommit=${(text) => commit(row.key, text)}
      onBlur=${(text) => blur(row.key, text)}
      onNext=${() => next(row.key)}
      onHold=${() => hold(row.key)}
      onToggle=${(how) => toggle(row.key, how)}
      onSavePromo=${(fields) => savePromo(row.key, fields)}
    />`;

  return html`<${Step} title=${t('visit.prices')} done=${prices.length > 0} open=${!readOnly} testid="step-prices">
    ${
      readOnly
        ? prices.length
          ? html`<p class="muted small">${t('price.recorded')}</p>
            ${prices.map(
              (p) => html`<${Saved} key=${p.id} pending=${p.pending}>
                ${modelName(catalogue, p)} · ${fmt.price(p.shelf_price)}
                ${p.promo_price != null ? html` → ${fmt.price(p.promo_price)}` : null}
              </${Saved}>`,
            )}`
          : null
        : html`<div data-testid="price-grid" data-loaded=${data ? 'true' : 'false'} ref=${listRef}>
          <div class="grid-head">
            <p class="muted small grow">${t('grid.priceHint')}</p>
            <button
              type="button"
              class="btn btn-small"
              disabled=${busy || same.length === 0}
              onClick=${sameAsBefore}
              data-testid="price-same-as-last"
            >
              ${t('grid.sameAsLast')}${same.length ? ` (${same.length})` : ''}
            </button>
          </div>
          ${errors._all ? html`<div class="banner banner-err">${errors._all}</div>` : null}
          ${
            groups.own.length
              ? html`<h2 class="grid-group">${t('price.ownBrand')}</h2><ul class="grid-list">${groups.own.map(renderRow)}</ul>`
              : null
          }
          ${
            groups.here.length
              ? html`<h2 class="grid-group">${t('grid.competitors')}</h2><ul class="grid-list">${groups.here.map(renderRow)}</ul>`
              : null
          }
          ${
            groups.nearby.length
              ? html`<button
                  type="button"
                  class="grid-fold"
                  aria-expanded=${showNearby ? 'true' : 'false'}
                  onClick=${() => setNearbyOpen(!showNearby)}
                  data-testid="price-nearby-toggle"
                >
                  <span class="grow">${t('grid.nearbyModels', { n: groups.nearby.length })}</span>
                  <span aria-hidden="true">${showNearby ? '▴' : '▾'}</span>
                </button>
                ${showNearby ? html`<ul class="grid-list" data-testid="price-nearby">${groups.nearby.map(renderRow)}</ul>` : null}`
              : null
          }
          <${OtherModel}
            catalogue=${catalogue}
            inGrid=${new Set(shown.map((r) => r.key))}
            onPick=${(key) => {
              setExtraKeys((ks) => (ks.includes(key) ? ks : [...ks, key]));
              setFocusKey(key);
            }}
          />
        </div>`
    }
  </${Step}>`;
}
