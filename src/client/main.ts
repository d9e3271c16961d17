// Entry point of the browser bundle (built to dist/public/app.js).
import { browserStorage } from './storage.js';
import { App } from './ui/app.js';

const root = document.getElementById('app');
const announcer = document.getElementById('announcer');
if (root && announcer) {
  new App(root, announcer, browserStorage()).start();
}
