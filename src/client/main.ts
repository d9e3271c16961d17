// Entry point of the browser bundle (built to dist/public/app.js).
import { browserStorage } from './storage.js';
import { App } from './ui/app.js';

const root = document.getElementById('app');
const announcer = document.getElementById('announcer');
if (root && announcer) {
  new App(root, announcer, browserStorage()).start();
}

// The service worker keeps the app shell, so a reload while the server is down
// still shows the app and its outbox. Registered after load, so it does not
// compete with the first visit; without it the app works the same, only not offline.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('sw.js').catch(() => undefined);
  });
}
