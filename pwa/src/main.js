// Entry point: mounts the app. (Screens, the sync engine and storage live in their own folders.)
import { html, render } from 'htm/preact';

render(html`<main><h1>星澜巡店</h1><p>Field Sales</p></main>`, document.getElementById('app'));
