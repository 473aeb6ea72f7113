// The desk kit's strings (screens/desk/kit.js: what HQ's and the managers' screens share), in English.
export default {
  'desk.offline': 'No network: these screens need a connection.',
  'desk.forbidden': 'Your role may not do this.',
  'desk.refresh': 'Refresh',
  'desk.prev': 'Previous',
  'desk.next': 'Next',
  'desk.page': 'Page {page} of {pages} ({n})',
  'desk.total': '{n} in all',
  'desk.exportCsv': 'Export CSV',
  'desk.exporting': 'Exporting…',
  'desk.csvHint': 'Download this table as a CSV file',
  'desk.photo': 'Photo',
  'desk.photoPending': 'processing',
  'desk.close': 'Close',
};
