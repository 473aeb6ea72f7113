// Small hooks: live IndexedDB queries (Dexie liveQuery), hash routes, online state, the business
// time zone.
import { useEffect, useState } from 'preact/hooks';
import Dexie, { liveQuery } from 'dexie';
import { businessZone, learnBusinessZone, onBusinessZone } from '../warranty/zone.js';

/** The current value of `querier()` (a Dexie query), kept up to date as the database changes. */
export function useLive(querier, deps = [], initial = undefined) {
  const [state, setState] = useState({ value: initial, error: null, loaded: false });
  // Dexie's live query may miss a write that commits while it is reading (seen in Chromium: the
  // visit's check-out summary counted 1 or 2 of 3 prices typed in quick succession, until the
  // screen was opened again). Every committed write also asks for one more read, shortly after.
  const [nudge, setNudge] = useState(0);
  useEffect(() => {
    let timer = null;
    const onMutated = (parts) => {
      // Only the replica's records and the outbox: not a draft saved on each keystroke, meta or
      // the photo queue (every query on screen would read again as the rep types).
      if (!Object.keys(parts || {}).some((k) => NUDGING.test(k))) return;
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        setNudge((n) => n + 1);
      }, NUDGE_MS);
    };
    Dexie.on('storagemutated', onMutated);
    return () => {
      Dexie.on('storagemutated').unsubscribe(onMutated);
      if (timer !== null) clearTimeout(timer);
    };
  }, []);
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
  }, [...deps, nudge]);
  return [state.value, state.loaded, state.error];
}

/** How long after a committed write a live query reads again (writes in a burst: one read). */
const NUDGE_MS = 150;
/** The tables whose writes nudge (Dexie's keys: idb://<db>/<table>/<index>). */
const NUDGING = /^idb:\/\/[^/]+\/(entities|outbox)(\/|$)/;

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

/**
 * The business time zone (warranty/zone.js) whose calendar "today" is on: a screen that shows or
 * reads by a day calls this and renders again when the zone is learned from the server (the first
 * render may have used the default or the last zone heard). Asks the server once per page when
 * online (app.js asks as the app starts already). Pass it to a live query's deps when the query
 * reads by today.
 */
export function useBusinessZone() {
  const [zone, setZone] = useState(businessZone);
  useEffect(() => {
    const off = onBusinessZone(setZone);
    setZone(businessZone()); // learned between the first render and this effect
    learnBusinessZone();
    return off;
  }, []);
  return zone;
}
