// Web Push in the browser. Chromium here reaches no push service (no internet,
// and Playwright's contexts are incognito, where Chrome has no Push API), so the
// test stands in for both ends a push service would connect:
// - the page's PushManager.subscribe is replaced by one returning a subscription
//   at the fake push service (test/support/fake-push-service.ts), whose keys the
//   test holds; everything else in the page is the shipped client;
// - what the real server sends there is decrypted by the test and delivered to
//   the real service worker through the DevTools protocol
//   (ServiceWorker.deliverPushMessage), as the browser's push service would.
// The worker must show the notification; a click on it (dispatched in the
// worker, there is no OS notification to click) must bring the tab to the message.
import { fileURLToPath } from 'node:url';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PushKey } from '../../src/protocol/push.js';
import { type FakeBrowser, FakePushService } from '../support/fake-push-service.js';
import { describeBrowser } from './browser.js';
import { createRoom, eventually, useBrowserSession } from './helpers.js';

interface Shown {
  title: string;
  body: string;
  tag: string;
  data: { url?: string };
}

/** The service worker's registration id, as the DevTools protocol names it. */
async function registrationId(cdp: CDPSession, scope: string): Promise<string> {
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const reg = registrations.find((r) => r.scopeURL === scope && !r.isDeleted);
      if (reg) resolve(reg.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return found;
}

/** The notifications the worker shows now. */
function shown(page: Page): Promise<Shown[]> {
  return page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      data: n.data as { url?: string },
    }));
  });
}

/** Replaces the browser's PushManager with one that subscribes `browser` (the test's keys). */
async function stubPushManager(context: BrowserContext, browser: FakeBrowser): Promise<void> {
  await context.addInitScript((json) => {
    type Sub = { endpoint: string; options: { applicationServerKey: ArrayBuffer } };
    const w = window as unknown as { __subscribedWith?: string; __current?: Sub | null };
    w.__current = null;
    PushManager.prototype.subscribe = async (opts?: PushSubscriptionOptionsInit) => {
      const key = new Uint8Array(opts?.applicationServerKey as Uint8Array);
      w.__subscribedWith = btoa(String.fromCharCode(...key))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
      const sub = {
        endpoint: json.endpoint,
        options: { applicationServerKey: key.buffer },
        toJSON: () => json,
        unsubscribe: async () => {
          w.__current = null;
          return true;
        },
      };
      w.__current = sub;
      return sub as unknown as PushSubscription;
    };
    PushManager.prototype.getSubscription = async () =>
      (w.__current ?? null) as unknown as PushSubscription | null;
  }, browser.subscription());
}

/** Waits until the page is controlled by the service worker (the first visit is claimed). */
async function controlled(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: 10_000,
  });
}

/**
 * The DevTools stand-in for a push service (ServiceWorker.deliverPushMessage) lost
 * about one delivery in five on a loaded CI machine (the worker showed nothing in
 * 10 s; seen in 2 of 7 full runs, never alone). A real push service redelivers; here
 * the whole test runs again, from a fresh room and subscription, at most twice.
 */
const LOST_DELIVERY = { retry: 2 };

describeBrowser('web push in the browser', () => {
  const service = new FakePushService();
  beforeAll(() => service.start());
  afterAll(() => service.close());
  // The spawned server trusts the fake push service's certificate.
  const session = useBrowserSession({
    NODE_EXTRA_CA_CERTS: fileURLToPath(new URL('../support/push-tls/cert.pem', import.meta.url)),
  });

  it(
    'the bell subscribes; a mention is pushed, shown by the service worker, and a click opens the message',
    LOST_DELIVERY,
    async () => {
      const { url } = session.server;
      const room = await createRoom(url, 'push-e2e');
      const browser = service.browser();
      const { context, page, errors } = await session.user('bob');
      await context.grantPermissions(['notifications'], { origin: url });
      await stubPushManager(context, browser);
      await page.reload();
      await controlled(page);

      // turning notifications on: permission, the server's key, the subscription saved
      const bell = page.getByTestId('push-toggle');
      await bell.waitFor({ timeout: 10_000 });
      expect(await bell.getAttribute('aria-pressed')).toBe('false');
      await bell.click();
      await page.locator('[data-testid="push-toggle"][aria-pressed="true"]').waitFor();
      const key = (await (await fetch(`${url}/api/chat/push/key`)).json()) as PushKey;
      expect(
        await page.evaluate(() => (window as { __subscribedWith?: string }).__subscribedWith),
      ).toBe(key.public_key);

      // someone mentions bob while he is not in the room: the server pushes
      const res = await fetch(`${url}/api/chat/rooms/${room.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', content: 'lunch, @bob?' }),
      });
      expect(res.status).toBe(201);
      const message = (await res.json()) as { seq: number };
      await eventually(async () => {
        expect(service.to(browser)).toHaveLength(1);
      }, 10_000);
      const [push] = service.to(browser);
      const payload = browser.decrypt((push as { body: Buffer }).body);

      // the browser's push service hands it to the worker
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: url,
        registrationId: await registrationId(cdp, `${url}/`),
        data: payload,
      });
      await expect.poll(() => shown(page), { timeout: 10_000 }).toHaveLength(1);
      const target = `${url}/#/room/${room.id}/m/${message.seq}`;
      expect(await shown(page)).toEqual([
        {
          title: 'alice in push-e2e',
          body: 'lunch, @bob?',
          tag: `room:${room.id}`,
          data: { url: target },
        },
      ]);

      // a click on it takes the open tab to the message
      const [worker] = context.serviceWorkers();
      if (!worker) throw new Error('no service worker');
      await worker.evaluate(async () => {
        const reg = (self as unknown as { registration: ServiceWorkerRegistration }).registration;
        const [notification] = await reg.getNotifications();
        const NotificationEvent = (globalThis as unknown as Record<string, unknown>)
          .NotificationEvent as new (
          type: string,
          init: { notification?: Notification },
        ) => Event;
        self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
      });
      await page.waitForURL(target, { timeout: 10_000 });
      await page.getByTestId('composer').waitFor({ timeout: 10_000 });
      await expect.poll(() => shown(page)).toEqual([]);

      // turning notifications off removes the subscription from the server
      await bell.click();
      await page.locator('[data-testid="push-toggle"][aria-pressed="false"]').waitFor();
      const again = await fetch(`${url}/api/chat/push/subscriptions?username=bob`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ endpoint: browser.endpoint }),
      });
      expect(again.status).toBe(404);
      expect(errors).toEqual([]);
    },
  );

  it(
    'a push that is not a Parley message still shows a notification (browsers require one)',
    LOST_DELIVERY,
    async () => {
      const { url } = session.server;
      const { page, context } = await session.user('carol');
      await controlled(page).catch(() => page.reload().then(() => controlled(page)));
      await context.grantPermissions(['notifications'], { origin: url });
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: url,
        registrationId: await registrationId(cdp, `${url}/`),
        data: 'not json',
      });
      await expect
        .poll(() => shown(page), { timeout: 10_000 })
        .toEqual([{ title: 'Parley', body: 'New activity', tag: '', data: { url: `${url}/` } }]);
    },
  );
});
