// The admin forms' pure part (tested in forms.test.js): a page's fields are declared once (see
// pages.js) and these functions check what was typed, turn it into the request body and place a
// server refusal at its field. The checks are the obvious ones the API makes too (required,
// lengths, patterns, ranges): the server stays the judge, its refusal is shown at the field.
//
// A field: {name, label (i18n key), type, required?, max? (length or number), min?, pattern?
//   (RegExp) + hint? (i18n key shown when it fails), options? ([[value, i18n key]] or a name of the
//   page's loaded lists), when? ((values) => shown), create? (only when adding: username,
//   password), fixed? (shown but not changed once created: codes), edit? (false: not in the form),
//   blank? (what an empty one is sent as: '' where the API takes no null, e.g. a store's address),
//   exclude? ((item, record, list) => true: a list's item a ref field does not offer for `record`)}
// types: text | password | number | integer | money | date | select | ref | checkbox | list |
//   textarea | multi. `list`: several values typed apart by commas, spaces or new lines (TACs);
//   `multi`: several ids picked from a loaded list (a product's rival models).

/** The fields of the form as it stands: `when` says whether a field applies to these values. */
export function visibleFields(fields, values, creating) {
  return fields.filter(
    (f) => f.edit !== false && (!f.create || creating) && (typeof f.when !== 'function' || f.when(values)),
  );
}

/** A `list` field's text as its values: split by commas, spaces or new lines, blanks dropped. */
export function splitList(text) {
  return String(text ?? '')
    .split(/[\s,，、;；]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const isBlank = (v) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A field's typed value (a string from an input, a boolean from a checkbox) as the API wants it:
 * null for a blank optional one; numbers as numbers; money as a string with its cents. */
export function parseValue(field, raw) {
  if (field.type === 'checkbox') return !!raw;
  if (field.type === 'list') return splitList(raw);
  if (field.type === 'multi') return (raw || []).map(Number);
  if (isBlank(raw)) return field.blank === undefined ? null : field.blank;
  const text = String(raw).trim();
  if (field.type === 'number') return Number(text);
  if (field.type === 'integer' || field.type === 'ref') return Number(text);
  if (field.type === 'money') return text;
  return text;
}

/** The first thing wrong with one field's value: `{key, vars}` (an i18n key of admin.check.*), or
 * null. `raw` is what the input holds. */
export function checkField(field, raw) {
  if (field.type === 'checkbox') return null;
  if (field.type === 'multi') {
    const n = (raw || []).length;
    if (field.required && !n) return { key: 'admin.check.required', vars: {} };
    return field.maxItems && n > field.maxItems ? { key: 'admin.check.maxItems', vars: { n: field.maxItems } } : null;
  }
  if (field.type === 'list') {
    const items = splitList(raw);
    if (field.required && !items.length) return { key: 'admin.check.required', vars: {} };
    if (field.maxItems && items.length > field.maxItems)
      return { key: 'admin.check.maxItems', vars: { n: field.maxItems } };
    const bad = field.pattern ? items.find((s) => !field.pattern.test(s)) : undefined;
    if (bad !== undefined) return { key: field.hint || 'admin.check.pattern', vars: { value: bad } };
    if (new Set(items).size !== items.length) return { key: 'admin.check.twice', vars: {} };
    return null;
  }
  if (isBlank(raw)) return field.required ? { key: 'admin.check.required', vars: {} } : null;
  const text = String(raw).trim();
  if (field.type === 'number' || field.type === 'integer' || field.type === 'ref') {
    const n = Number(text);
    if (!Number.isFinite(n) || (field.type !== 'number' && !Number.isInteger(n))) {
      return { key: field.type === 'number' ? 'admin.check.number' : 'admin.check.integer', vars: {} };
    }
    if (field.min !== undefined && n < field.min) return { key: 'admin.check.min', vars: { min: field.min } };
    if (field.max !== undefined && n > field.max) return { key: 'admin.check.max', vars: { max: field.max } };
    return null;
  }
  if (field.type === 'money') {
    return /^[0-9]{1,8}(\.[0-9]{1,2})?$/.test(text) ? null : { key: 'admin.check.money', vars: {} };
  }
  if (field.type === 'date') return /^\d{4}-\d{2}-\d{2}$/.test(text) ? null : { key: 'admin.check.date', vars: {} };
  const length = field.type === 'password' ? String(raw).length : text.length;
  if (field.minLength && length < field.minLength) {
    return { key: 'admin.check.minLength', vars: { n: field.minLength } };
  }
  if (field.max && length > field.max) return { key: 'admin.check.maxLength', vars: { n: field.max } };
  if (field.pattern && !field.pattern.test(text)) return { key: field.hint || 'admin.check.pattern', vars: {} };
  return null;
}

/** Every visible field's problem: {name: {key, vars}} (empty when the form may be sent). */
export function checkValues(fields, values, creating) {
  const out = {};
  for (const f of visibleFields(fields, values, creating)) {
    if (!creating && f.fixed) continue;
    const problem = checkField(f, values[f.name]);
    if (problem) out[f.name] = problem;
  }
  return out;
}

/** The form's values for a record (null: a new one, with each field's `initial`): strings for the
 * inputs, booleans for checkboxes, a list joined by new lines. */
export function formValues(fields, record) {
  const out = {};
  for (const f of fields) {
    const v = record ? record[f.name] : f.initial;
    if (f.type === 'checkbox') out[f.name] = v === undefined || v === null ? !!f.initial : !!v;
    else if (f.type === 'list') out[f.name] = Array.isArray(v) ? v.join('\n') : '';
    else if (f.type === 'multi') out[f.name] = Array.isArray(v) ? v.map(String) : [];
    else out[f.name] = v === undefined || v === null ? '' : String(v);
  }
  return out;
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The request body: a new record's visible fields (blank optional ones left out), or an edit's
 * changed ones only (a PATCH; a blank optional field sent as null clears it). A field hidden by
 * `when` is sent as null on an edit when the record had a value (a rep made a manager loses the
 * territory). */
export function bodyOf(fields, values, record) {
  const creating = !record;
  const shown = visibleFields(fields, values, creating);
  const body = {};
  for (const f of shown) {
    if (!creating && f.fixed) continue;
    const value = parseValue(f, values[f.name]);
    if (creating) {
      if (value !== null && !(Array.isArray(value) && !value.length && !f.required)) body[f.name] = value;
    } else if (!same(value, parseValue(f, formValues([f], record)[f.name]))) {
      body[f.name] = value;
    }
  }
  if (!creating) {
    for (const f of fields) {
      if (f.clearWhenHidden && !shown.includes(f) && record[f.name] !== null && record[f.name] !== undefined) {
        body[f.name] = null;
      }
    }
  }
  return body;
}

/** The form field a server refusal names (its `field`, or the first of its `errors`), when the
 * form has it; else null (the refusal shows above the form). */
export function errorField(err, fields) {
  if (!err) return null;
  const names = new Set(fields.map((f) => f.name));
  if (err.field && names.has(err.field)) return err.field;
  const json = err.errors?.json;
  if (json && typeof json === 'object') {
    for (const key of Object.keys(json)) if (names.has(key)) return key;
  }
  return null;
}

/** A list page's query: the search text and the chosen filters, blanks left out, and the page. */
export function listQuery(filters, page, pageSize) {
  const query = { page, page_size: pageSize };
  for (const [k, v] of Object.entries(filters)) if (!isBlank(v)) query[k] = typeof v === 'string' ? v.trim() : v;
  return query;
}

/** A ref field's choices, [[id, label]] of the page's loaded `list`, without those its `exclude`
 * rules out for the record being edited (`record`: null when adding). */
export function refOptions(field, list, record = null) {
  const items = list || [];
  return items.filter((item) => !field.exclude?.(item, record, items)).map((item) => [String(item.id), item.label]);
}

/** The ids of `id` and of everything below it in `list`'s tree (`parentKey`: each item's parent
 * id) — what cannot become its parent without a loop. */
export function selfAndBelow(list, id, parentKey = 'parent_id') {
  const out = new Set([String(id)]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const item of list || []) {
      const parent = item[parentKey];
      if (parent != null && out.has(String(parent)) && !out.has(String(item.id))) {
        out.add(String(item.id));
        grew = true;
      }
    }
  }
  return out;
}
