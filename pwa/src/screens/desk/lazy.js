// A component whose module is fetched the first time it is drawn — a chunk of its own, e.g. a
// Leaflet map: "Loading…" until then, the error when the chunk cannot be fetched.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';

/** The component `name` of the module `load()` imports (`() => import('./X.js')`: Vite splits
 * there), loaded once per page. */
export function lazyComponent(load, name) {
  let loaded = null;
  return function Lazy(props) {
    const [mod, setMod] = useState(loaded);
    const [error, setError] = useState(null);
    useEffect(() => {
      if (loaded) return undefined;
      let alive = true;
      load().then(
        (m) => {
          loaded = m;
          if (alive) setMod(m);
        },
        (err) => {
          console.error(err);
          if (alive) setError(err);
        },
      );
      return () => {
        alive = false;
      };
    }, []);
    if (mod) return html`<${mod[name]} ...${props} />`;
    return html`<p class="empty">${error ? t('app.error', { message: error.message }) : t('app.loading')}</p>`;
  };
}
