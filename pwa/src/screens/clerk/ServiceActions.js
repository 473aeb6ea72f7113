// On a card's page: the 三包 service the buyer can have today — 退货 / 换货 / 维修 buttons, each
// enabled or not with the rule and its date said plainly ("退货期已过（截至 2026年11月20日）") —
// and the card's service history (its returns, exchanges and repair referrals, waiting, synced or
// refused with the server's reason, and the exchange that made it when it is a replacement card).
import { Fragment } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, localName, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { useLive } from '../../components/hooks.js';
import { Icon } from '../../components/icons.js';
import { errorText } from '../../components/SyncBar.js';
import { cardAllowance, repairPointsIn, serviceEventsIn } from '../../db/service.js';
import { businessToday } from '../../warranty/zone.js';
import { SyncTag } from './common.js';

const KINDS = ['return', 'exchange', 'repair'];

/** What `allowance` (db/service.js cardAllowance) says about `kind`, in the clerk's language. */
export function allowanceText(kind, allowance) {
  const { allowed, reason, params = {} } = allowance;
  if (allowed) return t(`aftersales.allowed.${kind}`, { date: fmt.day(params.until) });
  if (reason === `service.${kind}_expired`) return t(`aftersales.expired.${kind}`, { date: fmt.day(params.until) });
  if (reason === 'service.card_closed') return t(`aftersales.closed.${params.closed_kind}`);
  if (reason === 'service.card_voided') return t('aftersales.voided');
  return t('aftersales.unregistered');
}

/** Rules that refuse every kind alike: said once. */
const WHOLE_CARD = new Set(['service.card_closed', 'service.card_voided', 'unregistered']);

function KindButton({ card, kind, allowed, even = false }) {
  const cls = `btn ${kind === 'return' && allowed ? 'btn-danger' : ''}`;
  // Side by side (a closed card: one rule below them) or, each with its date, in one column as wide
  // as the widest label ("Exchange (换货)" is wider than the others: the column, not the button, grows).
  const style = even ? 'flex:1 1 0;padding-inline:0.5rem' : 'white-space:nowrap;padding-inline:0.9rem;min-width:7rem';
  return allowed
    ? html`<a class=${cls} style=${style} href=${`#/card/${encodeURIComponent(card.id)}/${kind}`} data-testid=${`service-${kind}`} data-allowed="true"
        >${t(`aftersales.kind.${kind}`)}</a
      >`
    : html`<button type="button" class=${cls} style=${style} disabled data-testid=${`service-${kind}`} data-allowed="false">
        ${t(`aftersales.kind.${kind}`)}
      </button>`;
}

/** The three buttons, each with its last day or the rule that disables it. */
export function ServiceActions({ card }) {
  const allowance = cardAllowance(card, businessToday());
  const whole = WHOLE_CARD.has(allowance.return.reason) ? allowance.return : null;
  if (whole) {
    return html`<div class="card" data-testid="card-service">
      <h3>${t('aftersales.section')}</h3>
      <div class="btn-row" style="flex-wrap:nowrap">
        ${KINDS.map((kind) => html`<${KindButton} key=${kind} card=${card} kind=${kind} allowed=${false} even=${true} />`)}
      </div>
      <p class="reason small" style="margin:0.4rem 0 0" data-testid="service-closed-why" data-reason=${whole.reason}>
        ${allowanceText('return', whole)}
      </p>
    </div>`;
  }
  return html`<div class="card" data-testid="card-service">
    <h3>${t('aftersales.section')}</h3>
    <div style="display:grid;grid-template-columns:max-content 1fr;align-items:center;gap:0.5rem 0.75rem;margin:0.5rem 0">
      ${KINDS.map((kind) => {
        const a = allowance[kind];
        return html`<${Fragment} key=${kind}>
          <${KindButton} card=${card} kind=${kind} allowed=${a.allowed} />
          <p class=${`small ${a.allowed ? 'muted' : 'reason'}`} style="margin:0" data-testid=${`service-${kind}-why`} data-reason=${a.reason || ''}>
            ${allowanceText(kind, a)}
          </p>
        </${Fragment}>`;
      })}
    </div>
  </div>`;
}

function RefusedEvent({ ev }) {
  const { actions } = useApp();
  async function discard() {
    if (!confirm(t('aftersales.discardConfirm'))) return;
    try {
      await actions.discardRejected(ev.sync.mutationId);
    } catch (err) {
      console.error(err);
      alert(err.message || String(err));
    }
  }
  return html`<div class="banner banner-err small" style="margin:0.4rem 0 0" role="alert">
    <div class="grow">
      <p class="reason small" data-testid="service-event-refusal" style="margin:0">
        ${t(`aftersales.refused.${ev.kind}`)} ${t('outbox.reason', { message: errorText(ev.sync.error) || t('common.unknown') })}
      </p>
    </div>
    <div class="btn-row" style="width:100%">
      <button type="button" class="btn btn-small btn-danger" onClick=${discard} data-testid="service-event-discard">
        ${t('aftersales.discard')}
      </button>
    </div>
  </div>`;
}

function EventItem({ ev, cards, points, shownRefusal }) {
  const other = (cid) => (cid ? cards.get(String(cid)) : null);
  // The other card of an exchange: a row to tap, as in the store's list.
  const link = (cid, key, label) => {
    const c = other(cid);
    return html`<a class="list-item" href=${`#/card/${encodeURIComponent(cid)}`} data-testid=${key}>
      <div class="main">
        <div class="sub">${label}</div>
        <div class="mono">${c ? c.imei : t('aftersales.otherCard')}</div>
      </div>
      <span class="chev"><${Icon} name="chevron" size=${18} /></span>
    </a>`;
  };
  const point = points.find(
    (p) =>
      (p.kind === 'store' && String(p.id) === String(ev.repair_store_id ?? '')) ||
      (p.kind === 'partner' && String(p.id) === String(ev.repair_partner_id ?? '')),
  );
  const lines = [fmt.dateTime(ev.occurred_at)];
  if (ev.kind === 'repair')
    lines.push(t('aftersales.repairTo', { name: point ? point.name : t('aftersales.repairPointUnknown') }));
  return html`<li class="service-event" data-testid="service-event" data-kind=${ev.kind} data-event-id=${ev.id} data-sync=${ev.sync.state} style="padding:0.5rem 0;border-bottom:1px solid var(--line)">
    <div style="display:flex;gap:0.5rem;align-items:baseline;flex-wrap:wrap">
      <strong style="flex:1">${ev.replacing ? t('aftersales.madeByExchange') : t(`aftersales.kind.${ev.kind}`)}</strong>
      <${SyncTag} sync=${ev.sync} />
    </div>
    <div class="small">${localName(ev.fault) || ev.fault_code}</div>
    <div class="muted small">${lines.join(' · ')}</div>
    ${ev.note ? html`<div class="small" data-testid="service-event-note">${ev.note}</div>` : null}
    ${
      ev.kind === 'exchange' && !ev.replacing && ev.new_card_id
        ? link(ev.new_card_id, 'service-new-card', t('aftersales.newCard'))
        : null
    }
    ${ev.replacing ? link(ev.card_id, 'service-old-card', t('aftersales.oldCard')) : null}
    ${ev.sync.state === 'refused' && ev.sync.mutationId !== shownRefusal ? html`<${RefusedEvent} ev=${ev} />` : null}
  </li>`;
}

/** The card's returns, exchanges and repair referrals, newest first (a refusal the card's banner
 * says already is not said again). */
export function ServiceHistory({ card }) {
  const shownRefusal = card.sync?.state === 'refused' ? card.sync.mutationId : null;
  const { db, queries } = useApp();
  const [events] = useLive(() => serviceEventsIn(db, card.id), [card.id], []);
  const [cards] = useLive(
    async () => new Map(((await queries.cards()) || []).map((c) => [String(c.id), c])),
    [],
    new Map(),
  );
  const [points, setPoints] = useState([]);
  useEffect(() => {
    let alive = true;
    repairPointsIn(db).then((kept) => alive && setPoints(kept?.items || []));
    return () => {
      alive = false;
    };
  }, [db]);
  const list = events || [];
  return html`<div class="card" data-testid="card-history">
    <h3>${t('aftersales.history')}</h3>
    ${
      list.length
        ? html`<ul class="list" data-testid="service-events">
          ${list.map((ev) => html`<${EventItem} key=${ev.id} ev=${ev} cards=${cards || new Map()} points=${points} shownRefusal=${shownRefusal} />`)}
        </ul>`
        : html`<p class="muted small" data-testid="service-events-none">${t('aftersales.historyNone')}</p>`
    }
  </div>`;
}
