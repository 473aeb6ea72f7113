// Shipment imports: upload a CSV of shipped units (IMEI → model, ship date, region, partner), follow
// each import's progress while the server works through it (polled every second), see its counts
// and the rows it could not load, with the reason.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmt, reasonText, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { apiMessage, CsvButton, ErrorBanner, fetchAllPages, Pager, useRemote } from '../desk/kit.js';
import { noticeOf, noticeText } from './importNotice.js';

const POLL_MS = 1000;
const ACTIVE = new Set(['queued', 'running']);
const STATUS_TAG = { queued: '', running: 'tag-warn', done: 'tag-ok', failed: 'tag-err' };

function Progress({ imp }) {
  const p = Math.max(0, Math.min(1, Number(imp.progress) || 0));
  return html`<div class="import-progress" data-testid="import-progress">
    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.round(p * 100)}>
      <div style=${`width:${p * 100}%`}></div>
    </div>
    <span class="small muted">${fmt.percent(p)} · ${fmt.bytes(imp.processed_bytes)} / ${fmt.bytes(imp.total_bytes)}</span>
  </div>`;
}

/** Why a row was not loaded, in the UI language (its reason code and params), else the server's text. */
export function rowReason(r) {
  return reasonText({ reason: r.code, params: r.params }) || r.reason;
}

/** Why an import stopped, in the UI language when it has a reason code, else the server's text. */
export function importError(imp) {
  return reasonText({ reason: imp.error_code, params: imp.error_params }) || imp.error;
}

function ImportRow({ imp, selected, onSelect }) {
  const active = ACTIVE.has(imp.status);
  return html`<tr
    class=${selected ? 'selected' : ''}
    onClick=${() => onSelect(imp.id)}
    data-testid="import-row"
    data-import-id=${imp.id}
    data-status=${imp.status}
  >
    <td>
      <button type="button" class="link" onClick=${(e) => {
        e.stopPropagation();
        onSelect(imp.id);
      }}>${imp.filename}</button>
      ${imp.duplicate_of != null ? html`<div class="small muted">${t('imports.duplicateOf', { id: imp.duplicate_of })}</div>` : null}
      ${imp.error ? html`<div class="small reason" data-testid="import-error">${importError(imp)}</div>` : null}
    </td>
    <td>
      <span class=${`tag ${STATUS_TAG[imp.status] ?? ''}`}>${t(`imports.status.${imp.status}`)}</span>
      ${active ? html`<${Progress} imp=${imp} />` : null}
    </td>
    <td class="num">${fmt.number(imp.rows_read)}</td>
    <td class="num">${fmt.number(imp.rows_loaded)}</td>
    <td class="num">${fmt.number(imp.rows_unchanged)}</td>
    <td class="num">${imp.rows_bad ? html`<strong class="reason">${fmt.number(imp.rows_bad)}</strong>` : fmt.number(imp.rows_bad)}</td>
    <td class="small">${fmt.dateTime(imp.created_at)}${imp.finished_at ? html`<br /><span class="muted">→ ${fmt.dateTime(imp.finished_at)}</span>` : null}</td>
  </tr>`;
}

function BadRows({ imp }) {
  const { api } = useApp();
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), [imp.id]);
  const { data, loading, error, reload } = useRemote(
    () => api.shipmentImportErrors(imp.id, { page, pageSize: 50 }),
    [imp.id, page, imp.status],
  );
  const rows = data?.items || [];
  return html`<section class="card" data-testid="import-errors">
    <div class="toolbar">
      <h2 style="margin:0">${t('imports.badRows', { name: imp.filename })}</h2>
      <${CsvButton}
        name=${`import-${imp.id}-bad-rows`}
        rows=${() => fetchAllPages((paging) => api.shipmentImportErrors(imp.id, paging))}
        columns=${() => [
          { key: 'line', label: t('imports.line') },
          { key: 'reason', label: t('imports.reason'), value: rowReason },
          { key: 'raw', label: t('imports.raw') },
        ]}
        disabled=${!rows.length}
      />
    </div>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<table class="table">
            <thead>
              <tr><th class="num">${t('imports.line')}</th><th>${t('imports.reason')}</th><th>${t('imports.raw')}</th></tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) => html`<tr key=${r.line} data-testid="import-error-row">
                  <td class="num">${r.line}</td>
                  <td data-code=${r.code || ''}>${rowReason(r)}</td>
                  <td class="mono small">${r.raw}</td>
                </tr>`,
              )}
            </tbody>
          </table>
          <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} />`
        : html`<p class="empty">${loading ? t('app.loading') : ACTIVE.has(imp.status) ? t('imports.stillRunning') : t('imports.noBadRows')}</p>`
    }
  </section>`;
}

export function Imports() {
  const { api } = useApp();
  const [page, setPage] = useState(1);
  const { data, loading, error, reload } = useRemote(() => api.shipmentImports({ page, pageSize: 20 }), [page]);
  const [items, setItems] = useState([]);
  const [selectedId, setSelectedId] = useState(null);
  const [uploading, setUploading] = useState(false);
  const [notice, setNotice] = useState(null);
  const [uploadError, setUploadError] = useState(null);
  const fileInput = useRef(null);

  useEffect(() => {
    if (data) setItems(data.items);
  }, [data]);

  // Poll the imports that are queued or running, one request each per second, until they end.
  const active = items
    .filter((i) => ACTIVE.has(i.status))
    .map((i) => i.id)
    .join(',');
  useEffect(() => {
    if (!active) return undefined;
    let stopped = false;
    let timer = null;
    async function poll() {
      for (const id of active.split(',')) {
        try {
          const fresh = await api.shipmentImport(id);
          if (stopped) return;
          setItems((list) => list.map((x) => (String(x.id) === String(fresh.id) ? fresh : x)));
        } catch (err) {
          if (!err || err.status === undefined) console.error(err);
        }
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    }
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active]);

  async function upload(ev) {
    ev.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setUploadError(t('imports.pickFile'));
      return;
    }
    setUploading(true);
    setUploadError(null);
    setNotice(null);
    try {
      const imp = await api.uploadShipmentImport(file);
      setNotice(noticeOf(imp));
      fileInput.current.value = '';
      setItems((list) => [imp, ...list.filter((x) => String(x.id) !== String(imp.id))]);
      setSelectedId(imp.id);
      if (page !== 1) setPage(1);
      else reload();
    } catch (err) {
      setUploadError(apiMessage(err));
    } finally {
      setUploading(false);
    }
  }

  const selected = items.find((i) => String(i.id) === String(selectedId)) || null;
  const shown = noticeText(notice, items);

  return html`<div data-testid="imports-screen">
    <form class="card" onSubmit=${upload} data-testid="import-upload">
      <h2>${t('imports.upload')}</h2>
      <p class="muted small">${t('imports.format')}</p>
      <div class="input-row" style="align-items:center">
        <input type="file" accept=".csv,text/csv" ref=${fileInput} aria-label=${t('imports.upload')} data-testid="import-file" />
        <button type="submit" class="btn btn-primary" disabled=${uploading} data-testid="import-submit">
          ${uploading ? t('imports.uploading') : t('imports.send')}
        </button>
      </div>
      ${uploadError ? html`<div class="banner banner-err" role="alert" style="margin-top:0.5rem">${uploadError}</div>` : null}
      ${
        shown
          ? html`<div class=${`banner banner-${shown.tone}`} role="status" style="margin-top:0.5rem" data-testid="import-notice" data-busy=${shown.busy ? 'true' : 'false'}>${shown.text}</div>`
          : null
      }
    </form>

    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('imports.list')}</h2>
        <${CsvButton}
          name="shipment-imports"
          rows=${() => fetchAllPages((paging) => api.shipmentImports(paging))}
          columns=${() => [
            { key: 'id', label: 'ID' },
            { key: 'filename', label: t('imports.file') },
            { key: 'status', label: t('imports.statusLabel'), value: (i) => t(`imports.status.${i.status}`) },
            { key: 'rows_read', label: t('imports.read') },
            { key: 'rows_loaded', label: t('imports.loaded') },
            { key: 'rows_unchanged', label: t('imports.unchanged') },
            { key: 'rows_bad', label: t('imports.bad') },
            { key: 'created_at', label: t('imports.when') },
            { key: 'finished_at', label: '→' },
            { key: 'error', label: t('imports.reason') },
          ]}
          disabled=${!items.length}
          testid="export-csv-imports"
        />
      </div>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${
        items.length
          ? html`<div class="table-wrap">
              <table class="table" data-testid="import-list">
                <thead>
                  <tr>
                    <th>${t('imports.file')}</th>
                    <th>${t('imports.statusLabel')}</th>
                    <th class="num">${t('imports.read')}</th>
                    <th class="num">${t('imports.loaded')}</th>
                    <th class="num">${t('imports.unchanged')}</th>
                    <th class="num">${t('imports.bad')}</th>
                    <th>${t('imports.when')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${items.map(
                    (imp) => html`<${ImportRow}
                      key=${imp.id}
                      imp=${imp}
                      selected=${String(imp.id) === String(selectedId)}
                      onSelect=${setSelectedId}
                    />`,
                  )}
                </tbody>
              </table>
            </div>
            <${Pager} pagination=${data?.pagination} page=${page} onPage=${setPage} />`
          : html`<p class="empty">${loading ? t('app.loading') : t('imports.none')}</p>`
      }
    </section>
    ${selected ? html`<${BadRows} imp=${selected} />` : html`<p class="muted small">${t('imports.pickOne')}</p>`}
  </div>`;
}
