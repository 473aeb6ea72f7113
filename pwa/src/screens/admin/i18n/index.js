// Adds the admin pages' strings (en.js, zh-CN.js) to the app's (src/i18n) when the chunk loads:
// ../index.js imports this module before anything else.
import { addStrings } from '../../../i18n/index.js';
import en from './en.js';
import zh from './zh-CN.js';

addStrings('en', en);
addStrings('zh-CN', zh);
