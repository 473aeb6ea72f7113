// Tasks for reps on the desk (issue 18), one page for the regional manager and HQ:
//   #/tasks                the summary (open / overdue / done), the list by status (overdue first);
//                          HQ: the campaigns with their progress above it
//   #/tasks/new            assign: a manager picks one store of the region (search), HQ (or a
//                          manager) a campaign over the stores of a region and tier (POST /tasks/batch)
//   #/tasks/campaign/<c>   the list of one campaign
//   #/tasks/<id>           one task: who did it, when, at which visit (#/visits/<id>), the photos;
//                          cancel while open
// The form's rules and bodies are ./tasks.js (pure, tested); the strings the desk kit's
// (screens/desk/i18n/tasks.*.js: the manager's and HQ's packages both load them with the kit).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, localName, t } from '../../i18n/index.js';
import { navigate, useBusinessZone } from '../../components/hooks.js';
import { randomUUID } from '../../db/index.js';
import {
  apiMessage,
  ErrorBanner,
  Pager,
  PhotoThumb,
  RefreshButton,
  Segmented,
  useAction,
  usePaged,
  useRemote,
} from '../desk/kit.js';
import * as api from './tasksApi.js';
import {
  batchBody,
  campaignsOf,
  emptyForm,
  fieldOf,
  formProblems,
  KINDS,
  MAX_CAMPAIGN,
  MAX_NOTE,
  MAX_TITLE,
  progressOf,
  refOf,
  STATUSES,
  TIERS,
  taskBody,
  updateForm,
} from './tasks.js';
import './tasks.css';

const dayText = (d) => fmt.day(String(d ?? '').slice(0, 10));

// "Today" is the server's business day: in `tz` when given, else in the business time zone as the
// rep's screens know it (warranty/zone.js, learned from GET /app-config as the app starts). Not
// the manager's common.js (HQ loads this page too, without the manager's strings or Leaflet).
function useToday(tz) {
  const zone = useBusinessZone();
  return dayIn(new Date(), tz || zone);
}

/** 'YYYY-MM-DD' of `date` in `timeZone` (the browser's when undefined). */
export function dayIn(date, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** A task's status as a tag (overdue: an open task past its day). */
export function StatusTag({ task }) {
  if (task.status === 'open' && task.overdue)
    return html`<span class="tag tag-err" data-status="overdue">${t('tasks.status.overdue')}</span>`;
  const tone = { done: 'tag-ok', cancelled: '' }[task.status] ?? 'tag-warn';
  return html`<span class=${`tag ${tone}`} data-status=${task.status}>${t(`tasks.status.${task.status}`)}</span>`;
}

/** Open / overdue / done (and cancelled) counts; each shows its tasks in the list below. */
function SummaryCards({ summary, status, onStatus }) {
  if (!summary) return null;
  const cells = [
    ['open', summary.open, ''],
    ['overdue', summary.overdue, summary.overdue ? 'tasks-stat-err' : ''],
    ['done', summary.done, 'tasks-stat-ok'],
    ['cancelled', summary.cancelled, 'tasks-stat-muted'],
  ];
  return html`<div class="tasks-stats" role="group" aria-label=${t('tasks.filterStatus')} data-testid="tasks-summary">
    ${cells.map(
      ([key, n, cls]) => html`<button
        type="button"
        key=${key}
        class=${`tasks-stat ${cls}`}
        aria-pressed=${status === key ? 'true' : 'false'}
        onClick=${() => onStatus(key)}
        data-testid=${`tasks-summary-${key}`}
        data-n=${n}
      >
        <span class="tasks-stat-n">${fmt.number(n ?? 0)}</span>
        <span class="tasks-stat-label">${t(`tasks.status.${key}`)}</span>
      </button>`,
    )}
  </div>`;
}

/** The list of tasks by status (`filters`: region_id, campaign …), a page at a time. */
function TaskList({ filters, status, onStatus }) {
  const key = JSON.stringify(filters);
  const list = usePaged((paging) => api.tasksPage({ ...filters, status }, paging), [key, status], { pageSize: 50 });
  return html`<section class="card" aria-labelledby="tasks-list-title">
    <div class="toolbar">
      <h2 id="tasks-list-title" class="grow">${t('tasks.list')}</h2>
      <${Segmented}
        label=${t('tasks.filterStatus')}
        options=${STATUSES.map((s) => [s, t(`tasks.status.${s}`)])}
        value=${status}
        onChange=${onStatus}
        testid="tasks-status"
        attr="status"
      />
      <${RefreshButton} onClick=${list.reload} />
    </div>
    <${ErrorBanner} error=${list.error} onRetry=${list.reload} />
    ${
      list.rows.length
        ? html`<div class="table-wrap"><table class="table" data-testid="tasks-table">
          <thead>
            <tr>
              <th scope="col">${t('tasks.store')}</th>
              <th scope="col">${t('tasks.title')}</th>
              <th scope="col">${t('tasks.kind')}</th>
              <th scope="col">${t('tasks.due')}</th>
              <th scope="col">${t('tasks.assignee')}</th>
              <th scope="col">${t('tasks.statusCol')}</th>
            </tr>
          </thead>
          <tbody>
            ${list.rows.map(
              (
                task,
              ) => html`<tr key=${task.id} data-testid="task-row" data-task-id=${task.id} data-status=${task.overdue ? 'overdue' : task.status}>
                <td>${task.store_name || `#${task.store_id}`}</td>
                <td><a href=${`#/tasks/${task.id}`} data-testid="task-link">${task.title}</a>${task.campaign ? html` <span class="tag">${task.campaign}</span>` : null}</td>
                <td>${t(`tasks.kind.${task.kind}`)}</td>
                <td>${dayText(task.due_on)}</td>
                <td>${task.assignee_name || html`<span class="muted">${t('tasks.anyRep')}</span>`}</td>
                <td>
                  <${StatusTag} task=${task} />
                  ${task.status === 'done' ? html` <span class="small muted">${task.done_by_name || ''} · ${fmt.dateTime(task.done_at)}</span>` : null}
                </td>
              </tr>`,
            )}
          </tbody>
        </table></div>`
        : html`<p class="empty">${list.loading ? t('app.loading') : t('tasks.none')}</p>`
    }
    <${Pager} pagination=${list.data?.pagination} page=${list.page} onPage=${list.setPage} testid="tasks-pager" />
  </section>`;
}

/** HQ's campaigns with their progress (GET /tasks grouped by campaign). */
function Campaigns({ filters }) {
  const key = JSON.stringify(filters);
  const remote = useRemote(async () => campaignsOf(await api.allTasks(filters)), [key]);
  const rows = remote.data || [];
  return html`<section class="card" aria-labelledby="tasks-campaigns-title">
    <div class="toolbar">
      <h2 id="tasks-campaigns-title" class="grow">${t('tasks.campaigns')}</h2>
      <${RefreshButton} onClick=${remote.reload} />
    </div>
    <${ErrorBanner} error=${remote.error} onRetry=${remote.reload} />
    ${
      rows.length
        ? html`<div class="table-wrap"><table class="table" data-testid="campaigns-table">
          <thead>
            <tr>
              <th scope="col">${t('tasks.campaign')}</th>
              <th scope="col">${t('tasks.stores')}</th>
              <th scope="col">${t('tasks.progress')}</th>
              <th scope="col">${t('tasks.status.open')}</th>
              <th scope="col">${t('tasks.status.overdue')}</th>
              <th scope="col">${t('tasks.status.done')}</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map((c) => {
              const share = progressOf(c);
              return html`<tr key=${c.campaign} data-testid="campaign-row" data-campaign=${c.campaign}>
                <td><a href=${`#/tasks/campaign/${encodeURIComponent(c.campaign)}`}>${c.campaign}</a></td>
                <td>${fmt.number(c.stores)}</td>
                <td>
                  <div class="progress tasks-progress" role="img" aria-label=${t('tasks.progressOf', { done: c.done, n: c.done + c.open })}>
                    <div style=${`width:${Math.round((share ?? 0) * 100)}%`}></div>
                  </div>
                  <span class="small">${share == null ? '—' : fmt.percent(share)}</span>
                </td>
                <td>${fmt.number(c.open)}</td>
                <td class=${c.overdue ? 'tasks-overdue-n' : ''}>${fmt.number(c.overdue)}</td>
                <td>${fmt.number(c.done)}</td>
              </tr>`;
            })}
          </tbody>
        </table></div>`
        : html`<p class="empty">${remote.loading ? t('app.loading') : t('tasks.noCampaigns')}</p>`
    }
  </section>`;
}

/** A field's problem (a local check's i18n key, or the server's refusal at that field). */
function Problem({ text, name }) {
  if (!text) return null;
  return html`<p class="check check-err small" role="alert" id=${`task-${name}-problem`} data-testid="task-field-error" data-field=${name}>✗ ${text}</p>`;
}

function modelLabel(refs, key) {
  const [side, id] = String(key).split(':');
  if (side === 'p') {
    const p = refs.products.find((x) => String(x.id) === id);
    return p ? localName(p) : '';
  }
  const m = refs.models.find((x) => String(x.id) === id);
  if (!m) return '';
  const b = refs.brands.find((x) => Number(x.id) === Number(m.brand_id));
  return `${b ? localName(b) : ''} ${localName(m)}`.trim();
}

/** The name the kind's reference gives the prefilled title. */
function refName(form, refs) {
  if (!refs) return '';
  if (form.kind === 'training') {
    const topic = refs.topics.find((x) => Number(x.id) === Number(form.topicId));
    return topic ? localName({ name: topic.title, name_en: topic.title_en }) : '';
  }
  if (form.kind === 'material') {
    const m = refs.materials.find((x) => Number(x.id) === Number(form.materialId));
    return m ? localName(m) : '';
  }
  if (form.kind === 'price') return form.model ? modelLabel(refs, form.model) : '';
  return '';
}

/** The store search of a manager's form: type, pick one of the region's stores. */
function StorePicker({ form, set, regionId, problem }) {
  const [q, setQ] = useState('');
  const text = q.trim();
  const found = useRemote(() => api.searchStores(text, regionId), [text, regionId], { skip: !text });
  if (form.storeId != null)
    return html`<div class="field">
      <span class="label" id="task-store-label">${t('tasks.store')}</span>
      <div class="tasks-picked" data-testid="task-store-picked" data-store-id=${form.storeId}>
        <strong>${form.storeName}</strong>
        <button type="button" class="btn btn-small" onClick=${() => set({ storeId: null, storeName: '', storeTerritoryId: null, assigneeId: null })}>
          ${t('tasks.changeStore')}
        </button>
      </div>
    </div>`;
  return html`<div class="field">
    <label class="label" for="task-store-q">${t('tasks.store')}</label>
    <input
      id="task-store-q"
      type="search"
      placeholder=${t('tasks.storeSearch')}
      value=${q}
      onInput=${(e) => setQ(e.currentTarget.value)}
      aria-invalid=${problem ? 'true' : 'false'}
      aria-describedby=${problem ? 'task-store_id-problem' : undefined}
      autocomplete="off"
      data-testid="task-store-search"
    />
    ${
      text && found.data
        ? found.data.length
          ? html`<ul class="tasks-found" data-testid="task-store-results">
            ${found.data.map(
              (s) => html`<li key=${s.id}>
                <button
                  type="button"
                  class="btn btn-block tasks-found-btn"
                  onClick=${() => set({ storeId: s.id, storeName: s.name, storeTerritoryId: s.territory_id ?? null, assigneeId: null })}
                  data-testid="task-store-option"
                  data-store-id=${s.id}
                >
                  <span>${s.name}</span> <span class="small muted">${s.code}${s.tier ? ` · ${s.tier}` : ''} · ${s.address || ''}</span>
                </button>
              </li>`,
            )}
          </ul>`
          : html`<p class="small muted">${t('tasks.noStore', { q: text })}</p>`
        : null
    }
    <${ErrorBanner} error=${found.error} />
    <${Problem} text=${problem} name="store_id" />
  </div>`;
}

/** The reference a kind needs: a topic, a material, or a model (ours or a competitor's). */
function RefPicker({ form, set, refs, problems }) {
  const ref = refOf(form.kind);
  if (!ref || !refs) return null;
  if (ref === 'topic')
    return html`<div class="field">
      <label class="label" for="task-topic">${t('tasks.topic')}</label>
      <select id="task-topic" value=${form.topicId ?? ''} onChange=${(e) => set({ topicId: e.currentTarget.value ? Number(e.currentTarget.value) : null })} data-testid="task-topic">
        <option value="">${t('tasks.pick')}</option>
        ${refs.topics.map((x) => html`<option key=${x.id} value=${x.id}>${localName({ name: x.title, name_en: x.title_en })}</option>`)}
      </select>
      <${Problem} text=${problems.topic_id} name="topic_id" />
    </div>`;
  if (ref === 'material')
    return html`<div class="field">
      <label class="label" for="task-material">${t('tasks.material')}</label>
      <select id="task-material" value=${form.materialId ?? ''} onChange=${(e) => set({ materialId: e.currentTarget.value ? Number(e.currentTarget.value) : null })} data-testid="task-material">
        <option value="">${t('tasks.pick')}</option>
        ${refs.materials.map((x) => html`<option key=${x.id} value=${x.id}>${localName(x)}</option>`)}
      </select>
      <${Problem} text=${problems.material_id} name="material_id" />
    </div>`;
  return html`<div class="field">
    <label class="label" for="task-model">${t('tasks.model')}</label>
    <select id="task-model" value=${form.model} onChange=${(e) => set({ model: e.currentTarget.value })} data-testid="task-model">
      <option value="">${t('tasks.pick')}</option>
      <optgroup label=${t('tasks.ourModels')}>
        ${refs.products.map((x) => html`<option key=${`p${x.id}`} value=${`p:${x.id}`}>${localName(x)}</option>`)}
      </optgroup>
      <optgroup label=${t('tasks.rivalModels')}>
        ${refs.models.map((x) => html`<option key=${`c${x.id}`} value=${`c:${x.id}`}>${modelLabel(refs, `c:${x.id}`)}</option>`)}
      </optgroup>
    </select>
    <${Problem} text=${problems.product_id} name="product_id" />
  </div>`;
}

/**
 * The assign form. `batch`: a campaign over a region's (HQ: any region's) stores of a tier;
 * else one store (the manager's region). `region`: the manager's (useRegion: reps, territories),
 * null for HQ. `regionId`: the manager's region id (the store search's scope).
 */
export function TaskForm({ batch, region, regionId, today, onCancel }) {
  const refs = useRemote(() => api.references(), []);
  const titleFor = (f) => {
    if (f.kind === 'other') return '';
    const name = refName(f, refs.data);
    return name ? t(`tasks.titleWith.${f.kind}`, { name }) : t(`tasks.titleOf.${f.kind}`);
  };
  const regions = useRemote(() => api.regions(), [], { skip: !batch || regionId != null });
  const [form, setForm] = useState(() => updateForm({ ...emptyForm(today), regionId: regionId ?? null }, {}, titleFor));
  const [shown, setShown] = useState(false); // the local problems are shown after the first try
  const action = useAction();
  const set = (patch) => setForm((f) => updateForm(f, patch, titleFor));
  const local = formProblems(form, today, { batch });
  // A server refusal about one field is said at that field, any other in the banner.
  const serverField = fieldOf(action.error);
  const problems = {};
  if (shown) for (const [k, key] of Object.entries(local)) problems[k] = t(key);
  if (serverField && !problems[serverField]) problems[serverField] = apiMessage(action.error);

  async function submit(ev) {
    ev.preventDefault();
    setShown(true);
    if (Object.keys(local).length) {
      const first = Object.keys(local)[0];
      document.getElementById(`task-${first === 'store_id' ? 'store-q' : first}`)?.focus?.();
      return;
    }
    const result = await action.run(() =>
      batch ? api.createBatch(batchBody(form)) : api.createTask(taskBody(form, randomUUID())),
    );
    if (!result) return;
    if (batch) navigate(`/tasks/campaign/${encodeURIComponent(result.campaign)}`);
    else navigate(`/tasks/${result.id}`);
  }

  const reps = region
    ? region.reps.filter(
        (r) => r.active !== false && (form.storeTerritoryId == null || r.territory_id === form.storeTerritoryId),
      )
    : [];
  return html`<form class="card tasks-form" onSubmit=${submit} noValidate data-testid="task-form" data-batch=${batch ? 'true' : 'false'}>
    <h2>${batch ? t('tasks.newCampaign') : t('tasks.new')}</h2>
    ${
      batch
        ? html`<div class="tasks-grid">
          <div class="field">
            <label class="label" for="task-campaign">${t('tasks.campaign')}</label>
            <input id="task-campaign" maxlength=${MAX_CAMPAIGN} value=${form.campaign} onInput=${(e) => set({ campaign: e.currentTarget.value })} aria-invalid=${problems.campaign ? 'true' : 'false'} data-testid="task-campaign" />
            <${Problem} text=${problems.campaign} name="campaign" />
          </div>
          ${
            regionId == null
              ? html`<div class="field">
                <label class="label" for="task-region">${t('tasks.region')}</label>
                <select id="task-region" value=${form.regionId ?? ''} onChange=${(e) => set({ regionId: e.currentTarget.value ? Number(e.currentTarget.value) : null })} data-testid="task-region">
                  <option value="">${t('tasks.allRegions')}</option>
                  ${(regions.data || []).map((r) => html`<option key=${r.id} value=${r.id}>${r.name}</option>`)}
                </select>
              </div>`
              : null
          }
          <div class="field">
            <span class="label" id="task-tier-label">${t('tasks.tier')}</span>
            <${Segmented}
              label=${t('tasks.tier')}
              options=${[['', t('tasks.allTiers')], ...TIERS.map((x) => [x, x])]}
              value=${form.tier}
              onChange=${(v) => set({ tier: v })}
              testid="task-tier"
              attr="tier"
            />
          </div>
        </div>`
        : html`<${StorePicker} form=${form} set=${set} regionId=${regionId} problem=${problems.store_id} />`
    }
    <div class="field">
      <span class="label" id="task-kind-label">${t('tasks.kind')}</span>
      <${Segmented} label=${t('tasks.kind')} options=${KINDS.map((k) => [k, t(`tasks.kind.${k}`)])} value=${form.kind} onChange=${(v) => set({ kind: v })} testid="task-kind" attr="kind" />
    </div>
    <${RefPicker} form=${form} set=${set} refs=${refs.data} problems=${problems} />
    <div class="field">
      <label class="label" for="task-title">${t('tasks.title')}</label>
      <input id="task-title" maxlength=${MAX_TITLE} value=${form.title} onInput=${(e) => set({ title: e.currentTarget.value })} aria-invalid=${problems.title ? 'true' : 'false'} data-testid="task-title" />
      <${Problem} text=${problems.title} name="title" />
    </div>
    <div class="field">
      <label class="label" for="task-note">${t('tasks.note')} <span class="muted">(${t('common.optional')})</span></label>
      <textarea id="task-note" rows="2" maxlength=${MAX_NOTE} value=${form.note} onInput=${(e) => set({ note: e.currentTarget.value })} data-testid="task-note"></textarea>
      <${Problem} text=${problems.note} name="note" />
    </div>
    <div class="tasks-grid">
      <div class="field">
        <label class="label" for="task-due_on">${t('tasks.due')}</label>
        <input id="task-due_on" type="date" min=${today} value=${form.dueOn} onInput=${(e) => set({ dueOn: e.currentTarget.value })} aria-invalid=${problems.due_on ? 'true' : 'false'} data-testid="task-due" />
        <${Problem} text=${problems.due_on} name="due_on" />
      </div>
      ${
        !batch && region
          ? html`<div class="field">
            <label class="label" for="task-assignee">${t('tasks.assignee')}</label>
            <select id="task-assignee" value=${form.assigneeId ?? ''} onChange=${(e) => set({ assigneeId: e.currentTarget.value ? Number(e.currentTarget.value) : null })} data-testid="task-assignee">
              <option value="">${t('tasks.anyRep')}</option>
              ${reps.map((r) => html`<option key=${r.id} value=${r.id}>${r.display_name}</option>`)}
            </select>
          </div>`
          : null
      }
      <label class="field tasks-check">
        <input type="checkbox" checked=${form.needsPhoto} onChange=${(e) => set({ needsPhoto: e.currentTarget.checked })} data-testid="task-needs-photo" />
        <span>${t('tasks.needsPhoto')}</span>
      </label>
    </div>
    ${serverField && problems[serverField] === apiMessage(action.error) ? null : html`<${ErrorBanner} error=${action.error} />`}
    <div class="toolbar">
      <button type="button" class="btn" onClick=${onCancel} data-testid="task-cancel-form">${t('common.cancel')}</button>
      <button type="submit" class="btn btn-primary" disabled=${!!action.busy} data-testid="task-save">
        ${action.busy ? t('tasks.saving') : batch ? t('tasks.createCampaign') : t('tasks.assign')}
      </button>
    </div>
  </form>`;
}

/** One task: what it asks, and when done who did it, when, at which visit, with the photos. */
export function TaskDetail({ id }) {
  const remote = useRemote(() => api.task(id), [id]);
  const action = useAction();
  const [asking, setAsking] = useState(false);
  const task = remote.data;
  async function cancel() {
    const done = await action.run(() => api.cancelTask(id));
    setAsking(false);
    if (done) remote.reload();
  }
  if (!task)
    return html`<section class="card"><${ErrorBanner} error=${remote.error} onRetry=${remote.reload} />${remote.loading ? html`<p class="empty">${t('app.loading')}</p>` : null}</section>`;
  const row = (label, value, testid) => html`<dt>${label}</dt><dd data-testid=${testid}>${value}</dd>`;
  return html`<section class="card tasks-detail" data-testid="task-detail" data-task-id=${task.id} data-status=${task.overdue ? 'overdue' : task.status}>
    <div class="toolbar">
      <h2 class="grow">${task.title}</h2>
      <${StatusTag} task=${task} />
    </div>
    <dl class="facts">
      ${row(t('tasks.store'), task.store_name || `#${task.store_id}`, 'task-store')}
      ${row(t('tasks.kind'), t(`tasks.kind.${task.kind}`))}
      ${task.note ? row(t('tasks.note'), task.note) : null}
      ${row(t('tasks.due'), dayText(task.due_on))}
      ${row(t('tasks.needsPhoto'), task.needs_photo ? t('tasks.yes') : t('tasks.no'))}
      ${row(t('tasks.assignee'), task.assignee_name || t('tasks.anyRep'))}
      ${task.campaign ? row(t('tasks.campaign'), task.campaign) : null}
      ${row(t('tasks.createdBy'), `${task.created_by_name || `#${task.created_by}`} · ${fmt.dateTime(task.created_at)}`)}
      ${task.cancelled_at ? row(t('tasks.cancelledAt'), fmt.dateTime(task.cancelled_at)) : null}
    </dl>
    ${
      task.status === 'done'
        ? html`<div class="tasks-done" data-testid="task-done-info">
          <h3>${t('tasks.completion')}</h3>
          <dl class="facts">
            ${row(t('tasks.doneBy'), task.done_by_name || `#${task.done_by}`, 'task-done-by')}
            ${row(t('tasks.doneAt'), fmt.dateTime(task.done_at), 'task-done-at')}
            ${
              task.done_visit_id
                ? row(
                    t('tasks.visit'),
                    html`<a href=${`#/visits/${task.done_visit_id}`} data-testid="task-visit-link">${t('tasks.openVisit')}</a>`,
                  )
                : null
            }
            ${task.done_note ? row(t('tasks.doneNote'), task.done_note, 'task-done-note') : null}
          </dl>
          ${
            task.photo_ids?.length
              ? html`<div class="photo-row" data-testid="task-photos">
                ${task.photo_ids.map((pid, i) => html`<${PhotoThumb} key=${pid} id=${pid} label=${t('tasks.photoN', { n: i + 1, title: task.title })} testid="task-photo" />`)}
              </div>`
              : null
          }
        </div>`
        : null
    }
    <${ErrorBanner} error=${action.error} />
    <div class="toolbar">
      <a class="btn" href="#/tasks">${t('tasks.back')}</a>
      ${
        task.status === 'open'
          ? asking
            ? html`<span class="small">${t('tasks.cancelAsk')}</span>
              <button type="button" class="btn" onClick=${() => setAsking(false)}>${t('tasks.keep')}</button>
              <button type="button" class="btn btn-warn" disabled=${!!action.busy} onClick=${cancel} data-testid="task-cancel-yes">${t('tasks.cancelYes')}</button>`
            : html`<button type="button" class="btn btn-warn" onClick=${() => setAsking(true)} data-testid="task-cancel">${t('tasks.cancelTask')}</button>`
          : null
      }
    </div>
  </section>`;
}

/**
 * The page: `mode` 'manager' (one store at a time, the region's tasks; `region` useRegion's,
 * `regionId` the manager's) or 'hq' (campaigns over regions and tiers, every task). `parts`: the
 * route (#/tasks/…). `tz`: the business time zone (the form's today).
 */
export function TasksPage({ mode = 'manager', parts = [], region = null, regionId = null, tz = null }) {
  const hq = mode === 'hq';
  const [status, setStatus] = useState('overdue');
  const sub = parts[1] || null;
  const today = useToday(tz);
  const campaign = sub === 'campaign' ? decodeURIComponent(parts[2] || '') : null;
  const filters = {};
  if (regionId != null) filters.region_id = regionId;
  if (campaign) filters.campaign = campaign;
  const key = JSON.stringify(filters);
  const summary = useRemote(() => api.taskSummary(filters), [key, sub]);

  if (sub === 'new')
    return html`<div class="tasks-page" data-testid="tasks-page">
      <${TaskForm} batch=${hq} region=${region} regionId=${regionId} today=${today} onCancel=${() => navigate('/tasks')} />
    </div>`;
  if (sub && sub !== 'campaign')
    return html`<div class="tasks-page" data-testid="tasks-page"><${TaskDetail} key=${sub} id=${sub} /></div>`;
  return html`<div class="tasks-page" data-testid="tasks-page">
    <div class="toolbar">
      <h2 class="grow">${campaign ? t('tasks.campaignTitle', { campaign }) : t('tasks.heading')}</h2>
      ${campaign ? html`<a class="btn" href="#/tasks">${t('tasks.back')}</a>` : null}
      <a class="btn btn-primary" href="#/tasks/new" data-testid="task-new">${hq ? t('tasks.newCampaign') : t('tasks.new')}</a>
    </div>
    <${ErrorBanner} error=${summary.error} onRetry=${summary.reload} />
    <${SummaryCards} summary=${summary.data} status=${status} onStatus=${setStatus} />
    ${hq && !campaign ? html`<${Campaigns} filters=${filters} />` : null}
    <${TaskList} filters=${filters} status=${status} onStatus=${setStatus} />
  </div>`;
}
