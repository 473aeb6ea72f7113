// Visit plans: pick a rep and a day, pick stores of the rep's territory (search), optionally a
// start point; "Propose order" asks the server for the order that shortens the day (nearest
// neighbour + 2-opt on geodesic distances) and shows it against the order picked; Save stores
// the plan (it reaches the rep's phone by sync and shows on Today). Below: the plans of the
// coming and last days (edit, open the route, delete) and plan compliance over four weeks.
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import { randomUUID } from '../../db/index.js';
import * as mapi from './api.js';
import { apiMessage, CsvButton, ErrorBanner, fetchAllPages, Pager, useRemote } from '../desk/kit.js';
import { RepSelect, todayIn } from './common.js';
import { addDays, isDay, mondayOf, parseLatLon } from './format.js';
import { MAX_STOPS, filterStores, move, planBody, replaceSummary, sameOrder, savingOf, togglePick } from './plan.js';

// Stores by territory, loaded once per page load (names for the lists too).
const storeCache = new Map(); // territory id → Promise<store[]>
const storeById = new Map();
function territoryStores(territoryId) {
  if (!storeCache.has(territoryId)) {
    const p = fetchAllPages((paging) => mapi.storesPage({ territory_id: territoryId, status: 'active' }, paging)).then(
      (list) => {
        for (const s of list) storeById.set(s.id, s);
        return list.sort((a, b) => String(a.name).localeCompare(String(b.name), 'zh-CN'));
      },
    );
    p.catch(() => storeCache.delete(territoryId));
    storeCache.set(territoryId, p);
  }
  return storeCache.get(territoryId);
}
const nameOf = (id) => (storeById.get(id) ? storeById.get(id).name : `#${id}`);

function Saving({ order }) {
  const s = savingOf(order);
  return html`<div class="mgr-stats" data-testid="order-saving">
    <div class="mgr-stat"><div class="mgr-stat-value" data-testid="distance-picked">${fmt.distance(s.picked)}</div><div class="mgr-stat-label">${t('manager.plan.picked')}</div></div>
    <div class="mgr-stat"><div class="mgr-stat-value" data-testid="distance-planned">${fmt.distance(s.planned)}</div><div class="mgr-stat-label">${t('manager.plan.proposed')}</div></div>
    <div class=${`mgr-stat${s.saved > 0 ? ' mgr-stat-ok' : ''}`}>
      <div class="mgr-stat-value" data-testid="distance-saved">${fmt.distance(s.saved)}${s.saved > 0 ? ` (${fmt.percent(s.ratio)})` : ''}</div>
      <div class="mgr-stat-label">${t('manager.plan.saved')}</div>
    </div>
  </div>`;
}

/** Saving over a day that has a plan: who saved it, when, and what the replacement adds, removes
 * and keeps (store names); Replace sends the save again naming that plan, Cancel keeps it. */
function ReplaceDialog({ change, repName, day, busy, onReplace, onCancel }) {
  const first = useRef(null);
  useEffect(() => first.current?.focus(), []);
  const group = (key, list, testid) => html`<div class="mgr-replace-group" data-testid=${testid}>
    <h4>${t(key, { n: list.length })}</h4>
    ${
      list.length
        ? html`<ul>${list.map((s) => html`<li key=${s.id} data-store-id=${s.id}>${s.name}</li>`)}</ul>`
        : html`<p class="muted small">${t('manager.plan.replace.none')}</p>`
    }
  </div>`;
  return html`<div
    class="banner banner-warn mgr-replace"
    style="display:block"
    role="alertdialog"
    aria-labelledby="plan-replace-title"
    aria-describedby="plan-replace-who"
    data-testid="plan-replace"
    onKeyDown=${(e) => e.key === 'Escape' && onCancel()}
  >
    <h3 id="plan-replace-title">${t('manager.plan.replace.title')}</h3>
    <p id="plan-replace-who" data-testid="plan-replace-who">
      ${t('manager.plan.replace.who', { rep: repName, day: fmt.day(day), n: change.stores, by: change.by, at: change.at ? fmt.dateTime(change.at) : '' })}
    </p>
    <p>${t('manager.plan.replace.question')}</p>
    <div class="mgr-replace-groups" style="display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:0.5rem">
      ${group('manager.plan.replace.added', change.added, 'replace-added')}
      ${group('manager.plan.replace.removed', change.removed, 'replace-removed')}
      ${group('manager.plan.replace.kept', change.kept, 'replace-kept')}
    </div>
    <p class="small">
      ${change.kept.length > 1 ? t(change.orderChanged ? 'manager.plan.replace.orderChanged' : 'manager.plan.replace.orderSame') : null}
      ${change.noteChanged ? ` ${t('manager.plan.replace.noteChanged')}` : null}
    </p>
    <div class="btn-row">
      <button type="button" class="btn btn-primary" ref=${first} disabled=${busy} onClick=${onReplace} data-testid="plan-replace-confirm">${t('manager.plan.replace.confirm')}</button>
      <button type="button" class="btn" disabled=${busy} onClick=${onCancel} data-testid="plan-replace-cancel">${t('manager.plan.replace.cancel')}</button>
    </div>
  </div>`;
}

function Planner({ region, tz, draft, onSaved }) {
  const today = todayIn(tz);
  const [repId, setRepId] = useState(draft ? draft.repId : null);
  const [day, setDay] = useState(draft ? draft.day : addDays(today, 1));
  const [picked, setPicked] = useState(draft ? draft.storeIds : []);
  const [q, setQ] = useState('');
  const [startMode, setStartMode] = useState('');
  const [startText, setStartText] = useState('');
  const [note, setNote] = useState(draft ? draft.note || '' : '');
  const [keepOrder, setKeepOrder] = useState(false);
  const [order, setOrder] = useState(null); // POST /route-order's answer
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const [replacing, setReplacing] = useState(null); // {body, change}: the server's 409 plan.exists

  useEffect(() => {
    if (!draft) return;
    setRepId(draft.repId);
    setDay(draft.day);
    setPicked(draft.storeIds);
    setNote(draft.note || '');
    setOrder(null);
    setMessage(null);
  }, [draft]);

  const rep = region.rep(repId);
  const stores = useRemote(() => territoryStores(rep.territory_id), [rep?.territory_id], { skip: !rep });
  const list = stores.data || [];
  const shown = useMemo(() => filterStores(list, q).slice(0, 200), [list, q]);

  let start = null;
  let startInvalid = false;
  if (startMode === 'coords') {
    start = parseLatLon(startText);
    startInvalid = start === undefined;
    if (start === undefined) start = null;
  } else if (startMode) {
    const s = storeById.get(Number(startMode));
    if (s) start = { latitude: s.latitude, longitude: s.longitude };
  }
  const startKey = start ? `${start.latitude},${start.longitude}` : '';
  useEffect(() => setOrder(null), [picked.join(','), startKey]);
  // The question was about the plan as it was when Save was pressed.
  useEffect(() => setReplacing(null), [picked.join(','), startKey, day, repId, note, keepOrder]);

  function pickRep(id) {
    setRepId(id);
    setPicked([]);
    setStartMode('');
    setOrder(null);
  }

  async function propose() {
    setBusy(true);
    setError(null);
    try {
      setOrder(await mapi.routeOrder(picked, start));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  // Editing a plan of the list names it (`replaces`): no question unless it changed meanwhile.
  const editing = draft?.id && draft.repId === repId && draft.day === day;

  async function send(body, replaced) {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      const plan = await mapi.savePlan(body);
      const vars = { rep: rep ? rep.display_name : '', day: fmt.day(day), n: plan.store_ids.length };
      setMessage(t(replaced ? 'manager.plan.replaced' : 'manager.plan.savedMsg', vars));
      setReplacing(null);
      setOrder(null);
      onSaved(plan);
    } catch (err) {
      if (err?.reason === 'plan.exists' && err.params) {
        setReplacing({ body, change: replaceSummary(err.params, nameOf) });
      } else {
        setReplacing(null);
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  }

  function save() {
    return send(
      planBody({
        id: editing ? draft.id : randomUUID(),
        repId,
        day,
        storeIds: picked,
        keepOrder,
        note,
        start,
        replaces: editing ? draft.updatedAt : null,
      }),
      false,
    );
  }

  const canPlan = rep && isDay(day) && picked.length > 0 && !startInvalid;
  const markers = [];
  const lines = [];
  if (order) {
    const pts = order.store_ids.map((id) => storeById.get(id)).filter(Boolean);
    pts.forEach((s, i) => {
      markers.push({
        id: `o-${s.id}`,
        lat: s.latitude,
        lon: s.longitude,
        label: String(i + 1),
        tone: 'brand',
        title: `${i + 1}. ${s.name}`,
        testid: 'order-marker',
      });
    });
    const pickedPts = order.picked_store_ids
      .map((id) => storeById.get(id))
      .filter(Boolean)
      .map((s) => [s.latitude, s.longitude]);
    const plannedPts = pts.map((s) => [s.latitude, s.longitude]);
    if (start) {
      markers.push({
        id: 'start',
        lat: start.latitude,
        lon: start.longitude,
        label: 'S',
        kind: 'square',
        tone: 'ok',
        title: t('manager.plan.start'),
      });
      pickedPts.unshift([start.latitude, start.longitude]);
      plannedPts.unshift([start.latitude, start.longitude]);
    }
    lines.push({
      id: 'picked',
      points: pickedPts,
      tone: 'muted',
      dashed: true,
      weight: 2,
      title: t('manager.plan.picked'),
    });
    lines.push({ id: 'planned', points: plannedPts, tone: 'brand', weight: 3, title: t('manager.plan.proposed') });
  } else {
    picked.forEach((id, i) => {
      const s = storeById.get(id);
      if (s)
        markers.push({
          id: `p-${id}`,
          lat: s.latitude,
          lon: s.longitude,
          label: String(i + 1),
          tone: 'muted',
          title: `${i + 1}. ${s.name}`,
        });
    });
  }

  return html`<section class="card" data-testid="planner">
    <h2>${draft?.id ? t('manager.plan.edit') : t('manager.plan.new')}</h2>
    <div class="toolbar">
      <label class="mgr-inline"><span>${t('manager.rep')}</span><${RepSelect} region=${region} value=${repId} onChange=${pickRep} testid="plan-rep" /></label>
      <label class="mgr-inline">
        <span>${t('manager.day')}</span>
        <input type="date" value=${day} min=${addDays(today, -1)} onChange=${(e) => setDay(e.currentTarget.value)} data-testid="plan-day" />
      </label>
    </div>
    ${
      !rep
        ? html`<p class="muted">${t('manager.plan.pickRepFirst')}</p>`
        : html`<div class="mgr-planner">
          <div>
            <input
              type="search"
              placeholder=${t('manager.plan.search')}
              aria-label=${t('manager.plan.search')}
              value=${q}
              onInput=${(e) => setQ(e.currentTarget.value)}
              data-testid="plan-search"
            />
            <${ErrorBanner} error=${stores.error} onRetry=${stores.reload} />
            <ul class="mgr-pick-list" data-testid="plan-stores">
              ${shown.map(
                (s) => html`<li key=${s.id}>
                  <label class="mgr-pick">
                    <input
                      type="checkbox"
                      checked=${picked.includes(s.id)}
                      disabled=${!picked.includes(s.id) && picked.length >= MAX_STOPS}
                      onChange=${() => setPicked(togglePick(picked, s.id))}
                      data-testid="pick-store"
                      data-store-id=${s.id}
                    />
                    <span class="grow">${s.name}<span class="muted small"> · ${s.code}${s.tier ? ` · ${s.tier}` : ''}</span></span>
                  </label>
                </li>`,
              )}
            </ul>
            <p class="muted small">
              ${stores.loading ? t('app.loading') : t('manager.plan.shown', { n: shown.length, total: list.length })}
            </p>
          </div>
          <div>
            <h3>${t('manager.plan.pickedList', { n: picked.length, max: MAX_STOPS })}</h3>
            ${
              picked.length
                ? html`<ol class="mgr-picked" data-testid="picked">
                  ${picked.map(
                    (id, i) => html`<li key=${id} data-store-id=${id}>
                      <span class="grow">${nameOf(id)}</span>
                      <button type="button" class="btn btn-small" aria-label=${t('manager.plan.up')} disabled=${i === 0} onClick=${() => setPicked(move(picked, i, -1))}>↑</button>
                      <button type="button" class="btn btn-small" aria-label=${t('manager.plan.down')} disabled=${i === picked.length - 1} onClick=${() => setPicked(move(picked, i, 1))}>↓</button>
                      <button type="button" class="btn btn-small" aria-label=${t('manager.plan.remove')} onClick=${() => setPicked(togglePick(picked, id))}>×</button>
                    </li>`,
                  )}
                </ol>`
                : html`<p class="muted">${t('manager.plan.nonePicked')}</p>`
            }
            <label class="field">
              <span class="label">${t('manager.plan.start')} (${t('common.optional')})</span>
              <select value=${startMode} onChange=${(e) => setStartMode(e.currentTarget.value)} data-testid="plan-start">
                <option value="">${t('manager.plan.noStart')}</option>
                <option value="coords">${t('manager.plan.coords')}</option>
                ${list.map((s) => html`<option key=${s.id} value=${s.id}>${s.name}</option>`)}
              </select>
            </label>
            ${
              startMode === 'coords'
                ? html`<label class="field">
                  <span class="label">${t('manager.plan.coordsHint')}</span>
                  <input type="text" value=${startText} onInput=${(e) => setStartText(e.currentTarget.value)} aria-invalid=${startInvalid ? 'true' : undefined} placeholder="23.1301, 113.3301" data-testid="plan-start-coords" />
                </label>`
                : null
            }
            <label class="field">
              <span class="label">${t('common.notes')} (${t('common.optional')})</span>
              <textarea rows="2" maxlength="500" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} data-testid="plan-note"></textarea>
            </label>
            <label class="mgr-inline small"><input type="checkbox" checked=${keepOrder} onChange=${(e) => setKeepOrder(e.currentTarget.checked)} /> ${t('manager.plan.keepOrder')}</label>
            <div class="btn-row">
              <button type="button" class="btn" disabled=${!canPlan || busy} onClick=${propose} data-testid="propose-order">${t('manager.plan.propose')}</button>
              <button type="button" class="btn btn-primary" disabled=${!canPlan || busy} onClick=${save} data-testid="save-plan">${t('manager.plan.save')}</button>
            </div>
          </div>
        </div>`
    }
    <${ErrorBanner} error=${error} />
    ${
      replacing
        ? html`<${ReplaceDialog}
            change=${replacing.change}
            repName=${rep ? rep.display_name : ''}
            day=${replacing.body.day}
            busy=${busy}
            onReplace=${() => send({ ...replacing.body, replaces: replacing.change.updatedAt }, true)}
            onCancel=${() => setReplacing(null)}
          />`
        : null
    }
    ${message ? html`<div class="banner banner-ok" role="status" data-testid="plan-saved">${message}</div>` : null}
    ${
      order
        ? html`<div data-testid="proposed-order">
          <h3>${t('manager.plan.proposedOrder')}</h3>
          <${Saving} order=${order} />
          ${sameOrder(order.store_ids, order.picked_store_ids) ? html`<p class="muted small">${t('manager.plan.alreadyBest')}</p>` : null}
          <div class="mgr-two">
            <ol class="mgr-picked">${order.store_ids.map((id) => html`<li key=${id} data-testid="proposed-stop" data-store-id=${id}>${nameOf(id)}</li>`)}</ol>
            <${MapView} markers=${markers} lines=${lines} height="300px" label=${t('manager.plan.proposedOrder')} />
          </div>
          ${keepOrder ? html`<p class="muted small">${t('manager.plan.keepOrderNote')}</p>` : null}
        </div>`
        : markers.length
          ? html`<${MapView} markers=${markers} height="260px" label=${t('manager.plan.pickedList', { n: picked.length, max: MAX_STOPS })} />`
          : null
    }
  </section>`;
}

function PlanList({ region, tz, reloadKey, onEdit, repFilter, setRepFilter }) {
  const today = todayIn(tz);
  const [page, setPage] = useState(1);
  const since = addDays(today, -7);
  useEffect(() => setPage(1), [repFilter]);
  const { data, loading, error, reload } = useRemote(
    () => mapi.plans({ since, rep_id: repFilter || undefined }, { page, pageSize: 25 }),
    [since, repFilter, page, reloadKey],
  );
  const rows = data?.items || [];
  // Names of the plans' stores: the reps' territories.
  const [, setNamesTick] = useState(0);
  useEffect(() => {
    const terr = new Set(rows.map((p) => region.rep(p.rep_id)?.territory_id).filter(Boolean));
    Promise.all([...terr].map((x) => territoryStores(x).catch(() => []))).then(() => setNamesTick((n) => n + 1));
  }, [data, region.reps.length]);

  async function remove(plan) {
    if (!confirm(t('manager.plan.deleteConfirm', { rep: region.repName(plan.rep_id), day: fmt.day(plan.day) }))) return;
    try {
      await mapi.deletePlan(plan.id);
      reload();
    } catch (err) {
      alert(apiMessage(err));
    }
  }
  const columns = [
    { key: 'day', label: t('manager.day') },
    { key: 'rep', label: t('manager.rep'), value: (p) => region.repName(p.rep_id) },
    { key: 'stores', label: t('manager.plan.stops'), value: (p) => p.store_ids.map(nameOf).join(' → ') },
    { key: 'distance_planned_m', label: t('manager.plan.proposed') },
    { key: 'distance_picked_m', label: t('manager.plan.picked') },
    { key: 'note', label: t('common.notes') },
  ];
  return html`<section class="card" data-testid="plan-list">
    <div class="toolbar">
      <h2 style="margin:0">${t('manager.plan.list')}</h2>
      <${RepSelect} region=${region} value=${repFilter} onChange=${setRepFilter} allowAll=${true} testid="plans-rep" />
      <${CsvButton} name="visit-plans" rows=${rows} columns=${columns} testid="csv-plans" />
    </div>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>${t('manager.day')}</th>
                  <th>${t('manager.rep')}</th>
                  <th>${t('manager.plan.stops')}</th>
                  <th class="num">${t('manager.plan.proposed')}</th>
                  <th class="num">${t('manager.plan.saved')}</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${rows.map((p) => {
                  const s = savingOf(p);
                  return html`<tr key=${p.id} data-testid="plan-row" data-plan-id=${p.id}>
                    <td>${fmt.day(p.day)}${p.day === today ? html` <span class="tag tag-ok">${t('manager.today')}</span>` : null}</td>
                    <td>${region.repName(p.rep_id)}</td>
                    <td>
                      <span class="small">${p.store_ids.map((id, i) => `${i + 1}. ${nameOf(id)}`).join(' · ')}</span>
                      ${p.note ? html`<div class="muted small">${p.note}</div>` : null}
                    </td>
                    <td class="num">${fmt.distance(p.distance_planned_m)}</td>
                    <td class="num">${s.saved > 0 ? fmt.distance(s.saved) : '–'}</td>
                    <td class="mgr-actions">
                      <button type="button" class="btn btn-small" onClick=${() => onEdit(p)} data-testid="edit-plan">${t('manager.plan.editBtn')}</button>
                      <a class="btn btn-small" href=${`#/route/${p.rep_id}/${p.day}`}>${t('manager.plan.route')}</a>
                      <button type="button" class="btn btn-small btn-danger" onClick=${() => remove(p)} data-testid="delete-plan">${t('common.delete')}</button>
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>
          <${Pager} pagination=${data.pagination} page=${page} onPage=${setPage} testid="plans-pager" />`
        : html`<p class="empty">${loading ? t('app.loading') : t('manager.plan.none')}</p>`
    }
  </section>`;
}

function Compliance({ tz, reloadKey }) {
  const today = todayIn(tz);
  const since = addDays(mondayOf(today), -21);
  const { data, loading, error, reload } = useRemote(
    () => mapi.compliance({ since, until: today }),
    [since, today, reloadKey],
  );
  const rows = Array.isArray(data)
    ? [...data].sort((a, b) =>
        a.week < b.week ? 1 : a.week > b.week ? -1 : String(a.rep_name).localeCompare(String(b.rep_name)),
      )
    : [];
  const columns = [
    { key: 'week', label: t('manager.week') },
    { key: 'rep_name', label: t('manager.rep') },
    { key: 'planned', label: t('manager.comp.planned') },
    { key: 'visited', label: t('manager.comp.visited') },
    { key: 'unplanned_visits', label: t('manager.comp.unplanned') },
    { key: 'compliance', label: t('manager.comp.rate') },
  ];
  return html`<section class="card" data-testid="compliance">
    <div class="toolbar">
      <h2 style="margin:0">${t('manager.comp.title', { since: fmt.day(since), until: fmt.day(today) })}</h2>
      <${CsvButton} name="plan-compliance" rows=${rows} columns=${columns} testid="csv-compliance" />
    </div>
    <${ErrorBanner} error=${error} onRetry=${reload} />
    ${
      rows.length
        ? html`<div class="table-wrap">
          <table class="table" data-testid="compliance-table">
            <thead>
              <tr>
                <th>${t('manager.week')}</th>
                <th>${t('manager.rep')}</th>
                <th class="num">${t('manager.comp.planned')}</th>
                <th class="num">${t('manager.comp.visited')}</th>
                <th class="num">${t('manager.comp.unplanned')}</th>
                <th class="num">${t('manager.comp.rate')}</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) => html`<tr key=${`${r.rep_id}-${r.week}`} data-testid="compliance-row">
                  <td class="mono">${r.week}</td>
                  <td>${r.rep_name}</td>
                  <td class="num">${fmt.number(r.planned)}</td>
                  <td class="num">${fmt.number(r.visited)}</td>
                  <td class="num">${fmt.number(r.unplanned_visits)}</td>
                  <td class="num">
                    ${
                      r.compliance === null
                        ? '–'
                        : html`<span class=${`tag ${r.compliance >= 0.8 ? 'tag-ok' : r.compliance >= 0.5 ? 'tag-warn' : 'tag-err'}`}>${fmt.percent(r.compliance)}</span>`
                    }
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
        : html`<p class="empty">${loading ? t('app.loading') : t('manager.comp.none')}</p>`
    }
  </section>`;
}

export function Plans({ region, tz }) {
  const [draft, setDraft] = useState(null);
  const [reloadKey, setReloadKey] = useState(0);
  const [repFilter, setRepFilter] = useState(null);
  function edit(p) {
    setDraft({
      id: p.id,
      repId: p.rep_id,
      day: p.day,
      storeIds: p.picked_store_ids?.length ? p.picked_store_ids : p.store_ids,
      note: p.note,
      updatedAt: p.updated_at,
    });
    window.scrollTo(0, 0);
  }
  return html`<div data-testid="plans">
    <${Planner} region=${region} tz=${tz} draft=${draft} onSaved=${() => setReloadKey((n) => n + 1)} />
    <${PlanList} region=${region} tz=${tz} reloadKey=${reloadKey} onEdit=${edit} repFilter=${repFilter} setRepFilter=${setRepFilter} />
    <${Compliance} tz=${tz} reloadKey=${reloadKey} />
  </div>`;
}
