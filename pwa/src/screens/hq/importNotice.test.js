import { beforeEach, describe, expect, it } from 'vitest';
import { setLang } from '../../i18n/index.js';
import './i18n/index.js';
import { noticeOf, noticeText } from './importNotice.js';

const imp = (status, extra = {}) => ({
  id: 7,
  filename: 'ship.csv',
  status,
  rows_read: 10,
  rows_loaded: 8,
  rows_unchanged: 1,
  rows_bad: 1,
  ...extra,
});

describe('the upload notice follows its import', () => {
  beforeEach(() => setLang('en'));

  it('says "being imported" while queued or running, and not once the import is done', () => {
    const notice = noticeOf(imp('queued'));
    expect(noticeText(notice, [imp('queued')])).toMatchObject({ busy: true, text: 'ship.csv is being imported.' });
    expect(noticeText(notice, [imp('running')]).busy).toBe(true);
    const done = noticeText(notice, [imp('done')]);
    expect(done.busy).toBe(false);
    expect(done.text).not.toContain('being imported');
    expect(done.text).toBe('ship.csv imported: 8 rows loaded, 1 unchanged, 1 bad.');
    expect(done.tone).toBe('warn');
    expect(noticeText(notice, [imp('done', { rows_bad: 0 })]).tone).toBe('ok');
  });

  it('says why a failed import stopped', () => {
    const failed = noticeText(noticeOf(imp('queued')), [imp('failed', { error: 'No header row' })]);
    expect(failed).toMatchObject({ busy: false, tone: 'err' });
    expect(failed.text).toContain('No header row');
  });

  it('in Chinese too', () => {
    setLang('zh-CN');
    const notice = noticeOf(imp('running'));
    expect(noticeText(notice, [imp('running')]).text).toBe('正在导入 ship.csv。');
    expect(noticeText(notice, [imp('done')]).text).not.toContain('正在导入');
  });

  it('a file imported before says so, and nothing is busy', () => {
    expect(noticeText(noticeOf(imp('done', { duplicate_of: 3 })), [])).toMatchObject({ busy: false });
    expect(noticeText(null, [])).toBeNull();
  });
});
