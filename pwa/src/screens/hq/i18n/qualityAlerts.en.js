// The quality screen's early-life alerts: acknowledging one, which of them to show.
export default {
  'quality.alerts.which': 'Show',
  'quality.alerts.openOnly': 'Not acknowledged',
  'quality.alerts.all': 'All',
  'quality.alerts.noneOpen': 'No early-life alert waits to be acknowledged.',
  'quality.alerts.ackedBy': 'Acknowledged {when}',
};
