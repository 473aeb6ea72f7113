// The regions of the stock table on a map (Leaflet through MapView: a chunk of its own, loaded
// when the stock tab opens): a circle per region, its area the channel stock, its colour the
// weeks of cover; a click opens the region's partners.
import { html } from 'htm/preact';
import { fmt, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import { roundCover } from './channel.js';

export function ChannelMap({ circles, onPick }) {
  const markers = circles.map((c) => ({
    ...c,
    testid: 'channel-region-circle',
    title: t('channel.map.title', {
      region: c.data.region_name,
      stock: fmt.number(c.data.stock),
      cover: c.data.cover_weeks === null ? '–' : fmt.number(roundCover(c.data.cover_weeks)),
    }),
  }));
  return html`<${MapView} markers=${markers} height="320px" label=${t('channel.map.label')} onMarkerClick=${(m) => onPick(m.data)} />`;
}
