// The note under the shipment upload form once the import has ended (importNotice.js).
export default {
  'imports.notice.done': '{name} imported: {loaded} rows loaded, {unchanged} unchanged, {bad} bad.',
  'imports.notice.failed': '{name} could not be imported: {why}',
};
