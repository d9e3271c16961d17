// The service worker (built to dist/public/sw.js, scope `/`): keeps the app shell
// so that a reload while the server is down shows the app, with its outbox, and
// not the browser's error page (rules in sw/shell-cache.ts); and shows Web Push
// notifications, which arrive with no tab open (sw/push-notifications.ts).
import { notificationOptions, openTarget } from './sw/push-notifications.js';
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
interface PushEvent extends ExtendableEvent {
  readonly data: { text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  readonly notification: Notification;
}
interface WindowClient {
  readonly url: string;
  focus(): Promise<WindowClient>;
  navigate(url: string): Promise<WindowClient | null>;
}
interface WorkerScope {
  readonly registration: {
    readonly scope: string;
    showNotification(title: string, options: NotificationOptions): Promise<void>;
  };
  readonly clients: {
    claim(): Promise<void>;
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (ev: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (ev: FetchEvent) => void): void;
  addEventListener(type: 'push', fn: (ev: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', fn: (ev: NotificationEvent) => void): void;
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

worker.addEventListener('push', (ev) => {
  const shown = notificationOptions(ev.data?.text() ?? null, scope);
  // Browsers require a notification for every push (userVisibleOnly).
  ev.waitUntil(worker.registration.showNotification(shown.title, shown.options));
});

worker.addEventListener('notificationclick', (ev) => {
  ev.notification.close();
  ev.waitUntil(
    (async () => {
      const windows = await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const target = openTarget(ev.notification.data, scope);
      // A tab of the app already open goes to the message; else a new one opens there.
      const tab = windows.find((w) => w.url.startsWith(scope));
      if (tab) {
        // focus() needs the click's user activation; without it the tab still moves
        const focused = await tab.focus().catch(() => tab);
        // navigate() fails for a tab this worker does not control: then a new tab
        if (await focused.navigate(target).catch(() => null)) return;
      }
      await worker.clients.openWindow(target);
    })(),
  );
});
