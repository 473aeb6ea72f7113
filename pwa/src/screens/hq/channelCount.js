// The number of open (unacknowledged) channel alerts, for the navs' badges: HQ's nav and the
// manager's (which imports this small module only: the channel screens load when opened). The
// server counts those the user may see (a manager: their region's).
import { polledCount } from '../desk/polledCount.js';
import * as capi from './channelApi.js';

const count = polledCount();

/** Ask every `useChannelAlertCount()` to count again (after an acknowledgement). */
export const channelAlertsChanged = count.changed;

/** The number of unacknowledged channel alerts (null until known), re-counted every minute and
 * on `channelAlertsChanged()`. */
export const useChannelAlertCount = () => count.useCount(capi.openAlertCount);
