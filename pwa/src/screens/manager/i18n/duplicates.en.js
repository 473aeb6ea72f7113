// New-store review: the duplicate rule the candidates were found by (Reports.js, dupRule in reports.js).
export default {
  'manager.report.dup.heading':
    'Possible duplicates ({n}): any known store within {near} m, or a similar name within {far} m',
  'manager.report.dup.none': 'No known store within {near} m, nor one with a similar name within {far} m.',
  'manager.report.dup.n': '{n} possible',
  'manager.report.dup.close': 'very close',
  'manager.report.dup.similarName': 'similar name',
};
