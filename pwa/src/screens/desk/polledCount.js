// A count the desk's navs show as a badge (open price alerts, open channel alerts): asked for when
// a badge first shows, again every minute, and at once when `changed()` is called (after an
// acknowledgement); the last count known is what a new badge starts with.
import { useEffect, useState } from 'preact/hooks';

export const COUNT_POLL_MS = 60_000;

/** `{useCount(load), changed()}` of one count: `useCount(load)` is the count (null until known),
 * `load()` resolving to it (a failure keeps the last one); `changed()` re-counts every badge. */
export function polledCount({ pollMs = COUNT_POLL_MS } = {}) {
  const listeners = new Set();
  let last = null;

  function changed() {
    for (const fn of listeners) fn();
  }

  function useCount(load) {
    const [count, setCount] = useState(last);
    useEffect(() => {
      let alive = true;
      let timer = null;
      async function recount() {
        clearTimeout(timer);
        try {
          const n = await load();
          last = n;
          if (alive) setCount(n);
        } catch (err) {
          if (!err || err.status === undefined) console.error(err);
        }
        if (alive) timer = setTimeout(recount, pollMs);
      }
      listeners.add(recount);
      recount();
      return () => {
        alive = false;
        clearTimeout(timer);
        listeners.delete(recount);
      };
    }, []);
    return count;
  }

  return { useCount, changed };
}
