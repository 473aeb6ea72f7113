// IMEI spot check (抽查): the rep types or scans the IMEI of a unit on the shelf; it is queued as
// `imei.spot_check` and, once synced, comes back with the server's verdict against the shipment
// records: shipped to this region (matches), shipped elsewhere (diverted, 窜货) or unknown.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fmt, t } from '../../../i18n/index.js';
import { useApp } from '../../../components/context.js';
import { useLive } from '../../../components/hooks.js';
import { ImeiField, ScanButton } from '../../../components/ImeiField.js';
import { errorText } from '../../../components/SyncBar.js';
import { CardError, imeiDigits, imeiIssue } from '../../../warranty/card.js';
import { Step } from './common.js';

const MATCH_CLASS = { matches: 'banner-ok', diverted: 'banner-err', no_record: 'banner-warn' };

function SpotCheckEntry({ check }) {
  const state = check.sync ? check.sync.state : 'synced';
  let verdict;
  let cls = 'banner-info';
  if (state === 'refused') {
    cls = 'banner-err';
    verdict = t('outbox.reason', { message: errorText(check.sync.error) || t('common.unknown') });
  } else if (state === 'pending' || !check.shipment_match) {
    verdict = t('common.waiting');
  } else {
    cls = MATCH_CLASS[check.shipment_match] || 'banner-info';
    verdict = t(`spot.match.${check.shipment_match}`);
  }
  return html`<div class=${`banner ${cls} small`} data-testid="spot-check" data-imei=${check.imei} data-state=${state} data-match=${check.shipment_match || ''}>
    <span class="grow"><span class="mono">${check.imei}</span> · ${fmt.time(check.seen_at)}</span>
    <span>${state === 'refused' ? html`<span class="tag tag-err">${t('card.sync.refused')}</span> ` : null}${verdict}</span>
  </div>`;
}

export function SpotCheckStep({ visit, readOnly }) {
  const { actions, queries } = useApp();
  const [imei, setImei] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [problem, setProblem] = useState(null);
  const [checks] = useLive(() => queries.spotChecks(visit.id), [visit.id], []);
  const list = checks || [];

  async function record(value) {
    const digits = imeiDigits(value);
    const issue = imeiIssue(digits);
    if (issue) {
      setProblem(issue);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await actions.spotCheck({ storeId: visit.store_id, visitId: visit.id, imei: digits });
      setImei('');
      setProblem(null);
    } catch (err) {
      if (err instanceof CardError) setProblem(err.problems.imei);
      else {
        console.error(err);
        setError(err.message || String(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return html`<${Step} title=${t('spot.title')} done=${list.length > 0} testid="step-spot">
    ${list.length ? html`<div data-testid="spot-checks">${list.map((c) => html`<${SpotCheckEntry} key=${c.id} check=${c} />`)}</div>` : null}
    ${
      readOnly
        ? list.length
          ? null
          : html`<p class="muted small">${t('spot.none')}</p>`
        : html`<form
          onSubmit=${(e) => {
            e.preventDefault();
            record(imei);
          }}
          data-testid="spot-form"
        >
          <p class="muted small">${t('spot.hint')}</p>
          <${ImeiField}
            label=${t('spot.imei')}
            value=${imei}
            onInput=${(v) => {
              setImei(v);
              setProblem(null);
            }}
            problem=${problem}
            showProblem=${!!problem}
            testid="spot-imei"
            scan=${html`<${ScanButton} onImeis=${(imeis) => {
              for (const i of imeis) record(i);
            }} testid="spot-scan" />`}
          />
          ${error ? html`<div class="banner banner-err">${error}</div>` : null}
          <button type="submit" class="btn btn-primary btn-block" disabled=${busy} data-testid="save-spot">${t('spot.save')}</button>
        </form>`
    }
  </${Step}>`;
}
