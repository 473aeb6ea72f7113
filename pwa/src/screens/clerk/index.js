// The store clerk's screens (loaded on demand: reps never download them). Routes:
//   #/               the store's warranty cards, IMEI look-up
//   #/register       register a card
//   #/card/:id       one card
//   #/card/:id/correct  correct it (or, refused by the server, correct and send it again)
//   #/card/:id/return · exchange · repair   a 三包 service event of it (ServiceEvent.js)
// The outbox and "me" screens are the shared ones.
import './i18n/index.js'; // this package's strings, added first: before any of its modules runs
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';
import { Cards } from './Cards.js';
import { CardDetail } from './CardDetail.js';
import { CorrectScreen, RegisterScreen } from './CardForm.js';
import { KINDS, ServiceEventScreen } from './ServiceEvent.js';

/** `{screen, title, current}` for the route parts, or null (not a clerk route). */
export function clerkRoute([head, arg, sub]) {
  if (head === 'register')
    return { screen: html`<${RegisterScreen} />`, title: t('card.registerTitle'), current: null };
  if (head === 'card' && arg && sub === 'correct')
    return { screen: html`<${CorrectScreen} id=${arg} />`, title: t('card.correctTitle'), current: null };
  if (head === 'card' && arg && KINDS.includes(sub))
    return {
      screen: html`<${ServiceEventScreen} key=${`${arg}/${sub}`} id=${arg} kind=${sub} />`,
      title: t(`aftersales.title.${sub}`),
      current: null,
    };
  if (head === 'card' && arg)
    return { screen: html`<${CardDetail} id=${arg} />`, title: t('card.title'), current: null };
  if (!head) return { screen: html`<${Cards} />`, title: t('cards.title'), current: 'today' };
  return null;
}
