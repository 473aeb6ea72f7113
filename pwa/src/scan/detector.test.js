// The scanner's detector: the native BarcodeDetector when it reads IMEI labels' codes, else the
// ponyfill, whose .wasm comes from the app's own assets (never a CDN) — checked here by decoding a
// real Code 128 label image with the .wasm fetched from the URL the app gives ZXing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareZXingModule as prepareWriter, writeBarcode } from 'zxing-wasm/writer';
import { ZXING_WASM_SHA256 } from 'barcode-detector/ponyfill';
import { FORMATS, WASM_URL, createDetector, imeiFromBarcode, imeisOf } from './detector.js';

const READER_WASM = new URL('../../node_modules/zxing-wasm/dist/reader/zxing_reader.wasm', import.meta.url);
const WRITER_WASM = new URL('../../node_modules/zxing-wasm/dist/writer/zxing_writer.wasm', import.meta.url);
const saved = { fetch: globalThis.fetch, location: globalThis.location, DOMRectReadOnly: globalThis.DOMRectReadOnly };

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete globalThis[k];
    else globalThis[k] = v;
  }
});

function nativeWindow(supported, calls = []) {
  class BarcodeDetector {
    constructor(options) {
      calls.push(options);
    }
    static async getSupportedFormats() {
      return supported;
    }
    async detect() {
      return [{ rawValue: '860123456789014', format: 'code_128' }];
    }
  }
  return { BarcodeDetector };
}

describe('createDetector', () => {
  it('uses the native BarcodeDetector when it reads Code 128 or EAN-13', async () => {
    const calls = [];
    let loaded = false;
    const d = await createDetector({
      win: nativeWindow(['qr_code', 'code_128', 'aztec'], calls),
      load: async () => (loaded = true),
    });
    expect(d.native).toBe(true);
    expect(calls).toEqual([{ formats: ['code_128', 'qr_code'] }]);
    expect(imeisOf(await d.detect({}))).toEqual(['860123456789014']);
    expect(loaded).toBe(false);
  });

  it('falls back to the ponyfill when the native one reads no linear code, or is missing', async () => {
    class Ponyfill {
      constructor(options) {
        this.options = options;
      }
      async detect() {
        return [];
      }
    }
    const load = async () => ({ BarcodeDetector: Ponyfill });
    expect((await createDetector({ win: nativeWindow(['qr_code']), load })).native).toBe(false);
    const d = await createDetector({ win: {}, load });
    expect(d).toMatchObject({ native: false, formats: FORMATS });
  });

  it('bundles the very .wasm the ponyfill was built for', () => {
    const sha = createHash('sha256').update(readFileSync(READER_WASM)).digest('hex');
    expect(sha).toBe(ZXING_WASM_SHA256);
    expect(WASM_URL).toMatch(/zxing_reader.*\.wasm$/);
    expect(WASM_URL).not.toMatch(/^https?:/);
  });

  it('reads an IMEI label with the .wasm served by the app itself', async () => {
    const bytes = readFileSync(WRITER_WASM);
    prepareWriter({
      overrides: { wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    });
    const label = await writeBarcode('IMEI1:860123456789014', { format: 'Code128', scale: 2 });
    expect(label.error).toBeFalsy();

    // A page at http://app.test/ whose only server is this stub: it records what is fetched.
    globalThis.location = { href: 'http://app.test/' };
    globalThis.DOMRectReadOnly ??= class {
      constructor(x = 0, y = 0, width = 0, height = 0) {
        Object.assign(this, { x, y, width, height });
      }
      static fromRect(r = {}) {
        return new this(r.x, r.y, r.width, r.height);
      }
    };
    const fetched = [];
    globalThis.fetch = async (url) => {
      fetched.push(String(url));
      return new Response(readFileSync(READER_WASM), { headers: { 'Content-Type': 'application/wasm' } });
    };
    const d = await createDetector({ win: {} });
    const found = await d.detect(label.image);
    expect(found.map((b) => [b.format, b.rawValue])).toEqual([['code_128', 'IMEI1:860123456789014']]);
    expect(imeisOf(found)).toEqual(['860123456789014']);
    expect(fetched).toEqual([new URL(WASM_URL, 'http://app.test/').href]);
  });
});

describe('imeiFromBarcode', () => {
  it('takes the first run of 15 digits with a valid check digit', () => {
    expect(imeiFromBarcode('860123456789014')).toBe('860123456789014');
    expect(imeiFromBarcode('IMEI1:860123456789015 IMEI2:352099001761481')).toBe('352099001761481');
    expect(imeiFromBarcode('6901234567892')).toBeNull(); // an EAN-13 product code
    expect(imeiFromBarcode('8601234567890140')).toBeNull(); // 16 digits
    expect(imeiFromBarcode(null)).toBeNull();
    expect(imeisOf([{ rawValue: 'x' }, { rawValue: '860123456789014' }, { rawValue: 'IMEI 860123456789014' }])).toEqual(
      ['860123456789014'],
    );
  });
});
