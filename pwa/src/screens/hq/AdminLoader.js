// The administrators' pages (screens/admin: users and master data) as a chunk of their own, asked
// for the first time an admin opens one; HQ users who never do never download it.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { ErrorBanner } from '../desk/kit.js';

let chunk = null; // the import's promise, once asked (again after a failure: a retry)

export function AdminLoader(props) {
  const [loaded, setLoaded] = useState(null);
  const [failed, setFailed] = useState(null);
  useEffect(() => {
    let current = true;
    chunk = chunk || import('../admin/index.js');
    chunk.then(
      (m) => current && setLoaded(m),
      (err) => {
        chunk = null;
        console.error(err);
        if (current) setFailed(err);
      },
    );
    return () => {
      current = false;
    };
  }, []);
  if (failed) return html`<${ErrorBanner} error=${failed} />`;
  if (!loaded) return html`<p class="muted">${t('app.loading')}</p>`;
  return html`<${loaded.Admin} ...${props} />`;
}
