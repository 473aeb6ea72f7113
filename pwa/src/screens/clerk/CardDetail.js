// One warranty card: every field, the 三包 dates and what the buyer is entitled to today, the
// revision, and whether the card (or its latest correction) reached the server or was refused.
import { html } from 'htm/preact';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useLive } from '../../components/hooks.js';
import { modelOf, Refusal, StandingBadge, SyncTag, TermsView } from './common.js';

export function CardDetail({ id }) {
  const { actions, queries } = useApp();
  const [card, loaded] = useLive(() => queries.card(id), [id]);

  if (!loaded) return html`<p class="empty">${t('app.loading')}</p>`;
  if (!card) return html`<p class="empty" data-testid="card-missing">${t('card.notFound')}</p>`;

  const sync = card.sync || { state: 'synced' };
  const refusedRegistration = sync.state === 'refused' && sync.name === 'warranty.register';
  const refusedCorrection = sync.state === 'refused' && sync.name === 'warranty.correct';
  const correctable = !card.voided_at && !card.masked && !refusedCorrection;

  async function discard() {
    if (!confirm(refusedRegistration ? t('card.discardConfirm') : t('card.discardCorrectionConfirm'))) return;
    try {
      await actions.discardRejected(sync.mutationId);
      if (refusedRegistration) navigate('/', { replace: true });
    } catch (err) {
      console.error(err);
      alert(err.message || String(err));
    }
  }

  const row = (label, value, key) =>
    value === null || value === undefined || value === ''
      ? null
      : html`<dt>${label}</dt><dd data-field=${key}>${value}</dd>`;

  return html`<div data-testid="card-detail" data-card-id=${card.id} data-sync=${sync.state}>
    <div class="card">
      <h2 class="mono" data-testid="card-imei-title">${card.imei}</h2>
      <div class="tags">
        ${!refusedRegistration ? html`<${StandingBadge} standing=${card.standing} />` : null}
        <${SyncTag} sync=${sync} />
        ${card.revision > 1 ? html`<span class="tag">${t('card.revision', { n: card.revision })}</span>` : null}
      </div>
      ${sync.state === 'pending' ? html`<p class="muted small">${t('card.pendingHint')}</p>` : null}
      ${
        sync.state === 'refused'
          ? html`<div class="banner banner-err small" style="margin:0.5rem 0 0" role="alert">
            <div class="grow"><${Refusal} sync=${sync} /></div>
            <div class="btn-row" style="width:100%">
              ${
                refusedRegistration
                  ? html`<a class="btn btn-small" href=${`#/card/${encodeURIComponent(card.id)}/correct`} data-testid="card-fix">${t('outbox.fix')}</a>`
                  : null
              }
              <button type="button" class="btn btn-small btn-danger" onClick=${discard} data-testid="card-discard">
                ${refusedRegistration ? t('outbox.discard') : t('card.discardCorrection')}
              </button>
            </div>
          </div>`
          : null
      }
    </div>
    ${
      !refusedRegistration
        ? html`<div class="card">
          <h3>${t('card.terms')}</h3>
          <${TermsView} terms=${card.terms} />
        </div>`
        : null
    }
    <div class="card">
      <dl class="facts" data-testid="card-facts">
        ${row(t('card.imei'), card.imei, 'imei')}
        ${row(t('card.imei2'), card.imei2, 'imei2')}
        ${row(t('card.model'), modelOf(card), 'product')}
        ${row(t('card.serial'), card.serial_number, 'serial_number')}
        ${row(t('card.buyerName'), card.buyer_name, 'buyer_name')}
        ${row(t('card.buyerPhone'), card.buyer_phone, 'buyer_phone')}
        ${row(t('card.buyerAddress'), card.buyer_address, 'buyer_address')}
        ${row(t('card.invoice'), card.invoice_number, 'invoice_number')}
        ${row(t('card.purchaseDate'), fmt.day(card.purchase_date), 'purchase_date')}
        ${row(t('card.registeredAt'), fmt.dateTime(card.registered_at), 'registered_at')}
        ${row(t('card.revisionLabel'), card.revision, 'revision')}
        ${row(t('card.correctedAt'), card.corrected_at ? fmt.dateTime(card.corrected_at) : null, 'corrected_at')}
        ${row(t('card.voidedAt'), card.voided_at ? fmt.dateTime(card.voided_at) : null, 'voided_at')}
        ${row(t('card.voidReason'), card.voided_at ? card.void_reason : null, 'void_reason')}
      </dl>
    </div>
    <div class="btn-row">
      ${
        correctable && !refusedRegistration
          ? html`<a class="btn" href=${`#/card/${encodeURIComponent(card.id)}/correct`} data-testid="card-correct">${t('card.correct')}</a>`
          : null
      }
      <a class="btn btn-primary" href="#/register" data-testid="register-another">${t('card.registerAnother')}</a>
    </div>
  </div>`;
}
