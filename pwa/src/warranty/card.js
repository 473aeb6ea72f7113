// A warranty card's fields as the clerk types them: what is wrong with them (the checks the server
// makes too, so the clerk sees them as they type, offline) and the arguments of the
// `warranty.register` / `warranty.correct` mutations they become.
//
// Field names are the server's (snake_case). A problem is `{key, vars}`: an i18n key and its
// placeholders, shown with t(key, vars).
import { imeiProblem, isDate, normalisePhone, tac } from './rules.js';

export const FIELDS = [
  'imei',
  'imei2',
  'product_id',
  'serial_number',
  'buyer_name',
  'buyer_phone',
  'buyer_address',
  'invoice_number',
  'purchase_date',
];
export const LIMITS = { buyer_name: 60, invoice_number: 40, buyer_address: 300 };
const SERIAL = /^[A-Za-z0-9-]{4,40}$/;

/** Refused input of an action: `problems` is `{field: {key, vars}}`. */
export class CardError extends Error {
  constructor(problems) {
    const fields = Object.keys(problems);
    super(`invalid card: ${fields.map((f) => `${f} (${problems[f].key})`).join(', ')}`);
    this.name = 'CardError';
    this.problems = problems;
    this.field = fields[0] ?? null;
  }
}

const text = (v) => (v === undefined || v === null ? '' : String(v).trim());
/** Digits only: what a clerk types or a scanner reads may carry spaces. */
export const imeiDigits = (v) => text(v).replace(/\s+/g, '');

/** What is wrong with an IMEI as such (shape, check digit), or null. */
export function imeiIssue(imei) {
  const p = imeiProblem(imei);
  if (!p) return null;
  return { key: `imei.problem.${p}`, vars: { n: String(imei ?? '').length } };
}

/** The product whose TAC list holds this IMEI's TAC, or null. */
export function productOfTac(imei, products) {
  const code = tac(imei);
  return (products || []).find((p) => Array.isArray(p.tac_codes) && p.tac_codes.includes(code)) ?? null;
}

/**
 * The TAC check, as the server makes it: an IMEI whose TAC belongs to another of our models is
 * refused (naming that model); one whose TAC is nobody's is refused when the chosen model lists
 * its TACs (a model with no TAC list takes it). `products`: all our models (active or not).
 */
export function tacIssue(imei, product, products) {
  if (!product) return null;
  const owner = productOfTac(imei, products);
  if (owner && String(owner.id) !== String(product.id)) {
    return { key: 'card.problem.tacOther', vars: { model: owner.model_code || owner.name } };
  }
  if (
    !owner &&
    Array.isArray(product.tac_codes) &&
    product.tac_codes.length &&
    !product.tac_codes.includes(tac(imei))
  ) {
    return { key: 'card.problem.tac', vars: { model: product.model_code || product.name } };
  }
  return null;
}

/**
 * The problems of the card `values` (server field names; all of them when `only` is not given,
 * else the listed ones — a correction checks the fields it changes). `product` is the chosen
 * model (null: none chosen), `products` all of ours (whose TACs they are), `today` the
 * device's date 'YYYY-MM-DD'. → `{field: {key, vars}}`, empty when the card is fine.
 */
export function cardProblems(values, { product = null, products = [], today, only = null } = {}) {
  const problems = {};
  const check = (field) => !only || only.includes(field);
  const imei = imeiDigits(values.imei);
  const imei2 = imeiDigits(values.imei2);

  if (check('imei')) {
    if (!imei) problems.imei = { key: 'card.problem.required', vars: {} };
    else {
      const issue = imeiIssue(imei) || (product ? tacIssue(imei, product, products) : null);
      if (issue) problems.imei = issue;
    }
  }
  if (check('imei2') && imei2) {
    const issue = imeiIssue(imei2) || (product ? tacIssue(imei2, product, products) : null);
    if (issue) problems.imei2 = issue;
    else if (imei2 === imei) problems.imei2 = { key: 'card.problem.sameImei', vars: {} };
  }
  if (check('product_id') && !product) problems.product_id = { key: 'card.problem.model', vars: {} };
  if (check('serial_number') && !SERIAL.test(text(values.serial_number))) {
    problems.serial_number = { key: 'card.problem.serial', vars: {} };
  }
  if (check('buyer_name')) {
    const name = text(values.buyer_name);
    if (!name) problems.buyer_name = { key: 'card.problem.required', vars: {} };
    else if (Array.from(name).length > LIMITS.buyer_name)
      problems.buyer_name = { key: 'card.problem.tooLong', vars: { n: LIMITS.buyer_name } };
  }
  if (check('buyer_phone') && !normalisePhone(values.buyer_phone)) {
    problems.buyer_phone = { key: 'card.problem.phone', vars: {} };
  }
  if (check('buyer_address') && Array.from(text(values.buyer_address)).length > LIMITS.buyer_address) {
    problems.buyer_address = { key: 'card.problem.tooLong', vars: { n: LIMITS.buyer_address } };
  }
  if (check('invoice_number')) {
    const inv = text(values.invoice_number);
    if (!inv) problems.invoice_number = { key: 'card.problem.required', vars: {} };
    else if (Array.from(inv).length > LIMITS.invoice_number) {
      problems.invoice_number = { key: 'card.problem.tooLong', vars: { n: LIMITS.invoice_number } };
    }
  }
  if (check('purchase_date')) {
    const d = text(values.purchase_date);
    if (!isDate(d)) problems.purchase_date = { key: 'card.problem.date', vars: {} };
    else if (today && d > today) problems.purchase_date = { key: 'card.problem.future', vars: {} };
    else if (product?.launch_date && d < product.launch_date) {
      problems.purchase_date = { key: 'card.problem.beforeLaunch', vars: { date: product.launch_date } };
    }
  }
  return problems;
}

/** A field's value as the server wants it (trimmed, the phone normalised, ids as numbers). */
export function cleanField(field, value) {
  switch (field) {
    case 'imei':
      return imeiDigits(value);
    case 'imei2':
      return imeiDigits(value) || null;
    case 'product_id':
      return Number(value);
    case 'buyer_phone':
      return normalisePhone(value);
    default:
      return text(value);
  }
}
