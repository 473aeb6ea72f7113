// Imported by the generated service worker: Background Sync wakes the open app to sync.
// (The sync itself runs in the page, which holds the outbox logic and the token; Safari has no
// Background Sync, and the app then syncs on start, `online`, visibility and a timer.)
self.addEventListener('sync', (event) => {
  if (event.tag !== 'fieldsales-sync') return;
  event.waitUntil(
    self.clients
      .matchAll({ type: 'window', includeUncontrolled: true })
      .then((clients) => clients.forEach((client) => client.postMessage({ type: 'fieldsales-sync' }))),
  );
});
