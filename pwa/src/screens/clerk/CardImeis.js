// A unit's IMEIs on a clerk's form — the registration's (CardForm) and an exchange's replacement
// unit (ServiceEvent): the IMEI with its live check and the Scan button, and the optional IMEI 2.
// A scan fills the empty fields with the IMEIs it read that are not there yet, and picks the
// model their TAC names when none is chosen; a unit with a live card on this phone is refused as
// the server would.
import { html } from 'htm/preact';
import { fmt, t } from '../../i18n/index.js';
import { ImeiField, ScanButton } from '../../components/ImeiField.js';
import { imeiDigits, productOfTac } from '../../warranty/card.js';

/**
 * `values` ({imei, imei2, product_id, …}) with the scanned `imeis` put in its empty IMEI fields
 * (those already there skipped), and `product_id` the model of the IMEI's TAC among `products`
 * when it had none.
 */
export function withScanned(values, imeis, products) {
  const next = { ...values };
  const fresh = imeis.filter((i) => i !== imeiDigits(values.imei) && i !== imeiDigits(values.imei2));
  for (const imei of fresh) {
    if (!imeiDigits(next.imei)) next.imei = imei;
    else if (!imeiDigits(next.imei2)) next.imei2 = imei;
  }
  if (!next.product_id) {
    const found = productOfTac(imeiDigits(next.imei), products);
    if (found) next.product_id = String(found.id);
  }
  return next;
}

/** The problem of an IMEI some live card on this phone already has (`cards`: the phone's, the
 * card `exceptId` left out; refused, voided and closed cards do not count), or null. */
export function duplicateProblem(imei, cards, exceptId = null) {
  const other = (cards || []).find(
    (c) =>
      c.id !== exceptId &&
      c.sync?.state !== 'refused' &&
      !c.voided_at &&
      !c.closed_kind &&
      (c.imei === imei || c.imei2 === imei),
  );
  return other ? { key: 'card.problem.duplicate', vars: { date: fmt.dateTime(other.registered_at) } } : null;
}

/**
 * The IMEI (with Scan) and IMEI 2 fields. `prefix` names their test ids (`<prefix>-imei`,
 * `<prefix>-imei2`, `<prefix>-scan`); `label` the first one's; `set(field)` → its onInput;
 * `problems` what the form knows beyond the IMEI itself; `submitted` shows them all.
 */
export function CardImeis({ prefix, label, values, set, problems, submitted, onScanned }) {
  return html`<${ImeiField}
      label=${label}
      name="imei"
      value=${values.imei}
      onInput=${set('imei')}
      problem=${problems.imei}
      showProblem=${submitted}
      testid=${`${prefix}-imei`}
      scan=${html`<${ScanButton} onImeis=${onScanned} testid=${`${prefix}-scan`} />`}
    />
    <${ImeiField}
      label=${t('card.imei2')}
      name="imei2"
      value=${values.imei2}
      onInput=${set('imei2')}
      problem=${problems.imei2}
      showProblem=${submitted && !!values.imei2}
      optional=${true}
      testid=${`${prefix}-imei2`}
    />`;
}
