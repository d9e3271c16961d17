// The web client through long outages: it never stops trying on its own, tries at
// once when the browser says it is back, survives a reload while the server is
// unreachable (service worker), and never shows a stale online count.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeBrowser } from './browser.js';
import {
  createRoom,
  enterRoom,
  eventually,
  history,
  onlineCount,
  send,
  useBrowserSession,
  waitConnected,
  waitForMessage,
} from './helpers.js';
import { startProxy } from './tcp-proxy.js';

/**
 * The client's test hook (src/client/reconnect-schedule.ts): the shipped schedule
 * waits 30–60 s between slow attempts, too long for a test. The number of quick
 * attempts (5) and everything else stay as shipped.
 */
function schedule(delays: { min: number; max: number; slowMin: number; slowMax: number }) {
  return { 'parley:test:reconnect': JSON.stringify(delays) };
}
/** Quick attempts over about a second, then a slow one every 1–1.5 s. */
const FAST = schedule({ min: 100, max: 200, slowMin: 1_000, slowMax: 1_500 });
/** Quick attempts as above, then nothing for ten minutes: only an event can bring it back. */
const SLEEPY = schedule({ min: 100, max: 200, slowMin: 600_000, slowMax: 600_000 });

const state = (page: Page) => page.getByTestId('connection-status').getAttribute('data-state');

async function waitState(page: Page, kind: string, timeout = 10_000): Promise<void> {
  await page
    .getByTestId('connection-status')
    .and(page.locator(`[data-state="${kind}"]`))
    .waitFor({ timeout });
}

/** Records every connection state the page shows, in order, into `window.__states`. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const pill = document.querySelector('[data-testid="connection-status"]') as HTMLElement;
    const w = window as unknown as { __states: string[] };
    w.__states = [pill.dataset.state ?? ''];
    new MutationObserver(() => w.__states.push(pill.dataset.state ?? '')).observe(pill, {
      attributes: true,
      attributeFilter: ['data-state'],
    });
  });
}

/** Attempts started after the quick ones ran out. */
async function slowAttempts(page: Page): Promise<number> {
  const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
  const from = states.indexOf('gave_up');
  return from < 0 ? 0 : states.slice(from).filter((s) => s === 'connecting').length;
}

const TEST_TIMEOUT = 45_000;

describeBrowser('web client: long outages', () => {
  const session = useBrowserSession();
  const { user } = session;

  it(
    'keeps trying on its own after the quick attempts and comes back without Retry; no stale online count meanwhile',
    async () => {
      const room = await createRoom(session.server.url, 'long outage');
      const proxy = await startProxy(session.server.port);
      try {
        const { page: a } = await user('Ivy', '/', { baseUrl: proxy.url, storage: FAST });
        const { page: b } = await user('Jon');
        await enterRoom(a, room.id);
        await enterRoom(b, room.id);
        await eventually(async () => expect(await onlineCount(a)).toBe('2'));
        await recordStates(a);

        proxy.pause();
        // The quick attempts are used up: the banner says so and counts down to the next one.
        await a
          .getByTestId('connection-detail')
          .getByText(/^Disconnected\. .*Trying again in \d+s\./)
          .waitFor({ timeout: 10_000 });
        await a.getByTestId('retry-connection').waitFor();
        // Who is online is unknown now: no count, and the list says it is the last one known.
        expect(await onlineCount(a)).toBe('–');
        expect(await a.getByTestId('online-count').getAttribute('data-known')).toBe('false');
        expect(await a.getByTestId('member-count').textContent()).toBe('–');
        await a.getByTestId('members-stale').waitFor();
        expect(await a.getByTestId('members-toggle').getAttribute('aria-label')).toContain(
          'unknown while offline',
        );
        expect(await a.getByText(/people online/).count()).toBe(0);

        await send(a, 'written during the long outage');
        await a.getByTestId('pending-message').waitFor();
        // Slow attempts keep coming while the server stays out of reach.
        await eventually(
          async () => expect(await slowAttempts(a)).toBeGreaterThanOrEqual(2),
          20_000,
        );
        expect(await state(a)).not.toBe('open');

        proxy.resume();
        // No click: the next slow attempt gets through.
        await waitConnected(a, 10_000);
        await a.getByTestId('pending-message').waitFor({ state: 'detached', timeout: 5_000 });
        await waitForMessage(b, 'written during the long outage');
        await eventually(async () => expect(await onlineCount(a)).toBe('2'));
        expect(await a.getByTestId('member-count').textContent()).toBe('2');
        await a.getByTestId('members-stale').waitFor({ state: 'hidden' });
        const stored = await history(session.server.url, room.id);
        expect(stored.filter((m) => m.content === 'written during the long outage')).toHaveLength(
          1,
        );
      } finally {
        await proxy.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'tries at once when the browser comes back online or the tab becomes visible',
    async () => {
      const room = await createRoom(session.server.url, 'wake up');
      const proxy = await startProxy(session.server.port);
      try {
        const { page: a } = await user('Kim', '/', { baseUrl: proxy.url, storage: SLEEPY });
        await enterRoom(a, room.id);

        proxy.pause();
        await waitState(a, 'gave_up');
        await a
          .getByTestId('connection-detail')
          .getByText(/Trying again in 600s/)
          .waitFor();
        proxy.resume();
        // The next attempt is ten minutes away; the `online` event is enough.
        await a.evaluate(() => window.dispatchEvent(new Event('online')));
        await waitConnected(a, 5_000);

        proxy.pause();
        await waitState(a, 'gave_up');
        proxy.resume();
        // The page is visible, so this reads as "the person is looking at the tab again".
        await a.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
        await waitConnected(a, 5_000);
      } finally {
        await proxy.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'a reload while the server is unreachable shows the app (service worker) with its outbox, which is sent once back',
    async () => {
      const sw = await fetch(`${session.server.url}/sw.js`);
      expect(sw.status).toBe(200);
      expect(sw.headers.get('content-type')).toMatch(/javascript/);
      expect(sw.headers.get('cache-control')).toBe('no-cache');
      expect(sw.headers.get('content-security-policy')).toContain("script-src 'self'");

      const room = await createRoom(session.server.url, 'reload offline');
      const proxy = await startProxy(session.server.port);
      try {
        const lee = await user('Lee', '/', { baseUrl: proxy.url, storage: FAST });
        const { page: a } = lee;
        await enterRoom(a, room.id);
        await send(a, 'sent while online');
        await waitForMessage(a, 'sent while online');
        // The worker is installed and controls the page.
        await a.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
          timeout: 10_000,
        });

        proxy.pause();
        await a.getByTestId('connection-banner').waitFor();
        await send(a, 'queued before the reload');
        await a.getByTestId('pending-message').waitFor();

        await a.reload();
        // The app, not Chromium's error page.
        await a.getByTestId('room-view').waitFor({ timeout: 10_000 });
        expect(await a.title()).toContain('Parley');
        await a.getByTestId('connection-banner').waitFor();
        expect(await a.getByTestId('connection-detail').textContent()).toMatch(
          /Reconnecting|Disconnected/,
        );
        expect(await onlineCount(a)).toBe('–');
        const pending = a.getByTestId('pending-message');
        await pending.waitFor();
        expect(await pending.textContent()).toContain('queued before the reload');
        const outbox = await a.evaluate(
          (id) => localStorage.getItem(`parley:outbox:v1:${id}`),
          room.id,
        );
        expect(outbox).toContain('queued before the reload');

        proxy.resume();
        await waitConnected(a, 15_000);
        await waitForMessage(a, 'queued before the reload');
        await pending.waitFor({ state: 'detached' });
        const stored = await history(session.server.url, room.id);
        expect(stored.map((m) => m.content)).toEqual([
          'sent while online',
          'queued before the reload',
        ]);
        expect(lee.errors).toEqual([]);
      } finally {
        await proxy.close();
      }
    },
    TEST_TIMEOUT,
  );
});
