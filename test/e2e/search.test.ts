// Search in a real browser: the search box (button and keyboard shortcut), results
// with the match marked, and choosing one: the room opens at that message with its
// neighbours, older and newer messages load, and "Jump to present" goes live.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeBrowser, screenshotPath } from './browser.js';
import {
  createRoom,
  enterRoom,
  eventually,
  seed,
  shownSeqs,
  useBrowserSession,
  waitConnected,
  waitForMessage,
} from './helpers.js';

const TEST_TIMEOUT = 60_000;

/** Screenshots go to SEARCH_SHOTS_DIR when set (outside the repo), else test-results. */
function shot(name: string): string {
  const dir = process.env.SEARCH_SHOTS_DIR;
  if (!dir) return screenshotPath(`search-${name}`);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

/** The message the room was opened at (marked aria-current). */
const targetOf = (page: Page) =>
  page.getByTestId('message').and(page.locator('[aria-current="true"]'));

async function searchFor(page: Page, query: string): Promise<void> {
  const input = page.getByTestId('search-input');
  await input.fill(query);
  await input.press('Enter');
}

describeBrowser('web client: search', () => {
  const session = useBrowserSession({ CHAT_WS_RATE: '0' });
  const { user } = session;

  it(
    'finds a message with the match marked and opens its room at it, in context',
    async () => {
      const url = session.server.url;
      const launch = await createRoom(url, 'Launch plans');
      const other = await createRoom(url, 'Random');
      await seed(url, launch.id, 'mission-control', 80, 'status check');
      await seed(
        url,
        launch.id,
        'Ada',
        1,
        'The rocket launch moved to <b>Thursday</b>, café at 9 — number',
      );
      await seed(url, launch.id, 'mission-control', 80, 'telemetry nominal');
      await seed(url, other.id, 'Bob', 1, 'Unrelated launch party');

      const { page, errors, dialogs } = await user('Grace');
      await page.getByTestId('room-item').first().waitFor();
      // Ctrl+K opens search from anywhere, even while typing in a field
      await page.keyboard.press('Control+Shift+F');
      await page.getByTestId('search-dialog').waitFor();
      await searchFor(page, '"rocket launch" from:Ada cafe');
      const result = page.getByTestId('search-result');
      await result.first().waitFor();
      expect(await result.count()).toBe(1);
      // the matched words are <mark> elements around text; the HTML in it stays text
      const marks = await result
        .first()
        .locator('mark')
        .evaluateAll((els) => els.map((e) => e.textContent));
      expect(marks).toEqual(['rocket launch', 'café']);
      expect(await result.first().locator('b').count()).toBe(0);
      expect(await result.first().textContent()).toContain('Launch plans');
      await page.screenshot({ path: shot('results-desktop-light') });

      // a query the server refuses is explained, not broken
      await searchFor(page, 'x before:2024-13-45');
      await expect
        .poll(() => page.getByTestId('search-status').textContent())
        .toContain('YYYY-MM-DD');
      await searchFor(page, 'launch');
      await expect.poll(() => result.count()).toBe(2);

      // choose Ada's message (the keyboard way: arrow down, Enter)
      await page.getByTestId('search-input').press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      const target = targetOf(page);
      await target.waitFor();
      expect(await target.getAttribute('data-seq')).toBe('81');
      expect(page.url()).toContain(`/m/81`);
      await waitConnected(page);
      // its context is loaded around it, and it is on screen
      const seqs = await shownSeqs(page);
      expect(seqs.length).toBeGreaterThan(20);
      expect(seqs[0]).toBeLessThan(81);
      expect(seqs[seqs.length - 1]).toBeGreaterThan(81);
      expect(await target.isVisible()).toBe(true);
      await eventually(async () => {
        const box = await target.boundingBox();
        const view = page.viewportSize();
        expect(box && view && box.y > 0 && box.y + box.height < view.height).toBe(true);
      });
      // Edits and deletes made meanwhile show in the context, as in the live room.
      const around = (await (
        await fetch(`${url}/api/chat/rooms/${launch.id}/messages?after=79&limit=2`)
      ).json()) as { id: string; seq: number }[];
      const before = around[0] as { id: string };
      const ada = around[1] as { id: string };
      const edited = await fetch(`${url}/api/chat/rooms/${launch.id}/messages/${ada.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'Ada', content: 'The rocket launch moved to Friday' }),
      });
      expect(edited.status).toBe(200);
      const gone = await fetch(
        `${url}/api/chat/rooms/${launch.id}/messages/${before.id}?username=mission-control`,
        { method: 'DELETE' },
      );
      expect(gone.status).toBe(204);
      await expect.poll(() => target.textContent()).toContain('moved to Friday');
      await expect.poll(async () => (await shownSeqs(page)).includes(80)).toBe(false);
      await page.screenshot({ path: shot('context-desktop-light') });
      await page.emulateMedia({ colorScheme: 'dark' });
      // colours change with a short transition; the picture should show where they end
      await page.waitForTimeout(400);
      await page.screenshot({ path: shot('context-desktop-dark') });
      // "/" opens it outside text fields
      await page.getByTestId('timeline-scroller').focus();
      await page.keyboard.press('/');
      await searchFor(page, 'rocket');
      await result.first().waitFor();
      await page.screenshot({ path: shot('results-desktop-dark') });
      await page.keyboard.press('Escape');
      await page.emulateMedia({ colorScheme: 'light' });

      // older messages load, back to the room's first
      const scroller = page.getByTestId('timeline-scroller');
      await eventually(async () => {
        await scroller.evaluate((el) => {
          el.scrollTop = 0;
        });
        expect((await shownSeqs(page))[0]).toBe(1);
      }, 15_000);
      // newer ones too, up to the newest
      await eventually(async () => {
        await scroller.evaluate((el) => {
          el.scrollTop = el.scrollHeight;
        });
        const s = await shownSeqs(page);
        expect(s[s.length - 1]).toBe(161);
      }, 15_000);
      // every message but the one deleted above
      expect(await shownSeqs(page)).toEqual(
        Array.from({ length: 161 }, (_, i) => i + 1).filter((seq) => seq !== 80),
      );

      // back to the present: the live timeline, and sending works
      await page.getByTestId('back-to-present').click();
      await page.getByTestId('timeline').waitFor();
      expect(page.url()).not.toContain('/m/');
      const input = page.getByTestId('message-input');
      await input.fill('found it');
      await input.press('Enter');
      await waitForMessage(page, 'found it');
      expect(errors).toEqual([]);
      expect(dialogs).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'works on a phone, light and dark',
    async () => {
      const url = session.server.url;
      const room = await createRoom(url, 'Phone room');
      await seed(url, room.id, 'Lin', 30, 'chatter');
      await seed(url, room.id, 'Lin', 1, 'Die Straße nach München ist gesperrt');
      await seed(url, room.id, 'Lin', 30, 'more chatter');
      const { page, errors } = await user('Mo', '/', { viewport: { width: 390, height: 844 } });
      await enterRoom(page, room.id);
      await page.getByTestId('search-open').click();
      await searchFor(page, 'munchen');
      await page.getByTestId('search-result').first().waitFor();
      await page.screenshot({ path: shot('results-phone-light') });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: shot('results-phone-dark') });
      await page.getByTestId('search-result').first().click();
      await targetOf(page).waitFor();
      expect(await targetOf(page).getAttribute('data-seq')).toBe('31');
      await page.screenshot({ path: shot('context-phone-dark') });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.screenshot({ path: shot('context-phone-light') });
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});
