// A visit: checked in, then the store's open tasks (only when it has any: TaskStep), display check, promo material, prices, phones (stock and sales,
// folded: optional), store intel, notes and check out. Every step is saved on the phone at once (db/actions) and syncs by itself; what is typed
// and not recorded yet is a draft (db/drafts.js). The check-out shows what the visit recorded and
// what it still lacks, and asks before checking out a visit that recorded nothing.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useBusinessZone, useLive } from '../../components/hooks.js';
import { distanceM, getPosition, isOffSite } from '../../components/geo.js';
import { entityGet, entityList, normCatalogue, normHistory, recordsOfVisit, visitById } from './model.js';
import { DisplayStep } from './steps/DisplayStep.js';
import { StockStep } from './steps/StockStep.js';
import { PriceStep } from './steps/PriceStep.js';
import { IntelStep } from './steps/IntelStep.js';
import { SpotCheckStep } from './steps/SpotCheckStep.js';
import { PhoneStep } from './steps/PhoneStep.js';
import { TrainingStep } from './steps/TrainingStep.js';
import { TaskStep } from './steps/TaskStep.js';
import { tasksOfStore, tasksOfVisit, todayAt } from '../../db/tasks.js';
import { Step } from './steps/common.js';
import { useDraft } from './useDraft.js';
import { visitSummary } from './checklist.js';

/** What the visit recorded and what the store's required items still lack. */
export function CheckoutSummary({ summary }) {
  const rows = [
    [
      'display',
      summary.checks ? (summary.score != null ? t('finish.score', { n: fmt.number(summary.score) }) : '✓') : null,
    ],
    ['materials', summary.materials ? fmt.number(summary.materials) : null],
    ['prices', summary.prices ? fmt.number(summary.prices) : null],
    ['phones', summary.phones ? fmt.number(summary.phones) : null],
    ['training', summary.trainings ? t('trainStep.sessions', { n: summary.trainings }) : null],
    ...(summary.tasks != null ? [['tasks', summary.tasks ? fmt.number(summary.tasks) : null]] : []),
    ['intel', summary.intel ? fmt.number(summary.intel) : null],
    ['photos', summary.photos ? fmt.number(summary.photos) : null],
  ];
  return html`<div class="checkout-summary" data-testid="checkout-summary" data-empty=${summary.empty ? 'true' : 'false'}>
    <dl class="facts small">
      ${rows.map(
        ([key, value]) => html`<dt>${t(`finish.${key}`)}</dt>
          <dd data-summary=${key} class=${value ? '' : 'muted'}>${value ?? t('finish.none')}</dd>`,
      )}
    </dl>
    ${
      summary.lacks.length
        ? html`<ul class="checkout-lacks" data-testid="checkout-lacks">
          ${summary.lacks.map((k) => html`<li key=${k} data-lack=${k}>⚠ ${t(`finish.lacks.${k}`)}</li>`)}
        </ul>`
        : null
    }
  </div>`;
}

function FinishStep({ visit, summary }) {
  const { actions, db } = useApp();
  const [draft, update] = useDraft(db, visit.id, 'finish', { notes: '' });
  const notes = draft.notes || '';
  const setNotes = (value) => update({ notes: value });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [confirming, setConfirming] = useState(false);

  async function checkOut({ confirmed = false } = {}) {
    if (!confirmed && (summary.unsaved.length || (summary.empty && !notes.trim()))) {
      setConfirming(true); // nothing recorded, or a draft the check-out would drop: ask first
      return;
    }
    setConfirming(false);
    setBusy(true);
    setError(null);
    let position;
    try {
      const p = await getPosition({ timeout: 8000, maximumAge: 30000 });
      position = { latitude: p.latitude, longitude: p.longitude, accuracy: p.accuracy };
    } catch {
      position = undefined; // checking out never waits for a position fix
    }
    try {
      await actions.checkOut(visit.id, { position, notes: notes.trim() || undefined });
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
    } finally {
      setBusy(false);
    }
  }

  if (visit.checked_out_at) {
    return html`<div class="banner banner-ok" data-testid="visit-finished">
      <span class="grow">✓ ${t('visit.checkOutDone', { time: fmt.when(visit.checked_out_at) })}</span>
      <button type="button" class="btn btn-small" onClick=${() => navigate('/today')}>${t('nav.today')}</button>
    </div>`;
  }
  return html`<${Step} title=${t('visit.finish')} open=${true} testid="step-finish">
    <${CheckoutSummary} summary=${summary} />
    <label class="field">
      <span class="label">${t('common.notes')}</span>
      <textarea rows="3" value=${notes} onInput=${(e) => setNotes(e.currentTarget.value)} data-testid="visit-notes"></textarea>
    </label>
    ${error ? html`<div class="banner banner-err">${error}</div>` : null}
    ${
      confirming
        ? html`<div class="banner banner-warn" role="alert" data-testid="checkout-confirm-empty">
          <span class="grow">⚠ ${summary.unsaved.length ? t('finish.unsavedAsk') : t('finish.emptyAsk')}</span>
          <div class="btn-row" style="width:100%">
            <button type="button" class="btn" onClick=${() => setConfirming(false)}>${t('common.cancel')}</button>
            <button type="button" class="btn btn-warn" onClick=${() => checkOut({ confirmed: true })} data-testid="checkout-empty-anyway">
              ${t('finish.emptyAnyway')}
            </button>
          </div>
        </div>`
        : html`<button type="button" class="btn btn-primary btn-block" disabled=${busy} onClick=${() => checkOut()} data-testid="check-out">
          ${t('visit.checkOut')}
        </button>`
    }
  </${Step}>`;
}

export function VisitScreen({ id }) {
  const { db, queries } = useApp();
  // The tasks' today is the business day: read again when the zone is learned.
  const zone = useBusinessZone();
  const [data, loaded] = useLive(async () => {
    const visit = await visitById(db, id);
    if (!visit) return null;
    const storeRow = await entityGet(db, 'store', visit.store_id);
    const [checks, movements, prices, intel, counts, sold, rivals, trainings] = await Promise.all([
      recordsOfVisit(db, 'display_check', visit.store_id, visit.id),
      recordsOfVisit(db, 'stock_movement', visit.store_id, visit.id),
      recordsOfVisit(db, 'price_observation', visit.store_id, visit.id),
      entityList(db, 'intel_report'),
      recordsOfVisit(db, 'shop_stock_count', visit.store_id, visit.id),
      recordsOfVisit(db, 'sellout_report', visit.store_id, visit.id),
      recordsOfVisit(db, 'competitor_sellout', visit.store_id, visit.id),
      recordsOfVisit(db, 'training_session', visit.store_id, visit.id),
    ]);
    // Intel reports carry no visit: those reported during the visit belong to it.
    const from = String(visit.checked_in_at);
    const until = visit.checked_out_at ? String(visit.checked_out_at) : null;
    const reports = intel
      .filter((r) => r.data && String(r.data.reported_at) >= from && (!until || String(r.data.reported_at) <= until))
      .map((r) => ({ ...r.data, pending: !!r.pending }));
    const phones = { counts, sold, rivals };
    // The store's tasks (issue 18): open ones, those done at this visit, refused completions.
    const today = todayAt();
    const [storeTasks, refused] = await Promise.all([
      tasksOfStore(db, visit.store_id),
      db.outbox.where('status').equals('rejected').toArray(),
    ]);
    const tasks = {
      ...tasksOfVisit(storeTasks, visit.id, today),
      today,
      refused: refused.filter((r) => r.name === 'task.complete' && String(r.args?.visit_id) === String(visit.id)),
    };
    return {
      visit,
      store: storeRow ? storeRow.data : null,
      checks,
      movements,
      prices,
      reports,
      phones,
      trainings,
      tasks,
    };
  }, [id, zone]);
  const storeId = data?.visit ? data.visit.store_id : null;
  const [history] = useLive(
    async () => (storeId == null ? normHistory(null) : normHistory(await queries.storeHistory(storeId))),
    [storeId],
    normHistory(null),
  );
  const [catalogue] = useLive(async () => normCatalogue(await queries.catalogue()), [], normCatalogue(null));
  const [spotChecks] = useLive(() => queries.spotChecks(id), [id], []);
  const [draftRow] = useLive(() => db.drafts.get(String(id)), [id]);

  if (!loaded) return html`<p class="empty">${t('app.loading')}</p>`;
  if (!data) return html`<p class="empty">${t('visit.notFound')}</p>`;
  const { visit, checks, movements, prices, reports, phones, trainings, tasks } = data;
  const store = data.store || { id: visit.store_id, name: `#${visit.store_id}` };
  const distance = visit.distance_m ?? distanceM(visit, store);
  const offSite = visit.off_site ?? isOffSite(distance, visit.accuracy_m);
  const readOnly = !!visit.checked_out_at;

  return html`<div data-testid="visit-screen" data-visit-id=${visit.id}>
    <div class="card">
      <h1><a class="visit-store-link" href=${`#/store/${store.id}`} style="color:inherit;text-decoration:none">${store.name}</a></h1>
      <p class="muted small">
        ${t('visit.checkedIn', { time: fmt.when(visit.checked_in_at) })}
        ${distance != null ? html` · ${t('visit.position', { d: fmt.distance(distance), acc: fmt.distance(visit.accuracy_m) })}` : null}
        ${visit.pending ? html` <span class="tag">${t('common.waiting')}</span>` : null}
      </p>
      ${
        offSite
          ? html`<div class="banner banner-warn small" data-testid="visit-offsite" style="margin:0.5rem 0 0">
            ⚠ ${t('visit.offSite', { d: fmt.distance(distance) })}
          </div>`
          : null
      }
    </div>
    <${TaskStep} visit=${visit} tasks=${tasks} refused=${tasks.refused} today=${tasks.today} readOnly=${readOnly} />
    <${DisplayStep} visit=${visit} checklist=${catalogue.checklist} checks=${checks} readOnly=${readOnly} />
    <${StockStep} visit=${visit} catalogue=${catalogue} history=${history} movements=${movements} readOnly=${readOnly} />
    <${PriceStep} visit=${visit} catalogue=${catalogue} history=${history} prices=${prices} readOnly=${readOnly} />
    <${PhoneStep} visit=${visit} catalogue=${catalogue} readOnly=${readOnly} />
    <${TrainingStep} visit=${visit} readOnly=${readOnly} />
    <${IntelStep} visit=${visit} store=${store} reports=${reports} readOnly=${readOnly} />
    <${SpotCheckStep} visit=${visit} readOnly=${readOnly} />
    <${FinishStep}
      visit=${visit}
      summary=${visitSummary({ checklist: catalogue.checklist, checks, movements, prices, reports, phones, trainings, tasks, spotChecks: spotChecks || [], draft: draftRow?.data })}
    />
    ${!readOnly ? html`<p class="muted small" style="text-align:center">${t('visit.savedLocally')}</p>` : null}
  </div>`;
}
