// The outbox's line of a queued training names its topic in the language the rep reads now (the
// topic looked up by the queued topic_id), not the title it was queued with; a topic no longer on
// the phone falls back to that title.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActions } from '../../db/actions.js';
import { createDb, saveSession } from '../../db/index.js';
import { describeMutation } from '../../db/mutations.js';
import { createQueries } from '../../db/queries.js';
import { fmt, lang, setLang, t } from '../../i18n/index.js';
import { outboxRows, subjectLabel } from './Outbox.js';

const NOW = Date.UTC(2026, 10, 23, 4, 0, 0);
const TOPIC = {
  id: 4,
  code: 'P30-KNOW',
  title: 'P30 产品知识',
  title_en: 'P30 product knowledge',
  kind: 'product',
  starts_on: '2026-11-01',
  ends_on: '2026-12-31',
  active: true,
  quiz: [],
};
const entity = (name, id, data, storeId) => ({
  entity: name,
  id: String(id),
  data,
  clock: {},
  pending: false,
  storeId,
});

let n = 0;
let db;
let before;

beforeEach(async () => {
  before = lang();
  db = createDb(`outbox-test-${++n}`);
  await saveSession({ token: 't', user: { id: 21, role: 'rep' } }, db);
  await db.entities.bulkPut([
    entity('store', 12, { id: 12, name: '天河店' }, '12'),
    entity('training_topic', 4, TOPIC),
    entity('contact', 'c-li', { id: 'c-li', store_id: 12, name: '李娜', role: 'promoter' }, '12'),
  ]);
});

afterEach(() => {
  db.close();
  setLang(before);
});

async function queueTraining() {
  let u = 0;
  const actions = createActions({
    db,
    now: () => NOW,
    uuid: () => `00000000-0000-4000-8000-${String(++u).padStart(12, '0')}`,
  });
  await actions.recordTraining({ storeId: 12, topicId: 4, durationMinutes: 30, attendees: [{ contactId: 'c-li' }] });
  return outboxRows(db, await createQueries(db, { now: () => NOW }).outbox());
}

describe('a queued training in the outbox', () => {
  it('names its topic in the current language, whatever language it was queued in', async () => {
    setLang('zh-CN');
    const [row] = await queueTraining();
    expect(row.label).toBe('P30 产品知识'); // as queued, in Chinese
    expect(row.storeName).toBe('天河店');
    expect(subjectLabel(row, 'zh-CN')).toBe('P30 产品知识');
    setLang('en');
    expect(subjectLabel(row)).toBe('P30 product knowledge');
    const line = describeMutation({ ...row, label: subjectLabel(row) }, row.storeName, { t, fmt });
    expect(line).toContain('P30 product knowledge');
    expect(line).not.toContain('产品知识');
  });

  it('uses the queued title when the topic has no English title, or is no longer on the phone', async () => {
    setLang('en');
    await db.entities.put(entity('training_topic', 4, { ...TOPIC, title_en: null }));
    let [row] = await queueTraining();
    expect(subjectLabel(row)).toBe('P30 产品知识');
    await db.entities.delete(['training_topic', '4']);
    [row] = await outboxRows(db, await db.outbox.toArray());
    expect(row.topic).toBeNull();
    expect(subjectLabel(row)).toBe('P30 产品知识');
  });
});
