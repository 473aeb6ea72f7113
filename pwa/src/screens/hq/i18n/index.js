// Adds this package's strings (en.js, zh-CN.js) to the app's (src/i18n) when it loads. ../index.js
// imports this module before anything else, so the strings are there before any of its modules runs.
import { addStrings } from '../../../i18n/index.js';
import en from './en.js';
import zh from './zh-CN.js';
import adminEn from './admin.en.js';
import adminZh from './admin.zh-CN.js';
import tasksEn from './tasks.en.js';
import tasksZh from './tasks.zh-CN.js';
import importNoticeEn from './importNotice.en.js';
import importNoticeZh from './importNotice.zh-CN.js';
import channelListsEn from './channelLists.en.js';
import channelListsZh from './channelLists.zh-CN.js';
import qualityAlertsEn from './qualityAlerts.en.js';
import qualityAlertsZh from './qualityAlerts.zh-CN.js';

addStrings('en', en);
addStrings('zh-CN', zh);
addStrings('en', adminEn);
addStrings('zh-CN', adminZh);
addStrings('en', tasksEn);
addStrings('zh-CN', tasksZh);
addStrings('en', importNoticeEn);
addStrings('zh-CN', importNoticeZh);
addStrings('en', channelListsEn);
addStrings('zh-CN', channelListsZh);
addStrings('en', qualityAlertsEn);
addStrings('zh-CN', qualityAlertsZh);
