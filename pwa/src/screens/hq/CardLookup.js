// HQ's warranty-card look-up by IMEI (every store; buyers' data masked by the server), and voiding
// a card with a reason.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, localName, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { apiMessage, CsvButton, ErrorBanner, useRemote } from '../desk/kit.js';

export function CardLookup() {
  const { api } = useApp();
  const [text, setText] = useState('');
  const [imei, setImei] = useState('');
  const [voidError, setVoidError] = useState(null);
  const products = useRemote(() => api.request('GET', '/products', { query: { page_size: 100 } }), []);
  const { data, loading, error, reload } = useRemote(() => (imei ? api.warrantyCards({ imei }) : null), [imei]);
  const cards = data?.items || [];
  const modelOf = (id) => {
    const p = (products.data || []).find((x) => x.id === id);
    return p ? `${p.model_code} ${localName(p)}` : `#${id}`;
  };

  async function voidCard(card) {
    const reason = prompt(t('hqCards.voidReason'));
    if (!reason?.trim()) return;
    setVoidError(null);
    try {
      await api.voidCard(card.id, reason.trim());
      reload();
    } catch (err) {
      setVoidError(apiMessage(err));
    }
  }

  return html`<div data-testid="hq-cards-screen">
    <form
      class="card"
      onSubmit=${(e) => {
        e.preventDefault();
        setImei(text.replace(/\D+/g, ''));
      }}
    >
      <h2>${t('hqCards.title')}</h2>
      <div class="input-row">
        <input type="search" inputmode="numeric" placeholder=${t('cards.lookupPlaceholder')} value=${text} onInput=${(e) => setText(e.currentTarget.value)} data-testid="hq-card-imei" />
        <button type="submit" class="btn btn-primary">${t('common.search')}</button>
      </div>
    </form>
    <${ErrorBanner} error=${error || voidError} onRetry=${reload} />
    ${
      imei
        ? html`<section class="card">
          ${
            cards.length
              ? html`<div class="toolbar">
                <span class="grow"></span>
                <${CsvButton}
                  name=${`warranty-cards-${imei}`}
                  rows=${cards}
                  columns=${() => [
                    { key: 'imei', label: 'IMEI' },
                    { key: 'imei2', label: 'IMEI 2' },
                    { key: 'model', label: t('card.model'), value: (c) => modelOf(c.product_id) },
                    { key: 'buyer_name', label: t('card.buyerName') },
                    { key: 'buyer_phone', label: t('card.buyerPhone') },
                    { key: 'purchase_date', label: t('card.purchaseDate') },
                    { key: 'store_id', label: t('card.store') },
                    { key: 'standing', label: t('card.standingLabel'), value: (c) => t(`card.standing.${c.standing}`) },
                    { key: 'void_reason', label: t('hqCards.void') },
                  ]}
                />
              </div>`
              : null
          }
          ${
            cards.length
              ? html`<div class="table-wrap"><table class="table" data-testid="hq-card-list">
                <thead>
                  <tr>
                    <th>IMEI</th><th>${t('card.model')}</th><th>${t('card.buyerName')}</th><th>${t('card.buyerPhone')}</th>
                    <th>${t('card.purchaseDate')}</th><th>${t('card.store')}</th><th>${t('card.standingLabel')}</th><th></th>
                  </tr>
                </thead>
                <tbody>
                  ${cards.map(
                    (c) => html`<tr key=${c.id}>
                      <td class="mono">${c.imei}${c.imei2 ? html`<br />${c.imei2}` : null}</td>
                      <td>${modelOf(c.product_id)}</td>
                      <td>${c.buyer_name}</td>
                      <td>${c.buyer_phone}</td>
                      <td>${fmt.day(c.purchase_date)}</td>
                      <td>#${c.store_id}</td>
                      <td>${t(`card.standing.${c.standing}`)}${c.voided_at ? html`<div class="small muted">${c.void_reason}</div>` : null}</td>
                      <td>${!c.voided_at ? html`<button type="button" class="btn btn-small btn-danger" onClick=${() => voidCard(c)}>${t('hqCards.void')}</button>` : null}</td>
                    </tr>`,
                  )}
                </tbody>
              </table></div>`
              : html`<p class="empty">${loading ? t('app.loading') : t('cards.noMatch', { q: imei })}</p>`
          }
        </section>`
        : null
    }
  </div>`;
}
