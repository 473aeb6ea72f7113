// The channel: where our phones are between shipment and buyer. Tabs (#/channel/<tab>):
//   #/channel               stock and weeks of cover by region (a region → its partners), on a map
//   #/channel/sell-through  units sold per model and week (cards, declared, competitor estimates)
//                           beside the price trend of the same models; declared vs cards
//   #/channel/aging         cohorts unsold past their model's aging days, with their IMEIs
//   #/channel/fifo          newer shipments selling while older units of the model stay unsold
//   #/channel/alerts        replenishment alerts: stock-outs, cover too low or too high
// HQ sees every region. A manager gets the same screens inside their shell (`region`: their
// region id): the region filter is fixed to it, and the server scopes every answer anyway.
import './i18n/index.js'; // HQ's strings (the manager's package loads them with this module)
import { html } from 'htm/preact';
import { t } from '../../i18n/index.js';
import { TABS, tabHref, tabOf } from './channel.js';
import { AlertBadge, useChannelAlertCount } from './channelCommon.js';
import { ChannelStock } from './ChannelStock.js';
import { SellThrough } from './SellThrough.js';
import { Aging, FifoBreaks } from './ChannelAging.js';
import { ChannelAlerts } from './ChannelAlerts.js';
import './market.css';
import './channel.css';

// --- the screen ----------------------------------------------------------------------------------

export function Channel({ sub, region = null }) {
  const tab = tabOf(sub);
  const count = useChannelAlertCount();
  let screen;
  if (tab === 'sell-through') screen = html`<${SellThrough} region=${region} />`;
  else if (tab === 'aging') screen = html`<${Aging} region=${region} />`;
  else if (tab === 'fifo') screen = html`<${FifoBreaks} region=${region} />`;
  else if (tab === 'alerts') screen = html`<${ChannelAlerts} region=${region} />`;
  else screen = html`<${ChannelStock} region=${region} />`;
  return html`<div data-testid="channel-screen" data-tab=${tab}>
    <nav class="market-tabs channel-tabs" aria-label=${t('channel.title')}>
      ${TABS.map(
        ([key, , label]) => html`<a
          key=${key}
          href=${tabHref(key)}
          class=${tab === key ? 'active' : ''}
          aria-current=${tab === key ? 'page' : undefined}
          data-testid=${`channel-tab-${key}`}
          >${t(label)}${key === 'alerts' ? html`<${AlertBadge} count=${count} testid="channel-tab-alert-count" />` : null}</a
        >`,
      )}
    </nav>
    ${screen}
  </div>`;
}
