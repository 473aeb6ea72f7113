// The desk kit's pure parts: reading every page of a list (for an export, the region's reps…), the
// sentence shown for a failed request, and the kit's strings.
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../api.js';
import { setLang } from '../../i18n/index.js';
import sharedEn from '../../i18n/en.js';
import { apiMessage, fetchAllPages } from './kit.js';
import { EXPORT_MAX_ROWS } from './paging.js';
import deskEn from './i18n/en.js';
import deskZh from './i18n/zh-CN.js';
import errorsEn from './i18n/errors.en.js';
import errorsZh from './i18n/errors.zh-CN.js';

afterEach(() => setLang('zh-CN'));

describe('fetchAllPages', () => {
  it('reads page after page, 100 a page, until the last one', async () => {
    const pages = { 1: [1, 2], 2: [3, 4], 3: [5] };
    const asked = [];
    const all = await fetchAllPages(async ({ page, pageSize }) => {
      asked.push([page, pageSize]);
      return { items: pages[page], pagination: { total: 5, total_pages: 3, page } };
    });
    expect(all).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual([
      [1, 100],
      [2, 100],
      [3, 100],
    ]);
  });

  it('stops at maxRows, on an empty page and on a list without pagination', async () => {
    const load = async ({ page }) => ({ items: [page * 10, page * 10 + 1], pagination: { total_pages: 99 } });
    expect(await fetchAllPages(load, { maxRows: 3 })).toEqual([10, 11, 20]);
    expect(await fetchAllPages(async () => ({ items: [1], pagination: null }))).toEqual([1]);
    expect(await fetchAllPages(async () => ({ items: [], pagination: { total_pages: 5 } }))).toEqual([]);
  });

  it('asks for the page size given, and never more than EXPORT_MAX_ROWS items by default', async () => {
    const sizes = new Set();
    let calls = 0;
    const all = await fetchAllPages(
      async ({ page, pageSize }) => {
        sizes.add(pageSize);
        calls += 1;
        return {
          items: Array.from({ length: pageSize }, (_, i) => (page - 1) * pageSize + i),
          pagination: { total_pages: 1000 },
        };
      },
      { pageSize: 2500 },
    );
    expect([...sizes]).toEqual([2500]);
    expect(calls).toBe(4);
    expect(all.length).toBe(EXPORT_MAX_ROWS);
    expect(all[EXPORT_MAX_ROWS - 1]).toBe(EXPORT_MAX_ROWS - 1);
  });

  it('passes a failed page on', async () => {
    const load = async ({ page }) => {
      if (page === 2) throw new ApiError({ status: 403, code: 'forbidden', message: 'no' });
      return { items: [1], pagination: { total_pages: 2 } };
    };
    await expect(fetchAllPages(load)).rejects.toMatchObject({ status: 403 });
  });
});

describe('apiMessage', () => {
  it('says what went wrong in words the user knows, in their language', () => {
    setLang('en');
    expect(apiMessage(new ApiError({ status: 0, code: 'network', message: 'Failed to fetch' }))).toBe(
      deskEn['desk.offline'],
    );
    expect(apiMessage(new ApiError({ status: 403, code: 'forbidden', message: 'Forbidden' }))).toBe(
      deskEn['desk.forbidden'],
    );
    expect(apiMessage(new ApiError({ status: 401, code: 'unauthorized', message: 'x' }))).toBe(
      sharedEn['app.sessionExpired'],
    );
    setLang('zh-CN');
    expect(apiMessage({ status: 0, code: 'network' })).toBe(deskZh['desk.offline']);
    expect(apiMessage({ status: 403 })).toBe(deskZh['desk.forbidden']);
  });

  it("says 'not found' and 'server problem' in the user's language, not the framework's English", () => {
    const notFound = { code: 'not_found', message: 'The requested URL was not found on the server.' };
    setLang('zh-CN');
    expect(apiMessage(new ApiError({ status: 404, ...notFound }))).toBe(errorsZh['desk.notFound']);
    expect(
      apiMessage(new ApiError({ status: 500, code: 'internal_server_error', message: 'Internal Server Error' })),
    ).toBe(errorsZh['desk.serverError']);
    setLang('en');
    expect(apiMessage(new ApiError({ status: 404, ...notFound }))).toBe(errorsEn['desk.notFound']);
    // a 404 with a reason says the reason
    expect(
      apiMessage(new ApiError({ status: 404, ...notFound, reason: 'plan.exists', params: { stores: 2 } })),
    ).not.toBe(errorsEn['desk.notFound']);
  });

  it("gives the server's message otherwise, and nothing for no error", () => {
    expect(apiMessage(new ApiError({ status: 409, code: 'conflict', message: 'Already decided' }))).toBe(
      'Already decided',
    );
    expect(apiMessage(new Error('boom'))).toBe('boom');
    expect(apiMessage('plain text')).toBe('plain text');
    expect(apiMessage(null)).toBe('');
    expect(apiMessage(undefined)).toBe('');
  });
});
