// Register a warranty card (or correct one, or send a refused one again): the fields of the card,
// checked as the clerk types them — the IMEI's check digit live, its TAC against the model, the
// phone, the purchase date — and the 三包 dates shown the moment the purchase date is set. Saving
// queues the card on the phone (db/actions) and never waits for the network.
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useBusinessZone, useLive } from '../../components/hooks.js';
import { problemText } from '../../components/ImeiField.js';
import { CardError, cardProblems, cleanField, FIELDS, imeiDigits, LIMITS, productOfTac } from '../../warranty/card.js';
import { isDate, standing, termsFor, termsJson } from '../../warranty/rules.js';
import { businessToday } from '../../warranty/zone.js';
import { CardImeis, duplicateProblem, withScanned } from './CardImeis.js';
import { StandingBadge, TermsView } from './common.js';

const EMPTY = {
  imei: '',
  imei2: '',
  product_id: '',
  serial_number: '',
  buyer_name: '',
  buyer_phone: '',
  buyer_address: '',
  invoice_number: '',
  purchase_date: '',
};

function valuesOf(card) {
  const v = { ...EMPTY };
  if (!card) return v;
  for (const f of FIELDS) v[f] = card[f] === null || card[f] === undefined ? '' : String(card[f]);
  return v;
}

/** The fields whose cleaned value differs from the card's. */
function changedFields(values, card) {
  const out = {};
  for (const f of FIELDS) {
    const now = cleanField(f, values[f]);
    const before = card[f] === undefined || card[f] === '' ? null : card[f];
    const a = now === '' ? null : now;
    if (String(a ?? '') !== String(before ?? '')) out[f] = f === 'buyer_address' ? (now ?? '') : now;
  }
  return out;
}

function TextField({
  field,
  label,
  value,
  onInput,
  problem,
  show,
  optional,
  type = 'text',
  inputmode,
  maxlength,
  autocomplete = 'off',
  extra,
}) {
  const bad = show && problem;
  return html`<div class="field">
    <label class="label" for=${`card-${field}`}>${label}${optional ? html` <span class="muted">(${t('common.optional')})</span>` : null}</label>
    <input
      id=${`card-${field}`}
      name=${field}
      type=${type}
      inputmode=${inputmode}
      maxlength=${maxlength}
      autocomplete=${autocomplete}
      value=${value}
      aria-invalid=${bad ? 'true' : undefined}
      class=${bad ? 'invalid' : ''}
      onInput=${(e) => onInput(e.currentTarget.value)}
      data-testid=${`card-${field}`}
      ...${extra || {}}
    />
    ${bad ? html`<p class="check check-err small" data-testid=${`card-${field}-problem`}>✗ ${problemText(problem)}</p>` : null}
  </div>`;
}

/**
 * `mode`: 'register' (a new card), 'correct' (`card`: changed fields become `warranty.correct`),
 * 'resend' (`card` refused by the server: corrected, it replaces the refused registration).
 */
export function CardForm({ mode = 'register', card = null }) {
  const { actions, queries } = useApp();
  useBusinessZone(); // today is the business day: rendered again when the zone is learned
  const today = businessToday();
  // An exchange's replacement card: its purchase date is the replaced card's, not correctable.
  const inherited = mode === 'correct' && Boolean(card?.replaces_card_id);
  const [typed, setValues] = useState(() => {
    const v = valuesOf(card);
    if (!v.purchase_date) v.purchase_date = today;
    return v;
  });
  const [touched, setTouched] = useState({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [serverProblems, setServerProblems] = useState({});

  const [allProducts] = useLive(() => queries.records('product'), [], []);
  const [phoneCards] = useLive(() => queries.cards(), [], []);
  const products = useMemo(
    () =>
      (allProducts || [])
        .filter((p) => p.active !== false || (card && String(p.id) === String(card.product_id)))
        .sort((a, b) => String(a.model_code || a.name).localeCompare(String(b.model_code || b.name))),
    [allProducts, card?.product_id],
  );
  // A store that sells one model: it is the model.
  const values =
    mode === 'register' && !typed.product_id && products.length === 1
      ? { ...typed, product_id: String(products[0].id) }
      : typed;
  const product = products.find((p) => String(p.id) === String(values.product_id)) || null;

  const problems = useMemo(() => {
    const p = cardProblems(values, { product, products: allProducts || [], today });
    // A card already on this phone with this IMEI (the server refuses duplicates; refused cards don't count).
    for (const f of ['imei', 'imei2']) {
      const imei = imeiDigits(values[f]);
      if (!imei || p[f]) continue;
      const duplicate = duplicateProblem(imei, phoneCards, card?.id ?? null);
      if (duplicate) p[f] = duplicate;
    }
    return { ...p, ...serverProblems };
  }, [values, product, allProducts, phoneCards, serverProblems]);

  const set = (field) => (v) => {
    setValues((s) => {
      const next = { ...s, [field]: v };
      // The IMEI names the model (TAC): pick it when none is chosen yet.
      if (field === 'imei' && !s.product_id) {
        const found = productOfTac(imeiDigits(v), products); // active models only: it is a sale
        if (found) next.product_id = String(found.id);
      }
      return next;
    });
    setTouched((s) => ({ ...s, [field]: true }));
    if (serverProblems[field]) setServerProblems((s) => ({ ...s, [field]: undefined }));
    setError(null);
  };

  function onScanned(imeis) {
    setValues((s) => withScanned(s, imeis, products));
    setTouched((s) => ({ ...s, imei: true, imei2: true }));
  }

  const show = (field) => submitted || touched[field];
  const shownProblems = Object.fromEntries(Object.entries(problems).filter(([, v]) => v));

  const terms =
    isDate(values.purchase_date) && values.purchase_date <= today ? termsFor(values.purchase_date, product) : null;

  async function save(ev) {
    ev.preventDefault();
    if (busy) return;
    setSubmitted(true);
    const bad = Object.keys(shownProblems);
    if (bad.length) {
      focusField(bad[0]);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      let id;
      if (mode === 'correct') {
        const fields = changedFields(values, card);
        if (!Object.keys(fields).length) {
          navigate(`/card/${encodeURIComponent(card.id)}`, { replace: true });
          return;
        }
        id = await actions.correctCard(card.id, fields);
      } else {
        id = await actions.registerCard({
          id: mode === 'resend' ? card.id : undefined,
          replacing: mode === 'resend' ? card.sync.mutationId : undefined,
          imei: values.imei,
          imei2: values.imei2,
          productId: values.product_id,
          serialNumber: values.serial_number,
          buyerName: values.buyer_name,
          buyerPhone: values.buyer_phone,
          buyerAddress: values.buyer_address,
          invoiceNumber: values.invoice_number,
          purchaseDate: values.purchase_date,
        });
      }
      navigate(`/card/${encodeURIComponent(id)}`, { replace: true });
    } catch (err) {
      if (err instanceof CardError) {
        setServerProblems(err.problems);
        focusField(Object.keys(err.problems)[0]);
      } else {
        console.error(err);
        setError(err.message || String(err));
      }
      setBusy(false);
    }
  }

  const field = (name, label, extra = {}) =>
    html`<${TextField}
      field=${name}
      label=${label}
      value=${values[name]}
      onInput=${set(name)}
      problem=${shownProblems[name]}
      show=${show(name)}
      ...${extra}
    />`;

  return html`<form class="card-form" onSubmit=${save} novalidate data-testid="card-form" data-mode=${mode}>
    ${mode === 'resend' ? html`<div class="banner banner-err small">${t('card.resendHint')}</div>` : null}
    <div class="card">
      <${CardImeis}
        prefix="card"
        label=${t('card.imei')}
        values=${values}
        set=${set}
        problems=${shownProblems}
        submitted=${submitted}
        onScanned=${onScanned}
      />
      <div class="field">
        <label class="label" for="card-product_id">${t('card.model')}</label>
        <select
          id="card-product_id"
          name="product_id"
          value=${values.product_id}
          onChange=${(e) => set('product_id')(e.currentTarget.value)}
          aria-invalid=${show('product_id') && shownProblems.product_id ? 'true' : undefined}
          data-testid="card-product_id"
        >
          <option value="">${t('card.pickModel')}</option>
          ${products.map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.model_code ? `${p.model_code} · ${p.name}` : p.name}</option>`)}
        </select>
        ${
          show('product_id') && shownProblems.product_id
            ? html`<p class="check check-err small" data-testid="card-product_id-problem">✗ ${problemText(shownProblems.product_id)}</p>`
            : null
        }
      </div>
      ${field('serial_number', t('card.serial'), { autocomplete: 'off', maxlength: 40, extra: { autocapitalize: 'characters', spellcheck: false } })}
    </div>
    <div class="card">
      ${field('buyer_name', t('card.buyerName'), { maxlength: LIMITS.buyer_name, autocomplete: 'off' })}
      ${field('buyer_phone', t('card.buyerPhone'), { type: 'tel', inputmode: 'tel', autocomplete: 'off' })}
      ${field('buyer_address', t('card.buyerAddress'), { optional: true, maxlength: LIMITS.buyer_address })}
      ${field('invoice_number', t('card.invoice'), { maxlength: LIMITS.invoice_number, extra: { spellcheck: false } })}
    </div>
    <div class="card">
      ${field('purchase_date', t('card.purchaseDate'), {
        type: 'date',
        extra: inherited
          ? { readOnly: true, 'aria-describedby': 'card-purchase_date-inherited' }
          : { max: today, min: product?.launch_date ? product.launch_date : undefined },
      })}
      ${
        inherited
          ? html`<p class="muted small" id="card-purchase_date-inherited" data-testid="card-purchase_date-inherited">
              ${t('card.problem.purchaseDateInherited', { date: fmt.day(card.purchase_date) })}
            </p>`
          : null
      }
      <div data-testid="card-terms-preview">
        ${
          terms
            ? html`<${TermsView} terms=${termsJson(terms)} />
              <p class="small" style="margin-top:0.4rem">
                ${t('card.standingToday')} <${StandingBadge} standing=${standing(terms, today)} />
              </p>`
            : html`<p class="muted small">${t('card.termsNeedDate')}</p>`
        }
      </div>
    </div>
    ${error ? html`<div class="banner banner-err" role="alert">${error}</div>` : null}
    ${
      submitted && Object.keys(shownProblems).length
        ? html`<div class="banner banner-err small" role="alert" data-testid="card-form-problems">${t('card.fixProblems', { n: Object.keys(shownProblems).length })}</div>`
        : null
    }
    <button type="submit" class="btn btn-primary btn-block" disabled=${busy} data-testid="card-save">
      ${mode === 'correct' ? t('card.saveCorrection') : mode === 'resend' ? t('outbox.resend') : t('card.save')}
    </button>
    <p class="muted small" style="text-align:center">${t('card.savedLocally')}</p>
  </form>`;
}

function focusField(field) {
  if (typeof document === 'undefined' || !field) return;
  const el = document.querySelector(`[name="${field}"]`);
  if (el) {
    el.focus();
    el.scrollIntoView?.({ block: 'center' });
  }
}

/** `#/register` */
export function RegisterScreen() {
  return html`<${CardForm} mode="register" />`;
}

/** `#/card/:id/correct`: a correction, or — for a card the server refused — a corrected resend. */
export function CorrectScreen({ id }) {
  const { queries } = useApp();
  const [card, loaded] = useLive(() => queries.card(id), [id]);
  if (!loaded) return html`<p class="empty">${t('app.loading')}</p>`;
  if (!card) return html`<p class="empty">${t('card.notFound')}</p>`;
  const refusedRegistration = card.sync && card.sync.state === 'refused' && card.sync.name === 'warranty.register';
  return html`<div>
    <p class="muted small">${t('card.correcting', { imei: card.imei, date: fmt.day(card.purchase_date) })}</p>
    <${CardForm} key=${card.id} mode=${refusedRegistration ? 'resend' : 'correct'} card=${card} />
  </div>`;
}
