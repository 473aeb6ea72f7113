// The clerk's home: the store's warranty cards, newest first, with an IMEI look-up that filters as
// the clerk types (IMEI or IMEI 2, by prefix). Each card shows whether it reached the server —
// and, when the server refused it, why. Reads only the local database: works with no network.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { useBusinessZone, useLive } from '../../components/hooks.js';
import { keepRepairPoints } from '../../db/service.js';
import { Icon } from '../../components/icons.js';
import { ScanButton } from '../../components/Scanner.js';
import { modelOf, Refusal, StandingBadge, SyncTag, TermsView } from './common.js';

const SHOWN = 200;

export function CardItem({ card }) {
  const state = card.sync ? card.sync.state : 'synced';
  // A card the server refused to register has no 三包 standing; a refused correction leaves the
  // card as the server has it.
  const unregistered = state === 'refused' && card.sync.name === 'warranty.register';
  return html`<li>
    <a
      class="list-item"
      href=${`#/card/${encodeURIComponent(card.id)}`}
      data-testid="card-item"
      data-card-id=${card.id}
      data-imei=${card.imei}
      data-sync=${state}
    >
      <div class="main">
        <div class="title mono">${card.imei}</div>
        <div class="sub">${[modelOf(card), card.buyer_name, t('card.boughtOn', { date: fmt.day(card.purchase_date) })].filter(Boolean).join(' · ')}</div>
        ${!unregistered ? html`<${TermsView} terms=${card.terms} compact=${true} />` : null}
        <div class="tags">
          ${!unregistered ? html`<${StandingBadge} standing=${card.standing} />` : null}
          <${SyncTag} sync=${card.sync} />
          ${card.replaces_card_id ? html`<span class="tag" data-testid="card-replacement">${t('aftersales.replacementTag')}</span>` : null}
        </div>
        <${Refusal} sync=${card.sync} />
      </div>
      <span class="chev"><${Icon} name="chevron" size=${18} /></span>
    </a>
  </li>`;
}

export function Cards() {
  const { db, api, queries } = useApp();
  // The repair points a 维修 referral picks from, kept while there is a network; the business time
  // zone the 三包 windows count in: the cards are read again when it is learned.
  useEffect(() => {
    keepRepairPoints(db, api);
  }, [db]);
  const zone = useBusinessZone();
  const [q, setQ] = useState('');
  const prefix = q.replace(/\D+/g, '');
  const [list, loaded] = useLive(() => queries.cards({ imeiPrefix: prefix }), [prefix, zone], []);
  const cards = list || [];
  const refused = cards.filter((c) => c.sync && c.sync.state === 'refused').length;

  return html`<div data-testid="cards-screen">
    <div class="field">
      <label class="label" for="card-search">${t('cards.lookup')}</label>
      <div class="input-row">
        <input
          id="card-search"
          type="search"
          inputmode="numeric"
          autocomplete="off"
          placeholder=${t('cards.lookupPlaceholder')}
          value=${q}
          onInput=${(e) => setQ(e.currentTarget.value)}
          data-testid="card-search"
          enterkeyhint="search"
        />
        <${ScanButton} onImeis=${(imeis) => setQ(imeis[0])} testid="card-search-scan" />
      </div>
    </div>
    <a class="btn btn-primary btn-block" href="#/register" data-testid="register-card">${t('cards.register')}</a>
    ${
      refused && !prefix
        ? html`<div class="banner banner-err small" style="margin-top:0.75rem" data-testid="cards-refused">${t('cards.refused', { n: refused })}</div>`
        : null
    }
    <h2 class="section-title">
      <span>${prefix ? t('cards.results', { n: cards.length }) : t('cards.all', { n: cards.length })}</span>
    </h2>
    <div class="card">
      ${
        cards.length
          ? html`<ul class="list" data-testid="card-list">
            ${cards.slice(0, SHOWN).map((c) => html`<${CardItem} key=${c.id} card=${c} />`)}
          </ul>
          ${cards.length > SHOWN ? html`<p class="muted small">${t('cards.more', { n: cards.length - SHOWN })}</p>` : null}`
          : html`<p class="empty" data-testid="cards-empty">
            ${!loaded ? t('app.loading') : prefix ? t('cards.noMatch', { q: prefix }) : t('cards.none')}
          </p>`
      }
    </div>
  </div>`;
}
