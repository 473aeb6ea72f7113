// One warranty card: every field, the 三包 dates and what the buyer is entitled to today, the
// revision, and whether the card (or its latest correction, or a 三包 service event of it) reached
// the server or was refused; the 退货 / 换货 / 维修 buttons allowed today and the card's service
// history (ServiceActions.js); a replacement card names the card it replaces.
import { html } from 'htm/preact';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useBusinessZone, useLive } from '../../components/hooks.js';
import { modelOf, Refusal, serviceKindOf, StandingBadge, SyncTag, TermsView } from './common.js';
import { ServiceActions, ServiceHistory } from './ServiceActions.js';

export function CardDetail({ id }) {
  const { actions, queries } = useApp();
  // The card's standing counts in business days: read again when the zone is learned.
  const zone = useBusinessZone();
  const [card, loaded] = useLive(() => queries.card(id), [id, zone]);
  // The card this one replaces (an exchange), or the one that replaced it.
  const [related] = useLive(async () => {
    if (!card) return null;
    const all = (await queries.cards()) || [];
    return {
      replaces: card.replaces_card_id ? all.find((c) => String(c.id) === String(card.replaces_card_id)) : null,
      replacedBy:
        card.closed_kind === 'exchanged' ? all.find((c) => String(c.replaces_card_id) === String(card.id)) : null,
    };
  }, [card?.id, card?.replaces_card_id, card?.closed_kind]);

  if (!loaded) return html`<p class="empty">${t('app.loading')}</p>`;
  if (!card) return html`<p class="empty" data-testid="card-missing">${t('card.notFound')}</p>`;

  const sync = card.sync || { state: 'synced' };
  const refusedRegistration = sync.state === 'refused' && sync.name === 'warranty.register';
  const refusedCorrection = sync.state === 'refused' && sync.name === 'warranty.correct';
  const refusedService = sync.state === 'refused' && serviceKindOf(sync.name) !== null;
  const correctable = !card.voided_at && !card.closed_kind && !card.masked && !refusedCorrection;

  async function discard() {
    const question = refusedRegistration
      ? t('card.discardConfirm')
      : refusedService
        ? t('aftersales.discardConfirm')
        : t('card.discardCorrectionConfirm');
    if (!confirm(question)) return;
    try {
      await actions.discardRejected(sync.mutationId);
      if (refusedRegistration) navigate('/', { replace: true });
      // The refused exchange's new card goes with it: back to the card it was to replace.
      else if (sync.name === 'warranty.exchange' && card.replaces_card_id && !card.received_at)
        navigate(`/card/${encodeURIComponent(card.replaces_card_id)}`, { replace: true });
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
        card.replaces_card_id
          ? html`<p class="small" data-testid="card-replaces">
            ${t('aftersales.replaces')}${' '}<a class="mono" href=${`#/card/${encodeURIComponent(card.replaces_card_id)}`}>${related?.replaces?.imei || t('aftersales.otherCard')}</a>
          </p>`
          : null
      }
      ${
        related?.replacedBy
          ? html`<p class="small" data-testid="card-replaced-by">
            ${t('aftersales.replacedBy')}${' '}<a class="mono" href=${`#/card/${encodeURIComponent(related.replacedBy.id)}`}>${related.replacedBy.imei}</a>
          </p>`
          : null
      }
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
                ${refusedRegistration ? t('outbox.discard') : refusedService ? t('aftersales.discard') : t('card.discardCorrection')}
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
    ${!refusedRegistration ? html`<${ServiceActions} card=${card} />` : null}
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
        ${row(t(`card.closedAt.${card.closed_kind}`), card.closed_at ? fmt.dateTime(card.closed_at) : null, 'closed_at')}
      </dl>
    </div>
    ${!refusedRegistration ? html`<${ServiceHistory} card=${card} />` : null}
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
