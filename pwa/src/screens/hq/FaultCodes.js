// Fault codes (#/quality/fault-codes, a tab of the quality page): the list clerks pick a 三包 return's, exchange's or repair's fault
// from, in its order — HQ adds a code, changes its Chinese and English names and whether it is a
// fault (no fault: a changed mind, a return only where policy allows), moves it up or down, and
// deactivates it (phones stop offering it; events that name it keep it). GET /fault-codes
// ?include_inactive=true, POST / PATCH /fault-codes[/<id>] (backend/aftersales).
import './i18n/index.js'; // HQ's strings
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { request } from '../../api.js';
import { localName, t } from '../../i18n/index.js';
import { apiMessage, ErrorBanner, RefreshButton, useAction, useRemote } from '../desk/kit.js';
import './market.css';

export const POSITION_STEP = 10;

// --- pure ----------------------------------------------------------------------------------------

/** The codes in list order: position, then id (the server's order). */
export function sortCodes(rows) {
  return [...rows].sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id);
}

/** Moving row `index` of the ordered `rows` by `delta` (-1 up, +1 down): the PATCHes to send,
 * [{id, position}] — the new order numbered 10, 20, 30 … and only the rows whose position changes
 * (equal positions, e.g. all 0, are numbered apart). [] when the row cannot move. */
export function moveChanges(rows, index, delta) {
  const to = index + delta;
  if (index < 0 || index >= rows.length || to < 0 || to >= rows.length) return [];
  const order = [...rows];
  const [row] = order.splice(index, 1);
  order.splice(to, 0, row);
  return order
    .map((r, i) => ({ id: r.id, position: (i + 1) * POSITION_STEP, was: r.position }))
    .filter((c) => c.position !== c.was)
    .map(({ id, position }) => ({ id, position }));
}

/** The position of a code added at the end of the list. */
export function nextPosition(rows) {
  return rows.reduce((m, r) => Math.max(m, r.position ?? 0), 0) + POSITION_STEP;
}

/** The name in the other language, under the one shown (none when it has no English name). */
const otherName = (r) => (localName(r) === r.name ? r.name_en : r.name) || '';

// --- REST ----------------------------------------------------------------------------------------

const listCodes = () =>
  request('GET', '/fault-codes', { query: { include_inactive: true } }).then((rows) =>
    Array.isArray(rows) ? rows : [],
  );
const createCode = (body) => request('POST', '/fault-codes', { json: body });
const patchCode = (id, body) => request('PATCH', `/fault-codes/${id}`, { json: body });

// --- UI ------------------------------------------------------------------------------------------

function FieldError({ error, name }) {
  if (!error || error.field !== name) return null;
  return html`<p class="check check-err small" role="alert" data-testid="fault-field-error" data-field=${name}>✗ ${apiMessage(error)}</p>`;
}

/** The add / edit form: code (new ones only), names, is a fault. */
function CodeForm({ code, position, onDone, onCancel }) {
  const [form, setForm] = useState(() => ({
    code: code?.code || '',
    name: code?.name || '',
    name_en: code?.name_en || '',
    is_fault: code ? code.is_fault !== false : true,
  }));
  const action = useAction();
  const input = (name) => ({
    id: `fault-${name}`,
    value: form[name],
    onInput: (e) => setForm((f) => ({ ...f, [name]: e.currentTarget.value })),
    'data-testid': `fault-${name}`,
  });
  async function submit(e) {
    e.preventDefault();
    const body = { name: form.name.trim(), name_en: form.name_en.trim() || null, is_fault: form.is_fault };
    const saved = await action.run(() =>
      code ? patchCode(code.id, body) : createCode({ ...body, code: form.code.trim(), position, active: true }),
    );
    if (saved) onDone(saved);
  }
  const err = action.error;
  const placed = err && ['code', 'name', 'name_en'].includes(err.field);
  return html`<form class="card" onSubmit=${submit} data-testid="fault-form" data-fault=${code?.id ?? ''}>
    <h3>${code ? t('faults.editTitle', { code: code.code }) : t('faults.newTitle')}</h3>
    <${ErrorBanner} error=${placed ? null : err} />
    <div class="market-filters" style="grid-template-columns:1fr 1.5fr 1.5fr auto">
      <div class="field">
        <label class="label" for="fault-code">${t('faults.code')}</label>
        <input maxlength="32" required disabled=${!!code} pattern="[a-z0-9_]{1,32}" title=${t('faults.codeHint')} ...${input('code')} />
        <${FieldError} error=${err} name="code" />
      </div>
      <div class="field">
        <label class="label" for="fault-name">${t('faults.nameZh')}</label>
        <input maxlength="100" required ...${input('name')} />
        <${FieldError} error=${err} name="name" />
      </div>
      <div class="field">
        <label class="label" for="fault-name_en">${t('faults.nameEn')} <span class="muted">(${t('common.optional')})</span></label>
        <input maxlength="100" ...${input('name_en')} />
        <${FieldError} error=${err} name="name_en" />
      </div>
      <label class="field" style="flex-direction:row;align-items:center;gap:0.4rem">
        <input
          type="checkbox"
          checked=${form.is_fault}
          onChange=${(e) => setForm((f) => ({ ...f, is_fault: e.currentTarget.checked }))}
          data-testid="fault-is_fault"
        />
        ${t('faults.isFault')}
      </label>
    </div>
    <p class="small muted">${code ? t('faults.codeFixed') : t('faults.codeHint')} ${t('faults.noFaultExplain')}</p>
    <div class="toolbar">
      <span style="flex:1"></span>
      <button type="button" class="btn" onClick=${onCancel} data-testid="fault-cancel">${t('common.cancel')}</button>
      <button type="submit" class="btn btn-primary" disabled=${!!action.busy} data-testid="fault-save">${t('common.save')}</button>
    </div>
  </form>`;
}

export function FaultCodes() {
  const remote = useRemote(listCodes, []);
  const rows = useMemo(() => sortCodes(remote.data || []), [remote.data]);
  const [editing, setEditing] = useState(null); // null | 'new' | a code
  const action = useAction();
  const done = () => {
    setEditing(null);
    remote.reload();
  };
  async function move(index, delta) {
    const changes = moveChanges(rows, index, delta);
    if (!changes.length) return;
    await action.run(async () => {
      for (const c of changes) await patchCode(c.id, { position: c.position });
    }, rows[index].id);
    remote.reload();
  }
  async function setActive(row, active) {
    await action.run(() => patchCode(row.id, { active }), row.id);
    remote.reload();
  }

  return html`<div data-testid="fault-codes">
    <section class="card">
      <div class="toolbar">
        <h2 style="margin:0">${t('faults.title')}</h2>
        <span style="flex:1"></span>
        <${RefreshButton} onClick=${remote.reload} />
        <button type="button" class="btn btn-small btn-primary" onClick=${() => setEditing('new')} data-testid="fault-new">${t('faults.new')}</button>
      </div>
      <p class="small muted">${t('faults.explain')}</p>
    </section>
    ${
      editing
        ? html`<${CodeForm}
            key=${editing === 'new' ? 'new' : editing.id}
            code=${editing === 'new' ? null : editing}
            position=${nextPosition(rows)}
            onDone=${done}
            onCancel=${() => setEditing(null)}
          />`
        : null
    }
    <section class="card">
      <${ErrorBanner} error=${remote.error || action.error} onRetry=${remote.error ? remote.reload : undefined} />
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="table" data-testid="faults-table">
                <thead>
                  <tr>
                    <th class="num">${t('faults.order')}</th>
                    <th>${t('faults.code')}</th>
                    <th>${t('faults.name')}</th>
                    <th>${t('faults.kind')}</th>
                    <th>${t('faults.state')}</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (
                      r,
                      i,
                    ) => html`<tr key=${r.id} data-testid="fault-row" data-code=${r.code} data-active=${r.active ? 'true' : 'false'} class=${r.active ? '' : 'muted'}>
                      <td class="num">${i + 1}</td>
                      <td><code>${r.code}</code></td>
                      <td>${localName(r)}${otherName(r) ? html`<div class="small muted">${otherName(r)}</div>` : null}</td>
                      <td>${r.is_fault ? t('faults.fault') : html`<span class="tag tag-warn">${t('faults.noFault')}</span>`}</td>
                      <td>${r.active ? html`<span class="tag tag-ok">${t('faults.active')}</span>` : html`<span class="tag tag-err">${t('faults.inactive')}</span>`}</td>
                      <td><div style="white-space:nowrap;display:flex;gap:0.35rem">
                        <button type="button" class="btn btn-small" disabled=${i === 0 || !!action.busy} aria-label=${t('faults.up', { code: r.code })} onClick=${() => move(i, -1)} data-testid="fault-up">↑</button>
                        <button type="button" class="btn btn-small" disabled=${i === rows.length - 1 || !!action.busy} aria-label=${t('faults.down', { code: r.code })} onClick=${() => move(i, 1)} data-testid="fault-down">↓</button>
                        <button type="button" class="btn btn-small" onClick=${() => setEditing(r)} data-testid="fault-edit">${t('faults.edit')}</button>
                        <button type="button" class="btn btn-small" disabled=${!!action.busy} onClick=${() => setActive(r, !r.active)} data-testid=${r.active ? 'fault-deactivate' : 'fault-activate'}>
                          ${r.active ? t('faults.deactivate') : t('faults.activate')}
                        </button>
                      </div></td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p class="empty" data-testid="faults-empty">${remote.loading ? t('app.loading') : t('faults.none')}</p>`
      }
    </section>
  </div>`;
}
