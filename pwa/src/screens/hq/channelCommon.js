// Pieces the channel screens share (HQ's and the managers'): the open-alert count (the nav's
// badge, the alerts tab), the "Export CSV" of a file the server makes, the model and region filters.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, lang, localField, localName, t } from '../../i18n/index.js';
import { apiMessage, fetchAllPages } from '../desk/kit.js';
import { requestPage } from '../../api.js';
import { COVER_HIGH, COVER_LOW, coverTone, roundCover } from './channel.js';
import * as capi from './channelApi.js';
import { RegionField, SelectField } from './marketCommon.js';

// --- the open-alert count (nav badge, the alerts tab): channelCount.js ---------------------------

export { channelAlertsChanged, useChannelAlertCount } from './channelCount.js';

/** The alert count as the nav's badge (nothing when 0 or unknown). */
export function AlertBadge({ count, testid = 'channel-alert-count' }) {
  if (!count) return null;
  return html` <span class="count" data-testid=${testid} aria-label=${t('channel.alerts.open', { n: count })}>${count}</span>`;
}

// --- a CSV the server makes ----------------------------------------------------------------------

/** "Export CSV" of a server-made file (`path` with `query`): a signed link the browser's download
 * manager follows (`downloadServerCsv`), saved as the server names it. */
export function ServerCsvButton({ path, query, testid = 'export-csv', disabled = false }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      // The header row in the user's language (the server's default: the request's Accept-Language).
      await capi.downloadServerCsv(path, { ...query, lang: lang() });
    } catch (err) {
      if (!err || err.status === undefined) console.error(err);
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<span class="csv-btn server-csv">
    <button
      type="button"
      class="btn btn-small"
      onClick=${run}
      disabled=${disabled || busy}
      data-testid=${testid}
      data-error=${error ? 'true' : undefined}
      title=${t('channel.csvHint')}
    >
      ${busy ? t('desk.exporting') : t('desk.exportCsv')}
    </button>
    ${error ? html`<span class="small err-text" role="alert">${apiMessage(error)}</span>` : null}
  </span>`;
}

// --- filters -------------------------------------------------------------------------------------

/** The region filter: HQ picks one (or every region); a manager (`fixed`: their region) has none
 * (the server answers for their region only). */
export function ChannelRegionField({ regions, value, onChange, fixed = null, allLabel = null }) {
  if (fixed) return null;
  return html`<${RegionField} regions=${regions} value=${value} onChange=${onChange} allLabel=${allLabel || t('channel.allRegions')} />`;
}

/** One of our models (or every model, unless `required`). */
export function ModelField({ products, value, onChange, required = false, testid = 'filter-product' }) {
  const options = products.map((p) => [String(p.id), `${p.model_code} ${localName(p)}`]);
  return html`<${SelectField}
    label=${t('channel.model')}
    value=${value || ''}
    onChange=${onChange}
    testid=${testid}
    options=${required ? options : [['', t('channel.allModels')], ...options]}
  />`;
}

/** A partner (every one, unless `value`; '0': units shipped to no named partner), by name. */
export function PartnerField({ value, onChange, testid = 'filter-partner' }) {
  const names = usePartnerNames();
  const options = Object.entries(names)
    .sort((a, b) => String(a[1]).localeCompare(String(b[1]), 'zh-CN'))
    .map(([id, name]) => [String(id), name]);
  return html`<${SelectField}
    label=${t('channel.partner')}
    value=${value || ''}
    onChange=${onChange}
    testid=${testid}
    options=${[['', t('channel.allPartners')], ['0', t('channel.noPartner')], ...options]}
  />`;
}

/** A row's model: its code, and its name beside it where there is room. */
export function ModelCell({ r }) {
  return html`<td>${r.model_code} <span class="small muted opt">${localField(r, 'product_name')}</span></td>`;
}

/** A count of units, or a dash. */
export const units = (v) => (v === null || v === undefined || v === '' ? '–' : fmt.number(v));

/** What a cover colour means ("under 2 weeks: replenish"). */
export const coverLabel = (tone) => t(`channel.cover.${tone}`, { weeks: tone === 'high' ? COVER_HIGH : COVER_LOW });

/** Weeks of cover as a coloured tag: red below COVER_LOW, amber above COVER_HIGH, '–' without
 * sales. */
export function CoverTag({ value }) {
  const tone = coverTone(value);
  const text = tone === 'none' ? '–' : fmt.number(roundCover(value));
  return html`<span class=${`cover cover-${tone}`} data-testid="cover" data-tone=${tone} title=${coverLabel(tone)}>${text}</span>`;
}

/** The legend of the cover colours. */
export function CoverLegend() {
  return html`<div class="legend-row small" data-testid="cover-legend">
    ${['low', 'ok', 'high', 'none'].map(
      (tone) =>
        html`<span key=${tone} class="legend-item"><span class=${`legend-dot cover-dot-${tone}`}></span>${coverLabel(tone)}</span>`,
    )}
  </div>`;
}

/** A partner's name; partner 0: shipped without a partner. */
export function partnerName(r) {
  return Number(r.partner_id) === 0 || r.partner_id === null || r.partner_id === undefined
    ? t('channel.noPartner')
    : r.partner_name || `#${r.partner_id}`;
}

let partnersOnce = null;

/** `{id: name}` of every partner (fetched once per page load; {} until known or when refused): the
 * FIFO list names the partners holding the older units by id. */
export function usePartnerNames() {
  const [names, setNames] = useState({});
  useEffect(() => {
    let alive = true;
    if (!partnersOnce) {
      partnersOnce = fetchAllPages(({ page, pageSize }) =>
        requestPage('/partners', { query: { page, page_size: pageSize } }),
      ).then(
        (list) => Object.fromEntries(list.map((p) => [p.id, p.name])),
        (err) => {
          partnersOnce = null;
          if (!err || err.status === undefined) console.error(err);
          return {};
        },
      );
    }
    partnersOnce.then((map) => alive && setNames(map));
    return () => {
      alive = false;
    };
  }, []);
  return names;
}
