import { afterEach, describe, expect, it, vi } from 'vitest';
import { csvBlob, csvCell, csvFilename, downloadCsv, toCsv } from './csv.js';

describe('toCsv', () => {
  const columns = [
    { key: 'model', label: '型号' },
    { key: 'median', label: 'Median' },
    { key: 'n', label: 'Obs' },
  ];

  it('writes a header line and one CRLF-terminated line per row', () => {
    const csv = toCsv(
      [
        { model: 'Reno 12', median: '2699.00', n: 4 },
        { model: '星澜 P30', median: '2999.00', n: 12 },
      ],
      columns,
    );
    expect(csv).toBe('型号,Median,Obs\r\nReno 12,2699.00,4\r\n星澜 P30,2999.00,12\r\n');
  });

  it('quotes commas, quotes and newlines (RFC 4180)', () => {
    const csv = toCsv([{ model: 'a,b', median: 'say "hi"', n: 'two\nlines' }], columns);
    expect(csv.split('\r\n')[1]).toBe('"a,b","say ""hi""","two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
  });

  it('writes numbers as is and empties for null, undefined and NaN', () => {
    expect(csvCell(0)).toBe('0');
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(1e21)).toBe('1e+21');
    expect(csvCell(NaN)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(new Date(Date.UTC(2026, 4, 14, 2, 3, 4)))).toBe('2026-05-14T02:03:04.000Z');
  });

  it('defuses text that a spreadsheet would run as a formula, but not numeric text', () => {
    expect(csvCell('=SUM(A1:A9)')).toBe("'=SUM(A1:A9)");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('+86 138')).toBe("'+86 138");
    expect(csvCell('-8.5')).toBe('-8.5');
    expect(csvCell('=a,b')).toBe('"\'=a,b"');
  });

  it('uses a column value() when given, and the key when a label is missing', () => {
    const csv = toCsv([{ a: 1, b: 2 }], [{ key: 'a' }, { key: 'sum', label: 'Sum', value: (r) => r.a + r.b }]);
    expect(csv).toBe('a,Sum\r\n1,3\r\n');
  });

  it('writes only the header for no rows', () => {
    expect(toCsv([], columns)).toBe('型号,Median,Obs\r\n');
    expect(toCsv(null, columns)).toBe('型号,Median,Obs\r\n');
  });
});

describe('csv files', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('names a file with the local date', () => {
    expect(csvFilename('price-trends', new Date(2026, 0, 5, 23, 59))).toBe('price-trends-2026-01-05.csv');
    expect(csvFilename('a/b:c', new Date(2026, 11, 31))).toBe('a_b_c-2026-12-31.csv');
  });

  it('starts the file with a UTF-8 byte-order mark', async () => {
    const blob = csvBlob([{ x: '中文' }], [{ key: 'x', label: 'X' }]);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes.slice(3))).toBe('X\r\n中文\r\n');
    expect(blob.type).toBe('text/csv;charset=utf-8');
  });

  it('downloads through a temporary link and revokes its URL', () => {
    vi.useFakeTimers();
    const clicked = [];
    const link = {
      style: {},
      click() {
        clicked.push({ href: this.href, download: this.download });
      },
      remove: vi.fn(),
    };
    const appended = [];
    vi.stubGlobal('document', { createElement: () => link, body: { appendChild: (el) => appended.push(el) } });
    const create = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:x');
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    downloadCsv('alerts', [{ a: 1 }], [{ key: 'a', label: 'A' }]);
    expect(create).toHaveBeenCalledTimes(1);
    expect(create.mock.calls[0][0]).toBeInstanceOf(Blob);
    expect(clicked).toEqual([{ href: 'blob:x', download: 'alerts.csv' }]);
    expect(appended).toEqual([link]);
    expect(link.remove).toHaveBeenCalled();
    expect(revoke).not.toHaveBeenCalled();
    vi.runAllTimers();
    expect(revoke).toHaveBeenCalledWith('blob:x');
    create.mockRestore();
    revoke.mockRestore();
  });
});
