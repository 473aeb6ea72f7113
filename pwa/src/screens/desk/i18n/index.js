// Adds the desk kit's strings (en.js, zh-CN.js) to the app's (src/i18n) when the kit loads: kit.js
// imports this module before anything else. HQ's and the managers' packages both load the kit.
import { addStrings } from '../../../i18n/index.js';
import en from './en.js';
import zh from './zh-CN.js';
import shellEn from './shell.en.js';
import shellZh from './shell.zh-CN.js';
import tasksEn from './tasks.en.js';
import tasksZh from './tasks.zh-CN.js';
import errorsEn from './errors.en.js';
import errorsZh from './errors.zh-CN.js';

addStrings('en', en);
addStrings('zh-CN', zh);
addStrings('en', shellEn);
addStrings('zh-CN', shellZh);
addStrings('en', tasksEn);
addStrings('zh-CN', tasksZh);
addStrings('en', errorsEn);
addStrings('zh-CN', errorsZh);
