// Competitor and own prices: pick a brand, then a model (fast: chips, a filter when there are many),
// the last price seen at this store prefilled; promo price and text; a photo of the price tag.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { PhotoPicker } from '../../../components/PhotoPicker.js';
import { lastPriceOf } from '../model.js';
import { modelName } from '../Store.js';
import { moneyString, Saved, Step } from './common.js';

const OWN = 'own';
const FILTER_FROM = 9;

export function PriceStep({ visit, catalogue, history, prices, readOnly }) {
  const { actions } = useApp();
  const [brand, setBrand] = useState(null);
  const [modelId, setModelId] = useState(null);
  const [filter, setFilter] = useState('');
  const [shelf, setShelf] = useState('');
  const [promo, setPromo] = useState('');
  const [promoText, setPromoText] = useState('');
  const [photoIds, setPhotoIds] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const models =
    brand === OWN
      ? catalogue.products
      : brand != null
        ? catalogue.models.filter((m) => Number(m.brand_id) === Number(brand))
        : [];
  const f = filter.trim().toLowerCase();
  const shown = f ? models.filter((m) => `${m.name} ${m.model_code || ''}`.toLowerCase().includes(f)) : models;
  const model = models.find((m) => m.id === modelId) || null;
  const key = brand === OWN ? { productId: modelId } : { competitorModelId: modelId };
  // The last price seen: this visit's entries first, then the store's history.
  const seen = model ? lastPriceOf({ lastPrices: [...history.lastPrices, ...prices] }, key) : null;

  function pickBrand(b) {
    setBrand(b);
    setModelId(null);
    setFilter('');
  }

  function pickModel(m) {
    setModelId(m.id);
    const k = brand === OWN ? { productId: m.id } : { competitorModelId: m.id };
    const last = lastPriceOf({ lastPrices: [...history.lastPrices, ...prices] }, k);
    setShelf(last ? String(Number(last.shelf_price)) : '');
    setPromo('');
    setPromoText('');
    setPhotoIds([]);
    setError(null);
  }

  async function save() {
    const shelfPrice = moneyString(shelf);
    if (!model || shelfPrice === null) {
      setError(t('price.invalid'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await actions.observePrice({
        storeId: visit.store_id,
        visitId: visit.id,
        ...(brand === OWN ? { productId: model.id } : { competitorModelId: model.id }),
        shelfPrice,
        promoPrice: moneyString(promo),
        promoText: promoText.trim() || undefined,
        photoIds,
      });
      setModelId(null);
      setShelf('');
      setPromo('');
      setPromoText('');
      setPhotoIds([]);
      setFilter('');
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    } finally {
      setBusy(false);
    }
  }

  return html`<${Step} title=${t('visit.prices')} done=${prices.length > 0} testid="step-prices">
    ${
      prices.length
        ? html`<p class="muted small">${t('price.recorded')}</p>
          ${prices.map(
            (p) => html`<${Saved} key=${p.id} pending=${p.pending}>
              ${modelName(catalogue, p)} · ${fmt.price(p.shelf_price)}
              ${p.promo_price != null ? html` → ${fmt.price(p.promo_price)}` : null}
            </${Saved}>`,
          )}`
        : null
    }
    ${
      readOnly
        ? null
        : html`<div data-testid="price-form">
          <div class="field">
            <span class="label">${t('price.brand')}</span>
            <div class="chips" data-testid="price-brands">
              <button type="button" class="chip" aria-pressed=${brand === OWN ? 'true' : 'false'} onClick=${() => pickBrand(OWN)}>
                ${t('price.ownBrand')}
              </button>
              ${catalogue.brands.map(
                (b) => html`<button
                  type="button"
                  class="chip"
                  key=${b.id}
                  aria-pressed=${Number(brand) === Number(b.id) && brand !== OWN ? 'true' : 'false'}
                  onClick=${() => pickBrand(b.id)}
                >
                  ${b.name}
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
                      aria-pressed=${modelId === m.id ? 'true' : 'false'}
                      onClick=${() => pickModel(m)}
                    >
                      ${m.name}
                    </button>`,
                  )}
                </div>
              </div>`
          }
          ${
            model
              ? html`<div>
                <p class="muted small" data-testid="price-hint">
                  ${seen ? t('price.last', { price: fmt.price(seen.shelf_price), date: fmt.date(seen.observed_at) }) : null}
                  ${!seen && model.list_price != null ? t('price.list', { price: fmt.price(model.list_price) }) : null}
                </p>
                <div class="row">
                  <label class="field">
                    <span class="label">${t('price.shelf')}</span>
                    <input
                      type="text"
                      inputmode="decimal"
                      value=${shelf}
                      placeholder=${model.list_price != null ? String(Number(model.list_price)) : ''}
                      onInput=${(e) => setShelf(e.currentTarget.value)}
                      data-testid="price-shelf"
                    />
                  </label>
                  <label class="field">
                    <span class="label">${t('price.promo')} (${t('common.optional')})</span>
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
                  <input value=${promoText} onInput=${(e) => setPromoText(e.currentTarget.value)} />
                </label>
                <${PhotoPicker} label=${t('price.photo')} value=${photoIds} onChange=${setPhotoIds} max=${5} testid="price-photo-input" />
                ${error ? html`<div class="banner banner-err">${error}</div>` : null}
                <button type="button" class="btn btn-primary btn-block" disabled=${busy} onClick=${save} data-testid="save-price">
                  ${t('price.save')}
                </button>
              </div>`
              : null
          }
        </div>`
    }
  </${Step}>`;
}
