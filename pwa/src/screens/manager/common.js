// Pieces shared by the manager's screens: the reps and territories of the region, store names, the
// business time zone, the queue of things to review (store moves, new-store reports). What all desk screens share (remote data, errors, paging, CSV buttons) is in
// ../desk/kit.js.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { useBusinessZone } from '../../components/hooks.js';
import { Pager, useRemote } from '../desk/kit.js';
import * as mapi from './api.js';
import { dayIn } from './format.js';

// --- reference data of the region, fetched once per page load --------------------------------

let repsOnce = null;
let territoriesOnce = null;

function once(get, set, load) {
  let p = get();
  if (!p) {
    p = load().catch((err) => {
      set(null);
      throw err;
    });
    set(p);
  }
  return p;
}

const storeNames = new Map(); // store id → Promise<name | null>

/** `{id: name}` of the stores `ids` (fetched once per page load; null: not found or refused; absent
 * until known). */
export function useStoreNames(ids) {
  const [names, setNames] = useState({});
  const key = [...new Set(ids.map(Number))].join(',');
  useEffect(() => {
    let alive = true;
    const list = key ? key.split(',').map(Number) : [];
    for (const id of list)
      if (!storeNames.has(id))
        storeNames.set(
          id,
          mapi.store(id).then(
            (s) => s.name,
            () => null,
          ),
        );
    Promise.all(list.map((id) => storeNames.get(id).then((name) => [id, name]))).then((pairs) => {
      if (alive) setNames(Object.fromEntries(pairs));
    });
    return () => {
      alive = false;
    };
  }, [key]);
  return names;
}

/** The business time zone (GET /app-config): the one the rep's screens count days in too
 * (warranty/zone.js — the last one heard, the server's default until then, never the browser's);
 * rendered again when it is learned. */
export function useTimeZone() {
  return useBusinessZone();
}

/** Today in the business time zone. */
export function todayIn(tz) {
  return dayIn(new Date(), tz || undefined);
}

/** `{reps, territories, repName(id), territoryName(id), error, reload}` of the user's region. */
export function useRegion(session) {
  const regionId = session?.user ? session.user.region_id : null;
  const { data, error, reload, loading } = useRemote(async () => {
    const [reps, territories] = await Promise.all([
      once(
        () => repsOnce,
        (p) => (repsOnce = p),
        () => mapi.reps(),
      ),
      once(
        () => territoriesOnce,
        (p) => (territoriesOnce = p),
        () => mapi.territories(),
      ).catch(() => []), // names only: the screens work without them
    ]);
    return { reps, territories: regionId ? territories.filter((x) => x.region_id === regionId) : territories };
  }, [regionId]);
  const reps = data?.reps || [];
  const territories = data?.territories || [];
  const repById = new Map(reps.map((r) => [r.id, r]));
  const terrById = new Map(territories.map((x) => [x.id, x]));
  return {
    reps,
    territories,
    loading,
    error,
    reload: () => {
      repsOnce = null;
      territoriesOnce = null;
      reload();
    },
    rep: (id) => repById.get(Number(id)) || null,
    repName: (id) => {
      if (id === null || id === undefined) return '';
      if (session?.user && session.user.id === id) return session.user.display_name || session.user.username;
      const r = repById.get(Number(id));
      return r ? r.display_name : `#${id}`;
    },
    territoryName: (id) => {
      const x = terrById.get(Number(id));
      return x ? x.name : id === null || id === undefined ? '' : `#${id}`;
    },
  };
}

/** A <select> of the region's reps (grouped by territory when names are known). */
export function RepSelect({ region, value, onChange, allowAll = false, testid = 'rep-select', id, label }) {
  const groups = new Map();
  for (const r of region.reps) {
    const key = r.territory_id;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  // Named even where no <label> wraps it (a toolbar's filter): "Rep" unless `label` says otherwise.
  return html`<select id=${id} aria-label=${label || t('manager.rep')} value=${value ?? ''} onChange=${(e) => onChange(e.currentTarget.value ? Number(e.currentTarget.value) : null)} data-testid=${testid}>
    ${allowAll ? html`<option value="">${t('manager.allReps')}</option>` : html`<option value="" disabled>${t('manager.pickRep')}</option>`}
    ${[...groups.entries()].map(
      ([tid, list]) => html`<optgroup key=${tid} label=${region.territoryName(tid) || t('manager.territory')}>
        ${list.map((r) => html`<option key=${r.id} value=${r.id}>${r.display_name}${r.active === false ? ` (${t('manager.inactive')})` : ''}</option>`)}
      </optgroup>`,
    )}
  </select>`;
}

/** A queue of things to review (store moves, new-store reports), in a card: `children` (the toolbar,
 * its error banner) above the list of `list` (usePaged's) — `head`: the header cells, `cells(item)`:
 * a row's, `rowProps(item)`: its attributes; a click selects the row —, its pager, `empty` when
 * there is nothing; below the card, the selected item's `review(item, done)` (`done()`: deselect,
 * load the list again), or the `hint` to pick one. */
export function ReviewQueue({
  testid,
  list,
  head,
  cells,
  rowProps = () => ({}),
  tableTestid,
  pagerTestid,
  empty,
  hint,
  review,
  children,
}) {
  const [selectedId, select] = useState(null);
  const { rows } = list;
  const selected = rows.find((x) => x.id === selectedId) || null;
  const done = () => {
    select(null);
    list.reload();
  };
  return html`<div data-testid=${testid}>
    <section class="card">
      ${children}
      ${
        rows.length
          ? html`<div class="table-wrap">
              <table class="table" data-testid=${tableTestid}>
                <thead>
                  <tr>
                    ${head}
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (
                      x,
                    ) => html`<tr key=${x.id} class=${x.id === selectedId ? 'selected clickable' : 'clickable'} onClick=${() => select(x.id)} ...${rowProps(x)}>
                      ${cells(x)}
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <${Pager} pagination=${list.data.pagination} page=${list.page} onPage=${list.setPage} testid=${pagerTestid} />`
          : html`<p class="empty">${list.loading ? t('app.loading') : empty}</p>`
      }
    </section>
    ${selected ? review(selected, done) : rows.length ? html`<p class="muted small">${hint}</p>` : null}
  </div>`;
}
