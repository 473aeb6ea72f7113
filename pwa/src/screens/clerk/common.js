// Pieces the clerk's screens share: the standing badge, the sync state, the 三包 dates.
import { html } from 'htm/preact';
import { fmt, t } from '../../i18n/index.js';
import { errorText } from '../../components/SyncBar.js';

const STANDING_TAG = {
  returnable: 'tag-ok',
  exchangeable: 'tag-ok',
  repairable: '',
  expired: 'tag-warn',
  void: 'tag-err',
  returned: 'tag-warn',
  exchanged: 'tag-warn',
};

export function StandingBadge({ standing }) {
  if (!standing) return null;
  return html`<span class=${`tag ${STANDING_TAG[standing] ?? ''}`} data-testid="card-standing" data-standing=${standing}
    >${t(`card.standing.${standing}`)}</span
  >`;
}

/** "waiting to sync" / "synced" / "refused", and the server's reason when refused. */
export function SyncTag({ sync }) {
  const state = sync?.state || 'synced';
  const cls = state === 'refused' ? 'tag tag-err' : state === 'pending' ? 'tag' : 'tag tag-ok';
  return html`<span class=${cls} data-testid="card-sync" data-state=${state}>${t(`card.sync.${state}`)}</span>`;
}

const SERVICE_KIND = { 'warranty.return': 'return', 'warranty.exchange': 'exchange', 'warranty.repair': 'repair' };

/** The kind of 三包 service event ('return', 'exchange', 'repair') of a refused mutation `name`, or null. */
export const serviceKindOf = (name) => SERVICE_KIND[name] ?? null;

/** What was refused (the card, a correction of it, or a 三包 service event of it) and why. */
export function refusalText(sync) {
  if (sync?.state !== 'refused') return '';
  const kind = serviceKindOf(sync.name);
  const what = kind
    ? t(`aftersales.refused.${kind}`)
    : sync.name === 'warranty.correct'
      ? t('card.refusedCorrection')
      : t('card.refusedRegistration');
  return `${what} ${t('outbox.reason', { message: errorText(sync.error) || t('common.unknown') })}`;
}

export function Refusal({ sync }) {
  if (sync?.state !== 'refused') return null;
  return html`<p class="reason small" data-testid="card-refusal">${refusalText(sync)}</p>`;
}

/** The three 三包 dates. `compact`: one line for lists. */
export function TermsView({ terms, compact = false }) {
  if (!terms) return null;
  const rows = [
    ['return', terms.return_until],
    ['exchange', terms.exchange_until],
    ['repair', terms.repair_until],
  ];
  if (compact) {
    return html`<div class="sub terms-line" data-testid="card-terms">
      ${rows.map(([k, d], i) => html`${i ? ' · ' : ''}<span data-term=${k} data-date=${d}>${t(`card.terms.${k}.short`, { date: fmt.day(d) })}</span>`)}
    </div>`;
  }
  return html`<dl class="facts terms" data-testid="card-terms">
    ${rows.map(([k, d]) => html`<dt>${t(`card.terms.${k}`)}</dt><dd data-term=${k} data-date=${d}>${fmt.day(d)}</dd>`)}
  </dl>`;
}

export function modelOf(card) {
  const p = card?.product;
  if (!p) return card && card.product_id != null ? `#${card.product_id}` : '';
  return p.model_code ? `${p.model_code} ${p.name || ''}`.trim() : p.name;
}
