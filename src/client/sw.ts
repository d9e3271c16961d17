// The service worker (built to dist/public/sw.js, scope `/`): keeps the app shell
// so that a reload while the server is down shows the app, with its outbox, and
// not the browser's error page. Rules in sw/shell-cache.ts.
import { CACHE_PREFIX, networkFirst, SHELL_FILES, shellKey } from './sw/shell-cache.js';

// The client is type-checked against the DOM library only; these are the few
// worker types used here.
interface ExtendableEvent extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface WorkerScope {
  readonly registration: { readonly scope: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (ev: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (ev: FetchEvent) => void): void;
}

/** A hash of the shell files, set by scripts/build.mjs: a new build is a new cache. */
declare const __SHELL_VERSION__: string;

const worker = self as unknown as WorkerScope;
const CACHE = `${CACHE_PREFIX}${__SHELL_VERSION__}`;
const scope = worker.registration.scope;

worker.addEventListener('install', (ev) => {
  ev.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload`: straight from the server, not from the HTTP cache.
      await cache.addAll(
        SHELL_FILES.map((f) => new Request(new URL(f, scope), { cache: 'reload' })),
      );
      // The shell is network-first, so a new worker can take over at once.
      await worker.skipWaiting();
    })(),
  );
});

worker.addEventListener('activate', (ev) => {
  ev.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
      }
      // Control the page that registered us, so its next reload is covered.
      await worker.clients.claim();
    })(),
  );
});

worker.addEventListener('fetch', (ev) => {
  const key = shellKey(ev.request, scope);
  if (key === null) return;
  ev.respondWith(
    caches.open(CACHE).then((cache) =>
      networkFirst(ev.request, key, {
        cache,
        fetch: (r) => fetch(r),
        waitUntil: (work) => ev.waitUntil(work),
      }),
    ),
  );
});
