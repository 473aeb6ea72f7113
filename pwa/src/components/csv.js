// CSV export of a table (the issue: "every table exports to CSV"), shared by HQ's and managers'
// screens. Pure text building (`toCsv`, tested) plus the browser download (`downloadCsv`).
//
//   toCsv(rows, columns) → string
//     rows:    plain objects
//     columns: [{key, label, value?}] — `label` is the header cell; the cell is `row[key]`, or
//              `value(row)` when given (a computed or formatted cell). null / undefined → empty.
//     RFC 4180: fields holding a comma, a double quote, CR or LF are quoted, quotes doubled;
//     lines end with CRLF; numbers are written as is (String(n)), booleans as true/false, Dates
//     as ISO 8601. A text cell starting with = + - @ (or a tab / CR) is prefixed with ' so that a
//     spreadsheet never runs it as a formula (CSV injection) — numbers are never touched.
//   downloadCsv(filename, rows, columns)
//     UTF-8 with a byte-order mark (so that Excel opens Chinese text correctly), as a Blob through
//     a temporary <a download> link; ".csv" is appended when missing.
//   csvFilename(base, date?) → "base-2026-05-14.csv" (the local date).

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell as CSV text (quoted when needed). */
export function csvCell(value) {
  if (value === null || value === undefined) return '';
  let text;
  if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : '';
  else if (typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
  else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? '' : value.toISOString();
  else {
    text = String(value);
    if (FORMULA_START.test(text) && !/^[-+]?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV text of `rows` under `columns` [{key, label, value?}]: a header line, then one line per row. */
export function toCsv(rows, columns) {
  const cols = columns || [];
  const lines = [cols.map((c) => csvCell(c.label ?? c.key)).join(',')];
  for (const row of rows || []) {
    lines.push(cols.map((c) => csvCell(c.value ? c.value(row) : row == null ? undefined : row[c.key])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** "price-trends-2026-05-14.csv": `base` with today's local date. */
export function csvFilename(base, date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${String(base).replace(/[\\/:*?"<>|]+/g, '_')}-${day}.csv`;
}

/** The Blob of a CSV download: UTF-8 with a BOM. */
export function csvBlob(rows, columns) {
  return new Blob(['\uFEFF', toCsv(rows, columns)], { type: 'text/csv;charset=utf-8' });
}

/** Make the browser save `rows` as a CSV file named `filename`. */
export function downloadCsv(filename, rows, columns) {
  const name = /\.csv$/i.test(filename) ? filename : `${filename}.csv`;
  const url = URL.createObjectURL(csvBlob(rows, columns));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked a little later: some browsers start reading the Blob only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
