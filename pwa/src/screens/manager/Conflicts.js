// Sync conflicts: two edits of the same field of a store or contact (phones offline at the same
// time); the per-field merge kept the later one and recorded the other. Both values, who and
// when; the manager keeps the merged value or applies the one that lost.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { CsvButton, ErrorBanner, Pager, RefreshButton, Segmented, useAction, usePaged } from '../desk/kit.js';
import * as mapi from './api.js';
import { useStoreNames } from './common.js';
import { hlcMs, valueText } from './format.js';

const FILTERS = [
  ['open', { resolved: false }],
  ['resolved', { resolved: true }],
  ['all', {}],
];

function Value({ value, by, hlc, region, tone, testid }) {
  const when = hlcMs(hlc);
  return html`<div class=${`mgr-value mgr-value-${tone}`} data-testid=${testid}>
    <div class="mgr-value-text">${valueText(value) || html`<span class="muted">${t('manager.conf.empty')}</span>`}</div>
    <div class="muted small">${by ? region.repName(by) : t('common.unknown')}${when ? ` · ${fmt.dateTime(when)}` : ''}</div>
  </div>`;
}

export function Conflicts({ region }) {
  const [filter, setFilter] = useState('open');
  const query = FILTERS.find(([k]) => k === filter)[1];
  const { data, rows, page, setPage, loading, error, reload } = usePaged(
    (paging) => mapi.conflicts(query, paging),
    [filter],
  );
  const names = useStoreNames(rows.filter((c) => c.entity === 'store').map((c) => c.entity_id));
  const { busy, error: actionError, run } = useAction();
  const resolve = (c, use) =>
    run(async () => {
      await mapi.resolveConflict(c.id, use);
      reload();
    }, c.id);

  const record = (c) =>
    c.entity === 'store'
      ? names[Number(c.entity_id)] || `${t('manager.col.store')} #${c.entity_id}`
      : `${t('manager.conf.contact')} ${String(c.entity_id).slice(0, 8)}`;
  const columns = [
    { key: 'id', label: 'ID' },
    { key: 'created_at', label: t('manager.conf.when') },
    { key: 'entity', label: t('manager.conf.entity') },
    { key: 'entity_id', label: t('manager.conf.entityId') },
    { key: 'record', label: t('manager.conf.record'), value: record },
    { key: 'field', label: t('manager.conf.field') },
    { key: 'kept_value', label: t('manager.conf.kept'), value: (c) => valueText(c.kept_value) },
    { key: 'kept_by', label: t('manager.conf.keptBy'), value: (c) => region.repName(c.kept_by) },
    { key: 'lost_value', label: t('manager.conf.lost'), value: (c) => valueText(c.lost_value) },
    { key: 'lost_by', label: t('manager.conf.lostBy'), value: (c) => region.repName(c.lost_by) },
    { key: 'resolution', label: t('manager.conf.resolution') },
    { key: 'resolved_at', label: t('manager.conf.resolvedAt') },
  ];

  return html`<section class="card" data-testid="conflicts">
    <div class="toolbar">
      <h2 style="margin:0">${t('manager.nav.conflicts')}</h2>
      <${Segmented} label=${t('manager.conf.show')} options=${FILTERS.map(([k]) => [k, t(`manager.conf.filter.${k}`)])} value=${filter} onChange=${setFilter} attr="filter" />
      <${RefreshButton} onClick=${reload} />
      <${CsvButton} name=${`sync-conflicts-${filter}`} rows=${rows} columns=${columns} testid="csv-conflicts" />
    </div>
    <p class="muted small">${t('manager.conf.explain')}</p>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    <${ErrorBanner} error=${actionError} />
    ${
      rows.length
        ? html`<div class="table-wrap">
            <table class="table" data-testid="conflict-table">
              <thead>
                <tr>
                  <th>${t('manager.conf.when')}</th>
                  <th>${t('manager.conf.record')}</th>
                  <th>${t('manager.conf.field')}</th>
                  <th>${t('manager.conf.kept')}</th>
                  <th>${t('manager.conf.lost')}</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (c) => html`<tr key=${c.id} data-testid="conflict-row" data-conflict-id=${c.id}>
                    <td class="small">${fmt.dateTime(c.created_at)}</td>
                    <td>
                      ${c.entity === 'store' ? html`<a href=${`#/store/${c.entity_id}`}>${record(c)}</a>` : record(c)}
                    </td>
                    <td class="mono">${c.field}</td>
                    <td><${Value} value=${c.kept_value} by=${c.kept_by} hlc=${c.kept_hlc} region=${region} tone="kept" testid="kept-value" /></td>
                    <td><${Value} value=${c.lost_value} by=${c.lost_by} hlc=${c.lost_hlc} region=${region} tone="lost" testid="lost-value" /></td>
                    <td class="mgr-actions">
                      ${
                        c.resolved_at
                          ? html`<span class="tag tag-ok">${t(`manager.conf.resolved.${c.resolution}`)}</span>
                            <div class="muted small">${region.repName(c.resolved_by)} · ${fmt.dateTime(c.resolved_at)}</div>`
                          : html`<button type="button" class="btn btn-small" disabled=${busy === c.id} onClick=${() => resolve(c, 'kept')} data-testid="keep-kept">
                              ${t('manager.conf.keep')}
                            </button>
                            <button type="button" class="btn btn-small btn-warn" disabled=${busy === c.id} onClick=${() => resolve(c, 'lost')} data-testid="use-lost">
                              ${t('manager.conf.useLost')}
                            </button>`
                      }
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} testid="conflicts-pager" />`
        : html`<p class="empty">${loading ? t('app.loading') : t(filter === 'open' ? 'manager.conf.noneOpen' : 'manager.conf.none')}</p>`
    }
  </section>`;
}
