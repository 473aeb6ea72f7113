// The number of open (unacknowledged) channel alerts, for the navs' badges: HQ's nav and the
// manager's (which imports this small module only: the channel screens load when opened). The
// server counts those the user may see (a manager: their region's).
import { useEffect, useState } from 'preact/hooks';
import * as capi from './channelApi.js';

const COUNT_POLL_MS = 60_000;
const countListeners = new Set();
let lastCount = null;

/** Ask every `useChannelAlertCount()` to count again (after an acknowledgement). */
export function channelAlertsChanged() {
  for (const fn of countListeners) fn();
}

/** The number of unacknowledged channel alerts (null until known), re-counted every minute and
 * on `channelAlertsChanged()`. */
export function useChannelAlertCount() {
  const [count, setCount] = useState(lastCount);
  useEffect(() => {
    let alive = true;
    let timer = null;
    async function recount() {
      clearTimeout(timer);
      try {
        const n = await capi.openAlertCount();
        lastCount = n;
        if (alive) setCount(n);
      } catch (err) {
        if (!err || err.status === undefined) console.error(err);
      }
      if (alive) timer = setTimeout(recount, COUNT_POLL_MS);
    }
    countListeners.add(recount);
    recount();
    return () => {
      alive = false;
      clearTimeout(timer);
      countListeners.delete(recount);
    };
  }, []);
  return count;
}
