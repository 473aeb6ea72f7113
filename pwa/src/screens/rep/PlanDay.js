// Plan a day (the rep, on the phone, offline): today or tomorrow (default tomorrow), starting from
// the plan the phone has for that day; pick stores of the rep's territory from the local database
// (search; nearest first when the position is known), reorder them, "Order for me" (default on:
// the server orders the stops — nearest neighbour + 2-opt — when it receives the plan; "Start from
// here" sends the phone's position as the day's start). Save queues `plan.save` (actions.savePlan)
// and goes back to Today, which shows the plan at once in the order picked, then the server's.
// Loaded on demand (its own chunk, precached by the service worker like the rest of the shell).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fmt, t } from '../../i18n/index.js';
import { useApp } from '../../components/context.js';
import { navigate, useBusinessZone, useLive } from '../../components/hooks.js';
import { getPosition } from '../../components/geo.js';
import { MAX_PLAN_STOPS } from '../../db/actions.js';
import { planDays } from './model.js';

const SHOWN = 100; // candidate stores listed at once (search finds the others)

const toggle = (list, id) =>
  list.includes(id) ? list.filter((x) => x !== id) : list.length >= MAX_PLAN_STOPS ? list : [...list, id];

function moved(list, index, delta) {
  const to = index + delta;
  if (to < 0 || to >= list.length) return list;
  const next = [...list];
  [next[index], next[to]] = [next[to], next[index]];
  return next;
}

export function PlanDay({ day: wanted }) {
  const { actions, queries, session } = useApp();
  useBusinessZone(); // today and tomorrow are business days: rendered again when the zone is learned
  const days = planDays();
  const [day, setDay] = useState(wanted === days.today ? days.today : days.tomorrow);
  const [basis, setBasis] = useState(undefined); // the day's plan on the phone (null: none); undefined: loading
  const [picked, setPicked] = useState([]);
  const [note, setNote] = useState('');
  const [optimise, setOptimise] = useState(true);
  const [fromHere, setFromHere] = useState(day === days.today);
  const [q, setQ] = useState('');
  const [pos, setPos] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  useEffect(() => {
    getPosition().then(setPos, () => setPos(null));
  }, []);

  // Start from the plan of that day (once per day chosen: sync must not undo the rep's edits).
  useEffect(() => {
    let alive = true;
    setBasis(undefined);
    queries.dayPlan(day).then((plan) => {
      if (!alive) return;
      setBasis(plan);
      setPicked(plan ? (plan.store_ids || []).map(Number) : []);
      setNote(plan ? plan.note || '' : '');
    });
    return () => {
      alive = false;
    };
  }, [day]);

  // The rep's territory's stores (a closed store is not visited).
  const territory = session?.user ? session.user.territory_id : null;
  const eligible = (s) =>
    s.status !== 'closed' && (territory == null || s.territory_id == null || s.territory_id === territory);
  const [all] = useLive(() => queries.stores(), [], []);
  const byId = new Map((all || []).map((s) => [Number(s.id), s]));
  const text = q.trim();
  const [candidates] = useLive(
    async () => {
      const list = text
        ? await queries.searchStores(text)
        : pos
          ? await queries.nearbyStores(pos.latitude, pos.longitude, 1000)
          : await queries.stores();
      return list.filter(eligible);
    },
    [text, pos?.latitude, pos?.longitude, territory],
    [],
  );
  const shown = (candidates || []).slice(0, SHOWN);

  async function save() {
    setBusy(true);
    setError(null);
    try {
      const start = optimise && fromHere && pos ? { latitude: pos.latitude, longitude: pos.longitude } : undefined;
      await actions.savePlan({ day, storeIds: picked, optimise, note, start });
      navigate('/');
    } catch (err) {
      console.error(err);
      setError(err.message || String(err));
      setBusy(false);
    }
  }

  function pickDay(next) {
    if (next === day) return;
    setDay(next);
    setFromHere(next === days.today);
  }

  const nameOf = (id) => (byId.get(id) ? byId.get(id).name : t('manager.todayPlan.unknown', { id }));

  return html`<div data-testid="plan-day">
    <div style="display:flex;justify-content:space-between;align-items:center;gap:0.6rem;margin-bottom:0.5rem">
      <div class="segmented" role="group" aria-label=${t('plan.title')}>
        <button type="button" aria-pressed=${day === days.today ? 'true' : 'false'} onClick=${() => pickDay(days.today)} data-testid="plan-day-today">
          ${t('plan.today')}
        </button>
        <button type="button" aria-pressed=${day === days.tomorrow ? 'true' : 'false'} onClick=${() => pickDay(days.tomorrow)} data-testid="plan-day-tomorrow">
          ${t('plan.tomorrow')}
        </button>
      </div>
      <span class="muted small" data-testid="plan-date">${fmt.day(day)}</span>
    </div>
    ${basis ? html`<p class="muted small" data-testid="plan-from-saved">${t('plan.fromSaved')}</p>` : null}

    <div class="card">
      <h3 style="margin:0 0 0.4rem">${t('plan.picked', { n: picked.length, max: MAX_PLAN_STOPS })}</h3>
      ${
        picked.length
          ? html`<ol class="list" data-testid="plan-picked">
            ${picked.map(
              (id, i) => html`<li key=${id} class="list-item" data-testid="plan-picked-store" data-store-id=${id}>
                <span class="tag">${i + 1}</span>
                <span class="main"><span class="title">${nameOf(id)}</span></span>
                <button type="button" class="btn btn-small" aria-label=${t('plan.up')} disabled=${i === 0} onClick=${() => setPicked(moved(picked, i, -1))}>↑</button>
                <button type="button" class="btn btn-small" aria-label=${t('plan.down')} disabled=${i === picked.length - 1} onClick=${() => setPicked(moved(picked, i, 1))}>↓</button>
                <button type="button" class="btn btn-small" aria-label=${t('plan.remove')} onClick=${() => setPicked(toggle(picked, id))}>×</button>
              </li>`,
            )}
          </ol>`
          : html`<p class="muted">${basis === undefined ? t('app.loading') : t('plan.none')}</p>`
      }
      <label class="check-item">
        <input type="checkbox" checked=${optimise} onChange=${(e) => setOptimise(e.currentTarget.checked)} data-testid="plan-optimise" />
        <span class="label">${t('plan.optimise')}<br /><span class="muted small">${t('plan.optimiseHint')}</span></span>
      </label>
      ${
        optimise && pos
          ? html`<label class="check-item">
            <input type="checkbox" checked=${fromHere} onChange=${(e) => setFromHere(e.currentTarget.checked)} data-testid="plan-from-here" />
            <span class="label">${t('plan.fromHere')}</span>
          </label>`
          : null
      }
      <label class="field" style="margin-top:0.5rem">
        <span class="label">${t('common.notes')} (${t('common.optional')})</span>
        <textarea rows="2" maxlength="500" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} data-testid="plan-note"></textarea>
      </label>
      ${error ? html`<div class="banner banner-err" role="alert">${t('app.error', { message: error })}</div>` : null}
      <button
        type="button"
        class="btn btn-primary btn-block"
        disabled=${!picked.length || busy || basis === undefined}
        onClick=${save}
        data-testid="plan-save"
      >
        ${t('plan.submit')}
      </button>
    </div>

    <label class="field">
      <span class="visually-hidden">${t('common.search')}</span>
      <input
        type="search"
        placeholder=${t('today.search')}
        value=${q}
        onInput=${(e) => setQ(e.currentTarget.value)}
        data-testid="plan-search"
        enterkeyhint="search"
      />
    </label>
    <h2 class="section-title"><span>${text ? t('today.results') : pos ? t('today.nearby') : t('today.all')}</span></h2>
    <div class="card">
      ${
        shown.length
          ? html`<ul class="list" data-testid="plan-candidates">
            ${shown.map((s) => {
              const id = Number(s.id);
              const on = picked.includes(id);
              return html`<li key=${id}>
                <button
                  type="button"
                  class="list-item"
                  aria-pressed=${on ? 'true' : 'false'}
                  disabled=${!on && picked.length >= MAX_PLAN_STOPS}
                  onClick=${() => setPicked(toggle(picked, id))}
                  data-testid="plan-candidate"
                  data-store-id=${id}
                >
                  <span class=${on ? 'tag tag-ok' : 'tag'} style="margin:0;min-width:1.6rem;text-align:center">${on ? '✓' : '+'}</span>
                  <span class="main">
                    <span class="title" style="display:block">${s.name}</span>
                    <span class="sub" style="display:block">${s.address || s.code || ''}</span>
                  </span>
                  <span class="side">${s.distance_m != null ? fmt.distance(s.distance_m) : ''}</span>
                </button>
              </li>`;
            })}
          </ul>`
          : html`<p class="empty">${text ? t('today.noResults', { q: text }) : t('today.noStores')}</p>`
      }
      ${(candidates || []).length > SHOWN ? html`<p class="muted small">${t('plan.more')}</p>` : null}
    </div>
  </div>`;
}
