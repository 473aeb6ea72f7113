// The note under the upload form after a file was sent. It follows the import it is about: "being
// imported" while the server works, then what it loaded, or why it failed — it used to say
// "being imported" (正在导入) after the list showed the import done.
import { fmt, reasonText, t } from '../../i18n/index.js';

const ACTIVE = new Set(['queued', 'running']);

/** The notice of an upload's answer: the import it started, or the earlier import of the same file. */
export function noticeOf(imp) {
  return imp.duplicate_of != null
    ? { kind: 'duplicate', id: imp.id, duplicateOf: imp.duplicate_of }
    : { kind: 'uploaded', id: imp.id, name: imp.filename };
}

/** `{text, tone, busy}` for `notice` given the imports as last polled (`items`), or null without a notice.
 * busy: the import is still queued or running. */
export function noticeText(notice, items) {
  if (!notice) return null;
  if (notice.kind === 'duplicate') {
    return { text: t('imports.duplicate', { id: notice.duplicateOf }), tone: 'ok', busy: false };
  }
  const imp = (items || []).find((i) => String(i.id) === String(notice.id));
  const name = imp?.filename || notice.name;
  if (!imp || ACTIVE.has(imp.status)) return { text: t('imports.uploaded', { name }), tone: 'ok', busy: true };
  if (imp.status === 'failed') {
    const why = reasonText({ reason: imp.error_code, params: imp.error_params }) || imp.error || '';
    return { text: t('imports.notice.failed', { name, why }), tone: 'err', busy: false };
  }
  return {
    text: t('imports.notice.done', {
      name,
      loaded: fmt.number(imp.rows_loaded),
      unchanged: fmt.number(imp.rows_unchanged),
      bad: fmt.number(imp.rows_bad),
    }),
    tone: imp.rows_bad ? 'warn' : 'ok',
    busy: false,
  };
}
