// An IMEI input with its live check: ✓ or ✗ and why, as soon as 15 digits are typed or the field
// is left (the Luhn check digit, then `problem`: what the form knows beyond the IMEI itself, such
// as another model's TAC or a duplicate). Optionally a "Scan" button.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import { IMEI_LENGTH } from '../warranty/rules.js';
import { imeiDigits, imeiIssue } from '../warranty/card.js';
import { ScanButton } from './Scanner.js';

/** `{key, vars}` → text. */
export const problemText = (p) => (p ? t(p.key, p.vars) : '');

export function ImeiField({
  label,
  value,
  onInput,
  problem = null,
  showProblem = false,
  optional = false,
  scan = null,
  testid = 'imei',
  name,
}) {
  const [left, setLeft] = useState(false);
  const digits = imeiDigits(value);
  const shown = digits.length >= IMEI_LENGTH || (left && digits.length > 0) || showProblem;
  const issue = digits ? imeiIssue(digits) || problem : !optional && showProblem ? problem : null;
  const ok = shown && digits && !issue;
  return html`<div class="field">
    <label class="label" for=${`${testid}-input`}>${label}${optional ? html` <span class="muted">(${t('common.optional')})</span>` : null}</label>
    <div class="input-row">
      <input
        id=${`${testid}-input`}
        name=${name}
        type="text"
        inputmode="numeric"
        autocomplete="off"
        spellcheck="false"
        class=${`imei ${shown ? (ok ? 'valid' : issue ? 'invalid' : '') : ''}`}
        value=${value}
        aria-invalid=${shown && issue ? 'true' : undefined}
        aria-describedby=${`${testid}-check`}
        onInput=${(e) => onInput(e.currentTarget.value)}
        onBlur=${() => setLeft(true)}
        data-testid=${testid}
      />
      ${scan}
    </div>
    <p
      id=${`${testid}-check`}
      class=${`check small ${ok ? 'check-ok' : 'check-err'}`}
      data-testid=${`${testid}-check`}
      data-valid=${shown ? (ok ? 'true' : issue ? 'false' : '') : ''}
      aria-live="polite"
    >
      ${shown && ok ? `✓ ${t('imei.ok')}` : null}${shown && issue ? `✗ ${problemText(issue)}` : null}
    </p>
  </div>`;
}

export { ScanButton };
