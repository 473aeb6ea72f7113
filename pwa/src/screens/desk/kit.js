// The desk kit: what HQ's and the regional managers' desktop screens (screens/hq/, screens/manager/;
// online only, plain REST through src/api.js) share. Its strings are in ./i18n (loaded first).
//
//   apiMessage(err)                   a user-facing sentence for a failed request
//   <ErrorBanner error onRetry?>      that sentence in a red banner, with "Retry" when onRetry
//   useRemote(load, deps, {skip})     {data, loading, error, reload} of an async load
//   usePaged(load, deps, {pageSize})  one page of a paginated list: useRemote + {rows, page, setPage}
//   useAction()                       {busy, error, run(fn, tag?)} of a button's request
//   <Pager pagination page onPage>    "Page 2 of 7 (130)" with previous / next
//   <RefreshButton onClick>           the toolbar's "Refresh"
//   <Segmented label options value onChange attr?>   a row of toggle buttons (filters)
//   <CsvButton name rows columns>     "Export CSV" of a table (components/csv.js)
//   fetchAllPages(load, {maxRows})    every item of a paginated list (for an export; ./paging.js)
//   usePhoto(id, variant), <PhotoThumb id>   a stored photo fetched with the bearer token, its
//                                     thumbnail opening the larger copy
//   <PhotoButton id alt onOpen>, <PhotoViewer list index onIndex onClose>   the thumbnail and the
//                                     larger copy over the page (stepping through several: a visit's)
import './i18n/index.js'; // the kit's strings, added before any of its modules runs
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { reasonText, t } from '../../i18n/index.js';
import { photoFile } from '../../api.js';
import { csvFilename, downloadCsv } from '../../components/csv.js';
import { useObjectUrl } from '../../components/hooks.js';
import './desk.css';

export { EXPORT_MAX_ROWS, fetchAllPages } from './paging.js';

// --- errors --------------------------------------------------------------------------------------

/** A user-facing sentence for a failed request (an ApiError of src/api.js, or any error). */
export function apiMessage(err) {
  if (!err) return '';
  if (err.status === 0 || err.code === 'network') return t('desk.offline');
  if (err.status === 401) return t('app.sessionExpired');
  if (err.status === 403 && !err.reason) return t('desk.forbidden');
  const reason = reasonText(err);
  if (reason) return reason;
  // Without a reason the server's message is the framework's English ("The requested URL was not
  // found on the server…"): a record not there or out of the reader's scope, or a server fault.
  if (err.status === 404) return t('desk.notFound');
  if (err.status >= 500) return t('desk.serverError');
  return err.message || String(err);
}

export function ErrorBanner({ error, onRetry }) {
  if (!error) return null;
  return html`<div class="banner banner-err" role="alert">
    <span class="grow">${apiMessage(error)}</span>
    ${onRetry ? html`<button type="button" class="btn btn-small" onClick=${onRetry}>${t('common.retry')}</button>` : null}
  </div>`;
}

// --- loading -------------------------------------------------------------------------------------

/** `{data, loading, error, reload}` of `load()`, re-run when `deps` change (`skip`: load nothing). */
export function useRemote(load, deps = [], { skip = false } = {}) {
  const [state, setState] = useState({ data: null, loading: !skip, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (skip) {
      setState({ data: null, loading: false, error: null });
      return undefined;
    }
    let alive = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve()
      .then(load)
      .then(
        (data) => alive && setState({ data, loading: false, error: null }),
        (error) => {
          if (!alive) return;
          if (!error || error.status === undefined) console.error(error);
          setState((s) => ({ ...s, loading: false, error }));
        },
      );
    return () => {
      alive = false;
    };
  }, [...deps, skip, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

/** One page of a paginated list: `load({page, pageSize})` → `{items, pagination}`, asked again when
 * `deps` or the page change; a change of `deps` goes back to page 1. `useRemote`'s fields plus
 * `{rows, page, setPage}` (`rows`: the page's items, [] until loaded). */
export function usePaged(load, deps, { pageSize = 50 } = {}) {
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), deps);
  const remote = useRemote(() => load({ page, pageSize }), [...deps, page]);
  return { ...remote, rows: remote.data?.items || [], page, setPage };
}

/** A button's request: `run(fn, tag)` calls `fn()`; while it runs `busy` is `tag` (default true;
 * e.g. the id of the row whose button was pressed), afterwards null; what it threw is `error`
 * (for ErrorBanner; cleared by the next run). Resolves to fn's result, or undefined when it failed. */
export function useAction() {
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  async function run(fn, tag = true) {
    setBusy(tag);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      if (!err || err.status === undefined) console.error(err);
      setError(err);
      return undefined;
    } finally {
      setBusy(null);
    }
  }
  return { busy, error, run };
}

// --- toolbar and paging --------------------------------------------------------------------------

/** "Page 2 of 7 (130)" with previous / next; "130 in all" when there is one page. */
export function Pager({ pagination, page, onPage, testid = 'pager' }) {
  if (!pagination) return null;
  const pages = pagination.total_pages || 1;
  if (pages <= 1)
    return html`<p class="muted small" data-testid=${testid}>${t('desk.total', { n: pagination.total ?? 0 })}</p>`;
  return html`<div class="pager" data-testid=${testid}>
    <button type="button" class="btn btn-small" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>‹ ${t('desk.prev')}</button>
    <span class="small">${t('desk.page', { page, pages, n: pagination.total ?? 0 })}</span>
    <button type="button" class="btn btn-small" disabled=${page >= pages} onClick=${() => onPage(page + 1)}>${t('desk.next')} ›</button>
  </div>`;
}

export function RefreshButton({ onClick }) {
  return html`<button type="button" class="btn btn-small" onClick=${onClick}>${t('desk.refresh')}</button>`;
}

/** Toggle buttons, one pressed: `options` [[value, text]]; each button has `data-<attr>=<value>`. */
export function Segmented({ label, options, value, onChange, testid, attr = 'value' }) {
  return html`<div class="segmented" role="group" aria-label=${label} data-testid=${testid}>
    ${options.map(
      ([
        v,
        text,
      ]) => html`<button type="button" key=${v} aria-pressed=${v === value ? 'true' : 'false'} onClick=${() => onChange(v)} ...${{ [`data-${attr}`]: v }}>
        ${text}
      </button>`,
    )}
  </div>`;
}

/** "Export CSV" of a table: `rows` (an array — the button is disabled while it is empty —, or a
 * function or promise of one, e.g. `() => fetchAllPages(…)` for a table that pages through the
 * server) under `columns` [{key, label, value?}] (or a function returning them), saved as
 * `<name>-<today>.csv` (UTF-8 with BOM: Excel opens Chinese). A failure shows in the tooltip. */
export function CsvButton({ name, rows, columns, disabled = false, testid = 'export-csv' }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const empty = Array.isArray(rows) && !rows.length;
  async function run() {
    setBusy(true);
    setError(null);
    try {
      const list = typeof rows === 'function' ? await rows() : await rows;
      const cols = typeof columns === 'function' ? columns() : columns;
      downloadCsv(csvFilename(name), list || [], cols || []);
    } catch (err) {
      if (!err || err.status === undefined) console.error(err);
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<button
    type="button"
    class="btn btn-small csv-btn"
    onClick=${run}
    disabled=${disabled || empty || busy}
    data-testid=${testid}
    data-error=${error ? 'true' : undefined}
    title=${error ? apiMessage(error) : t('desk.csvHint')}
  >
    ${busy ? t('desk.exporting') : t('desk.exportCsv')}
  </button>`;
}

// --- photos --------------------------------------------------------------------------------------

/** A stored photo (`variant` thumb | display | full): `{blob, error}` (error: an ApiError, 409
 * while the server still processes it). `id` null: nothing fetched. */
export function usePhoto(id, variant = 'thumb') {
  const [state, setState] = useState({ blob: null, error: null });
  useEffect(() => {
    if (!id) return undefined;
    const controller = typeof AbortController !== 'undefined' ? new AbortController() : null;
    setState({ blob: null, error: null });
    photoFile(id, variant, { signal: controller?.signal }).then(
      (blob) => setState({ blob, error: null }),
      (error) => {
        if (error && error.name === 'AbortError') return;
        setState({ blob: null, error });
      },
    );
    return () => controller?.abort();
  }, [id, variant]);
  return state;
}

/** A photo's thumbnail as a button (`alt` names it) that calls `onOpen`. `waiting`: the text shown
 * instead while the photo is not on the server yet (the button disabled, nothing fetched);
 * `className` its size (photo-thumb, vd-thumb…); `attrs` more attributes (data-*). */
export function PhotoButton({ id, alt, onOpen, waiting = null, className = 'photo-thumb', testid, attrs = {} }) {
  const { blob, error } = usePhoto(waiting ? null : id, 'thumb');
  const url = useObjectUrl(blob);
  const processing = error && error.status === 409;
  return html`<button
    type="button"
    class=${className}
    onClick=${onOpen}
    disabled=${!!waiting}
    aria-label=${alt}
    title=${waiting || (error && !processing ? apiMessage(error) : alt)}
    data-testid=${testid}
    data-loaded=${url ? 'true' : error ? 'error' : 'false'}
    ...${attrs}
  >
    ${
      url
        ? html`<img src=${url} alt="" loading="lazy" />`
        : html`<span class="small muted">${waiting || (processing ? t('desk.photoPending') : error ? '✕' : '…')}</span>`
    }
  </button>`;
}

/** A photo's thumbnail (`label`: its alt text); a click shows the larger copy. */
export function PhotoThumb({ id, label = null, testid = 'photo-thumb' }) {
  const [open, setOpen] = useState(false);
  const alt = label || t('desk.photo');
  return html`<span class="photo-thumb-wrap">
    <${PhotoButton} id=${id} alt=${alt} onOpen=${() => setOpen(true)} testid=${testid} />
    ${open ? html`<${PhotoViewer} list=${[{ id, alt }]} index=${0} onClose=${() => setOpen(false)} testid="photo-thumb-viewer" full=${false} />` : null}
  </span>`;
}

/** The larger copy over the page, a modal dialog. `list`: [{id, alt, note?}] (`note`: shown under
 * the photo), `index` the one shown; with several, ← → and the buttons step through them
 * (`onIndex`). `full`: offer the full-resolution copy. Esc, the close button or a click beside the
 * photo closes it; the focus goes to the close button and back to what opened it. */
export function PhotoViewer({ list, index = 0, onIndex = () => {}, onClose, full = true, testid = 'photo-viewer' }) {
  const item = list[index];
  const several = list.length > 1;
  const [large, setLarge] = useState(false);
  const { blob, error } = usePhoto(item?.id, large ? 'full' : 'display');
  const url = useObjectUrl(blob);
  const closeRef = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    closeRef.current?.focus();
    return () => opener?.focus?.();
  }, []);
  useEffect(() => setLarge(false), [index]);
  useEffect(() => {
    const onKey = (e) => {
      if (e.key === 'Escape') onClose();
      else if (e.key === 'ArrowLeft' && index > 0) onIndex(index - 1);
      else if (e.key === 'ArrowRight' && index < list.length - 1) onIndex(index + 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [index, list.length]);
  if (!item) return null;
  return html`<div class="photo-viewer" role="dialog" aria-modal="true" aria-label=${item.alt} data-testid=${testid}>
    <div class="photo-viewer-bar">
      <span class="grow">${several ? `${t('desk.viewer', { n: index + 1, total: list.length })} · ` : ''}${item.alt}</span>
      ${
        several
          ? html`<button type="button" class="btn btn-small" disabled=${index === 0} onClick=${() => onIndex(index - 1)}>‹ ${t('desk.prevPhoto')}</button>
            <button type="button" class="btn btn-small" disabled=${index >= list.length - 1} onClick=${() => onIndex(index + 1)}>${t('desk.nextPhoto')} ›</button>`
          : null
      }
      ${full ? html`<button type="button" class="btn btn-small" aria-pressed=${large ? 'true' : 'false'} onClick=${() => setLarge(!large)} data-testid="viewer-full">${t('desk.fullSize')}</button>` : null}
      <button type="button" class="btn btn-small" ref=${closeRef} onClick=${onClose} data-testid="viewer-close">${t('desk.close')}</button>
    </div>
    <div class="photo-viewer-body" onClick=${onClose}>
      ${url ? html`<img src=${url} alt=${item.alt} data-testid="viewer-image" data-variant=${large ? 'full' : 'display'} onClick=${(e) => e.stopPropagation()} />` : html`<span>${error ? apiMessage(error) : t('app.loading')}</span>`}
    </div>
    ${item.note ? html`<div class="photo-viewer-note">${item.note}</div>` : null}
  </div>`;
}
