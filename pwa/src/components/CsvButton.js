// "Export CSV" for a table: `rows` (what the table shows; or a function returning them, or a
// promise of them, for a table that pages through the server) under `columns` [{key, label,
// value?}] (see csv.js), saved as `<name>-<today>.csv` (UTF-8 with BOM: Excel opens Chinese).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { csvFilename, downloadCsv } from './csv.js';

export function CsvButton({ name, rows, columns, disabled = false, testid = 'export-csv', label = null }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      const list = typeof rows === 'function' ? await rows() : await rows;
      const cols = typeof columns === 'function' ? columns() : columns;
      downloadCsv(csvFilename(name), list || [], cols || []);
    } catch (err) {
      console.error(err);
      setError(err && err.message ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }
  return html`<button
      type="button"
      class="btn btn-small csv-btn"
      onClick=${run}
      disabled=${disabled || busy}
      data-testid=${testid}
      title=${error || undefined}
    >
      ${busy ? t('market.exporting') : label || t('market.exportCsv')}
    </button>`;
}
