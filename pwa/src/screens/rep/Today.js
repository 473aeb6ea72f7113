// Today: the visit in progress, planned stores (when there are any), the stores nearest to the
// phone with their distances, and search by name. Reads only the local database.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { useLive } from '../../components/hooks.js';
import { getPosition, positionError } from '../../components/geo.js';
import { asStore, entityGet, openVisits } from './model.js';
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

// Today's visit plan (made by the manager or the rep, received by sync): the stores in the order
// to follow, those visited today ticked, the next one marked.
function Planned() {
  const { queries } = useApp();
  const [planned] = useLive(async () => (queries.plannedStores ? queries.plannedStores() : []), []);
  if (!planned || !planned.length) return null;
  const done = planned.filter((s) => s.visited).length;
  const next = planned.find((s) => !s.visited);
  const note = planned[0].plan_note;
  const tags = (s) => html`<div class="tags">
    <span class="tag">${s.plan_order}</span>
    ${s.visited ? html`<span class="tag tag-ok">✓ ${t('manager.todayPlan.visited')}</span>` : null}
    ${s === next ? html`<span class="tag tag-warn">${t('manager.todayPlan.next')}</span>` : null}
  </div>`;
  return html`<h2 class="section-title">
      <span>${t('today.planned')}</span>
      <span class="small" data-testid="planned-progress">${t('manager.todayPlan.progress', { done, n: planned.length })}</span>
    </h2>
    <div class="card" data-testid="planned">
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
  const { queries } = useApp();
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
    [text, pos && pos.latitude, pos && pos.longitude],
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
    ${text ? null : html`<${Planned} />`}
    <h2 class="section-title">
      <span>${heading}</span>
      ${!text
        ? html`<span class="small">
            ${locating ? t('today.locating') : null}
            ${!locating && pos ? t('today.accuracy', { m: fmt.distance(pos.accuracy) }) : null}
            <button type="button" class="icon-btn" style="font-size:1rem" aria-label=${t('today.locate')} onClick=${locate}>
              <${Icon} name="locate" size=${18} />
            </button>
          </span>`
        : null}
    </h2>
    <div class="card">
      ${list.length
        ? html`<ul class="list" data-testid="store-list">
            ${list.map((s) => html`<${StoreItem} key=${s.id} store=${s} />`)}
          </ul>`
        : html`<p class="empty">${!loaded ? t('app.loading') : text ? t('today.noResults', { q: text }) : t('today.noStores')}</p>`}
    </div>
    ${!text && posError && !locating ? html`<div class="banner banner-warn small">${t('today.noPosition', { message: posError })}</div>` : null}
  </div>`;
}
