// A visit's whole story (#/visits/<id>, for managers and HQ; the rep's own visit screen is
// #/visit/<id>): check-in and check-out against the store on a small map, the checklist answers
// with their items and the score, the photos (thumbnails; a click opens the larger copy, the
// viewer steps through the visit's photos with ← → and closes with Esc), promo-material
// movements, prices, intel, trainings and tasks done, the notes. A photo that is (nearly) the same
// picture as one used at another visit or store carries a "recycled?" badge saying where.
import './i18n/index.js'; // the manager's strings (HQ's shell loads this module with them)
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmt, lang, localName, t } from '../../i18n/index.js';
import { MapView } from '../../components/MapView.js';
import { PhotoViewer as DeskPhotoViewer, ErrorBanner, PhotoButton, RefreshButton, useRemote } from '../desk/kit.js';
import { useTimeZone } from './common.js';
import { dayIn, formatMinutes, timeIn } from './format.js';
import { answerShown, recycledPlace, visitHref, visitLayers, visitPhotos } from './visits.js';
import * as vapi from './visitsApi.js';
import './manager.css'; // .mgr-inline, the map legend's keys (HQ's shell loads these screens too)
import './visits.css';

const metres = (m) => (m === null || m === undefined ? '' : fmt.distance(m));
const mins = (m) => formatMinutes(m, t);

/** "11月20日 14:05" in the business time zone. */
export function whenIn(iso, tz) {
  if (!iso) return '';
  const L = lang();
  return `${fmt.day(dayIn(iso, tz))} ${timeIn(iso, tz, L)}`;
}

function itemLabel(a) {
  const label = lang() === 'en' ? a.label_en || a.label_zh : a.label_zh || a.label_en;
  return label || a.code || `#${a.item_id}`;
}

// --- photos --------------------------------------------------------------------------------------

/** A visit photo's thumbnail (`photo` of the visit detail or feed: not clickable until uploaded). */
export function VisitThumb({ photo, alt, onOpen, testid = 'visit-photo', big = false }) {
  return html`<${PhotoButton}
    id=${photo.photo_id}
    alt=${alt}
    onOpen=${onOpen}
    waiting=${photo.status === 'ready' ? null : t('visits.pending')}
    className=${`vd-thumb${big ? ' vd-thumb-big' : ''}`}
    testid=${testid}
    attrs=${{ 'data-photo-id': photo.photo_id }}
  />`;
}

/** The "recycled?" badge and where the other picture was used. */
export function RecycledNote({ photo, tz }) {
  if (!photo.recycled) return null;
  return html`<div class="vd-recycled" data-testid="recycled-note">
    <span class="tag tag-err">${t('visits.recycled')}</span>
    ${(photo.recycled_from || []).map((m) => {
      const place = recycledPlace(m);
      const at = place.at ? whenIn(place.at, tz) : '';
      return html`<div class="small" key=${m.other_photo_id}>
        ${place.hidden ? t('visits.recycledHidden', { at }) : t('visits.recycledFrom', { store: place.store || '?', at })}
        ${place.href ? html` <a href=${place.href} data-testid="recycled-link">${t('visits.openVisit')}</a>` : null}
      </div>`;
    })}
  </div>`;
}

/** The desk's viewer over `list` [{photo, alt}] (a visit's photos, the feed's), each with its
 * "recycled?" note. */
export function PhotoViewer({ list, index, onIndex, onClose, tz }) {
  const items = useMemo(
    () =>
      list.map(({ photo, alt }) => ({
        id: photo.photo_id,
        alt,
        note: photo.recycled ? html`<${RecycledNote} photo=${photo} tz=${tz} />` : null,
      })),
    [list, tz],
  );
  return html`<${DeskPhotoViewer} list=${items} index=${index} onIndex=${onIndex} onClose=${onClose} />`;
}

function Photos({ photos, what, store, startAt, onOpen, tz }) {
  if (!photos?.length) return null;
  return html`<div class="vd-photos">
    ${photos.map(
      (p, i) => html`<div class="vd-photo" key=${p.photo_id}>
        <${VisitThumb} photo=${p} alt=${t('visits.photoOf', { what, store })} onOpen=${() => onOpen(startAt + i)} />
        <${RecycledNote} photo=${p} tz=${tz} />
      </div>`,
    )}
  </div>`;
}

// --- sections ------------------------------------------------------------------------------------

function Facts({ detail, tz }) {
  const v = detail.visit;
  const pos = (p) =>
    p
      ? html`<div class="small">${t('visits.distance', { d: metres(p.distance_m) })} · ${t('visits.accuracy', { d: metres(p.accuracy_m) })}</div>`
      : null;
  return html`<dl class="vd-facts" data-testid="visit-facts">
    <div><dt>${t('visits.rep')}</dt><dd data-testid="visit-rep">${v.rep.name}</dd></div>
    <div>
      <dt>${t('visits.in')}</dt>
      <dd data-testid="visit-in">${whenIn(v.checked_in_at, tz)} ${pos(v.check_in)}
        ${
          v.off_site
            ? html`<span class="tag tag-err" data-testid="visit-offsite">${t('visits.offSite')}</span>`
            : html`<span class="tag tag-ok">${t('visits.atStore')}</span>`
        }
        <div class="small muted">${t('visits.offSiteRule', { d: metres(v.off_site_threshold_m) })}</div>
      </dd>
    </div>
    <div>
      <dt>${t('visits.out')}</dt>
      <dd data-testid="visit-out">${v.checked_out_at ? html`${whenIn(v.checked_out_at, tz)} ${pos(v.check_out)}` : html`<span class="muted">${t('visits.noOut')}</span>`}</dd>
    </div>
    <div><dt>${t('visits.onSite')}</dt><dd>${mins(v.minutes_on_site) || '–'}</dd></div>
    ${v.notes ? html`<div class="vd-wide"><dt>${t('visits.notes')}</dt><dd data-testid="visit-notes">${v.notes}</dd></div>` : null}
  </dl>`;
}

function Checks({ checks, store, tz, offsets, onOpen }) {
  return checks.map(
    (c, ci) => html`<section class="card" key=${c.id} data-testid="visit-check">
      <h3 class="vd-head">
        <span class="grow">${t('visits.checklist')}</span>
        <span class="vd-score" data-testid="visit-score" aria-label=${`${t('visits.score')} ${fmt.decimal1(c.score)}`}>${fmt.decimal1(c.score)}</span>
      </h3>
      <p class="small muted">${t('visits.checkedAt', { t: whenIn(c.checked_at, tz) })}</p>
      <div class="table-wrap">
        <table class="table" data-testid="visit-answers">
          <thead><tr><th>${t('visits.item')}</th><th>${t('visits.answer')}</th><th>${t('visits.result')}</th><th>${t('visits.reason')}</th></tr></thead>
          <tbody>
            ${c.answers.map((a) => {
              const shown = answerShown(a);
              return html`<tr key=${a.item_id} data-testid="visit-answer" data-passed=${a.passed ? 'true' : 'false'}>
                <td>${itemLabel(a)}</td>
                <td>${shown === 'yes' ? t('visits.yes') : shown === 'no' ? t('visits.no') : shown}${a.target !== null && a.target !== undefined && a.answer_type === 'number' ? html` <span class="muted small">(${t('visits.target', { n: a.target })})</span>` : null}</td>
                <td>${a.passed === null ? '' : a.passed ? html`<span class="tag tag-ok">${t('visits.passed')}</span>` : html`<span class="tag tag-err">${t('visits.failed')}</span>`}</td>
                <td>${a.reason}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${c.notes ? html`<p><strong>${t('visits.notes')}:</strong> ${c.notes}</p>` : null}
      <${Photos} photos=${c.photos} what=${t('visits.checklist')} store=${store} startAt=${offsets.display_checks[ci]} onOpen=${onOpen} tz=${tz} />
    </section>`,
  );
}

function modelName(m) {
  const name = localName(m);
  const brand = m.brand ? `${localName(m.brand)} ` : '';
  return m.kind === 'own' ? `${name} (${t('visits.own')})` : `${brand}${name}`;
}

export function VisitDetail({ id }) {
  const tz = useTimeZone();
  const { data: detail, error, loading, reload } = useRemote(() => vapi.visitDetail(id), [id]);
  const [viewing, setViewing] = useState(null);
  const store = detail?.visit.store.name || '';
  const photos = useMemo(() => visitPhotos(detail), [detail]);
  // Where each record's photos start in `photos` (the viewer's order).
  const offsets = useMemo(() => {
    const out = { display_checks: [], price_observations: [], intel_reports: [], tasks: [] };
    let n = 0;
    for (const section of Object.keys(out))
      for (const r of detail?.[section] || []) {
        out[section].push(n);
        n += (r.photos || []).length;
      }
    return out;
  }, [detail]);
  const layers = useMemo(
    () =>
      visitLayers(detail, (kind, vars) => {
        if (kind === 'store') return t('visits.mapStore', vars);
        const key = kind === 'in' ? 'visits.mapIn' : 'visits.mapOut';
        return t(key, { d: metres(vars.distance), a: metres(vars.accuracy) });
      }),
    [detail],
  );
  useEffect(() => {
    if (typeof document !== 'undefined' && detail)
      document.title = `${t('visits.title', { store })} · ${t('app.name')}`;
  }, [detail]);
  const viewerList = photos.map((p) => ({
    photo: p.photo,
    alt: t('visits.photoOf', { what: t(`visits.section.${p.section}`), store }),
  }));

  if (!detail)
    return html`<div data-testid="visit-detail">
      <${ErrorBanner} error=${error} onRetry=${reload} />
      ${loading || !error ? html`<p class="empty">${t('app.loading')}</p>` : null}
    </div>`;
  const v = detail.visit;
  const nothing =
    !detail.display_checks.length &&
    !detail.stock_movements.length &&
    !detail.price_observations.length &&
    !detail.intel_reports.length &&
    !detail.training_sessions.length &&
    !detail.tasks.length;
  const day = dayIn(v.checked_in_at, tz || undefined);
  return html`<div class="vd" data-testid="visit-detail" data-visit-id=${v.id}>
    <section class="card">
      <div class="toolbar">
        <h2 class="grow vd-title" data-testid="visit-title">${t('visits.title', { store: v.store.name })}</h2>
        <a class="btn btn-small" href=${`#/route/${v.rep.id}/${day}`} data-testid="visit-route-link">${t('visits.rawRoute')}</a>
        <${RefreshButton} onClick=${reload} />
      </div>
      <p class="muted small">${v.store.code} · ${v.store.address || ''} ${v.store.tier ? html`<span class="tag">${v.store.tier}</span>` : null}</p>
      <${ErrorBanner} error=${error} onRetry=${reload} />
      <div class="vd-top">
        <${Facts} detail=${detail} tz=${tz} />
        <div class="vd-map">
          <${MapView}
            markers=${layers.markers}
            lines=${layers.lines}
            height="260px"
            maxZoom=${18}
            label=${t('visits.map', { store: v.store.name })}
          />
          <p class="muted small mgr-legend">
            <span class=${`mgr-key ${v.off_site ? 'mgr-key-err' : 'mgr-key-brand'}`}></span>1 ${t('visits.legendIn')}
            <span class="mgr-key vd-key-ok"></span>2 ${t('visits.legendOut')}
            <span class="mgr-key mgr-key-dot"></span>${t('visits.legendStore')}
          </p>
        </div>
      </div>
    </section>
    <${Checks} checks=${detail.display_checks} store=${store} tz=${tz} offsets=${offsets} onOpen=${setViewing} />
    ${
      detail.price_observations.length
        ? html`<section class="card" data-testid="visit-prices">
          <h3>${t('visits.prices')}</h3>
          <div class="table-wrap"><table class="table">
            <thead><tr><th>${t('visits.model')}</th><th class="num">${t('visits.shelf')}</th><th>${t('visits.promo')}</th><th>${t('visits.time')}</th><th>${t('visits.photos')}</th></tr></thead>
            <tbody>
              ${detail.price_observations.map(
                (p, i) => html`<tr key=${p.id} data-testid="visit-price">
                  <td>${modelName(p.model)}</td>
                  <td class="num">${fmt.price(p.shelf_price)}</td>
                  <td>${p.promo_price ? fmt.price(p.promo_price) : ''} ${p.promo_text}</td>
                  <td>${whenIn(p.observed_at, tz)}</td>
                  <td><${Photos} photos=${p.photos} what=${modelName(p.model)} store=${store} startAt=${offsets.price_observations[i]} onOpen=${setViewing} tz=${tz} /></td>
                </tr>`,
              )}
            </tbody>
          </table></div>
        </section>`
        : null
    }
    ${
      detail.stock_movements.length
        ? html`<section class="card" data-testid="visit-stock">
          <h3>${t('visits.stock')}</h3>
          <div class="table-wrap"><table class="table">
            <thead><tr><th>${t('visits.material')}</th><th>${t('stock.kind')}</th><th class="num">${t('visits.quantity')}</th><th>${t('visits.note')}</th></tr></thead>
            <tbody>
              ${detail.stock_movements.map(
                (m) => html`<tr key=${m.id}>
                  <td>${localName(m.material)}</td><td>${t(`stock.kind.${m.kind}`)}</td><td class="num">${fmt.number(m.quantity)}</td><td>${m.note}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>
        </section>`
        : null
    }
    ${
      detail.intel_reports.length
        ? html`<section class="card" data-testid="visit-intel">
          <h3>${t('visits.intel')}</h3>
          ${detail.intel_reports.map(
            (r, i) => html`<div class="vd-row" key=${r.id}>
              <div><strong>${t(`intel.kind.${r.kind}`)}</strong> · ${r.name} <span class="muted small">${whenIn(r.reported_at, tz)}</span></div>
              ${r.notes ? html`<div class="small">${r.notes}</div>` : null}
              <${Photos} photos=${r.photos} what=${t('visits.intel')} store=${store} startAt=${offsets.intel_reports[i]} onOpen=${setViewing} tz=${tz} />
            </div>`,
          )}
        </section>`
        : null
    }
    ${
      detail.training_sessions.length
        ? html`<section class="card" data-testid="visit-training">
          <h3>${t('visits.training')}</h3>
          ${detail.training_sessions.map(
            (s) => html`<div class="vd-row" key=${s.id}>
              <div><strong>${lang() === 'en' ? s.topic.title_en || s.topic.title : s.topic.title}</strong> · ${mins(s.duration_minutes)}</div>
              <div class="small">${t('visits.promoters')}: ${s.attendees.map((a) => (a.quiz_size ? `${a.name} ${a.score}/${a.quiz_size}` : a.name)).join(lang() === 'en' ? ', ' : '、')}</div>
              ${s.note ? html`<div class="small muted">${s.note}</div>` : null}
            </div>`,
          )}
        </section>`
        : null
    }
    ${
      detail.tasks.length
        ? html`<section class="card" data-testid="visit-tasks">
          <h3>${t('visits.tasks')}</h3>
          ${detail.tasks.map(
            (task, i) => html`<div class="vd-row" key=${task.id}>
              <div><strong>${task.title}</strong> <span class="muted small">${t('visits.due', { day: fmt.day(task.due_on) })} · ${whenIn(task.done_at, tz)}</span></div>
              ${task.done_note ? html`<div class="small">${task.done_note}</div>` : null}
              <${Photos} photos=${task.photos} what=${task.title} store=${store} startAt=${offsets.tasks[i]} onOpen=${setViewing} tz=${tz} />
            </div>`,
          )}
        </section>`
        : null
    }
    ${nothing ? html`<p class="empty" data-testid="visit-nothing">${t('visits.nothing')}</p>` : null}
    ${viewing !== null ? html`<${PhotoViewer} list=${viewerList} index=${viewing} onIndex=${setViewing} onClose=${() => setViewing(null)} tz=${tz} />` : null}
  </div>`;
}

export { visitHref };
