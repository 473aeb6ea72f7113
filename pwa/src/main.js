// Entry point: styles, the service worker (updates wait for the user: "update available"), the app.
import './styles.css';
import { html, render } from 'htm/preact';
import { registerSW } from 'virtual:pwa-register';
import { App, signalUpdate } from './app.js';

const updateSW = registerSW({
  immediate: true,
  onNeedRefresh() {
    // A new version is installed and waiting; it takes over only when the rep says so.
    signalUpdate(() => updateSW(true));
  },
  onRegisterError(err) {
    console.error('service worker registration failed', err);
  },
});

render(html`<${App} />`, document.getElementById('app'));
