// Adds this package's strings (en.js, zh-CN.js) to the app's (src/i18n) when it loads. ../index.js
// imports this module before anything else, so the strings are there before any of its modules runs.
import { addStrings } from '../../../i18n/index.js';
import en from './en.js';
import zh from './zh-CN.js';
import teamEn from './team.en.js';
import teamZh from './team.zh-CN.js';
import tasksEn from './tasks.en.js';
import tasksZh from './tasks.zh-CN.js';
import visitsEn from './visits.en.js';
import visitsZh from './visits.zh-CN.js';
import planReplaceEn from './planReplace.en.js';
import planReplaceZh from './planReplace.zh-CN.js';
import duplicatesEn from './duplicates.en.js';
import duplicatesZh from './duplicates.zh-CN.js';

addStrings('en', en);
addStrings('zh-CN', zh);
addStrings('en', teamEn);
addStrings('zh-CN', teamZh);
addStrings('en', tasksEn);
addStrings('zh-CN', tasksZh);
addStrings('en', visitsEn);
addStrings('zh-CN', visitsZh);
addStrings('en', planReplaceEn);
addStrings('zh-CN', planReplaceZh);
addStrings('en', duplicatesEn);
addStrings('zh-CN', duplicatesZh);
