// Phones at the store (issue 16: 手机库存与销量): three short entry grids in one step, folded by
// default (a visit that skips it costs no tap). Shop stock per model of ours — a number, or one
// tap on "out of stock" (a count of 0, an answer of its own), with a demo-phone toggle; the
// units the store says it sold since its last report (the period is worked out on the phone:
// phones.js `salesPeriod`), with who said it; and this week's sales of the competitor models the
// price grid lists for this store, as a number or a band, with who said it. The grids are the
// price grid's (GridInput, usePauses: no save tap). A count typed records after a pause like a
// price (a count typed again corrects it: the latest count is the store's stock); a sold count or
// an estimate only on Enter or on leaving the field: a record per half-typed number would be noise
// in the outbox (within a visit the latest one counts in the channel's figures, SPEC I.3.2).
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { fmt, lang, localName, reasonText, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { useBusinessZone, useLive } from '../../../components/hooks.js';
import { businessZone, businessToday } from '../../../warranty/zone.js';
import { groupRows, priceRows } from '../grid.js';
import { entitiesOfStore, entityGet, entityList } from '../model.js';
import {
  BANDS,
  badUnits,
  competitorRows,
  countEntry,
  DEFAULT_SOURCE,
  estimateEntry,
  phoneRows,
  reportEntry,
  SOURCES,
  visitLatest,
} from '../phones.js';
import { modelName } from '../Store.js';
import { PAUSE_MS } from './PriceStep.js';
import { GridInput, Saved, Step, usePauses } from './common.js';

/** "11月28日" / "Nov 28" of a calendar day 'YYYY-MM-DD' or of an ISO time (its business day). */
function shortDay(v) {
  const s = String(v ?? '');
  const day = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const d = new Date(day ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang(), {
    month: 'short',
    day: 'numeric',
    timeZone: day ? 'UTC' : businessZone(),
  }).format(d);
}

const records = (rows) => rows.map((r) => ({ ...r.data, pending: !!r.pending })).filter((x) => x.id);

/** What the step reads: this store's counts, reports and estimates on the phone, and the price
 * observations the price grid's competitor rows come from. */
async function loadPhones(db, storeId) {
  const [counts, reports, estimates, prices, stores, store] = await Promise.all([
    entitiesOfStore(db, 'shop_stock_count', storeId),
    entitiesOfStore(db, 'sellout_report', storeId),
    entitiesOfStore(db, 'competitor_sellout', storeId),
    entityList(db, 'price_observation'),
    entityList(db, 'store'),
    entityGet(db, 'store', storeId),
  ]);
  return {
    counts: records(counts),
    reports: records(reports),
    estimates: records(estimates),
    observations: records(prices),
    storesById: new Map(stores.map((s) => [String(s.id), s.data])),
    territoryId: store?.data?.territory_id ?? null,
  };
}

/** The competitor models the price grid shows for this store (its "here" group, and a model
 * seen nearby once priced this visit), in its order. */
function gridModelIds(catalogue, visit, data) {
  const rows = priceRows({
    catalogue,
    storeId: visit.store_id,
    territoryId: data.territoryId,
    visitId: visit.id,
    observations: data.observations,
    storesById: data.storesById,
  });
  const groups = groupRows(rows);
  return [...groups.here, ...groups.nearby.filter((r) => r.recorded)].map((r) => r.competitorModelId);
}

function SourceSelect({ value, onChange, testid }) {
  return html`<label class="phone-source">
    <span class="muted small">${t('phones.source')}</span>
    <select value=${value} onChange=${(e) => onChange(e.currentTarget.value)} data-testid=${testid}>
      ${SOURCES.map((s) => html`<option key=${s} value=${s}>${t(`phones.source.${s}`)}</option>`)}
    </select>
  </label>`;
}

/** " · 待同步" after a recorded entry the server has not confirmed yet (on the phone only). */
const waiting = (record) =>
  record?.pending
    ? html`<span class="phone-waiting" data-testid="phone-waiting"> · ${t('common.waiting')}</span>`
    : null;

const estimateText = (e) => (e.units !== null && e.units !== undefined ? fmt.number(e.units) : e.band);

export function PhoneStep({ visit, catalogue, readOnly }) {
  const { db, actions } = useApp();
  const [data] = useLive(() => loadPhones(db, visit.store_id), [visit.store_id], null);
  const [drafts, setDrafts] = useState({});
  const [errors, setErrors] = useState({});
  // The demo-phone answer per model tapped before its count is typed: sent with the count.
  const [demo, setDemo] = useState({});
  const [soldSource, setSoldSource] = useState(DEFAULT_SOURCE);
  const [rivalSource, setRivalSource] = useState(DEFAULT_SOURCE);
  const pauses = usePauses(PAUSE_MS);
  // What this screen last recorded per row: Enter then blur, or a blur before the replica shows
  // the new entry, records nothing twice.
  const committed = useRef({});
  // The row whose button is being pressed ("out", "demo", a band chip): leaving its field for the
  // button records nothing (the button records: one count or one estimate, not two).
  const holding = useRef(null);
  const bodyRef = useRef(null);

  // Today on the business calendar, as the server checks a period (rendered again when learned).
  useBusinessZone();
  const today = businessToday();
  const rows = data
    ? phoneRows({
        products: catalogue.products,
        counts: data.counts,
        reports: data.reports,
        storeId: visit.store_id,
        visitId: visit.id,
        today,
      })
    : [];
  const rivals = data
    ? competitorRows({
        modelIds: gridModelIds(catalogue, visit, data),
        models: catalogue.models,
        estimates: data.estimates,
        storeId: visit.store_id,
        visitId: visit.id,
      })
    : [];
  const ofVisit = (list) => (data ? list.filter((x) => String(x.visit_id) === String(visit.id)) : []);
  const visitCounts = ofVisit(data?.counts ?? []);
  const visitReports = ofVisit(data?.reports ?? []);
  const visitEstimates = ofVisit(data?.estimates ?? []);
  const done = visitCounts.length + visitReports.length + visitEstimates.length > 0;

  const productName = (row) => (row.product ? localName(row.product) : `#${row.productId}`);
  const rivalName = (row) => modelName(catalogue, { competitor_model_id: row.competitorModelId });

  function setError(key, message) {
    setErrors((e) => (e[key] === message ? e : { ...e, [key]: message }));
  }

  async function run(key, mark, record) {
    if (committed.current[key] === mark) return;
    committed.current[key] = mark;
    try {
      await record();
      setError(key, null);
    } catch (err) {
      console.error(err);
      committed.current[key] = undefined;
      // A figure the server would refuse is refused here with its reason, said in the UI language.
      setError(key, reasonText(err) || err.message || String(err));
    }
  }

  /** Enter: on to the next field of the step (GridInput has just recorded this one). */
  function next() {
    const input = document.activeElement;
    const inputs = [...(bodyRef.current?.querySelectorAll('input.grid-input') ?? [])];
    const i = inputs.indexOf(input);
    if (i >= 0 && i + 1 < inputs.length) inputs[i + 1].focus();
    else input?.blur?.();
  }

  // --- shop stock ------------------------------------------------------------------------------

  const demoOf = (row) => demo[row.productId] ?? row.count?.demo_unit ?? null;

  function commitCount(row, text, demoUnit = demoOf(row)) {
    const key = `s:${row.productId}`;
    pauses.done(key);
    if (badUnits(text)) {
      setError(key, t('grid.invalidQuantity'));
      return;
    }
    const entry = countEntry(row, text, demoUnit);
    if (!entry) return;
    return run(key, `${entry.onHand}:${entry.demoUnit}`, () =>
      actions.countShopStock({
        storeId: visit.store_id,
        visitId: visit.id,
        productId: row.productId,
        onHand: entry.onHand,
        demoUnit: entry.demoUnit,
      }),
    );
  }

  function draftCount(row, text) {
    const key = `s:${row.productId}`;
    if (holding.current === key) holding.current = null; // a button pressed, then not tapped
    setDrafts((d) => ({ ...d, [key]: text }));
    setError(key, null);
    pauses.schedule(key, () => {
      if (!badUnits(text)) commitCount(row, text);
    });
  }

  function hold(row) {
    const key = `s:${row.productId}`;
    holding.current = key;
    pauses.hold(key);
  }

  function blurCount(row, text) {
    if (holding.current === `s:${row.productId}`) return;
    commitCount(row, text);
  }

  function outOfStock(row) {
    holding.current = null;
    setDrafts((d) => ({ ...d, [`s:${row.productId}`]: '0' }));
    commitCount(row, '0');
  }

  function toggleDemo(row) {
    holding.current = null;
    const value = demoOf(row) !== true;
    setDemo((d) => ({ ...d, [row.productId]: value }));
    // A count already recorded (or typed) is recorded again with the answer: the latest counts.
    const text = drafts[`s:${row.productId}`] ?? (row.count ? String(row.count.on_hand) : '');
    if (String(text).trim() !== '') commitCount(row, text, value);
  }

  function stockRow(row) {
    const key = `s:${row.productId}`;
    const name = productName(row);
    const value = drafts[key] ?? (row.count ? String(row.count.on_hand) : '');
    const saved = !!row.count && (drafts[key] === undefined || drafts[key] === String(row.count.on_hand));
    const bad = badUnits(value);
    const out = saved && Number(row.count.on_hand) === 0;
    const hint = row.lastCount
      ? Number(row.lastCount.on_hand) === 0
        ? t('phones.lastOut', { date: shortDay(row.lastCount.counted_at) })
        : t('phones.lastCount', { n: fmt.number(row.lastCount.on_hand), date: shortDay(row.lastCount.counted_at) })
      : null;
    const demoOn = demoOf(row) === true;
    return html`<li
      key=${key}
      class="grid-row ${saved ? 'is-saved' : ''} ${bad || errors[key] ? 'is-bad' : ''}"
      data-testid="phone-stock-row"
      data-product-id=${row.productId}
      data-recorded=${saved ? 'true' : 'false'}
    >
      <div class="grid-line">
        <div class="grid-name">
          <span>${name}</span>
          ${
            saved
              ? html`<span class="grid-sub grid-ok">
                  ✓ ${out ? t('phones.countedOut') : t('phones.counted', { n: fmt.number(row.count.on_hand) })}
                  ${row.count.demo_unit ? ` · ${t('phones.demo')}` : null}${waiting(row.count)}
                </span>`
              : hint
                ? html`<span class="grid-sub">${hint}</span>`
                : null
          }
          ${errors[key] ? html`<span class="grid-sub grid-err" role="alert">${errors[key]}</span>` : null}
        </div>
        <${GridInput}
          numeric
          label=${t('phones.stockInput', { name })}
          bad=${bad}
          placeholder=${row.lastCount ? String(row.lastCount.on_hand) : ''}
          value=${value}
          onDraft=${(text) => draftCount(row, text)}
          onBlur=${(text) => blurCount(row, text)}
          onCommit=${(text) => commitCount(row, text)}
          onNext=${next}
          testid="phone-stock-input"
        />
        <button
          type="button"
          class="phone-btn phone-out"
          aria-pressed=${out ? 'true' : 'false'}
          aria-label=${t('phones.outLabel', { name })}
          onPointerDown=${() => hold(row)}
          onMouseDown=${() => hold(row)}
          onClick=${() => outOfStock(row)}
          data-testid="phone-out"
        >
          ${t('phones.out')}
        </button>
        <button
          type="button"
          class="phone-btn"
          aria-pressed=${demoOn ? 'true' : 'false'}
          aria-label=${t('phones.demoLabel', { name })}
          onPointerDown=${() => hold(row)}
          onMouseDown=${() => hold(row)}
          onClick=${() => toggleDemo(row)}
          data-testid="phone-demo"
        >
          ${t('phones.demoChip')}
        </button>
      </div>
    </li>`;
  }

  // --- sold since the last report --------------------------------------------------------------

  function commitSold(row, text) {
    const key = `o:${row.productId}`;
    if (badUnits(text)) {
      setError(key, t('grid.invalidQuantity'));
      return;
    }
    const entry = reportEntry(row, text, soldSource);
    if (!entry) return;
    return run(key, `${entry.units}:${soldSource}`, () =>
      actions.reportSellOut({
        storeId: visit.store_id,
        visitId: visit.id,
        productId: row.productId,
        units: entry.units,
        periodStart: row.period.start,
        periodEnd: row.period.end,
        source: soldSource,
      }),
    );
  }

  function soldRow(row) {
    const key = `o:${row.productId}`;
    const name = productName(row);
    const value = drafts[key] ?? (row.report ? String(row.report.units) : '');
    const saved = !!row.report && (drafts[key] === undefined || drafts[key] === String(row.report.units));
    const bad = badUnits(value);
    const since = shortDay(row.period.since);
    return html`<li
      key=${key}
      class="grid-row ${saved ? 'is-saved' : ''} ${bad || errors[key] ? 'is-bad' : ''}"
      data-testid="phone-sold-row"
      data-product-id=${row.productId}
      data-since=${row.period.since}
      data-recorded=${saved ? 'true' : 'false'}
    >
      <div class="grid-line">
        <div class="grid-name">
          <span>${name}</span>
          ${
            saved
              ? html`<span class="grid-sub grid-ok">✓ ${t('phones.sold', { n: fmt.number(row.report.units), date: since })}${waiting(row.report)}</span>`
              : html`<span class="grid-sub">${t('phones.since', { date: since })}</span>`
          }
          ${errors[key] ? html`<span class="grid-sub grid-err" role="alert">${errors[key]}</span>` : null}
        </div>
        <${GridInput}
          numeric
          label=${t('phones.soldInput', { name })}
          bad=${bad}
          placeholder=""
          value=${value}
          onDraft=${(text) => {
            setDrafts((d) => ({ ...d, [key]: text }));
            setError(key, null);
          }}
          onCommit=${(text) => commitSold(row, text)}
          onNext=${next}
          testid="phone-sold-input"
        />
      </div>
    </li>`;
  }

  // --- competitors this week -------------------------------------------------------------------

  function commitRival(row, { text = '', band = null }) {
    const key = `c:${row.competitorModelId}`;
    if (badUnits(text)) {
      setError(key, t('grid.invalidQuantity'));
      return;
    }
    const entry = estimateEntry({ text, band, source: rivalSource, recorded: row.estimate });
    if (!entry) return;
    return run(key, `${entry.units ?? `b${entry.band}`}:${rivalSource}`, () =>
      actions.reportCompetitorSellOut({
        storeId: visit.store_id,
        visitId: visit.id,
        competitorModelId: row.competitorModelId,
        ...entry,
        source: rivalSource,
      }),
    );
  }

  function pickBand(row, band) {
    const key = `c:${row.competitorModelId}`;
    holding.current = null;
    setDrafts((d) => ({ ...d, [key]: '' })); // a band, not a number: the field empties
    commitRival(row, { band });
  }

  function rivalRow(row) {
    const key = `c:${row.competitorModelId}`;
    const name = rivalName(row);
    const recordedUnits = row.estimate && row.estimate.units != null ? String(row.estimate.units) : '';
    const value = drafts[key] ?? recordedUnits;
    const saved = !!row.estimate && (drafts[key] === undefined || drafts[key] === recordedUnits);
    const bad = badUnits(value);
    const band = value.trim() === '' && row.estimate?.band != null ? row.estimate.band : null;
    return html`<li
      key=${key}
      class="grid-row ${saved ? 'is-saved' : ''} ${bad || errors[key] ? 'is-bad' : ''}"
      data-testid="phone-rival-row"
      data-model-id=${row.competitorModelId}
      data-recorded=${saved ? 'true' : 'false'}
    >
      <div class="grid-line">
        <div class="grid-name">
          <span>${name}</span>
          ${
            saved
              ? html`<span class="grid-sub grid-ok">✓ ${t('phones.estimated', { value: estimateText(row.estimate) })}${waiting(row.estimate)}</span>`
              : row.last
                ? html`<span class="grid-sub">${t('phones.lastEstimate', { value: estimateText(row.last), date: shortDay(row.last.week_start) })}</span>`
                : null
          }
          ${errors[key] ? html`<span class="grid-sub grid-err" role="alert">${errors[key]}</span>` : null}
        </div>
        <${GridInput}
          numeric
          label=${t('phones.competitorInput', { name })}
          bad=${bad}
          placeholder=""
          value=${value}
          onDraft=${(text) => {
            if (holding.current === key) holding.current = null;
            setDrafts((d) => ({ ...d, [key]: text }));
            setError(key, null);
          }}
          onBlur=${(text) => {
            // A number typed, then a band chip pressed: the chip decides (one estimate, not two).
            if (holding.current !== key) commitRival(row, { text });
          }}
          onCommit=${(text) => commitRival(row, { text })}
          onNext=${next}
          testid="phone-rival-input"
        />
      </div>
      <div class="chips grid-kinds phone-bands" role="group" aria-label=${t('phones.bands', { name })}>
        ${BANDS.map(
          (b) => html`<button
            type="button"
            class="chip"
            key=${b}
            data-band=${b}
            aria-pressed=${band === b ? 'true' : 'false'}
            onPointerDown=${() => {
              holding.current = key;
            }}
            onMouseDown=${() => {
              holding.current = key;
            }}
            onClick=${() => pickBand(row, b)}
          >
            ${b}
          </button>`,
        )}
      </div>
    </li>`;
  }

  // The latest of each model (and competitor week) only: a corrected figure no longer counts.
  const recorded = () =>
    visitLatest({
      products: catalogue.products,
      counts: data.counts,
      reports: data.reports,
      estimates: data.estimates,
      storeId: visit.store_id,
      visitId: visit.id,
      today,
    });

  const readOnlyList = () => {
    if (!done) return null;
    const latest = recorded();
    return html`<p class="muted small">${t('phones.recorded')}</p>
        ${latest.counts.map(
          (c) => html`<${Saved} key=${c.id} pending=${c.pending}>
            ${productName({ product: catalogue.products.find((p) => Number(p.id) === Number(c.product_id)), productId: c.product_id })}
            · ${Number(c.on_hand) === 0 ? t('phones.outOfStock') : t('phones.onHand', { n: fmt.number(c.on_hand) })}
            ${c.demo_unit ? ` · ${t('phones.demo')}` : null}
          </${Saved}>`,
        )}
        ${latest.reports.map(
          (r) => html`<${Saved} key=${r.id} pending=${r.pending}>
            ${productName({ product: catalogue.products.find((p) => Number(p.id) === Number(r.product_id)), productId: r.product_id })}
            · ${t('phones.soldLine', { n: fmt.number(r.units), from: shortDay(r.period_start), to: shortDay(r.period_end) })}
          </${Saved}>`,
        )}
        ${latest.estimates.map(
          (e) => html`<${Saved} key=${e.id} pending=${e.pending}>
            ${rivalName({ competitorModelId: e.competitor_model_id })} · ${estimateText(e)}
          </${Saved}>`,
        )}`;
  };

  return html`<${Step} title=${t('visit.phones')} done=${done} open=${false} testid="step-phones">
    ${
      readOnly
        ? readOnlyList()
        : html`<div class="phone-grid" data-testid="phone-grid" data-loaded=${data ? 'true' : 'false'} ref=${bodyRef}>
          <h2 class="grid-group">${t('phones.stockTitle')}</h2>
          <p class="muted small">${t('phones.stockHint')}</p>
          ${
            rows.length
              ? html`<ul class="grid-list" data-testid="phone-stock">${rows.map(stockRow)}</ul>`
              : html`<p class="muted small">${t('phones.noProducts')}</p>`
          }
          <h2 class="grid-group">${t('phones.soldTitle')}</h2>
          <div class="grid-head">
            <p class="muted small">${t('phones.soldHint')}</p>
            <${SourceSelect} value=${soldSource} onChange=${setSoldSource} testid="phone-sold-source" />
          </div>
          <ul class="grid-list" data-testid="phone-sold">${rows.map(soldRow)}</ul>
          <h2 class="grid-group">${t('phones.competitorTitle')}</h2>
          ${
            rivals.length
              ? html`<div class="grid-head">
                  <p class="muted small">${t('phones.competitorHint')}</p>
                  <${SourceSelect} value=${rivalSource} onChange=${setRivalSource} testid="phone-rival-source" />
                </div>
                <ul class="grid-list" data-testid="phone-rivals">
                  ${rivals.map(rivalRow)}
                </ul>`
              : html`<p class="muted small">${t('phones.noCompetitors')}</p>`
          }
        </div>`
    }
  </${Step}>`;
}
