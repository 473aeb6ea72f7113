// Store moves: a rep moved a store farther than STORE_MOVE_APPROVAL_M, so the store stayed where
// it is and the move waits here (position proposals). For each: the store, who, when, how far, the
// rep's note; the selected one on a small map (where the store is → where the rep put it). The
// manager approves (the store moves) or rejects (it stays), with an optional note.
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import { CsvButton, ErrorBanner, RefreshButton, Segmented, useAction, usePaged } from '../desk/kit.js';
import * as mapi from './api.js';
import { ReviewQueue, useStoreNames } from './common.js';

export const MOVE_STATUSES = ['pending', 'approved', 'rejected', 'superseded', 'all'];

const point = (lat, lon) => `${Number(lat).toFixed(5)}, ${Number(lon).toFixed(5)}`;

function Decide({ proposal, name, region, onDone }) {
  const [note, setNote] = useState('');
  const { busy, error, run } = useAction();
  const pending = proposal.status === 'pending';
  const markers = useMemo(
    () => [
      {
        id: 'from',
        lat: proposal.from_latitude,
        lon: proposal.from_longitude,
        label: 'S',
        kind: 'square',
        tone: 'brand',
        title: t('manager.moves.current'),
        testid: 'move-from',
      },
      {
        id: 'to',
        lat: proposal.latitude,
        lon: proposal.longitude,
        label: 'P',
        tone: 'warn',
        title: t('manager.moves.proposed'),
        testid: 'move-to',
      },
    ],
    [proposal.id],
  );
  const lines = useMemo(
    () => [
      {
        id: 'move',
        points: [
          [proposal.from_latitude, proposal.from_longitude],
          [proposal.latitude, proposal.longitude],
        ],
        tone: 'alt',
        dashed: true,
        weight: 2,
      },
    ],
    [proposal.id],
  );

  const decide = (decision) =>
    run(async () => {
      await mapi.decideProposal(proposal.id, decision, note.trim());
      onDone();
    });

  return html`<section class="card" data-testid="move-review" data-proposal-id=${proposal.id}>
    <h3>${name}</h3>
    <div class="mgr-two">
      <div>
        <dl class="facts">
          <dt>${t('manager.moves.by')}</dt><dd>${region.repName(proposal.proposed_by)} · ${fmt.dateTime(proposal.proposed_at)}</dd>
          <dt>${t('manager.moves.current')}</dt><dd class="mono small">${point(proposal.from_latitude, proposal.from_longitude)}</dd>
          <dt>${t('manager.moves.proposed')}</dt><dd class="mono small">${point(proposal.latitude, proposal.longitude)}</dd>
          <dt>${t('manager.moves.distance')}</dt><dd data-testid="move-distance">${fmt.distance(proposal.distance_m)}</dd>
          ${proposal.note ? html`<dt>${t('manager.moves.repNote')}</dt><dd>${proposal.note}</dd>` : null}
          ${
            !pending
              ? html`<dt>${t('manager.moves.status')}</dt>
                <dd>${t(`manager.moves.status.${proposal.status}`)}${proposal.decided_at ? ` · ${region.repName(proposal.decided_by)} · ${fmt.dateTime(proposal.decided_at)}` : ''}${proposal.decision_note ? ` · ${proposal.decision_note}` : ''}</dd>`
              : null
          }
        </dl>
      </div>
      <${MapView} markers=${markers} lines=${lines} height="260px" maxZoom=${18} label=${t('manager.moves.map')} />
    </div>
    ${
      pending
        ? html`<div class="mgr-review">
          <p class="muted small">${t('manager.moves.approveMeans')}</p>
          <label class="field">
            <span class="label">${t('manager.moves.note')}</span>
            <input type="text" maxlength="500" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} data-testid="move-note" />
          </label>
          <div class="btn-row">
            <button type="button" class="btn btn-primary" disabled=${busy} onClick=${() => decide('approve')} data-testid="move-approve">${t('manager.moves.approve')}</button>
            <button type="button" class="btn btn-danger" disabled=${busy} onClick=${() => decide('reject')} data-testid="move-reject">${t('manager.moves.reject')}</button>
          </div>
          <${ErrorBanner} error=${error} />
        </div>`
        : null
    }
  </section>`;
}

export function Moves({ region }) {
  const [status, setStatus] = useState('pending');
  const list = usePaged(
    (paging) => mapi.positionProposals({ status: status === 'all' ? undefined : status }, paging),
    [status],
  );
  const names = useStoreNames(list.rows.map((p) => p.store_id));

  const nameOf = (p) => names[p.store_id] || `${t('manager.col.store')} #${p.store_id}`;
  const columns = [
    { key: 'id', label: 'ID' },
    { key: 'proposed_at', label: t('manager.moves.when') },
    { key: 'store_id', label: t('manager.col.storeId') },
    { key: 'store', label: t('manager.col.store'), value: nameOf },
    { key: 'proposed_by', label: t('manager.moves.by'), value: (p) => region.repName(p.proposed_by) },
    { key: 'from_latitude', label: `${t('manager.moves.current')} · ${t('manager.col.lat')}` },
    { key: 'from_longitude', label: `${t('manager.moves.current')} · ${t('manager.col.lon')}` },
    { key: 'latitude', label: `${t('manager.moves.proposed')} · ${t('manager.col.lat')}` },
    { key: 'longitude', label: `${t('manager.moves.proposed')} · ${t('manager.col.lon')}` },
    { key: 'distance_m', label: t('manager.moves.distanceM') },
    { key: 'note', label: t('manager.moves.repNote') },
    { key: 'status', label: t('manager.moves.status') },
    { key: 'decided_at', label: t('manager.moves.decidedAt') },
    { key: 'decision_note', label: t('manager.moves.note') },
  ];

  return html`<${ReviewQueue}
    testid="moves"
    list=${list}
    tableTestid="move-table"
    pagerTestid="moves-pager"
    head=${html`<th>${t('manager.moves.when')}</th>
      <th>${t('manager.col.store')}</th>
      <th>${t('manager.moves.by')}</th>
      <th class="num">${t('manager.moves.distance')}</th>
      <th>${t('manager.moves.status')}</th>`}
    cells=${(p) => html`<td class="small">${fmt.dateTime(p.proposed_at)}</td>
      <td><button type="button" class="link">${nameOf(p)}</button>${p.note ? html`<div class="muted small">${p.note}</div>` : null}</td>
      <td>${region.repName(p.proposed_by)}</td>
      <td class="num">${fmt.distance(p.distance_m)}</td>
      <td><span class=${p.status === 'pending' ? 'tag tag-warn' : 'tag'}>${t(`manager.moves.status.${p.status}`)}</span></td>`}
    rowProps=${(p) => ({ 'data-testid': 'move-row', 'data-proposal-id': p.id })}
    empty=${t(status === 'pending' ? 'manager.moves.noneOpen' : 'manager.moves.none')}
    hint=${t('manager.moves.pick')}
    review=${(p, done) => html`<${Decide} key=${p.id} proposal=${p} name=${nameOf(p)} region=${region} onDone=${done} />`}
  >
    <div class="toolbar">
      <h2 style="margin:0">${t('manager.nav.moves')}</h2>
      <${Segmented}
        label=${t('manager.moves.status')}
        options=${MOVE_STATUSES.map((s) => [s, t(`manager.moves.status.${s}`)])}
        value=${status}
        onChange=${setStatus}
        attr="filter"
      />
      <${RefreshButton} onClick=${list.reload} />
      <${CsvButton} name=${`store-moves-${status}`} rows=${list.rows} columns=${columns} testid="csv-moves" />
    </div>
    <p class="muted small">${t('manager.moves.explain')}</p>
    <${ErrorBanner} error=${list.error} onRetry=${list.reload} />
  </${ReviewQueue}>`;
}
