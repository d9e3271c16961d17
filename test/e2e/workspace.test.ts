// The workspace in a real browser (issue 12): the sidebar's unread and mention
// counts live, read state shared by two tabs, switching rooms by keyboard, a desktop
// notification for a mention while the tab is hidden, and the pushed room list.
//
// Hiding a tab: headless Chromium keeps every page "visible" (there is no window to
// cover), and bringing another tab to the front does not change that reliably. So
// the test overrides `document.hidden`/`visibilityState` in the page and fires
// `visibilitychange`, which is exactly what the app reads. Notifications: the
// permission is granted in the browser context, and an init script wraps
// `window.Notification` to record each one (the real one is still made), since
// Playwright cannot see desktop notifications.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import { postMessage } from '../support/api.js';
import { describeBrowser, screenshotPath } from './browser.js';
import {
  createRoom,
  eventually,
  useBrowserSession,
  waitConnected,
  waitForMessage,
} from './helpers.js';

const TEST_TIMEOUT = 45_000;

/** Puts `roomId` in `username`'s sidebar (open mode), as opening it would. */
async function join(baseUrl: string, username: string, roomId: string): Promise<void> {
  const res = await fetch(
    `${baseUrl}/api/chat/me/rooms/${roomId}?username=${encodeURIComponent(username)}`,
    { method: 'PUT' },
  );
  expect(res.status).toBe(200);
}

function sidebarRoom(page: Page, name: string) {
  return page.getByTestId('sidebar-room').filter({
    has: page.getByTestId('sidebar-room-name').getByText(name, { exact: true }),
  });
}

/** The unread and mention counts a sidebar room shows ('' when none), read at one moment. */
async function counts(page: Page, name: string): Promise<{ unread: string; mentions: string }> {
  return sidebarRoom(page, name).evaluate((el) => ({
    unread: el.querySelector('[data-testid="unread-count"]')?.textContent ?? '',
    mentions: el.querySelector('[data-testid="mention-count"]')?.textContent ?? '',
  }));
}

async function expectCounts(page: Page, name: string, unread: string, mentions: string) {
  await eventually(async () => {
    expect(await counts(page, name)).toEqual({ unread, mentions });
  }, 8_000);
}

async function roomName(page: Page): Promise<string> {
  return (await page.getByTestId('room-name').textContent()) ?? '';
}

/** Makes the page believe its tab is hidden (or visible again); see the file comment. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (h ? 'hidden' : 'visible'),
    });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

describeBrowser('web client: workspace', () => {
  const session = useBrowserSession({ CHAT_WS_RATE: '0' });
  const { user } = session;

  it(
    'updates unread and mention counts in the sidebar live as someone else writes',
    async () => {
      const url = session.server.url;
      const alpha = await createRoom(url, 'alpha');
      const beta = await createRoom(url, 'beta');
      await join(url, 'Alice', alpha.id);
      await join(url, 'Alice', beta.id);
      const { page } = await user('Alice', `/#/room/${alpha.id}`);
      await waitConnected(page);
      await sidebarRoom(page, 'beta').waitFor();
      await expectCounts(page, 'beta', '', '');

      await postMessage(url, beta.id, 'Bob', 'hello there');
      await expectCounts(page, 'beta', '1', '');
      await postMessage(url, beta.id, 'Bob', 'hey @alice, a look at this?');
      await expectCounts(page, 'beta', '2', '@1');
      // The accessible name says it in words.
      expect(await sidebarRoom(page, 'beta').textContent()).toContain('2 unread, 1 mention');
      // The room on screen is read as it is written: no count there.
      await postMessage(url, alpha.id, 'Bob', 'in the open room');
      await waitForMessage(page, 'in the open room');
      await expectCounts(page, 'alpha', '', '');
      await page.screenshot({ path: screenshotPath('workspace-desktop-light') });

      // Opening the room reads it, and shows where we left off.
      await sidebarRoom(page, 'beta').click();
      await waitConnected(page);
      await page.getByTestId('unread-line').waitFor();
      await expectCounts(page, 'beta', '', '');
    },
    TEST_TIMEOUT,
  );

  it(
    'shares read state between two tabs, and marks a room or a message unread',
    async () => {
      const url = session.server.url;
      const news = await createRoom(url, 'news');
      const desk = await createRoom(url, 'desk');
      await join(url, 'Carol', news.id);
      await join(url, 'Carol', desk.id);
      const first = await user('Carol', `/#/room/${desk.id}`);
      const one = first.page;
      const two = await first.context.newPage();
      await two.goto(`/#/room/${desk.id}`);
      await waitConnected(one);
      await waitConnected(two);

      for (const text of ['one', 'two', 'three']) await postMessage(url, news.id, 'Dan', text);
      await expectCounts(one, 'news', '3', '');
      await expectCounts(two, 'news', '3', '');

      // Reading in one tab clears the count in the other. Two tabs of one window: only
      // the one in front is visible, and only what is seen counts as read.
      await one.bringToFront();
      expect(await one.evaluate(() => document.visibilityState)).toBe('visible');
      await sidebarRoom(one, 'news').click();
      await waitForMessage(one, 'three');
      await expectCounts(two, 'news', '', '');

      // Marked unread in the second tab: both show it again.
      await two.bringToFront();
      await sidebarRoom(two, 'news').locator('xpath=..').getByTestId('sidebar-room-menu').click();
      await two.getByTestId('mark-unread').click();
      await expectCounts(two, 'news', '1', '');
      await expectCounts(one, 'news', '1', '');

      // One message and what follows, marked unread (Alt+click): the line moves there.
      await one.bringToFront();
      await one
        .getByTestId('message')
        .filter({ has: one.getByTestId('message-content').getByText('two', { exact: true }) })
        .click({ modifiers: ['Alt'] });
      await expectCounts(one, 'news', '2', '');
      await expectCounts(two, 'news', '2', '');
      const order = await one
        .locator('[data-testid="unread-line"], [data-testid="message"]')
        .evaluateAll((els) =>
          els.map((e) =>
            e.textContent?.includes('New messages') ? 'line' : (e as HTMLElement).dataset.seq,
          ),
        );
      expect(order).toEqual(['1', 'line', '2', '3']);

      // The same from the message's own menu (keyboard: Enter on a focused message).
      await one
        .getByTestId('message')
        .filter({ has: one.getByTestId('message-content').getByText('three', { exact: true }) })
        .focus();
      await one.keyboard.press('Enter');
      await one.getByTestId('menu-unread').click();
      await expectCounts(one, 'news', '1', '');
      await expectCounts(two, 'news', '1', '');
    },
    TEST_TIMEOUT,
  );

  it(
    'switches rooms by keyboard: Alt+Down/Up and the Ctrl+K quick switcher',
    async () => {
      const url = session.server.url;
      const rooms: Room[] = [];
      for (const name of ['kb-one', 'kb-two', 'kb-three']) rooms.push(await createRoom(url, name));
      const other = await createRoom(url, 'kb-zeta');
      for (const r of rooms) await join(url, 'Erin', r.id);
      const { page } = await user('Erin', `/#/room/${rooms[0]!.id}`);
      await waitConnected(page);
      await sidebarRoom(page, 'kb-two').waitFor();

      // Sidebar order is by name: kb-one, kb-three, kb-two.
      await page.getByTestId('message-input').focus();
      await page.keyboard.press('Alt+ArrowDown');
      await expect.poll(() => roomName(page)).toBe('kb-three');
      await page.keyboard.press('Alt+ArrowDown');
      await expect.poll(() => roomName(page)).toBe('kb-two');
      await page.keyboard.press('Alt+ArrowUp');
      await expect.poll(() => roomName(page)).toBe('kb-three');
      expect(await sidebarRoom(page, 'kb-three').getAttribute('aria-current')).toBe('page');

      // Ctrl+K: a room not joined yet is found, opened, and joins the sidebar.
      await page.keyboard.press('Control+k');
      const input = page.getByTestId('switcher-input');
      await input.fill('zet');
      await expect
        .poll(() => input.getAttribute('aria-activedescendant'))
        .toMatch(/switcher-list-\d+-0/);
      await input.press('Enter');
      await expect.poll(() => roomName(page)).toBe('kb-zeta');
      await waitConnected(page);
      await sidebarRoom(page, 'kb-zeta').waitFor();
      expect(page.url()).toContain(other.id);
    },
    TEST_TIMEOUT,
  );

  it(
    'shows a desktop notification for a mention while the tab is hidden, and opens the message on click',
    async () => {
      const url = session.server.url;
      const here = await createRoom(url, 'notify-here');
      const there = await createRoom(url, 'notify-there');
      await join(url, 'Fay', here.id);
      await join(url, 'Fay', there.id);
      const fay = await user('Fay', `/#/room/${here.id}`);
      await fay.context.grantPermissions(['notifications']);
      await fay.context.addInitScript(() => {
        const shown: { title: string; body: string }[] = [];
        const Real = window.Notification;
        class Recorded extends Real {
          constructor(title: string, opts?: NotificationOptions) {
            super(title, opts);
            shown.push({ title, body: opts?.body ?? '' });
            (window as unknown as { lastNotification: Notification }).lastNotification = this;
          }
        }
        Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true });
        (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
      });
      const { page } = fay;
      await page.reload();
      await waitConnected(page);
      await sidebarRoom(page, 'notify-there').waitFor();
      expect(await page.evaluate(() => Notification.permission)).toBe('granted');

      const shown = () =>
        page.evaluate(
          () =>
            (window as unknown as { shownNotifications: { title: string; body: string }[] })
              .shownNotifications,
        );
      // Visible: no notification.
      await postMessage(url, there.id, 'Gus', 'hi @Fay while you look');
      await expectCounts(page, 'notify-there', '1', '@1');
      expect(await shown()).toEqual([]);

      await setHidden(page, true);
      // A room's default level is mentions: a plain message does not notify...
      await postMessage(url, there.id, 'Gus', 'just chatting');
      await expectCounts(page, 'notify-there', '2', '@1');
      // ...a mention does, and the title counts.
      const m = await postMessage(url, there.id, 'Gus', '@fay can you review?');
      await expect
        .poll(shown)
        .toEqual([{ title: 'Gus mentioned you in notify-there', body: '@fay can you review?' }]);
      await expect.poll(() => page.title()).toMatch(/^\(3\) /);
      expect(await page.locator('link[rel="icon"]').getAttribute('data-count')).toBe('3');

      // Clicking it brings the tab forward at that message.
      await setHidden(page, false);
      await page.evaluate(() => {
        const n = (window as unknown as { lastNotification: Notification }).lastNotification;
        n.onclick?.(new Event('click'));
      });
      await expect.poll(() => page.url()).toContain(`/room/${there.id}/m/${m.seq}`);
      await expect.poll(() => roomName(page)).toBe('notify-there');
    },
    TEST_TIMEOUT,
  );

  it(
    'shows a room created, renamed or deleted in another browser without a reload',
    async () => {
      const url = session.server.url;
      const { page: h } = await user('Hal', '/');
      const { page: i } = await user('Ida', '/');
      // Pushes reach open workspace sockets (a room made before is listed by the first load).
      await h.locator('[data-testid="workspace"][data-socket="open"]').waitFor();
      await i.locator('[data-testid="workspace"][data-socket="open"]').waitFor();
      await i.getByLabel('New room name').fill('pushed-room');
      await i.getByTestId('create-room').click();
      await waitConnected(i);
      // The maker has it in the sidebar; the other sees it in the room browser.
      await sidebarRoom(i, 'pushed-room').waitFor();
      await h
        .getByTestId('room-link')
        .filter({ hasText: 'pushed-room' })
        .waitFor({ timeout: 5_000 });
      const rooms = (await (await fetch(`${url}/api/chat/rooms`)).json()) as Room[];
      const made = rooms.find((r) => r.name === 'pushed-room')!;
      const del = await fetch(`${url}/api/chat/rooms/${made.id}`, { method: 'DELETE' });
      expect(del.status).toBe(204);
      await h
        .getByTestId('room-link')
        .filter({ hasText: 'pushed-room' })
        .waitFor({ state: 'detached', timeout: 5_000 });
      await sidebarRoom(i, 'pushed-room').waitFor({ state: 'detached', timeout: 5_000 });
    },
    TEST_TIMEOUT,
  );

  it(
    'completes @names from the room in the composer with the keyboard',
    async () => {
      const url = session.server.url;
      const room = await createRoom(url, 'mentions');
      await postMessage(url, room.id, 'Jules', 'hello');
      await postMessage(url, room.id, 'Jun', 'hi');
      const { page } = await user('Kai', `/#/room/${room.id}`);
      await waitConnected(page);
      const input = page.getByTestId('message-input');
      await input.fill('thanks @j');
      await page.getByTestId('mention-list').waitFor();
      expect(await page.getByTestId('mention-option').allTextContents()).toEqual([
        '@Jules',
        '@Jun',
      ]);
      await input.press('ArrowDown');
      expect(await input.getAttribute('aria-activedescendant')).toMatch(/-1$/);
      await input.press('Enter');
      expect(await input.inputValue()).toBe('thanks @Jun ');
      // The list is closed: Enter sends.
      await input.pressSequentially('!');
      await input.press('Enter');
      await waitForMessage(page, 'thanks @Jun !');
    },
    TEST_TIMEOUT,
  );
});
