// Store moves: a rep moved a store farther than STORE_MOVE_APPROVAL_M, so the store stayed where
// it is and the move waits here (position proposals). For each: the store, who, when, how far, the
// rep's note; the selected one on a small map (where the store is → where the rep put it). The
// manager approves (the store moves) or rejects (it stays), with an optional note.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import * as mapi from './api.js';
import { CsvButton, ErrorBanner, Pager, apiMessage, useRemote } from './common.js';

export const MOVE_STATUSES = ['pending', 'approved', 'rejected', 'superseded', 'all'];

const storeNames = new Map(); // store id → Promise<name | null>
function storeName(id) {
  if (!storeNames.has(id)) storeNames.set(id, mapi.store(id).then((s) => s.name, () => null));
  return storeNames.get(id);
}

const point = (lat, lon) => `${Number(lat).toFixed(5)}, ${Number(lon).toFixed(5)}`;

function Decide({ proposal, name, region, onDone }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const pending = proposal.status === 'pending';
  const markers = useMemo(
    () => [
      { id: 'from', lat: proposal.from_latitude, lon: proposal.from_longitude, label: 'S', kind: 'square', tone: 'brand', title: t('manager.moves.current'), testid: 'move-from' },
      { id: 'to', lat: proposal.latitude, lon: proposal.longitude, label: 'P', tone: 'warn', title: t('manager.moves.proposed'), testid: 'move-to' },
    ],
    [proposal.id],
  );
  const lines = useMemo(
    () => [{ id: 'move', points: [[proposal.from_latitude, proposal.from_longitude], [proposal.latitude, proposal.longitude]], tone: 'alt', dashed: true, weight: 2 }],
    [proposal.id],
  );

  async function decide(decision) {
    setBusy(true);
    setError(null);
    try {
      await mapi.decideProposal(proposal.id, decision, note.trim());
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

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
          ${!pending
            ? html`<dt>${t('manager.moves.status')}</dt>
                <dd>${t(`manager.moves.status.${proposal.status}`)}${proposal.decided_at ? ` · ${region.repName(proposal.decided_by)} · ${fmt.dateTime(proposal.decided_at)}` : ''}${proposal.decision_note ? ` · ${proposal.decision_note}` : ''}</dd>`
            : null}
        </dl>
      </div>
      <${MapView} markers=${markers} lines=${lines} height="260px" maxZoom=${18} label=${t('manager.moves.map')} />
    </div>
    ${pending
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
          ${error ? html`<div class="banner banner-err" role="alert">${apiMessage(error)}</div>` : null}
        </div>`
      : null}
  </section>`;
}

export function Moves({ region }) {
  const [status, setStatus] = useState('pending');
  const [page, setPage] = useState(1);
  const [selectedId, setSelectedId] = useState(null);
  const [names, setNames] = useState({});
  useEffect(() => setPage(1), [status]);
  const { data, loading, error, reload } = useRemote(
    () => mapi.positionProposals({ status: status === 'all' ? undefined : status }, { page, pageSize: 50 }),
    [status, page],
  );
  const rows = (data && data.items) || [];
  const selected = rows.find((p) => p.id === selectedId) || null;

  useEffect(() => {
    let alive = true;
    const ids = [...new Set(rows.map((p) => p.store_id))];
    Promise.all(ids.map((id) => storeName(id).then((name) => [id, name]))).then((pairs) => {
      if (alive) setNames(Object.fromEntries(pairs));
    });
    return () => {
      alive = false;
    };
  }, [data]);

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

  return html`<div data-testid="moves">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('manager.nav.moves')}</h2>
        <div class="segmented" role="group" aria-label=${t('manager.moves.status')}>
          ${MOVE_STATUSES.map(
            (s) => html`<button type="button" key=${s} aria-pressed=${s === status ? 'true' : 'false'} onClick=${() => setStatus(s)} data-filter=${s}>
              ${t(`manager.moves.status.${s}`)}
            </button>`,
          )}
        </div>
        <button type="button" class="btn btn-small" onClick=${reload}>${t('manager.refresh')}</button>
        <${CsvButton} name=${`store-moves-${status}`} rows=${rows} columns=${columns} testid="csv-moves" />
      </div>
      <p class="muted small">${t('manager.moves.explain')}</p>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${rows.length
        ? html`<div class="table-wrap">
              <table class="table" data-testid="move-table">
                <thead>
                  <tr>
                    <th>${t('manager.moves.when')}</th>
                    <th>${t('manager.col.store')}</th>
                    <th>${t('manager.moves.by')}</th>
                    <th class="num">${t('manager.moves.distance')}</th>
                    <th>${t('manager.moves.status')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (p) => html`<tr
                      key=${p.id}
                      class=${p.id === selectedId ? 'selected clickable' : 'clickable'}
                      onClick=${() => setSelectedId(p.id)}
                      data-testid="move-row"
                      data-proposal-id=${p.id}
                    >
                      <td class="small">${fmt.dateTime(p.proposed_at)}</td>
                      <td><button type="button" class="link">${nameOf(p)}</button>${p.note ? html`<div class="muted small">${p.note}</div>` : null}</td>
                      <td>${region.repName(p.proposed_by)}</td>
                      <td class="num">${fmt.distance(p.distance_m)}</td>
                      <td><span class=${p.status === 'pending' ? 'tag tag-warn' : 'tag'}>${t(`manager.moves.status.${p.status}`)}</span></td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} testid="moves-pager" />`
        : html`<p class="empty">${loading ? t('app.loading') : t(status === 'pending' ? 'manager.moves.noneOpen' : 'manager.moves.none')}</p>`}
    </section>
    ${selected
      ? html`<${Decide}
          key=${selected.id}
          proposal=${selected}
          name=${nameOf(selected)}
          region=${region}
          onDone=${() => {
            setSelectedId(null);
            reload();
          }}
        />`
      : rows.length
        ? html`<p class="muted small">${t('manager.moves.pick')}</p>`
        : null}
  </div>`;
}
