// The photo feed (#/photos, managers and HQ): the photos of a region and period newest first, the
// way managers audit displays — filtered by checklist item, store tier, rep, kind of record, or
// the recycled ones only. A thumbnail opens the larger copy (the visit detail's viewer); the
// store's name opens the visit. "More" loads the next page below.
import './i18n/index.js'; // the manager's strings (HQ's shell loads this module with them)
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, lang, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { ErrorBanner, RefreshButton, useRemote } from '../desk/kit.js';
import { todayIn, useRegion, useTimeZone } from './common.js';
import { addDays } from './format.js';
import { appendPage, feedQuery, itemsFailedFirst, visitHref } from './visits.js';
import { PhotoViewer, RecycledNote, VisitThumb, whenIn } from './VisitDetail.js';
import * as vapi from './visitsApi.js';
import './manager.css'; // .mgr-inline, the map legend's keys (HQ's shell loads these screens too)
import './visits.css';

const PAGE = 48;
const KINDS = ['display_check', 'price_observation', 'intel_report', 'task'];

function itemName(i) {
  return lang() === 'en' ? i.label_en || i.label_zh : i.label_zh || i.label_en;
}

function Select({ label, value, onChange, options, any, testid }) {
  return html`<label class="mgr-inline">
    <span>${label}</span>
    <select value=${value ?? ''} onChange=${(e) => onChange(e.currentTarget.value)} data-testid=${testid}>
      <option value="">${any}</option>
      ${options.map(([v, text]) => html`<option key=${v} value=${v}>${text}</option>`)}
    </select>
  </label>`;
}

/** `hq`: HQ's feed (a region to pick; managers have their own). */
export function PhotoFeed({ hq = false }) {
  const { session } = useApp();
  const tz = useTimeZone();
  const region = useRegion(session);
  const today = todayIn(tz);
  const [filters, setFilters] = useState({
    region_id: '',
    since: '',
    until: '',
    checklist_item_id: '',
    tier: '',
    rep_id: '',
    record_type: '',
    recycled: false,
  });
  const set = (name) => (value) =>
    setFilters((f) => ({ ...f, [name]: value, ...(name === 'region_id' ? { rep_id: '' } : {}) }));
  useEffect(() => {
    if (tz && !filters.since) setFilters((f) => ({ ...f, since: addDays(todayIn(tz), -13), until: todayIn(tz) }));
  }, [tz]);
  const items = useRemote(() => vapi.checklistItems(), []);
  const regions = useRemote(() => (hq ? vapi.regions() : Promise.resolve([])), [hq]);

  const [page, setPage] = useState(1);
  const [shown, setShown] = useState([]);
  const query = feedQuery(filters);
  const key = JSON.stringify(query);
  useEffect(() => {
    setPage(1);
    setShown([]);
  }, [key]);
  const feed = useRemote(() => vapi.photoFeed(query, { page, pageSize: PAGE }), [key, page], { skip: !filters.since });
  useEffect(() => {
    if (feed.data) setShown((prev) => (page === 1 ? feed.data.items : appendPage(prev, feed.data.items)));
  }, [feed.data]);
  const total = feed.data?.pagination?.total ?? null;
  const pages = feed.data?.pagination?.total_pages ?? 1;
  const [viewing, setViewing] = useState(null);

  // A rep filter of the chosen region (HQ) or of the manager's: the reps of its territories.
  const terrIds = new Set(
    region.territories
      .filter((x) => !filters.region_id || String(x.region_id) === String(filters.region_id))
      .map((x) => x.id),
  );
  const reps = region.reps.filter((r) => !hq || !filters.region_id || terrIds.has(r.territory_id));
  const viewerList = shown.map((i) => ({
    photo: i,
    alt: t('visits.photoOf', { what: t(`feed.kind.${i.record_type}`), store: i.store?.name || '' }),
  }));

  return html`<div class="vd-feed" data-testid="photo-feed">
    <section class="card">
      <h2 class="vd-title">${t('feed.title')}</h2>
      <div class="toolbar vd-filters" role="group" aria-label=${t('feed.filters')}>
        ${
          hq
            ? html`<${Select}
              label=${t('feed.region')}
              value=${filters.region_id}
              onChange=${set('region_id')}
              any=${t('feed.allRegions')}
              options=${(regions.data || []).map((r) => [r.id, r.name])}
              testid="feed-region"
            />`
            : null
        }
        <label class="mgr-inline"><span>${t('feed.since')}</span>
          <input type="date" value=${filters.since} max=${today} onChange=${(e) => set('since')(e.currentTarget.value)} data-testid="feed-since" />
        </label>
        <label class="mgr-inline"><span>${t('feed.until')}</span>
          <input type="date" value=${filters.until} max=${today} onChange=${(e) => set('until')(e.currentTarget.value)} data-testid="feed-until" />
        </label>
        <${Select}
          label=${t('feed.item')}
          value=${filters.checklist_item_id}
          onChange=${set('checklist_item_id')}
          any=${t('feed.anyItem')}
          options=${(items.data || []).map((i) => [i.id, itemName(i)])}
          testid="feed-item-filter"
        />
        <${Select} label=${t('feed.tier')} value=${filters.tier} onChange=${set('tier')} any=${t('feed.anyTier')} options=${['A', 'B', 'C'].map((x) => [x, x])} testid="feed-tier" />
        <${Select}
          label=${t('feed.rep')}
          value=${filters.rep_id}
          onChange=${set('rep_id')}
          any=${t('feed.anyRep')}
          options=${reps.map((r) => [r.id, r.display_name])}
          testid="feed-rep"
        />
        <${Select}
          label=${t('feed.kind')}
          value=${filters.record_type}
          onChange=${set('record_type')}
          any=${t('feed.anyKind')}
          options=${KINDS.map((k) => [k, t(`feed.kind.${k}`)])}
          testid="feed-kind"
        />
        <label class="mgr-inline vd-check">
          <input type="checkbox" checked=${filters.recycled} onChange=${(e) => set('recycled')(e.currentTarget.checked)} data-testid="feed-recycled" />
          <span>${t('feed.recycledOnly')}</span>
        </label>
        <${RefreshButton} onClick=${() => (page === 1 ? feed.reload() : setPage(1))} />
      </div>
      <${ErrorBanner} error=${feed.error} onRetry=${feed.reload} />
      ${total !== null ? html`<p class="small muted" data-testid="feed-count">${t('feed.shown', { shown: fmt.number(shown.length), total: fmt.number(total) })}</p>` : null}
    </section>
    ${
      shown.length
        ? html`<ul class="vd-grid" data-testid="feed-grid">
          ${shown.map(
            (
              i,
              n,
            ) => html`<li class="vd-card" key=${`${i.photo_id}|${i.record_type}|${i.record_id}`} data-testid="feed-item" data-photo-id=${i.photo_id} data-recycled=${i.recycled ? 'true' : 'false'}>
              <${VisitThumb} photo=${i} alt=${viewerList[n].alt} onOpen=${() => setViewing(n)} testid="feed-photo" big=${true} />
              <div class="vd-card-body">
                <div class="vd-card-line">
                  ${i.visit_id ? html`<a href=${visitHref(i.visit_id)} data-testid="feed-visit-link">${i.store?.name || t('feed.openVisit')}</a>` : html`<span>${i.store?.name || ''}</span>`}
                  ${i.store?.tier ? html` <span class="tag">${i.store.tier}</span>` : null}
                </div>
                <div class="small muted">${i.rep.name} · ${whenIn(i.at, tz)}</div>
                <div class="small">
                  ${t(`feed.kind.${i.record_type}`)}${i.score !== null && i.score !== undefined ? html` · <span data-testid="feed-score">${t('feed.score', { score: fmt.decimal1(i.score) })}</span>` : null}
                </div>
                ${
                  i.checklist_items.length
                    ? html`<ul class="vd-items small">
                      ${itemsFailedFirst(i.checklist_items).map(
                        (c) =>
                          html`<li key=${c.id} class=${c.passed ? 'ok' : 'bad'} data-testid="feed-checklist-item">${c.passed ? '✓' : '✗'} ${itemName(c)}</li>`,
                      )}
                    </ul>`
                    : null
                }
                <${RecycledNote} photo=${i} tz=${tz} />
              </div>
            </li>`,
          )}
        </ul>`
        : html`<p class="empty" data-testid="feed-empty">${feed.loading || !filters.since ? t('app.loading') : t('feed.none')}</p>`
    }
    ${
      page < pages && shown.length
        ? html`<div class="vd-more"><button type="button" class="btn" disabled=${feed.loading} onClick=${() => setPage(page + 1)} data-testid="feed-more">${t('feed.more')}</button></div>`
        : null
    }
    ${viewing !== null ? html`<${PhotoViewer} list=${viewerList} index=${viewing} onIndex=${setViewing} onClose=${() => setViewing(null)} tz=${tz} />` : null}
  </div>`;
}
