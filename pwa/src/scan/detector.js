// Barcode reading for IMEI labels: the browser's own BarcodeDetector where it reads the linear
// codes IMEI labels use, else the `barcode-detector` ponyfill (ZXing compiled to WebAssembly).
//
// Offline: the ponyfill would fetch its .wasm from a CDN by default. Here the .wasm is a build
// asset of the app (Vite `?url` import: hashed file under /assets, same origin), precached by the
// service worker like the rest of the shell, and `locateFile` points ZXing at it. This module and
// the ponyfill are loaded with dynamic import() only when someone scans.
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';
import { imeiProblem } from '../warranty/rules.js';

/** Formats tried, in the browser's names: IMEI labels are Code 128 (sometimes Code 39, EAN,
 * ITF); some boxes also carry a QR or Data Matrix code with the IMEIs. */
export const FORMATS = ['code_128', 'code_39', 'ean_13', 'ean_8', 'itf', 'upc_a', 'qr_code', 'data_matrix'];
const LINEAR = ['code_128', 'ean_13'];

export const WASM_URL = wasmUrl;

let ponyfill = null;

// One overrides object for every prepareZXingModule() call: ZXing compares overrides shallowly
// and would fetch and compile the .wasm again for a new one.
const OVERRIDES = {
  locateFile: (path, prefix) =>
    path.endsWith('.wasm') ? new URL(wasmUrl, globalThis.location?.href ?? 'http://localhost/').href : prefix + path,
};

/** The ponyfill module, with ZXing told where the app's own copy of the .wasm is. */
export async function loadPonyfill() {
  if (!ponyfill) {
    ponyfill = import('barcode-detector/ponyfill').then((mod) => {
      mod.prepareZXingModule({ overrides: OVERRIDES });
      return mod;
    });
    ponyfill.catch(() => {
      ponyfill = null; // try again next time
    });
  }
  return ponyfill;
}

/**
 * Get ready to scan before anyone taps "Scan": load the ponyfill and compile ZXing's .wasm now
 * (where the browser has no detector of its own). Once compiled it stays in the page, so a
 * scan works offline even in the first session after install, before the service worker
 * controls the page. Resolves to true when ready; never rejects.
 */
export async function warmUp({ win = globalThis } = {}) {
  try {
    if (win && 'BarcodeDetector' in win) return true;
    const mod = await loadPonyfill();
    await mod.prepareZXingModule({ overrides: OVERRIDES, fireImmediately: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * A detector `{detect(source) → [{rawValue, format}], native: boolean}`. `win` is where a native
 * `BarcodeDetector` would be (window); `load` loads the ponyfill (tests replace it).
 */
export async function createDetector({ win = globalThis, load = loadPonyfill } = {}) {
  if (win && 'BarcodeDetector' in win && typeof win.BarcodeDetector === 'function') {
    try {
      const supported = (await win.BarcodeDetector.getSupportedFormats?.()) ?? [];
      const formats = FORMATS.filter((f) => supported.includes(f));
      if (LINEAR.some((f) => formats.includes(f))) {
        const native = new win.BarcodeDetector({ formats });
        return { detect: (source) => native.detect(source), native: true, formats };
      }
    } catch {
      // a native detector that cannot say what it reads: use ZXing
    }
  }
  const { BarcodeDetector } = await load();
  const detector = new BarcodeDetector({ formats: FORMATS });
  return { detect: (source) => detector.detect(source), native: false, formats: FORMATS };
}

/**
 * The IMEI in a barcode's text, or null: a run of exactly 15 digits with a valid check digit
 * (labels print `IMEI1:86…`, boxes' QR codes list several values; the first valid IMEI wins).
 */
export function imeiFromBarcode(raw) {
  const runs = String(raw ?? '').match(/\d+/g) || [];
  for (const run of runs) if (run.length === 15 && imeiProblem(run) === null) return run;
  return null;
}

/** The distinct valid IMEIs of detected barcodes, in order. */
export function imeisOf(barcodes) {
  const out = [];
  for (const b of barcodes || []) {
    const imei = imeiFromBarcode(b?.rawValue);
    if (imei && !out.includes(imei)) out.push(imei);
  }
  return out;
}
