// Small hooks: live IndexedDB queries (Dexie liveQuery), hash routes, online state.
import { useEffect, useState } from 'preact/hooks';
import { liveQuery } from 'dexie';

/** The current value of `querier()` (a Dexie query), kept up to date as the database changes. */
export function useLive(querier, deps = [], initial = undefined) {
  const [state, setState] = useState({ value: initial, error: null, loaded: false });
  useEffect(() => {
    let alive = true;
    const sub = liveQuery(querier).subscribe({
      next: (value) => alive && setState({ value, error: null, loaded: true }),
      error: (error) => {
        console.error(error);
        if (alive) setState((s) => ({ ...s, error, loaded: true }));
      },
    });
    return () => {
      alive = false;
      sub.unsubscribe();
    };
  }, deps);
  return [state.value, state.loaded, state.error];
}

function parseHash() {
  const h = (typeof location !== 'undefined' && location.hash) || '';
  const path = h.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { path, parts };
}

/** The route from the hash (`#/store/12` → {parts: ['store', '12']}). Hash routes survive an
 * offline reload with no server round trip. */
export function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => {
      setRoute(parseHash());
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', on);
    // Preact runs effects after the next paint: a hash change between the first render and here
    // fired no listener (a busy phone, or a link tapped as the screen appears). Catch up with it.
    const now = parseHash();
    setRoute((r) => (r.path === now.path ? r : now));
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(path, { replace = false } = {}) {
  const target = `#${path}`;
  if (replace) location.replace(target);
  else location.hash = path;
}

export function useOnline() {
  const [online, setOnline] = useState(typeof navigator === 'undefined' ? true : navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    setOnline(navigator.onLine); // a change between the first render and this effect fired no listener
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  return online;
}

/** A URL for a Blob, revoked when the component goes away or the blob changes. */
export function useObjectUrl(blob) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    if (!blob) {
      setUrl(null);
      return undefined;
    }
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}
