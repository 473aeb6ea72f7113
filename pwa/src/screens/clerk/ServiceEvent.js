// A 三包 service event at the counter: a return (退货), an exchange (换货) or a repair referral
// (维修) of one of the store's cards. The clerk picks the fault (HQ's list, synced), for an
// exchange scans or types the replacement unit (the registration's IMEI checks, live) and for a
// repair picks the repair point (fetched while online, kept for offline use), and confirms. The
// event is queued on the phone (db/service.js) and never waits for the network; what the server
// would refuse is refused here first, in the clerk's language.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { fmt, localName, reasonText, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useLive } from '../../components/hooks.js';
import { problemText } from '../../components/ImeiField.js';
import {
  cardAllowance,
  createServiceActions,
  faultCodesIn,
  NOTE_MAX,
  refreshRepairPoints,
  repairPointsIn,
  ServiceError,
} from '../../db/service.js';
import { CardError, cardProblems, imeiDigits } from '../../warranty/card.js';
import { businessToday } from '../../warranty/zone.js';
import { CardImeis, duplicateProblem, withScanned } from './CardImeis.js';
import { modelOf, StandingBadge } from './common.js';
import { allowanceText } from './ServiceActions.js';

export const KINDS = ['return', 'exchange', 'repair'];

/** The repair points kept on the phone, refreshed from the server when online (`enabled`). */
export function useRepairPoints(enabled = true) {
  const { db, api } = useApp();
  const [state, setState] = useState({ kept: null, loaded: false, refreshing: false, error: null });
  async function refresh() {
    setState((s) => ({ ...s, refreshing: true, error: null }));
    try {
      const kept = await refreshRepairPoints(db, api);
      setState({ kept, loaded: true, refreshing: false, error: null });
    } catch (err) {
      setState((s) => ({ ...s, refreshing: false, error: err }));
    }
  }
  useEffect(() => {
    let alive = true;
    if (!enabled) return undefined;
    repairPointsIn(db).then((kept) => {
      if (!alive) return;
      setState((s) => ({ ...s, kept, loaded: true }));
      if (typeof navigator === 'undefined' || navigator.onLine !== false) refresh();
    });
    return () => {
      alive = false;
    };
  }, [db, enabled]);
  return { ...state, refresh };
}

const pointKey = (p) => `${p.kind}:${p.id}`;

function FaultPicker({ faults, value, onPick, show }) {
  if (!faults.length)
    return html`<p class="banner banner-warn small" data-testid="service-no-faults">${t('aftersales.faultNone')}</p>`;
  const noFault = faults.some((f) => f.is_fault === false);
  return html`<div class="field">
    <span class="label" id="service-fault-label">${t('aftersales.fault')}</span>
    <div class="chips" role="radiogroup" aria-labelledby="service-fault-label" data-testid="service-faults">
      ${faults.map(
        (f) => html`<button
          type="button"
          key=${f.code}
          class="chip"
          role="radio"
          aria-checked=${value === f.code ? 'true' : 'false'}
          aria-pressed=${value === f.code ? 'true' : 'false'}
          onClick=${() => onPick(f.code)}
          data-testid="service-fault"
          data-code=${f.code}
        >
          ${localName(f) || f.code}
        </button>`,
      )}
    </div>
    ${noFault ? html`<p class="muted small">${t('aftersales.noFaultHint')}</p>` : null}
    ${show && !value ? html`<p class="check check-err small" data-testid="service-fault-problem">✗ ${t('aftersales.pickFault')}</p>` : null}
  </div>`;
}

function RepairPointPicker({ points, value, onPick, show }) {
  const items = points.kept?.items || [];
  return html`<div class="field" data-testid="service-repair-points">
    <span class="label" id="service-point-label">${t('aftersales.repairPoint')}</span>
    ${
      items.length
        ? html`<ul class="list" role="radiogroup" aria-labelledby="service-point-label">
          ${items.map(
            (p) => html`<li key=${pointKey(p)}>
              <label class="list-item" data-testid="service-repair-point" data-key=${pointKey(p)}>
                <input
                  type="radio"
                  name="repair_point"
                  value=${pointKey(p)}
                  checked=${value === pointKey(p)}
                  onChange=${() => onPick(pointKey(p))}
                  style="width:auto;min-height:0"
                />
                <div class="main">
                  <div class="title">${p.name}</div>
                  <div class="sub">${[t(`aftersales.repairPoint.${p.kind}`), p.address].filter(Boolean).join(' · ')}</div>
                </div>
              </label>
            </li>`,
          )}
        </ul>`
        : html`<p class="banner banner-warn small" data-testid="service-no-points">
          ${points.loaded && !points.refreshing ? t('aftersales.repairPointsNone') : t('app.loading')}
        </p>`
    }
    <p class="muted small">
      ${points.kept?.fetchedAt ? t('aftersales.repairPointsAt', { time: fmt.when(points.kept.fetchedAt) }) : null}
      ${points.error ? ` ${t('aftersales.repairPointsOffline')}` : null}
      <button type="button" class="btn btn-small btn-quiet" onClick=${points.refresh} disabled=${points.refreshing} data-testid="service-points-refresh">
        ${t('aftersales.repairPointsRefresh')}
      </button>
    </p>
    ${show && !value && items.length ? html`<p class="check check-err small" data-testid="service-point-problem">✗ ${t('aftersales.pickRepairPoint')}</p>` : null}
  </div>`;
}

/** The replacement unit of an exchange: IMEI (scan or type), IMEI 2, model, serial number. */
function NewUnit({ values, set, onScanned, products, problems, submitted, oldModel }) {
  const shown = (f) => (submitted || values[`${f}Touched`] ? problems[f] : null);
  return html`<div class="card" data-testid="service-new-unit">
    <h3>${t('aftersales.newUnit')}</h3>
    <${CardImeis}
      prefix="service"
      label=${t('aftersales.newImei')}
      values=${values}
      set=${set}
      problems=${problems}
      submitted=${submitted}
      onScanned=${onScanned}
    />
    <div class="field">
      <label class="label" for="service-product_id">${t('card.model')}</label>
      <select
        id="service-product_id"
        name="product_id"
        value=${values.product_id}
        onChange=${(e) => set('product_id')(e.currentTarget.value)}
        data-testid="service-product_id"
      >
        ${products.map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.model_code ? `${p.model_code} · ${localName(p)}` : localName(p)}</option>`)}
      </select>
      <p class="muted small">
        ${String(values.product_id) === String(oldModel) ? t('aftersales.sameModel') : t('aftersales.otherModelHint')}
      </p>
      ${shown('product_id') ? html`<p class="check check-err small">✗ ${problemText(problems.product_id)}</p>` : null}
    </div>
    <div class="field">
      <label class="label" for="service-serial_number">${t('card.serial')}</label>
      <input
        id="service-serial_number"
        name="serial_number"
        type="text"
        autocomplete="off"
        autocapitalize="characters"
        spellcheck="false"
        maxlength="40"
        value=${values.serial_number}
        class=${shown('serial_number') ? 'invalid' : ''}
        aria-invalid=${shown('serial_number') ? 'true' : undefined}
        onInput=${(e) => set('serial_number')(e.currentTarget.value)}
        data-testid="service-serial_number"
      />
      ${
        shown('serial_number')
          ? html`<p class="check check-err small" data-testid="service-serial_number-problem">✗ ${problemText(problems.serial_number)}</p>`
          : null
      }
    </div>
  </div>`;
}

/** `#/card/:id/return` · `…/exchange` · `…/repair` */
export function ServiceEventScreen({ id, kind }) {
  const { db, queries } = useApp();
  const [card, loaded] = useLive(() => queries.card(id), [id]);
  const [faults] = useLive(() => faultCodesIn(db, kind), [kind], []);
  const [allProducts] = useLive(() => queries.records('product'), [], []);
  const [phoneCards] = useLive(() => (kind === 'exchange' ? queries.cards() : []), [kind], []);
  const service = useMemo(() => createServiceActions({ db }), [db]);
  const points = useRepairPoints(kind === 'repair');
  const [values, setValues] = useState({ imei: '', imei2: '', product_id: '', serial_number: '' });
  const [fault, setFault] = useState('');
  const [point, setPoint] = useState('');
  const [note, setNote] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState(null);
  const [serverProblems, setServerProblems] = useState({});
  const [error, setError] = useState(null);
  // The day it was opened: a refusal on a later day is the action's to say.
  const [today] = useState(() => businessToday());

  const productId = values.product_id || (card ? String(card.product_id) : '');
  const products = useMemo(
    () =>
      (allProducts || [])
        .filter((p) => p.active !== false || String(p.id) === String(card?.product_id))
        .sort((a, b) => String(a.model_code || a.name).localeCompare(String(b.model_code || b.name))),
    [allProducts, card?.product_id],
  );
  const product = products.find((p) => String(p.id) === productId) || null;
  const problems = useMemo(() => {
    if (kind !== 'exchange') return {};
    const p = cardProblems(
      { ...values, product_id: productId },
      { product, products: allProducts || [], only: ['imei', 'imei2', 'product_id', 'serial_number'] },
    );
    // The returned phone itself, or a unit with a live card on this phone (the server refuses both).
    for (const f of ['imei', 'imei2']) {
      const imei = imeiDigits(values[f]);
      if (!imei || p[f]) continue;
      if (card && (imei === card.imei || imei === card.imei2)) {
        p[f] = { key: 'aftersales.sameUnit', vars: {} };
        continue;
      }
      const duplicate = duplicateProblem(imei, phoneCards);
      if (duplicate) p[f] = duplicate;
    }
    return { ...p, ...serverProblems };
  }, [kind, card, values, productId, product, allProducts, phoneCards, serverProblems]);

  if (!loaded) return html`<p class="empty">${t('app.loading')}</p>`;
  if (!card) return html`<p class="empty" data-testid="card-missing">${t('card.notFound')}</p>`;
  const allowance = cardAllowance(card, today)[kind];

  const set = (field) => (v) => {
    setValues((s) => ({ ...s, [field]: v, [`${field}Touched`]: true }));
    if (serverProblems[field]) setServerProblems((s) => ({ ...s, [field]: undefined }));
    setRefusal(null);
    setError(null);
  };

  function onScanned(imeis) {
    // A scanned unit of another of our models: that model (the server decides whether it may be).
    setValues((s) => ({ ...withScanned(s, imeis, products), imeiTouched: true, imei2Touched: true }));
  }

  function pickFault(code) {
    setFault(code);
    setRefusal(null);
  }

  const shownProblems = Object.fromEntries(Object.entries(problems).filter(([, v]) => v));
  const missing =
    !fault || (kind === 'repair' && !point) || (kind === 'exchange' && Object.keys(shownProblems).length > 0);

  async function save(ev) {
    ev.preventDefault();
    if (busy) return;
    setSubmitted(true);
    if (missing) return;
    setBusy(true);
    setRefusal(null);
    setError(null);
    try {
      const common = { cardId: card.id, faultCode: fault, note };
      let target = card.id;
      if (kind === 'return') await service.recordReturn(common);
      else if (kind === 'repair') {
        const [pk, pid] = point.split(':');
        await service.recordRepair({ ...common, repairPoint: { kind: pk, id: Number(pid) } });
      } else {
        const r = await service.recordExchange({
          ...common,
          imei: values.imei,
          imei2: values.imei2,
          productId,
          serialNumber: values.serial_number,
        });
        target = r.newCardId;
      }
      navigate(`/card/${encodeURIComponent(target)}`, { replace: true });
    } catch (err) {
      if (err instanceof ServiceError) setRefusal(err);
      else if (err instanceof CardError) setServerProblems(err.problems);
      else {
        console.error(err);
        setError(err.message || String(err));
      }
      setBusy(false);
    }
  }

  return html`<form class="service-form" onSubmit=${save} novalidate data-testid="service-form" data-kind=${kind}>
    <div class="card" data-testid="service-card">
      <div class="mono title" style="font-weight:600">${card.imei}</div>
      <div class="muted small">
        ${[modelOf(card), card.buyer_name, t('card.boughtOn', { date: fmt.day(card.purchase_date) })].filter(Boolean).join(' · ')}
      </div>
      <div class="tags"><${StandingBadge} standing=${card.standing} /></div>
      <p class=${`small ${allowance.allowed ? '' : 'reason'}`} data-testid="service-window" data-allowed=${String(allowance.allowed)}>
        ${allowanceText(kind, allowance)}
      </p>
    </div>
    ${
      allowance.allowed
        ? html`<div class="card">
            <${FaultPicker} faults=${faults || []} value=${fault} onPick=${pickFault} show=${submitted} />
            ${kind === 'repair' ? html`<${RepairPointPicker} points=${points} value=${point} onPick=${setPoint} show=${submitted} />` : null}
          </div>
          ${
            kind === 'exchange'
              ? html`<${NewUnit}
                values=${{ ...values, product_id: productId }}
                set=${set}
                onScanned=${onScanned}
                products=${products}
                problems=${shownProblems}
                submitted=${submitted}
                oldModel=${card.product_id}
              />`
              : null
          }
          <div class="card">
            <div class="field">
              <label class="label" for="service-note">${t('aftersales.note')} <span class="muted">(${t('common.optional')})</span></label>
              <textarea
                id="service-note"
                rows="2"
                maxlength=${NOTE_MAX}
                value=${note}
                onInput=${(e) => setNote(e.currentTarget.value)}
                data-testid="service-note"
              ></textarea>
            </div>
          </div>
          ${refusal ? html`<div class="banner banner-err" role="alert" data-testid="service-refusal">${reasonText(refusal) || refusal.message}</div>` : null}
          ${error ? html`<div class="banner banner-err" role="alert">${error}</div>` : null}
          <button type="submit" class=${`btn btn-block ${kind === 'return' ? 'btn-danger' : 'btn-primary'}`} disabled=${busy} data-testid="service-save">
            ${t(`aftersales.confirm.${kind}`)}
          </button>
          <p class="muted small" style="text-align:center">${t(`aftersales.savedLocally.${kind}`)}</p>`
        : html`<a class="btn btn-block" href=${`#/card/${encodeURIComponent(card.id)}`} data-testid="service-back">${t('aftersales.backToCard')}</a>`
    }
  </form>`;
}
