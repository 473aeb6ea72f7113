// One admin page from its configuration (pages.js): a paged list with search and filters, an
// add / edit form whose fields are declared once, and the row's extra actions (a user's
// deactivate / reset password). The form checks the obvious before sending (forms.js) and shows
// a server refusal next to the field it names, in the user's language (i18n reasonText); the
// server's rules decide. Who may change what follows the API: `config.canEdit(user)`.
import './i18n/index.js';
import { html } from 'htm/preact';
import { useMemo, useRef, useEffect, useState } from 'preact/hooks';
import { request, requestPage } from '../../api.js';
import { t } from '../../i18n/index.js';
import { apiMessage, ErrorBanner, Pager, RefreshButton, useAction, usePaged, useRemote } from '../desk/kit.js';
import { bodyOf, checkValues, errorField, formValues, listQuery, refOptions, visibleFields } from './forms.js';
import './admin.css';

const PAGE_SIZE = 25;

/** Options of a select: fixed [[value, i18n key]] pairs, or a loaded list's [[id, label]]. */
function optionsOf(field, lists, record = null) {
  if (Array.isArray(field.options)) return field.options.map(([v, key]) => [v, t(key)]);
  return refOptions(field, lists?.[field.options], record);
}

function Input({ field, value, onChange, error, lists, disabled, idPrefix, record = null }) {
  const id = `${idPrefix}-${field.name}`;
  const errId = `${id}-error`;
  const common = {
    id,
    name: field.name,
    disabled,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': error ? errId : undefined,
    'data-testid': `${idPrefix}-${field.name}`,
  };
  const set = (e) => onChange(field.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value);
  let control;
  if (field.type === 'checkbox') {
    control = html`<label class="admin-check"><input type="checkbox" checked=${!!value} onChange=${set} ...${common} /> ${t(field.label)}</label>`;
  } else if (field.type === 'select' || field.type === 'ref') {
    control = html`<select value=${value} onChange=${set} ...${common}>
      ${field.required && value !== '' ? null : html`<option value="">${field.required ? t('admin.choose') : t('common.none')}</option>`}
      ${optionsOf(field, lists, record).map(([v, text]) => html`<option key=${v} value=${v}>${text}</option>`)}
    </select>`;
  } else if (field.type === 'multi') {
    const pick = (e) => onChange([...e.currentTarget.selectedOptions].map((o) => o.value));
    control = html`<select multiple size="5" onChange=${pick} ...${common}>
      ${optionsOf(field, lists).map(([v, text]) => html`<option key=${v} value=${v} selected=${value.includes(v)}>${text}</option>`)}
    </select>`;
  } else if (field.type === 'list' || field.type === 'textarea') {
    control = html`<textarea rows="3" value=${value} onInput=${set} ...${common}></textarea>`;
  } else {
    const type = { password: 'text', number: 'number', integer: 'number', date: 'date' }[field.type] || 'text';
    control = html`<input
      type=${type}
      value=${value}
      onInput=${set}
      step=${field.type === 'number' ? 'any' : undefined}
      autocomplete=${field.type === 'password' ? 'new-password' : 'off'}
      spellcheck=${field.type === 'password' ? 'false' : undefined}
      ...${common}
    />`;
  }
  return html`<div class=${`field admin-field${field.wide ? ' admin-wide' : ''}`} data-field=${field.name}>
    ${
      field.type === 'checkbox'
        ? null
        : html`<label class="label" for=${id}>${t(field.label)}${field.required ? '' : html` <span class="muted">(${t('common.optional')})</span>`}</label>`
    }
    ${control}
    ${field.help ? html`<p class="small muted">${t(field.help)}</p>` : null}
    ${error ? html`<p class="check check-err small" id=${errId} role="alert" data-testid="admin-field-error" data-field=${field.name}>✗ ${error}</p>` : null}
  </div>`;
}

/** The add / edit form. `record` null: a new one. Saves through `config.create` / `config.update`
 * (POST / PATCH by default) and calls `onSaved(saved)`. */
function RecordForm({ config, record, lists, onSaved, onCancel }) {
  const [values, setValues] = useState(() => formValues(config.fields, record));
  const [checks, setChecks] = useState({});
  const action = useAction();
  const creating = !record;
  const shown = visibleFields(config.fields, values, creating);
  const ref = useRef(null);
  useEffect(() => {
    // Keyboard users land in the form they opened: its first field they can change.
    ref.current?.scrollIntoView?.({ block: 'nearest' });
    ref.current?.querySelector('input:not([disabled]), select:not([disabled]), textarea')?.focus();
  }, []);
  const serverField = errorField(action.error, shown);
  async function submit(e) {
    e.preventDefault();
    const problems = checkValues(config.fields, values, creating);
    setChecks(problems);
    if (Object.keys(problems).length) {
      ref.current?.querySelector(`[name="${Object.keys(problems)[0]}"]`)?.focus();
      return;
    }
    const body = bodyOf(config.fields, values, record);
    if (!creating && !Object.keys(body).length) {
      onCancel();
      return;
    }
    const saved = await action.run(() =>
      creating
        ? request('POST', config.path, { json: { ...(config.createDefaults || {}), ...body } })
        : request('PATCH', `${config.path}/${record.id}`, { json: body }),
    );
    if (saved) onSaved(saved, creating);
  }
  const errorOf = (name) => {
    if (checks[name]) return t(checks[name].key, checks[name].vars);
    if (serverField === name) return apiMessage(action.error);
    return null;
  };
  const note = config.editNote ? config.editNote(record, values) : null;
  return html`<form class="card admin-form" ref=${ref} onSubmit=${submit} noValidate data-testid="admin-form" data-record=${record?.id ?? ''}>
    <h3>${creating ? t(config.newTitle) : t(config.editTitle, { name: config.rowName(record) })}</h3>
    <${ErrorBanner} error=${serverField ? null : action.error} />
    <div class="admin-grid">
      ${shown.map(
        (f) => html`<${Input}
          key=${f.name}
          field=${f}
          value=${values[f.name]}
          lists=${lists}
          record=${record}
          disabled=${!creating && f.fixed}
          idPrefix="admin"
          error=${errorOf(f.name)}
          onChange=${(v) => {
            setValues((old) => ({ ...old, [f.name]: v }));
            setChecks((old) => ({ ...old, [f.name]: undefined }));
          }}
        />`,
      )}
    </div>
    ${note ? html`<p class="banner banner-warn small" data-testid="admin-form-note">${note}</p>` : null}
    <div class="toolbar">
      <span style="flex:1"></span>
      <button type="button" class="btn" onClick=${onCancel} data-testid="admin-cancel">${t('common.cancel')}</button>
      <button type="submit" class="btn btn-primary" disabled=${!!action.busy} data-testid="admin-save">${t('common.save')}</button>
    </div>
  </form>`;
}

/** The loaded lists a page's selects and columns name (regions, territories…): {name: [{id, label}]}. */
function useLists(loaders) {
  const names = Object.keys(loaders || {});
  const remote = useRemote(
    async () => Object.fromEntries(await Promise.all(names.map(async (n) => [n, await loaders[n]()]))),
    [names.join()],
  );
  return remote;
}

function Filters({ config, filters, setFilters, lists }) {
  return html`<div class="admin-filters" role="search" aria-label=${t('admin.filters')}>
    ${config.filters.map((f) => {
      const id = `admin-filter-${f.name}`;
      const set = (e) => setFilters((old) => ({ ...old, [f.name]: e.currentTarget.value }));
      return html`<div class="field" key=${f.name}>
        <label class="label" for=${id}>${t(f.label)}</label>
        ${
          f.type === 'search'
            ? html`<input id=${id} type="search" value=${filters[f.name] || ''} onInput=${set} data-testid=${id} />`
            : html`<select id=${id} value=${filters[f.name] || ''} onChange=${set} data-testid=${id}>
                <option value="">${t('admin.all')}</option>
                ${optionsOf(f, lists).map(([v, text]) => html`<option key=${v} value=${v}>${text}</option>`)}
              </select>`
        }
      </div>`;
    })}
  </div>`;
}

/** A page of the admin desk, from its configuration (see pages.js). */
export function AdminPage({ config, user }) {
  const canEdit = config.canEdit ? config.canEdit(user) : user?.role === 'admin';
  const listsRemote = useLists(config.lists);
  const lists = listsRemote.data || {};
  const [filters, setFilters] = useState(() => ({ ...(config.initialFilters || {}) }));
  // Typing in the search box asks the server once the typing pauses.
  const [asked, setAsked] = useState(filters);
  useEffect(() => {
    const timer = setTimeout(() => setAsked(filters), 300);
    return () => clearTimeout(timer);
  }, [JSON.stringify(filters)]);
  const paged = usePaged(
    ({ page, pageSize }) => requestPage(config.path, { query: listQuery(asked, page, pageSize) }),
    [config.path, JSON.stringify(asked)],
    { pageSize: PAGE_SIZE },
  );
  const [editing, setEditing] = useState(null); // null | {record} (record null: new) | {panel, record}
  const [done, setDone] = useState(null); // a sentence after a save or an action
  const action = useAction();
  const ctx = useMemo(
    () => ({
      lists,
      reload: paged.reload,
      say: setDone,
      run: action.run,
      close: () => setEditing(null),
    }),
    [lists, paged.reload],
  );
  function saved(record, creating) {
    setEditing(null);
    setDone(t(creating ? 'admin.created' : 'admin.saved', { name: config.rowName(record) }));
    paged.reload();
  }
  const Panel = editing?.panel ? config.panels[editing.panel] : null;

  return html`<div class="admin-page" data-testid=${`admin-${config.key}`}>
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t(config.title)}</h2>
        <span style="flex:1"></span>
        <${RefreshButton} onClick=${paged.reload} />
        ${
          canEdit
            ? html`<button type="button" class="btn btn-small btn-primary" onClick=${() => {
                setDone(null);
                setEditing({ record: null });
              }} data-testid="admin-new">${t(config.newLabel)}</button>`
            : null
        }
      </div>
      ${config.explain ? html`<p class="small muted">${t(config.explain)}</p>` : null}
      ${canEdit ? null : html`<p class="small muted" data-testid="admin-read-only">${t('admin.readOnly')}</p>`}
      <${Filters} config=${config} filters=${filters} setFilters=${setFilters} lists=${lists} />
    </section>
    ${done ? html`<div class="banner banner-ok" role="status" data-testid="admin-done">${done}</div>` : null}
    ${
      editing && !Panel
        ? html`<${RecordForm}
            key=${editing.record?.id ?? 'new'}
            config=${config}
            record=${editing.record}
            lists=${lists}
            onSaved=${saved}
            onCancel=${() => setEditing(null)}
          />`
        : null
    }
    ${Panel ? html`<${Panel} key=${editing.record.id} record=${editing.record} ctx=${ctx} />` : null}
    <section class="card">
      <${ErrorBanner} error=${paged.error || listsRemote.error || action.error} onRetry=${paged.error ? paged.reload : undefined} />
      ${
        paged.rows.length
          ? html`<div class="table-wrap">
              <table class="table" data-testid="admin-table">
                <caption class="sr-only">${t(config.title)}</caption>
                <thead>
                  <tr>
                    ${config.columns.map((c) => html`<th key=${c.key} scope="col" class=${c.num ? 'num' : ''}>${t(c.label)}</th>`)}
                    ${canEdit ? html`<th scope="col"><span class="sr-only">${t('admin.actions')}</span></th>` : null}
                  </tr>
                </thead>
                <tbody>
                  ${paged.rows.map(
                    (
                      row,
                    ) => html`<tr key=${row.id} data-testid="admin-row" data-id=${row.id} data-name=${config.rowName(row)} class=${config.inactive?.(row) ? 'muted' : ''}>
                      ${config.columns.map(
                        (c) =>
                          html`<td key=${c.key} class=${c.num ? 'num' : ''}>${c.value ? c.value(row, lists) : row[c.key]}</td>`,
                      )}
                      ${
                        canEdit
                          ? html`<td><div class="admin-actions">
                              <button type="button" class="btn btn-small" onClick=${() => {
                                setDone(null);
                                setEditing({ record: row });
                              }} aria-label=${t('admin.editOf', { name: config.rowName(row) })} data-testid="admin-edit">${t('admin.edit')}</button>
                              ${(config.actions || []).map((a) =>
                                a.when && !a.when(row, user)
                                  ? null
                                  : html`<button type="button" key=${a.key} class="btn btn-small" disabled=${!!action.busy}
                                      onClick=${() => {
                                        setDone(null);
                                        if (a.panel) setEditing({ panel: a.panel, record: row });
                                        else a.run(row, ctx);
                                      }}
                                      data-testid=${`admin-${a.key}`}>${t(a.label(row))}</button>`,
                              )}
                            </div></td>`
                          : null
                      }
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : paged.loading
            ? html`<p class="muted">${t('app.loading')}</p>`
            : html`<p class="muted" data-testid="admin-empty">${t('admin.empty')}</p>`
      }
      <${Pager} pagination=${paged.data?.pagination} page=${paged.page} onPage=${paged.setPage} testid="admin-pager" />
    </section>
  </div>`;
}
