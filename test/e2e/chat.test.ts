// The web client in a real browser against the built server: chatting, typing,
// presence, history, paging and escaping. One browser, one server; each user is
// a separate browser context (its own localStorage).
import { expect, it } from 'vitest';
import { describeBrowser, screenshotPath } from './browser.js';
import {
  createRoom,
  enterRoom,
  eventually,
  history,
  onlineCount,
  seed,
  send,
  shownSeqs,
  useBrowserSession,
  waitConnected,
  waitForMessage,
} from './helpers.js';

/** Browser steps are slow on a 2-core machine running two suites at once. */
const TEST_TIMEOUT = 30_000;

describeBrowser('web client: chatting', () => {
  // No per-connection rate limit, so the history seeding below is quick.
  const session = useBrowserSession({ CHAT_WS_RATE: '0' });
  const { user } = session;

  it(
    'lets two people pick names, create a room and chat in real time',
    async () => {
      await createRoom(session.server.url, 'random');
      await createRoom(session.server.url, 'design-review');
      const alice = await user('Alice Martin', '/', { presetName: false });
      const { page: a } = alice;

      // The name screen validates before anything is stored.
      await a.getByTestId('username-submit').click();
      await expect.poll(() => a.getByRole('alert').first().textContent()).toContain('enter a name');
      await a.getByLabel('Your name').fill('Alice Martin');
      await a.getByLabel('Your name').press('Enter');

      // Lobby: list, then create with validation.
      await a.getByTestId('room-item').first().waitFor();
      await a.getByTestId('create-room').click();
      await expect.poll(() => a.getByTestId('create-room-error').textContent()).not.toBe('');
      await a.getByLabel('New room name').fill('  general  ');
      await a.getByTestId('create-room').click();
      await waitConnected(a);
      expect(await a.getByTestId('room-name').textContent()).toBe('general');

      // Bob finds it in his lobby and joins.
      const bob = await user('Bob');
      const { page: b } = bob;
      await b.getByTestId('room-link').filter({ hasText: 'general' }).click();
      await waitConnected(b);

      await send(a, 'Hi Bob! Did you see the new build?');
      await waitForMessage(b, 'Hi Bob! Did you see the new build?');
      await send(b, 'Yes!\nMulti-line messages keep their line breaks.');
      await waitForMessage(a, 'Yes!\nMulti-line messages keep their line breaks.');
      await send(a, 'Great, shipping it today!');
      await waitForMessage(b, 'Great, shipping it today!');
      // The sender's echo may be painted a moment after the other tab's copy.
      await waitForMessage(a, 'Great, shipping it today!');

      // Both timelines equal the stored history.
      const rooms = (await (await fetch(`${session.server.url}/api/chat/rooms`)).json()) as {
        id: string;
        name: string;
      }[];
      const general = rooms.find((r) => r.name === 'general')!;
      const stored = (await history(session.server.url, general.id)).map((m) => m.seq);
      expect(await shownSeqs(a)).toEqual(stored);
      expect(await shownSeqs(b)).toEqual(stored);
      // No pending leftovers once echoed.
      expect(await a.getByTestId('pending-message').count()).toBe(0);

      // Enter sends, Shift+Enter adds a line (nothing sent yet).
      const input = a.getByTestId('message-input');
      await input.fill('line one');
      await input.press('Shift+Enter');
      await input.pressSequentially('line two');
      expect(await input.inputValue()).toBe('line one\nline two');
      await input.fill('');

      await b.getByTestId('message-input').pressSequentially('Looks good', { delay: 20 });
      await a.getByTestId('typing-indicator').getByText('Bob is typing…').waitFor();
      await a.screenshot({ path: screenshotPath('room') });

      await a.getByTestId('leave-room').click();
      await a.getByTestId('lobby').waitFor();
      await a.getByTestId('room-item').nth(2).waitFor();
      await a.screenshot({ path: screenshotPath('lobby') });
      expect(alice.errors).toEqual([]);
      expect(bob.errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'shows typing for others only, and clears it 2 s after the last typing frame',
    async () => {
      const room = await createRoom(session.server.url, 'typing');
      const { page: a } = await user('Ann');
      const { page: b } = await user('Ben');
      const sentByBen: string[] = [];
      b.on('websocket', (ws) => ws.on('framesent', (f) => sentByBen.push(String(f.payload))));
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);

      const aTyping = a.getByTestId('typing-indicator');
      const bTyping = b.getByTestId('typing-indicator');
      await b.getByTestId('message-input').pressSequentially('hello the', { delay: 30 });
      await aTyping.getByText('Ben is typing…').waitFor({ timeout: 3_000 });
      const seenAt = Date.now();
      // Ben never sees his own indicator.
      expect(await bTyping.textContent()).toBe('');
      // Ben keeps focus and text, so he sends no typing=false: the 2 s expiry must clear it.
      await eventually(async () => expect(await aTyping.textContent()).toBe(''), 4_000);
      expect(Date.now() - seenAt).toBeGreaterThan(1_000);
      const typingFrames = sentByBen.filter((f) => f.includes('"typing"'));
      expect(typingFrames.length).toBeGreaterThan(0);
      expect(typingFrames.some((f) => f.includes('"is_typing":false'))).toBe(false);

      // A message from the typist clears the indicator at once.
      await b.getByTestId('message-input').pressSequentially('re', { delay: 20 });
      await aTyping.getByText('Ben is typing…').waitFor({ timeout: 3_000 });
      await b.getByTestId('message-input').press('Enter');
      await waitForMessage(a, 'hello there');
      expect(await aTyping.textContent()).toBe('');
    },
    TEST_TIMEOUT,
  );

  it(
    'updates the online list and count on join and leave, with inline notices',
    async () => {
      const room = await createRoom(session.server.url, 'presence');
      const { page: a } = await user('Cleo');
      await enterRoom(a, room.id);
      await expect.poll(() => onlineCount(a)).toBe('1');

      const dan = await user('Dan');
      await enterRoom(dan.page, room.id);
      await expect.poll(() => onlineCount(a)).toBe('2');
      const members = a.getByTestId('member-list').getByTestId('member');
      await expect
        .poll(() =>
          members.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.username)),
        )
        .toEqual(['Cleo', 'Dan']);
      await a.getByTestId('notice').getByText('Dan joined the room').waitFor();
      await expect.poll(() => a.getByTestId('announcer').textContent()).toContain('Dan joined');

      await dan.page.getByTestId('leave-room').click();
      await dan.page.getByTestId('lobby').waitFor();
      await expect.poll(() => onlineCount(a)).toBe('1');
      await a.getByTestId('notice').getByText('Dan left the room').waitFor();
      expect(await members.count()).toBe(1);
    },
    TEST_TIMEOUT,
  );

  it(
    'shows history on join, and pages back keeping the scroll position',
    async () => {
      const room = await createRoom(session.server.url, 'history');
      await seed(session.server.url, room.id, 'Archivist', 130);
      const { page } = await user('Eve');
      await enterRoom(page, room.id);

      // The newest 100, oldest first.
      await expect.poll(() => shownSeqs(page).then((s) => s.length)).toBe(100);
      const stored = (await history(session.server.url, room.id)).map((m) => m.seq);
      expect(await shownSeqs(page)).toEqual(stored.slice(-100));
      const scroller = page.getByTestId('timeline-scroller');
      // Pinned to the newest message.
      expect(
        await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight),
      ).toBeLessThan(50);

      // Scrolling to the top loads the rest; the first message seen stays put.
      const anchorSeq = stored[stored.length - 100]!;
      const anchor = page.locator(`[data-testid="message"][data-seq="${anchorSeq}"]`);
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      await expect.poll(() => shownSeqs(page).then((s) => s.length)).toBe(130);
      expect(await shownSeqs(page)).toEqual(stored);
      const box = await anchor.boundingBox();
      const view = await scroller.boundingBox();
      expect(box && view && box.y >= view.y - 5 && box.y < view.y + view.height).toBe(true);
      await page.getByTestId('timeline-start').waitFor();

      // Reading old messages: a new one does not yank the view, a button offers the jump.
      await seed(session.server.url, room.id, 'Archivist', 1);
      await page.getByTestId('jump-to-latest').waitFor();
      expect(await page.getByTestId('jump-to-latest').textContent()).toContain('1 new message');
      await page.getByTestId('jump-to-latest').click();
      await eventually(async () =>
        expect(
          await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight),
        ).toBeLessThan(50),
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'renders message HTML as literal text',
    async () => {
      const room = await createRoom(session.server.url, '<b>not bold</b>');
      const mallory = await user('<script>alert(1)</script>');
      const victim = await user('Victor');
      await enterRoom(mallory.page, room.id);
      await enterRoom(victim.page, room.id);
      const payload = '<img src=x onerror=alert(1)>';
      await send(mallory.page, payload);
      await waitForMessage(victim.page, payload);

      const v = victim.page;
      const content = v.getByTestId('message').last().getByTestId('message-content');
      expect(await content.textContent()).toBe(payload);
      expect(await v.locator('[data-testid="timeline"] img').count()).toBe(0);
      expect(await v.locator('img').count()).toBe(0);
      expect(
        await v.getByTestId('message').last().getByTestId('message-author').textContent(),
      ).toBe('<script>alert(1)</script>');
      expect(await v.getByTestId('room-name').textContent()).toBe('<b>not bold</b>');
      expect(await v.locator('b').count()).toBe(0);
      await v.waitForTimeout(300);
      expect(victim.dialogs).toEqual([]);
      expect(mallory.dialogs).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'works on a 375 px phone screen with the member list in a drawer',
    async () => {
      const rooms = (await (await fetch(`${session.server.url}/api/chat/rooms`)).json()) as {
        id: string;
        name: string;
      }[];
      const general = rooms.find((r) => r.name === 'general')!;
      const phone = await user('Fay', '/', { viewport: { width: 375, height: 740 } });
      const p = phone.page;
      await p.getByTestId('room-link').first().waitFor();
      await p.screenshot({ path: screenshotPath('phone-lobby') });
      await enterRoom(p, general.id);
      await waitForMessage(p, 'Great, shipping it today!');

      // Nothing overflows sideways.
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const drawer = p.getByTestId('members-panel');
      expect(await drawer.isVisible()).toBe(false);
      await p.screenshot({ path: screenshotPath('phone') });

      // Keyboard: open the drawer from its toggle, Escape closes it and returns focus.
      await p.getByTestId('members-toggle').focus();
      await p.keyboard.press('Enter');
      await drawer.getByText('Fay').waitFor();
      await expect.poll(() => drawer.isVisible()).toBe(true);
      await p.waitForTimeout(300);
      await p.screenshot({ path: screenshotPath('phone-members') });
      await p.keyboard.press('Escape');
      await expect.poll(() => drawer.isVisible()).toBe(false);
      expect(await p.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
        'members-toggle',
      );

      await send(p, 'Sent from my phone');
      await waitForMessage(p, 'Sent from my phone');
    },
    TEST_TIMEOUT,
  );

  it(
    'deletes a room after confirmation and tells the people inside',
    async () => {
      const room = await createRoom(session.server.url, 'doomed');
      const { page: inside } = await user('Gus');
      await enterRoom(inside, room.id);
      const { page: admin } = await user('Hal');
      const item = admin.getByTestId('room-item').filter({ hasText: 'doomed' });
      await item.waitFor();

      // Cancel keeps it.
      await item.getByTestId('delete-room').click();
      await admin.getByTestId('confirm-dialog').waitFor();
      await admin.keyboard.press('Escape');
      await admin.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
      expect(await item.count()).toBe(1);

      await item.getByTestId('delete-room').click();
      await admin.getByTestId('confirm-button').click();
      await item.waitFor({ state: 'detached' });
      await inside.getByTestId('room-deleted').waitFor();
      expect(await inside.getByTestId('message-input').count()).toBe(0);
      expect(await inside.getByTestId('connection-status').getAttribute('data-state')).toBe(
        'closed',
      );
    },
    TEST_TIMEOUT,
  );
});
