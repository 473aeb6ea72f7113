// Store openings, new stores, closings and moves reported from the field: on a map (the shared
// MapView: Leaflet, tiles from the installation's settings, works without tiles) and in a list
// that exports to CSV. Loaded on demand by Activity.js (Leaflet stays out of the rest of HQ).
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { MapView } from '../../components/MapView.js';
import { CsvButton, ErrorBanner, RefreshButton, useRemote } from '../desk/kit.js';
import {
  cleanQuery,
  last30,
  Range,
  regionName,
  RegionField,
  SelectField,
  useLookups,
  useSavedFilters,
} from './marketCommon.js';

const KINDS = ['new_store', 'opening', 'closing', 'moving'];
const KIND_TONE = { new_store: 'ok', opening: 'brand', closing: 'err', moving: 'warn' };
const KIND_TAG = { new_store: 'tag-ok', opening: '', closing: 'tag-err', moving: 'tag-warn' };

function storeChangeColumns(regions) {
  return [
    { key: 'reported_at', label: t('market.reportedAt') },
    { key: 'kind', label: t('market.kind'), value: (r) => t(`market.kind.${r.kind}`) },
    { key: 'status', label: t('market.status'), value: (r) => t(`market.reportStatus.${r.status}`) },
    { key: 'name', label: t('market.storeName') },
    { key: 'address', label: t('market.address') },
    { key: 'region', label: t('market.region'), value: (r) => regionName(regions, r.region_id) },
    { key: 'latitude', label: t('market.latitude') },
    { key: 'longitude', label: t('market.longitude') },
    { key: 'store_id', label: t('market.storeId') },
  ];
}

export function StoreChanges() {
  const { api } = useApp();
  const { regions } = useLookups();
  const [filters, set] = useSavedFilters('stores', () => ({ region_id: '', kind: '', ...last30() }));
  const [selected, setSelected] = useState(null);
  const query = cleanQuery(filters);
  const key = JSON.stringify(query);
  const { data, loading, error, reload } = useRemote(() => api.marketStoreChanges(query), [key]);
  const rows = Array.isArray(data) ? data : [];
  const markers = useMemo(
    () =>
      rows
        .filter((r) => r.latitude !== null && r.longitude !== null)
        .map((r) => ({
          id: String(r.id),
          lat: r.latitude,
          lon: r.longitude,
          kind: 'dot',
          tone: KIND_TONE[r.kind] || 'muted',
          title: `${t(`market.kind.${r.kind}`)} · ${r.name}`,
          testid: 'store-change-marker',
        })),
    [data],
  );
  const counts = {};
  for (const r of rows) counts[r.kind] = (counts[r.kind] || 0) + 1;

  return html`<div data-testid="store-changes-screen">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('market.stores.title')}</h2>
        <${RefreshButton} onClick=${reload} />
        <${CsvButton} name="store-changes" rows=${rows} columns=${() => storeChangeColumns(regions)} />
      </div>
      <div class="market-filters">
        <${RegionField} regions=${regions} value=${filters.region_id} onChange=${(v) => set({ region_id: v })} />
        <${SelectField}
          label=${t('market.kind')}
          value=${filters.kind}
          onChange=${(v) => set({ kind: v })}
          testid="filter-kind"
          options=${[['', t('market.allKinds')], ...KINDS.map((k) => [k, t(`market.kind.${k}`)])]}
        />
        <${Range} filters=${filters} set=${set} />
      </div>
      <div class="legend-row small">
        ${KINDS.map(
          (k) =>
            html`<span key=${k} class="legend-item"><span class=${`legend-dot tone-${KIND_TONE[k]}`}></span>${t(`market.kind.${k}`)} (${fmt.number(counts[k] || 0)})</span>`,
        )}
      </div>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      <${MapView}
        markers=${markers}
        height="420px"
        label=${t('market.stores.map')}
        selected=${selected}
        onMarkerClick=${(m) => setSelected(m.id)}
      />
      ${rows.length >= 2000 ? html`<p class="small muted">${t('market.stores.capped')}</p>` : null}
    </section>
    <section class="card">
      ${
        rows.length
          ? html`<div class="table-wrap">
            <table class="table" data-testid="store-change-list">
              <thead>
                <tr>
                  <th>${t('market.reportedAt')}</th>
                  <th>${t('market.kind')}</th>
                  <th>${t('market.storeName')}</th>
                  <th>${t('market.address')}</th>
                  <th>${t('market.region')}</th>
                  <th>${t('market.status')}</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (r) => html`<tr
                    key=${r.id}
                    class=${String(r.id) === selected ? 'selected clickable' : 'clickable'}
                    onClick=${() => setSelected(String(r.id))}
                    data-testid="store-change-row"
                  >
                    <td class="small">${fmt.dateTime(r.reported_at)}</td>
                    <td><span class=${`tag ${KIND_TAG[r.kind] ?? ''}`}>${t(`market.kind.${r.kind}`)}</span></td>
                    <td>${r.name}${r.store_id ? html`<div class="small muted">#${r.store_id}</div>` : null}</td>
                    <td class="small">${r.address}</td>
                    <td>${regionName(regions, r.region_id)}</td>
                    <td class="small">${t(`market.reportStatus.${r.status}`)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
          : html`<p class="empty">${loading ? t('app.loading') : t('market.stores.none')}</p>`
      }
    </section>
  </div>`;
}
