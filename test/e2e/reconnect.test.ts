// Reliability of the web client when the server goes away: it shows it, comes
// back by itself, keeps what was written meanwhile (even across a reload) and
// ends with exactly the server's history: no gaps, no duplicates.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeBrowser, screenshotPath } from './browser.js';
import {
  createRoom,
  enterRoom,
  history,
  seed,
  send,
  shownSeqs,
  useBrowserSession,
  waitConnected,
  waitForMessage,
} from './helpers.js';
import { startProxy } from './tcp-proxy.js';

const status = (page: Page) => page.getByTestId('connection-status').getAttribute('data-state');

/** Reconnects at once with the banner's Retry button, as an impatient person would. */
async function retryByHand(page: Page): Promise<void> {
  const retry = page.getByTestId('retry-connection');
  if ((await status(page)) !== 'open' && (await retry.isVisible())) {
    // The client may reconnect by itself meanwhile, and the button goes away: fine.
    await retry.click({ timeout: 2_000 }).catch(() => {});
  }
  await waitConnected(page, 15_000);
}

/** Browser steps are slow on a 2-core machine running two suites at once. */
const TEST_TIMEOUT = 45_000;

describeBrowser('web client: reconnection', () => {
  // A small replay limit, so a client that missed more than 5 messages gets `resync`.
  const session = useBrowserSession({ CHAT_REPLAY_LIMIT: '5' });
  const { user } = session;

  it(
    'shows the outage, reconnects by itself after a crash, and sends what was written meanwhile',
    async () => {
      const room = await createRoom(session.server.url, 'ops');
      const { page: a } = await user('Ivy');
      const { page: b } = await user('Jon');
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      await send(a, 'before the crash');
      await waitForMessage(b, 'before the crash');

      await session.server.stop('SIGKILL');
      await a.getByTestId('connection-banner').waitFor();
      expect(['waiting', 'connecting', 'gave_up']).toContain(await status(a));
      expect(await a.getByTestId('connection-detail').textContent()).toMatch(
        /Reconnecting|Disconnected/,
      );

      // Written while offline: shown as pending at once.
      await send(a, 'written while offline');
      const pending = a.getByTestId('pending-message');
      await pending.waitFor();
      expect(await pending.getAttribute('data-status')).toBe('offline');

      await session.server.start();
      // No click: the next automatic attempt gets through.
      await waitConnected(a, 20_000);
      await pending.waitFor({ state: 'detached', timeout: 5_000 });
      await waitForMessage(a, 'written while offline');
      await retryByHand(b);
      await waitForMessage(b, 'written while offline');

      await send(a, 'after the restart');
      // Each tab shows it once its own copy arrives: the sender's echo and the
      // other tab's delivery go out together but are painted independently.
      await waitForMessage(a, 'after the restart');
      await waitForMessage(b, 'after the restart');
      const stored = (await history(session.server.url, room.id)).map((m) => m.seq);
      expect(await shownSeqs(a)).toEqual(stored);
      expect(await shownSeqs(b)).toEqual(stored);
    },
    TEST_TIMEOUT,
  );

  it(
    'delivers a message queued during an outage exactly once, across a reload, with no gaps',
    async () => {
      const room = await createRoom(session.server.url, 'reliability');
      const alice = await user('Kim');
      const bob = await user('Lee');
      const { page: a } = alice;
      const { page: b } = bob;
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      for (const text of ['one', 'two', 'three']) {
        await send(b, text);
        await waitForMessage(a, text);
      }

      await session.server.stop('SIGKILL');
      await send(a, 'queued while the server was down');
      await a.getByTestId('pending-message').waitFor();
      // The banner counts down to the next attempt and offers to retry now.
      await a
        .getByTestId('connection-detail')
        .getByText(/Reconnecting in \d+s \(attempt \d of 5\)/)
        .waitFor();
      await a.getByTestId('retry-connection').waitFor();
      await a.screenshot({ path: screenshotPath('disconnected') });

      await session.server.start();
      // Bob is first back and talks right away.
      await retryByHand(b);
      await send(b, 'first after the restart');
      await waitForMessage(b, 'first after the restart');

      // Alice reloads: the queued message lives in localStorage and goes out on connect.
      await a.reload();
      await waitConnected(a, 15_000);
      await waitForMessage(a, 'queued while the server was down');
      await waitForMessage(a, 'first after the restart');
      await a.getByTestId('pending-message').waitFor({ state: 'detached' });
      await waitForMessage(b, 'queued while the server was down');

      const stored = await history(session.server.url, room.id);
      expect(stored.filter((m) => m.content === 'queued while the server was down')).toHaveLength(
        1,
      );
      const seqs = stored.map((m) => m.seq);
      expect(await shownSeqs(a)).toEqual(seqs);
      expect(await shownSeqs(b)).toEqual(seqs);
      // Messages are shown once each (no duplicate ids either).
      const ids = await a
        .getByTestId('message')
        .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(alice.errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'catches up after a dropped connection by replay, and by a history reload after a resync',
    async () => {
      const room = await createRoom(session.server.url, 'catch-up');
      // Alice reaches the server through a proxy the test can cut; the server stays up.
      const proxy = await startProxy(session.server.port);
      try {
        const alice = await user('Mia', '/', { baseUrl: proxy.url });
        const { page: a } = alice;
        const frames: string[] = [];
        a.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
        await enterRoom(a, room.id);
        await seed(session.server.url, room.id, 'Ned', 2, 'warm-up');
        await waitForMessage(a, 'warm-up 2');

        // Missed 3 (<= replay limit): replayed on resume.
        proxy.pause();
        await a.getByTestId('connection-banner').waitFor();
        await seed(session.server.url, room.id, 'Ned', 3, 'missed');
        proxy.resume();
        await retryByHand(a);
        await waitForMessage(a, 'missed 3');
        expect(frames.some((f) => f.includes('"resync"'))).toBe(false);
        let stored = (await history(session.server.url, room.id)).map((m) => m.seq);
        expect(await shownSeqs(a)).toEqual(stored);

        // Missed 12 (> replay limit): the server says resync, the client reloads history.
        proxy.pause();
        await a.getByTestId('connection-banner').waitFor();
        await send(a, 'mine, from the cut');
        await seed(session.server.url, room.id, 'Ned', 12, 'flood');
        proxy.resume();
        await retryByHand(a);
        await waitForMessage(a, 'flood 12');
        expect(frames.some((f) => f.includes('"resync"'))).toBe(true);
        await waitForMessage(a, 'mine, from the cut');
        await a.getByTestId('pending-message').waitFor({ state: 'detached' });
        await seed(session.server.url, room.id, 'Ned', 1, 'live again');
        await waitForMessage(a, 'live again 1');
        const all = await history(session.server.url, room.id);
        expect(all.filter((m) => m.content === 'mine, from the cut')).toHaveLength(1);
        stored = all.map((m) => m.seq);
        expect(await shownSeqs(a)).toEqual(stored);
      } finally {
        await proxy.close();
      }
    },
    TEST_TIMEOUT,
  );
});
