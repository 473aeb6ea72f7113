// New-store reports (reps' intel): a store opening, a new store, a closing or a move. For each
// pending report: the reported point and the known stores that may be the same place (any within
// DUPLICATE_STORE_RADIUS_M, or a similar name within INTEL_DUPLICATE_RADIUS_M) on a small map; approve (creates the store, closes it, moves it), mark as a duplicate of one of
// the candidates, or reject with a note.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import { CsvButton, ErrorBanner, PhotoThumb, RefreshButton, useAction, usePaged } from '../desk/kit.js';
import * as mapi from './api.js';
import { ReviewQueue } from './common.js';
import { dupRule, whyCandidate } from './reports.js';

export const KINDS = ['new_store', 'opening', 'closing', 'moving', 'renovation', 'new_competitor_counter'];
const STATUSES = ['pending', 'confirmed', 'duplicate', 'rejected'];
const CREATES = new Set(['new_store', 'opening']);

function Review({ report, region, onDone }) {
  const [stores, setStores] = useState({}); // candidate store id → store
  const [dup, setDup] = useState(report.duplicate_candidates[0] ? report.duplicate_candidates[0].store_id : null);
  const [note, setNote] = useState('');
  const [name, setName] = useState(report.name);
  const [code, setCode] = useState('');
  const [tier, setTier] = useState('C');
  const [kind, setKind] = useState('shop');
  const { busy, error, run } = useAction();
  const pending = report.status === 'pending';

  useEffect(() => {
    let alive = true;
    const ids = [...report.duplicate_candidates.map((c) => c.store_id), report.store_id].filter(
      (x) => x !== null && x !== undefined,
    );
    Promise.all(ids.map((id) => mapi.store(id).catch(() => null))).then((list) => {
      if (alive) setStores(Object.fromEntries(list.filter(Boolean).map((s) => [s.id, s])));
    });
    return () => {
      alive = false;
    };
  }, [report.id]);

  const markers = useMemo(() => {
    const out = [
      {
        id: 'report',
        lat: report.latitude,
        lon: report.longitude,
        label: 'R',
        kind: 'square',
        tone: 'warn',
        title: t('manager.report.reported', { name: report.name }),
        testid: 'report-marker',
      },
    ];
    report.duplicate_candidates.forEach((c, i) => {
      const s = stores[c.store_id];
      if (s)
        out.push({
          id: c.store_id,
          lat: s.latitude,
          lon: s.longitude,
          label: String(i + 1),
          tone: c.store_id === dup ? 'err' : 'brand',
          title: `${i + 1}. ${c.store_name} · ${fmt.distance(c.distance_m)}`,
          testid: 'candidate-marker',
        });
    });
    const known = report.store_id !== null && report.store_id !== undefined ? stores[report.store_id] : null;
    if (known && !report.duplicate_candidates.some((c) => c.store_id === known.id)) {
      out.push({
        id: known.id,
        lat: known.latitude,
        lon: known.longitude,
        label: 'S',
        kind: 'square',
        tone: 'alt',
        title: known.name,
      });
    }
    return out;
  }, [report.id, stores, dup]);
  const lines = useMemo(() => {
    const known = report.kind === 'moving' && report.store_id ? stores[report.store_id] : null;
    return known
      ? [
          {
            id: 'move',
            points: [
              [known.latitude, known.longitude],
              [report.latitude, report.longitude],
            ],
            tone: 'alt',
            dashed: true,
            weight: 2,
          },
        ]
      : [];
  }, [report.id, stores]);

  function decide(decision) {
    if (decision === 'reject' && !note.trim() && !confirm(t('manager.report.rejectNoNote'))) return;
    const body = { decision, ...(note.trim() ? { note: note.trim() } : {}) };
    if (decision === 'duplicate') body.store_id = dup;
    if (decision === 'approve' && CREATES.has(report.kind)) {
      body.store = { name: name.trim() || report.name, tier, kind, ...(code.trim() ? { code: code.trim() } : {}) };
    }
    run(async () => {
      await mapi.reviewReport(report.id, body);
      onDone();
    });
  }

  const known = report.store_id ? stores[report.store_id] : null;
  return html`<section class="card" data-testid="report-review" data-report-id=${report.id}>
    <h3>${t(`manager.kind.${report.kind}`)} · ${report.name}</h3>
    <div class="mgr-two">
      <div>
        <dl class="facts">
          <dt>${t('manager.report.address')}</dt><dd>${report.address || '–'}</dd>
          <dt>${t('manager.report.by')}</dt><dd>${region.repName(report.rep_id)} · ${fmt.dateTime(report.reported_at)}</dd>
          <dt>${t('manager.report.position')}</dt><dd class="mono small">${report.latitude.toFixed(5)}, ${report.longitude.toFixed(5)}${report.accuracy_m ? ` (±${fmt.distance(report.accuracy_m)})` : ''}</dd>
          ${report.store_id ? html`<dt>${t('manager.report.knownStore')}</dt><dd>${known ? known.name : `#${report.store_id}`}</dd>` : null}
          ${report.notes ? html`<dt>${t('common.notes')}</dt><dd>${report.notes}</dd>` : null}
          ${!pending ? html`<dt>${t('manager.report.status')}</dt><dd>${t(`manager.report.status.${report.status}`)}${report.review_note ? ` · ${report.review_note}` : ''}</dd>` : null}
        </dl>
        ${report.photo_ids?.length ? html`<div class="mgr-photos">${report.photo_ids.map((id) => html`<${PhotoThumb} key=${id} id=${id} />`)}</div>` : null}
        <h4 data-testid="candidates-heading">${t('manager.report.dup.heading', { n: report.duplicate_candidates.length, ...dupRule(report) })}</h4>
        ${
          report.duplicate_candidates.length
            ? html`<table class="table" data-testid="candidates">
              <tbody>
                ${report.duplicate_candidates.map(
                  (c, i) => html`<tr key=${c.store_id} data-testid="candidate" data-store-id=${c.store_id}>
                    <td>
                      <label class="mgr-inline">
                        <input type="radio" name=${`dup-${report.id}`} checked=${dup === c.store_id} disabled=${!pending} onChange=${() => setDup(c.store_id)} />
                        <span class="mgr-num">${i + 1}</span> ${c.store_name}
                      </label>
                    </td>
                    <td class="num">${fmt.distance(c.distance_m)}</td>
                    <td class="num small">${t('manager.report.similar', { p: fmt.percent(c.name_similarity || 0) })}</td>
                    <td class="small"><span class=${`tag ${whyCandidate(c, dupRule(report)) === 'close' ? 'tag-warn' : ''}`} data-testid="candidate-why">${t(`manager.report.dup.${whyCandidate(c, dupRule(report))}`)}</span></td>
                  </tr>`,
                )}
              </tbody>
            </table>`
            : html`<p class="muted small">${t('manager.report.dup.none', dupRule(report))}</p>`
        }
      </div>
      <${MapView} markers=${markers} lines=${lines} height="280px" maxZoom=${18} label=${t('manager.report.map')} />
    </div>
    ${
      pending
        ? html`<div class="mgr-review">
          ${
            CREATES.has(report.kind)
              ? html`<div class="toolbar">
                <label class="mgr-inline"><span>${t('manager.report.storeName')}</span><input type="text" value=${name} maxlength="200" onInput=${(e) => setName(e.currentTarget.value)} /></label>
                <label class="mgr-inline"><span>${t('manager.col.code')}</span><input type="text" value=${code} maxlength="32" placeholder=${t('common.optional')} onInput=${(e) => setCode(e.currentTarget.value)} style="width:8rem" /></label>
                <label class="mgr-inline"><span>${t('manager.cov.tier')}</span><select value=${tier} onChange=${(e) => setTier(e.currentTarget.value)}>${['A', 'B', 'C'].map((x) => html`<option key=${x} value=${x}>${x}</option>`)}</select></label>
                <label class="mgr-inline"><span>${t('manager.report.storeKind')}</span><select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
                  <option value="shop">${t('manager.report.kind.shop')}</option><option value="counter">${t('manager.report.kind.counter')}</option>
                </select></label>
              </div>`
              : html`<p class="muted small">${t(report.kind === 'closing' || report.kind === 'moving' ? `manager.report.approveMeans.${report.kind}` : 'manager.report.approveConfirms')}</p>`
          }
          <label class="field">
            <span class="label">${t('manager.report.note')}</span>
            <input type="text" maxlength="500" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} data-testid="review-note" />
          </label>
          <div class="btn-row">
            <button type="button" class="btn btn-primary" disabled=${busy} onClick=${() => decide('approve')} data-testid="approve">${t('manager.report.approve')}</button>
            <button type="button" class="btn btn-warn" disabled=${busy || !dup} onClick=${() => decide('duplicate')} data-testid="duplicate">
              ${dup ? t('manager.report.duplicateOf', { name: report.duplicate_candidates.find((c) => c.store_id === dup)?.store_name || `#${dup}` }) : t('manager.report.duplicate')}
            </button>
            <button type="button" class="btn btn-danger" disabled=${busy} onClick=${() => decide('reject')} data-testid="reject">${t('manager.report.reject')}</button>
          </div>
          <${ErrorBanner} error=${error} />
        </div>`
        : null
    }
  </section>`;
}

export function Reports({ region }) {
  const [status, setStatus] = useState('pending');
  const [kind, setKind] = useState('');
  const list = usePaged((paging) => mapi.intelReports({ status, kind: kind || undefined }, paging), [status, kind], {
    pageSize: 25,
  });
  const columns = [
    { key: 'id', label: 'ID' },
    { key: 'kind', label: t('manager.report.kind'), value: (r) => t(`manager.kind.${r.kind}`) },
    { key: 'name', label: t('manager.report.storeName') },
    { key: 'address', label: t('manager.report.address') },
    { key: 'latitude', label: t('manager.col.lat') },
    { key: 'longitude', label: t('manager.col.lon') },
    { key: 'rep', label: t('manager.report.by'), value: (r) => region.repName(r.rep_id) },
    { key: 'reported_at', label: t('manager.report.when') },
    { key: 'status', label: t('manager.report.status') },
    {
      key: 'candidates',
      label: t('manager.report.candidatesCol'),
      value: (r) => r.duplicate_candidates.map((c) => `${c.store_name} (${Math.round(c.distance_m)} m)`).join('; '),
    },
    { key: 'review_note', label: t('manager.report.note') },
  ];
  return html`<${ReviewQueue}
    testid="reports"
    list=${list}
    tableTestid="report-table"
    pagerTestid="reports-pager"
    head=${html`<th>${t('manager.report.kind')}</th>
      <th>${t('manager.report.storeName')}</th>
      <th>${t('manager.report.by')}</th>
      <th>${t('manager.report.when')}</th>
      <th>${t('manager.report.candidatesCol')}</th>`}
    cells=${(r) => html`<td><span class="tag">${t(`manager.kind.${r.kind}`)}</span></td>
      <td><button type="button" class="link">${r.name}</button><div class="muted small">${r.address}</div></td>
      <td>${region.repName(r.rep_id)}</td>
      <td class="small">${fmt.dateTime(r.reported_at)}</td>
      <td>${r.duplicate_candidates.length ? html`<span class="tag tag-warn" data-testid="report-candidates">${t('manager.report.dup.n', { n: r.duplicate_candidates.length })}</span>` : '–'}</td>`}
    rowProps=${(r) => ({ 'data-testid': 'report-row', 'data-report-id': r.id })}
    empty=${t('manager.report.none')}
    hint=${t('manager.report.pick')}
    review=${(r, done) => html`<${Review} key=${r.id} report=${r} region=${region} onDone=${done} />`}
  >
    <div class="toolbar">
      <h2 style="margin:0">${t('manager.nav.reports')}</h2>
      <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)} aria-label=${t('manager.report.status')} data-testid="report-status">
        ${STATUSES.map((s) => html`<option key=${s} value=${s}>${t(`manager.report.status.${s}`)}</option>`)}
      </select>
      <select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)} aria-label=${t('manager.report.kind')} data-testid="report-kind">
        <option value="">${t('manager.report.allKinds')}</option>
        ${KINDS.map((k) => html`<option key=${k} value=${k}>${t(`manager.kind.${k}`)}</option>`)}
      </select>
      <${RefreshButton} onClick=${list.reload} />
      <${CsvButton} name=${`store-reports-${status}`} rows=${list.rows} columns=${columns} testid="csv-reports" />
    </div>
    <${ErrorBanner} error=${list.error} onRetry=${list.reload} />
  </${ReviewQueue}>`;
}
