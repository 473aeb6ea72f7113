import { describe, expect, it } from 'vitest';
import { setLang } from '../i18n/index.js';
import { lastSyncText, shownState, syncLabel } from './SyncBar.js';

const NOW = Date.parse('2026-11-23T04:00:00Z');
const ago = (s) => new Date(NOW - s * 1000).toISOString();

describe('lastSyncText', () => {
  it('says how long ago, in the UI language', () => {
    setLang('zh-CN');
    expect(lastSyncText(null, NOW)).toBe('尚未同步');
    expect(lastSyncText(ago(10), NOW)).toBe('刚刚同步');
    expect(lastSyncText(ago(120), NOW)).toBe('2分钟前同步');
    expect(lastSyncText(ago(3 * 3600), NOW)).toBe('3小时前同步');
    setLang('en');
    expect(lastSyncText(ago(10), NOW)).toBe('Synced just now');
    expect(lastSyncText(ago(60), NOW)).toBe('Synced 1 minute ago');
    expect(lastSyncText(ago(120), NOW)).toBe('Synced 2 minutes ago');
    expect(lastSyncText(ago(2 * 86400), NOW)).toBe('Synced 2 days ago');
    setLang('zh-CN');
  });
});

describe('shownState', () => {
  it('never shows synced while refused entries wait', () => {
    expect(shownState({ state: 'synced', rejected: 0 })).toBe('synced');
    expect(shownState({ state: 'synced', rejected: 3 })).toBe('refused');
    expect(shownState({ state: 'waiting', pending: 2, rejected: 1 })).toBe('refused');
    // Syncing, offline and errors say so first (the refused count shows beside them).
    expect(shownState({ state: 'offline', rejected: 3 })).toBe('offline');
    expect(shownState({ state: 'syncing', rejected: 3 })).toBe('syncing');
    setLang('zh-CN');
    expect(syncLabel({ state: 'synced', pending: 0 })).toBe('已同步');
    expect(syncLabel({ state: 'synced', pending: 0, rejected: 3 })).toBe('3 条被拒绝');
    expect(syncLabel({ state: 'offline', pending: 1, rejected: 3 })).toBe('离线 · 1 条待同步');
  });
});
