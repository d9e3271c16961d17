// The web client across a Redis outage between two server processes: the tab is
// on process b, the changes are made through process a while Redis is down, so
// no pushed frame carries them. Once Redis is back, b tells its workspace sockets
// to `refresh`, and the tab reads its sidebar again: the room it was put in shows.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import { type OwnRedis, redisServerInstalled, startOwnRedis } from '../support/redis-server.js';
import { requirePostgres, requireService, TEST_PG_URL, testSchema } from '../support/services.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { describeBrowser, launchBrowser, screenshotPath } from './browser.js';
import { createRoom, eventually, openAs } from './helpers.js';

const run =
  (await requirePostgres()) && (await requireService('redis-server binary', redisServerInstalled));

/** Puts `roomId` in `username`'s sidebar (open mode), as opening it would. */
async function join(baseUrl: string, username: string, roomId: string): Promise<void> {
  const res = await fetch(
    `${baseUrl}/api/chat/me/rooms/${roomId}?username=${encodeURIComponent(username)}`,
    { method: 'PUT' },
  );
  expect(res.status).toBe(200);
}

const sidebarNames = (page: Page) => page.getByTestId('sidebar-room-name').allTextContents();

describeBrowser('the web client across a Redis outage', () => {
  const schema = testSchema();
  let redis: OwnRedis;
  let a: SpawnedServer;
  let b: SpawnedServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!run) return;
    redis = await startOwnRedis();
    const env = {
      DATABASE_URL: TEST_PG_URL,
      CHAT_PG_SCHEMA: schema.name,
      CHAT_PG_POOL_SIZE: '3',
      REDIS_URL: redis.url,
      CHAT_WS_RATE: '0',
    };
    // One after the other: the first migrates the fresh schema.
    a = await spawnServer({ env });
    b = await spawnServer({ env });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a, b].map((s) => s?.stop('SIGKILL')));
    await redis?.stop();
    if (run) await schema.drop();
  });

  it.runIf(run)(
    'reads the sidebar again once Redis is back, with the room it was put in meanwhile',
    async () => {
      const before: Room = await createRoom(a.url, 'before the outage');
      await join(a.url, 'ann', before.id);
      const { page, context, errors } = await openAs(browser, b.url, 'ann', '/');
      await page.locator('[data-testid="workspace"][data-socket="open"]').waitFor();
      await eventually(async () => expect(await sidebarNames(page)).toContain('before the outage'));

      await redis.stop();
      const during = await createRoom(a.url, 'made while Redis was down');
      await join(a.url, 'ann', during.id);
      // Nothing carries it to b: the sidebar stays as it was.
      await page.waitForTimeout(1_000);
      expect(await sidebarNames(page)).not.toContain('made while Redis was down');

      await redis.start();
      // Redis reconnects within 2 s, then the tab reads its lists within 3 s.
      await eventually(
        async () => expect(await sidebarNames(page)).toContain('made while Redis was down'),
        15_000,
      );
      await page.screenshot({ path: screenshotPath('redis-outage-sidebar') });
      expect(errors).toEqual([]);
      await context.close();
    },
    60_000,
  );
});
