// A store: details, its open tasks (issue 18), contacts, last visit (its score and failed checklist items), last prices,
// current promo stock — and check in, with a clear warning when the phone is far from the store.
// One visit at a time: while a visit is open at another store, the check-in gives way to "visit
// open at X — go there" (db/actions.checkIn refuses too).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, localName, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useBusinessZone, useLive } from '../../components/hooks.js';
import { distanceM, getPosition, isOffSite, offSiteLimit, positionError } from '../../components/geo.js';
import { entitiesOfStore, entityGet, normCatalogue, normHistory, openVisits } from './model.js';
import { checkScore, findings } from './checklist.js';
import { itemLabel } from './steps/DisplayStep.js';
import { TaskTags } from './steps/TaskStep.js';
import { sortOpen, tasksOfStore, todayAt } from '../../db/tasks.js';

export function modelName(catalogue, price) {
  if (price.product_id != null) {
    const p = catalogue.products.find((x) => Number(x.id) === Number(price.product_id));
    return p ? `${t('price.ownBrand')} · ${localName(p)}` : `#${price.product_id}`;
  }
  const m = catalogue.models.find((x) => Number(x.id) === Number(price.competitor_model_id));
  if (!m) return `#${price.competitor_model_id}`;
  const b = catalogue.brands.find((x) => Number(x.id) === Number(m.brand_id));
  return `${b ? localName(b) : ''} ${localName(m)}`.trim();
}

export function materialName(catalogue, id) {
  const m = catalogue.materials.find((x) => Number(x.id) === Number(id));
  return m ? localName(m) : `#${id}`;
}

export function CheckInButton({ store }) {
  const { actions } = useApp();
  const [state, setState] = useState({ step: 'idle' });

  async function checkIn(position) {
    setState({ step: 'saving' });
    try {
      const id = await actions.checkIn({
        storeId: store.id,
        position: { latitude: position.latitude, longitude: position.longitude, accuracy: position.accuracy },
      });
      navigate(`/visit/${id}`);
    } catch (err) {
      console.error(err);
      const message =
        err?.code === 'visit_open_elsewhere'
          ? t('store.openElsewhere', { store: `#${err.storeId}` }) // a visit opened meanwhile (another tab)
          : err.message || String(err);
      setState({ step: 'error', message });
    }
  }

  async function start() {
    setState({ step: 'locating' });
    let position;
    try {
      position = await getPosition({ maximumAge: 10000 });
    } catch (err) {
      setState({ step: 'error', message: t('checkin.noPosition', { message: positionError(err) }) });
      return;
    }
    const distance = distanceM(position, store);
    if (isOffSite(distance, position.accuracy)) {
      setState({ step: 'far', position, distance });
      return;
    }
    await checkIn(position);
  }

  if (state.step === 'far') {
    return html`<div class="banner banner-warn" role="alert" data-testid="checkin-far">
      <span class="grow"
        >⚠ ${t('checkin.far', {
          d: fmt.distance(state.distance),
          acc: fmt.distance(state.position.accuracy),
          limit: fmt.distance(offSiteLimit(state.position.accuracy)),
        })}</span
      >
      <div class="btn-row" style="width:100%">
        <button type="button" class="btn" onClick=${start}>${t('checkin.retry')}</button>
        <button type="button" class="btn btn-warn" onClick=${() => checkIn(state.position)} data-testid="checkin-anyway">
          ${t('checkin.anyway')}
        </button>
      </div>
    </div>`;
  }
  return html`<div>
    ${state.step === 'error' ? html`<div class="banner banner-err" role="alert">${state.message}</div>` : null}
    <button
      type="button"
      class="btn btn-primary btn-block"
      onClick=${start}
      disabled=${state.step === 'locating' || state.step === 'saving'}
      data-testid="check-in"
    >
      ${state.step === 'locating' ? t('checkin.locating') : t('store.checkIn')}
    </button>
  </div>`;
}

/** In place of a check-in while a visit is open at another store: where, and the way there. */
export function OpenVisitElsewhere({ visit, storeName }) {
  return html`<div class="banner banner-warn open-elsewhere" role="status" data-testid="open-visit-elsewhere">
    <span class="grow">${t('store.openElsewhere', { store: storeName || `#${visit.store_id}` })}</span>
    <a class="btn btn-primary btn-block" href=${`#/visit/${visit.id}`} data-testid="open-visit-go">${t('store.openElsewhereGo')}</a>
  </div>`;
}

/** The last visit's display check: score and the failed items (with their reasons). */
function LastVisitCheck({ check, checklist }) {
  if (!check) return null;
  const score = checkScore(checklist, check);
  const failed = findings(checklist, check);
  return html`<div class="last-check" data-testid="last-visit-check">
    <p>
      ${t('store.lastCheck')}
      <strong data-testid="last-visit-score">${score != null ? t('finish.score', { n: fmt.number(score) }) : '—'}</strong>
    </p>
    ${
      failed.length
        ? html`<ul class="findings small" data-testid="last-visit-findings">
          ${failed.map(
            (f) => html`<li key=${f.item.id} data-item-code=${f.item.code}>
              ✗ ${itemLabel(f.item)}${f.item.answer_type === 'number' ? ` (${fmt.number(f.value)}/${fmt.number(f.item.target)})` : ''}${f.reason ? html` — <span class="muted">${f.reason}</span>` : null}
            </li>`,
          )}
        </ul>`
        : html`<p class="muted small">${t('store.allPassed')}</p>`
    }
  </div>`;
}

/** The store's open tasks (issue 18), overdue first; done at a visit (TaskStep). None: nothing. */
function StoreTasks({ tasks, today }) {
  if (!tasks.length) return null;
  return html`<h2 class="section-title"><span>${t('repTask.store')}</span><span class="small">${fmt.number(tasks.length)}</span></h2>
    <div class="card" data-testid="store-tasks">
      <ul class="list">
        ${tasks.map(
          (task) => html`<li key=${task.id} class="list-item" data-testid="store-task" data-task-id=${task.id}>
            <div class="main">
              <div class="title">${task.title}</div>
              <div class="sub">${t(`repTask.kind.${task.kind}`)} <${TaskTags} task=${task} today=${today} /></div>
              ${task.note ? html`<div class="sub">${task.note}</div>` : null}
            </div>
          </li>`,
        )}
      </ul>
    </div>`;
}

export function StoreScreen({ id }) {
  const { db, queries, session } = useApp();
  const [store, loaded] = useLive(() => queries.store(id), [id]);
  const [history] = useLive(async () => normHistory(await queries.storeHistory(id)), [id], normHistory(null));
  const [catalogue] = useLive(async () => normCatalogue(await queries.catalogue()), [], normCatalogue(null));
  const [contacts] = useLive(
    async () => (await entitiesOfStore(db, 'contact', id)).map((r) => r.data).filter((c) => c && !c.deleted_at),
    [id],
    [],
  );
  // The visit open on this phone (any store), with its store's name.
  const [open] = useLive(async () => {
    const visit = (await openVisits(db, { repId: session?.user?.id }))[0] || null;
    if (!visit) return null;
    const row = await entityGet(db, 'store', visit.store_id);
    return { visit, storeName: row?.data?.name || '' };
  }, [id]);
  const [storeChecks] = useLive(
    async () => (await entitiesOfStore(db, 'display_check', id)).map((r) => r.data).filter(Boolean),
    [id],
    [],
  );
  useBusinessZone(); // today is the business day: rendered again when the zone is learned
  const today = todayAt();
  const [tasks] = useLive(async () => sortOpen(await tasksOfStore(db, id), today), [id, today], []);
  const openVisit = open && String(open.visit.store_id) === String(id) ? open.visit : null;
  const openElsewhere = open && !openVisit ? open : null;

  if (!loaded) return html`<p class="empty">${t('app.loading')}</p>`;
  const s = store?.data && store.entity ? store.data : store;
  if (!s) return html`<p class="empty">${t('store.notFound')}</p>`;

  const allContacts = (contacts?.length ? contacts : s.contacts || history.contacts || []).filter((c) => !c.deleted_at);
  // The last visit before the one in progress, if any.
  const last = openVisit
    ? history.visits.find((v) => String(v.id) !== String(openVisit.id)) || null
    : history.lastVisit || history.visits[0] || null;
  const partner = s.partner_id != null ? catalogue.partners.find((p) => Number(p.id) === Number(s.partner_id)) : null;
  const lastVisitId = last ? String(last.id) : null;
  const lastCheck =
    (storeChecks || [])
      .filter((c) => String(c.visit_id) === lastVisitId)
      .sort((a, b) => String(b.checked_at).localeCompare(String(a.checked_at)))[0] || null;
  const prices = [...history.lastPrices].sort((a, b) => String(b.observed_at).localeCompare(String(a.observed_at)));

  return html`<div data-testid="store-screen">
    <div class="card">
      <h1>${s.name}</h1>
      <p class="muted">${s.address}</p>
      <dl class="facts small">
        <dt>${t('store.code')}</dt>
        <dd>${s.code}</dd>
        <dt>${t('store.kind')}</dt>
        <dd>${s.kind ? t(`store.kind.${s.kind}`) : ''}</dd>
        ${partner ? html`<dt>${t('store.partner')}</dt><dd>${partner.name}</dd>` : null}
        ${s.tier ? html`<dt>${t('store.tier')}</dt><dd>${s.tier}</dd>` : null}
        ${s.status ? html`<dt>${t('store.status')}</dt><dd>${t(`store.status.${s.status}`)}</dd>` : null}
      </dl>
    </div>

    ${
      openVisit
        ? html`<a class="btn btn-primary btn-block" href=${`#/visit/${openVisit.id}`} data-testid="continue-visit"
          >${t('store.continueVisit')}</a
        >`
        : openElsewhere
          ? html`<${OpenVisitElsewhere} visit=${openElsewhere.visit} storeName=${openElsewhere.storeName} />`
          : html`<${CheckInButton} store=${s} />`
    }

    <${StoreTasks} tasks=${tasks || []} today=${today} />

    <h2 class="section-title">${t('store.lastVisit')}</h2>
    <div class="card" data-testid="last-visit">
      ${
        last
          ? html`<p>
            ${fmt.dateTime(last.checked_in_at)}${last.checked_out_at ? ` – ${fmt.time(last.checked_out_at)}` : ''}
            ${last.off_site ? html`<span class="tag tag-warn">${t('store.offSite')}</span>` : null}
          </p>
          <${LastVisitCheck} check=${lastCheck} checklist=${catalogue.checklist} />
          ${last.notes ? html`<p class="muted small">${last.notes}</p>` : null}`
          : html`<p class="muted">${t('store.neverVisited')}</p>`
      }
    </div>

    <h2 class="section-title">${t('store.lastPrices')}</h2>
    <div class="card">
      ${
        prices.length
          ? html`<ul class="list">
            ${prices.map(
              (p) => html`<li key=${p.id} class="list-item">
                <div class="main">
                  <div class="title">${modelName(catalogue, p)}</div>
                  <div class="sub">${fmt.date(p.observed_at)}${p.promo_text ? ` · ${p.promo_text}` : ''}</div>
                </div>
                <div class="side">
                  <div>${fmt.price(p.shelf_price)}</div>
                  ${p.promo_price != null ? html`<div class="tag tag-warn">${fmt.price(p.promo_price)}</div>` : null}
                </div>
              </li>`,
            )}
          </ul>`
          : html`<p class="muted">${t('store.noPrices')}</p>`
      }
    </div>

    <h2 class="section-title">${t('store.stock')}</h2>
    <div class="card">
      ${
        history.stock.length
          ? html`<ul class="list">
            ${history.stock.map(
              (row) => html`<li key=${row.material_id} class="list-item">
                <div class="main">
                  <div class="title">${row.material_name || materialName(catalogue, row.material_id)}</div>
                  ${row.last_counted_at ? html`<div class="sub">${fmt.date(row.last_counted_at)}</div>` : null}
                </div>
                <div class="side"><strong>${fmt.number(row.quantity)}</strong></div>
              </li>`,
            )}
          </ul>`
          : html`<p class="muted">${t('store.noStock')}</p>`
      }
    </div>

    <h2 class="section-title">${t('store.contacts')}</h2>
    <div class="card">
      ${
        allContacts.length
          ? html`<ul class="list">
            ${allContacts.map(
              (c) => html`<li key=${c.id} class="list-item">
                <div class="main">
                  <div class="title">${c.name}</div>
                  <div class="sub">${c.role ? t(`contact.role.${c.role}`) : ''}</div>
                </div>
                ${c.phone ? html`<a class="btn btn-small" href=${`tel:${c.phone}`}>${c.phone}</a>` : null}
              </li>`,
            )}
          </ul>`
          : html`<p class="muted">${t('store.noContacts')}</p>`
      }
    </div>
  </div>`;
}
