// Today: the visit in progress, today's and tomorrow's planned stores (when there are any), "Plan
// a day" (a rep), the stores nearest to the phone with their distances, and search by name. Reads
// only the local database.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { useLive } from '../../components/hooks.js';
import { getPosition, positionError } from '../../components/geo.js';
import { asStore, entityGet, openVisits, planDays } from './model.js';
import { Icon } from '../../components/icons.js';

const NEARBY_LIMIT = 30;

export function StoreItem({ store, extra }) {
  return html`<li>
    <a class="list-item" href=${`#/store/${store.id}`} data-testid="store-item" data-store-id=${store.id}>
      <div class="main">
        <div class="title">${store.name}</div>
        <div class="sub">${store.address || store.code || ''}</div>
        ${extra}
      </div>
      <div class="side">${store.distance_m != null ? fmt.distance(store.distance_m) : ''}</div>
      <span class="chev"><${Icon} name="chevron" size=${18} /></span>
    </a>
  </li>`;
}

function OpenVisitBanner() {
  const { db } = useApp();
  const [open] = useLive(async () => {
    const visits = await openVisits(db);
    if (!visits.length) return null;
    const v = visits[0];
    const store = await entityGet(db, 'store', v.store_id);
    return { visit: v, store: store ? store.data : null };
  }, []);
  if (!open) return null;
  return html`<div class="banner banner-info" data-testid="open-visit">
    <span class="grow"
      ><strong>${t('today.openVisit')}</strong><br />${open.store ? open.store.name : `#${open.visit.store_id}`} ·
      ${fmt.when(open.visit.checked_in_at)}</span
    >
    <a class="btn btn-primary btn-small" href=${`#/visit/${open.visit.id}`}>${t('today.continue')}</a>
  </div>`;
}

// The visit plan of a day (made by the manager or the rep, received by sync or saved on this
// phone): the stores in the order to follow — a plan saved here shows at once in the order picked
// ("waiting to sync"), then as the server ordered it. Today's: those visited ticked, the next one
// marked. Tomorrow's (`ahead`): just the order. A rep gets "Edit" (Plan a day, #/plan/<day>).
function Planned({ day, ahead = false, canPlan = false }) {
  const { queries } = useApp();
  const [planned] = useLive(async () => (queries.plannedStores ? queries.plannedStores(day) : []), [day]);
  if (!planned?.length) return null;
  const done = planned.filter((s) => s.visited).length;
  const next = ahead ? null : planned.find((s) => !s.visited);
  const note = planned[0].plan_note;
  const tags = (s) => html`<div class="tags">
    <span class="tag">${s.plan_order}</span>
    ${s.visited && !ahead ? html`<span class="tag tag-ok">✓ ${t('manager.todayPlan.visited')}</span>` : null}
    ${s === next ? html`<span class="tag tag-warn">${t('manager.todayPlan.next')}</span>` : null}
  </div>`;
  return html`<h2 class="section-title">
      <span>${ahead ? t('plan.tomorrowTitle') : t('today.planned')}</span>
      <span class="small">
        ${planned[0].plan_pending ? html`<span class="tag tag-warn" data-testid="plan-pending">${t('common.waiting')}</span> ` : null}
        ${ahead ? null : html`<span data-testid="planned-progress">${t('manager.todayPlan.progress', { done, n: planned.length })}</span>`}
        ${canPlan ? html` <a href=${`#/plan/${day}`} data-testid=${ahead ? 'edit-plan-tomorrow' : 'edit-plan'}>${t('plan.edit')}</a>` : null}
      </span>
    </h2>
    <div class="card" data-testid=${ahead ? 'planned-tomorrow' : 'planned'} data-plan-id=${planned[0].plan_id}>
      ${note ? html`<p class="muted small">${note}</p>` : null}
      <ul class="list">
        ${planned.map((s) =>
          s.unknown
            ? html`<li key=${s.id} class="list-item" data-testid="planned-unknown">
                <div class="main"><div class="title">${t('manager.todayPlan.unknown', { id: s.id })}</div>${tags(s)}</div>
              </li>`
            : html`<${StoreItem} key=${s.id} store=${asStore(s)} extra=${tags(s)} />`,
        )}
      </ul>
    </div>`;
}

export function Today() {
  const { queries, session } = useApp();
  // A rep plans their own days (a manager plans the reps' days on the desk: #/plans).
  const canPlan = Boolean(session?.user && session.user.role === 'rep');
  const days = planDays();
  const [q, setQ] = useState('');
  const [pos, setPos] = useState(null);
  const [posError, setPosError] = useState(null);
  const [locating, setLocating] = useState(true);

  function locate() {
    setLocating(true);
    getPosition()
      .then((p) => {
        setPos(p);
        setPosError(null);
      })
      .catch((err) => setPosError(positionError(err)))
      .finally(() => setLocating(false));
  }
  useEffect(locate, []);

  const text = q.trim();
  const [stores, loaded] = useLive(
    async () => {
      if (text) return queries.searchStores(text);
      if (pos) return queries.nearbyStores(pos.latitude, pos.longitude, NEARBY_LIMIT);
      return queries.stores();
    },
    [text, pos?.latitude, pos?.longitude],
    [],
  );
  const list = (stores || []).map(asStore).filter(Boolean);

  let heading = t('today.all');
  if (text) heading = t('today.results');
  else if (pos) heading = t('today.nearby');

  // The no-position message goes below the list: arriving late, it must not push the stores down.
  return html`<div>
    <${OpenVisitBanner} />
    <label class="field">
      <span class="label" style="position:absolute;left:-9999px">${t('common.search')}</span>
      <input
        type="search"
        placeholder=${t('today.search')}
        value=${q}
        onInput=${(e) => setQ(e.currentTarget.value)}
        data-testid="store-search"
        enterkeyhint="search"
      />
    </label>
    ${
      text
        ? null
        : html`<${Planned} day=${days.today} canPlan=${canPlan} />
          <${Planned} day=${days.tomorrow} ahead canPlan=${canPlan} />
          ${
            canPlan
              ? html`<a class="btn btn-block" href="#/plan" style="margin-top:0.25rem" data-testid="plan-day-link">${t('plan.title')}</a>`
              : null
          }`
    }
    <h2 class="section-title">
      <span>${heading}</span>
      ${
        !text
          ? html`<span class="small">
            ${locating ? t('today.locating') : null}
            ${!locating && pos ? t('today.accuracy', { m: fmt.distance(pos.accuracy) }) : null}
            <button type="button" class="icon-btn" style="font-size:1rem" aria-label=${t('today.locate')} onClick=${locate}>
              <${Icon} name="locate" size=${18} />
            </button>
          </span>`
          : null
      }
    </h2>
    <div class="card">
      ${
        list.length
          ? html`<ul class="list" data-testid="store-list">
            ${list.map((s) => html`<${StoreItem} key=${s.id} store=${s} />`)}
          </ul>`
          : html`<p class="empty">${!loaded ? t('app.loading') : text ? t('today.noResults', { q: text }) : t('today.noStores')}</p>`
      }
    </div>
    ${!text && posError && !locating ? html`<div class="banner banner-warn small">${t('today.noPosition', { message: posError })}</div>` : null}
  </div>`;
}
