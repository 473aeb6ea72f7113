// "Scan": the camera reads the barcode of an IMEI label. The detector (the browser's own, or the
// ZXing ponyfill and its .wasm, which the service worker precaches) is loaded only when the
// scanner opens. Where the camera cannot stream (no permission, no getUserMedia), a photo of the
// label is read instead. Typing the IMEI always works.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';

const SCAN_EVERY_MS = 250;

let detectorPromise = null;
let warmed = null;

/** Load the scanner (and compile ZXing) in idle time, once per page: see scan/detector.js warmUp. */
export function warmScanner() {
  if (warmed || typeof window === 'undefined') return;
  warmed = true;
  const run = () =>
    import('../scan/detector.js')
      .then((m) => m.warmUp())
      .then((ok) => {
        if (!ok) warmed = null; // offline before anything was cached: try again next time
      })
      .catch(() => {
        warmed = null;
      });
  if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: 3000 });
  else setTimeout(run, 1000);
}
/** One detector per page, created on first use (dynamic import: not in the first page's JS). */
function getDetector() {
  if (!detectorPromise) {
    detectorPromise = import('../scan/detector.js').then((m) =>
      m.createDetector().then((d) => ({ ...d, imeisOf: m.imeisOf })),
    );
    detectorPromise.catch(() => {
      detectorPromise = null;
    });
  }
  return detectorPromise;
}

function cameraError(err) {
  const name = err?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return t('scan.denied');
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NoCamera') return t('scan.noCamera');
  return t('scan.failed', { message: err?.message || String(err) });
}

/** The full-screen camera view; `onImeis([imei, …])` once a label with a valid IMEI is read. */
function ScannerDialog({ onImeis, onClose }) {
  const video = useRef(null);
  const [state, setState] = useState('starting'); // starting | scanning | error
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState(null);

  useEffect(() => {
    let stopped = false;
    let timer = null;
    let stream = null;
    const detector = getDetector();
    detector.catch(() => {}); // reported where it is awaited

    async function loop(d) {
      if (stopped) return;
      const v = video.current;
      try {
        if (v && v.readyState >= 2 && v.videoWidth) {
          const found = d.imeisOf(await d.detect(v));
          if (found.length && !stopped) {
            stopped = true;
            onImeis(found);
            return;
          }
        }
      } catch (err) {
        console.error('barcode detection failed', err);
      }
      if (!stopped) timer = setTimeout(() => loop(d), SCAN_EVERY_MS);
    }

    (async () => {
      const media = typeof navigator !== 'undefined' && navigator.mediaDevices;
      if (!media?.getUserMedia) throw Object.assign(new Error('no camera'), { name: 'NoCamera' });
      stream = await media.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
      if (stopped) return;
      const v = video.current;
      v.srcObject = stream;
      await v.play().catch(() => {});
      const d = await detector;
      if (stopped) return;
      setState('scanning');
      loop(d);
    })().catch((err) => {
      if (stopped) return;
      console.warn('camera scanning unavailable', err);
      setState('error');
      setError(cameraError(err));
    });

    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (stream) for (const track of stream.getTracks()) track.stop();
    };
  }, []);

  async function onPhoto(ev) {
    const file = ev.currentTarget.files?.[0];
    ev.currentTarget.value = '';
    if (!file) return;
    setBusy(true);
    setNote(null);
    try {
      const d = await getDetector();
      // The native detector wants an image (ImageBitmap); the ponyfill also reads a Blob.
      const source = d.native && typeof createImageBitmap === 'function' ? await createImageBitmap(file) : file;
      const found = d.imeisOf(await d.detect(source));
      if (found.length) onImeis(found);
      else setNote(t('scan.nothing'));
    } catch (err) {
      console.error(err);
      setNote(t('scan.failed', { message: err.message || String(err) }));
    } finally {
      setBusy(false);
    }
  }

  return html`<div class="scanner" role="dialog" aria-modal="true" aria-label=${t('scan.title')} data-testid="scanner">
    <div class="scanner-view">
      <video ref=${video} muted playsinline autoplay></video>
      ${state === 'scanning' ? html`<div class="scanner-frame" aria-hidden="true"></div>` : null}
    </div>
    <div class="scanner-bar">
      <p class="small" role="status">
        ${state === 'starting' ? t('scan.starting') : state === 'scanning' ? t('scan.hint') : error}
      </p>
      ${note ? html`<p class="small">${note}</p>` : null}
      <div class="btn-row">
        <label class="btn">
          ${busy ? '…' : t('scan.photo')}
          <input type="file" accept="image/*" capture="environment" class="visually-hidden" onChange=${onPhoto} disabled=${busy} data-testid="scanner-photo" />
        </label>
        <button type="button" class="btn" onClick=${onClose} data-testid="scanner-close">${t('common.close')}</button>
      </div>
    </div>
  </div>`;
}

/** A "Scan" button opening the camera; `onImeis([imei, …])` gets the valid IMEIs read. */
export function ScanButton({ onImeis, testid = 'scan', disabled }) {
  const [open, setOpen] = useState(false);
  useEffect(warmScanner, []);
  return html`<button
      type="button"
      class="btn scan-btn"
      onClick=${() => setOpen(true)}
      disabled=${disabled}
      data-testid=${testid}
      aria-label=${t('scan.button')}
    >
      ${t('scan.button')}
    </button>
    ${
      open
        ? html`<${ScannerDialog}
          onImeis=${(list) => {
            setOpen(false);
            onImeis(list);
          }}
          onClose=${() => setOpen(false)}
        />`
        : null
    }`;
}
