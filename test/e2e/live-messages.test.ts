// Messages that live, in a real browser against the built server: reactions,
// replies (and jumping to an original far back), editing (Up in an empty
// composer), deleting (with a confirm, keeping the reader's place), safe Markdown
// and mentions, a change made offline that is applied once on reconnect, and a
// reader who was cut off while two others changed everything.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { LiveMessage } from '../../src/client/live-types.js';
import { describeBrowser, screenshotPath } from './browser.js';
import {
  createRoom,
  enterRoom,
  eventually,
  history,
  seed,
  send,
  useBrowserSession,
  waitConnected,
  waitForMessage,
} from './helpers.js';
import { startProxy } from './tcp-proxy.js';

const TEST_TIMEOUT = 45_000;

/** The confirmed message whose text is exactly `text`. */
function message(page: Page, text: string) {
  return page
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-content').getByText(text, { exact: true }) })
    .first();
}

async function liveHistory(url: string, roomId: string): Promise<LiveMessage[]> {
  return (await history(url, roomId)) as LiveMessage[];
}

describeBrowser('web client: messages that live', () => {
  const session = useBrowserSession({ CHAT_WS_RATE: '0' });
  const { user } = session;

  it(
    'reacts from the toolbar, the chips and the keyboard; who reacted is in the tooltip',
    async () => {
      const room = await createRoom(session.server.url, 'reactions');
      const { page: a } = await user('Alice');
      const { page: b } = await user('Bob');
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      await send(a, 'Lunch at noon?');
      await waitForMessage(b, 'Lunch at noon?');

      // Bob: hover, the toolbar's react button, the picker, 👍.
      const onB = message(b, 'Lunch at noon?');
      await onB.hover();
      await onB.getByTestId('action-react').click();
      await b.getByTestId('emoji-picker').waitFor();
      await b.locator('[data-testid="emoji-option"][data-emoji="👍"]').click();
      await b.getByTestId('emoji-picker').waitFor({ state: 'detached' });

      const chipA = message(a, 'Lunch at noon?').getByTestId('reaction');
      await eventually(async () => expect(await chipA.count()).toBe(1));
      expect(await chipA.getByTestId('reaction-count').textContent()).toBe('1');
      expect(await chipA.getAttribute('aria-pressed')).toBe('false');
      expect(await chipA.getAttribute('title')).toBe('Bob reacted with 👍');
      const chipB = onB.getByTestId('reaction');
      expect(await chipB.getAttribute('aria-pressed')).toBe('true');
      expect(await chipB.getAttribute('title')).toBe('you reacted with 👍');

      // Alice adds hers by clicking the chip; Bob takes his back the same way.
      await chipA.click();
      await eventually(async () =>
        expect(await chipB.getByTestId('reaction-count').textContent()).toBe('2'),
      );
      expect(await chipB.getAttribute('title')).toBe('you and Alice reacted with 👍');
      await chipB.click();
      await eventually(async () =>
        expect(await chipA.getByTestId('reaction-count').textContent()).toBe('1'),
      );
      expect(await chipA.getAttribute('aria-pressed')).toBe('true');

      // Keyboard only: Tab reaches the message, Enter opens its menu, the picker moves
      // with the arrow keys, Enter picks, and focus comes back to the message.
      const item = message(a, 'Lunch at noon?');
      await item.focus();
      await a.keyboard.press('Enter');
      await a.getByTestId('action-menu-popover').waitFor();
      expect(await a.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
        'menu-react',
      );
      await a.keyboard.press('Enter');
      await a.getByTestId('emoji-picker').waitFor();
      await a.keyboard.press('ArrowRight');
      expect(await a.evaluate(() => (document.activeElement as HTMLElement).dataset.emoji)).toBe(
        '❤️',
      );
      await a.keyboard.press('Enter');
      await eventually(async () =>
        expect(await message(b, 'Lunch at noon?').getByTestId('reaction').count()).toBe(2),
      );
      expect(
        await a.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid),
      ).toBe('message');
      // Escape closes the picker and gives focus back too.
      await a.keyboard.press('+');
      await a.getByTestId('emoji-picker').waitFor();
      await a.keyboard.press('Escape');
      await a.getByTestId('emoji-picker').waitFor({ state: 'detached' });
      expect(
        await a.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid),
      ).toBe('message');

      const [stored] = await liveHistory(session.server.url, room.id);
      expect(stored?.reactions).toEqual([
        { emoji: '👍', count: 1, users: ['Alice'] },
        { emoji: '❤️', count: 1, users: ['Alice'] },
      ]);
      await a.screenshot({ path: screenshotPath('live-reactions-desktop') });
    },
    TEST_TIMEOUT,
  );

  it(
    'replies with "Replying to", shows the quote, and jumps to an original far back in history',
    async () => {
      const room = await createRoom(session.server.url, 'replies');
      const { page: a } = await user('Alice');
      const { page: b } = await user('Bob');
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      await send(a, 'Who has the release notes?');
      await waitForMessage(b, 'Who has the release notes?');

      // Bob chooses Reply, changes his mind (cancel), then replies for real.
      const original = message(b, 'Who has the release notes?');
      await original.hover();
      await original.getByTestId('action-reply').click();
      const bar = b.getByTestId('reply-bar');
      await bar.getByText('Replying to').waitFor();
      expect(await bar.textContent()).toContain('Alice');
      await b.getByTestId('reply-cancel').click();
      await bar.waitFor({ state: 'hidden' });
      await original.hover();
      await original.getByTestId('action-reply').click();
      // Far back: more than a page of history between the original and the reply.
      await seed(session.server.url, room.id, 'Carol', 130, 'filler');
      await waitForMessage(b, 'filler 130');
      await send(b, 'I do, sending them now');
      await bar.waitFor({ state: 'hidden' });
      const reply = message(b, 'I do, sending them now');
      await reply.getByTestId('reply-preview').waitFor();
      expect(await reply.getByTestId('reply-preview').textContent()).toContain(
        'Who has the release notes?',
      );
      const stored = await liveHistory(session.server.url, room.id);
      const first = stored.find((m) => m.content === 'Who has the release notes?');
      expect(stored.at(-1)?.reply_to).toMatchObject({ id: first?.id, username: 'Alice' });

      // Carol opens the room fresh: only the newest page is loaded; the original isn't.
      const { page: c } = await user('Carol');
      await enterRoom(c, room.id);
      await waitForMessage(c, 'I do, sending them now');
      expect(await message(c, 'Who has the release notes?').count()).toBe(0);
      await message(c, 'I do, sending them now').getByTestId('reply-preview').click();
      const target = message(c, 'Who has the release notes?');
      await target.waitFor();
      await eventually(async () =>
        expect(await target.getAttribute('data-highlight')).toBe('true'),
      );
      expect(await target.evaluate((el) => el === document.activeElement)).toBe(true);
      expect(await target.isVisible()).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    'edits in place: Up in an empty composer, Enter saves, Escape cancels; others see "(edited)"',
    async () => {
      const room = await createRoom(session.server.url, 'edits');
      const { page: a } = await user('Alice');
      const { page: b } = await user('Bob');
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      await send(a, 'teh plan is ready');
      await waitForMessage(b, 'teh plan is ready');

      // Escape leaves it as it was and returns to the composer.
      const input = a.getByTestId('message-input');
      await input.focus();
      await input.press('ArrowUp');
      const editor = a.getByTestId('edit-input');
      await editor.waitFor();
      expect(await editor.inputValue()).toBe('teh plan is ready');
      await editor.fill('something else');
      await editor.press('Escape');
      await editor.waitFor({ state: 'detached' });
      expect(
        await a.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid),
      ).toBe('message-input');
      await waitForMessage(a, 'teh plan is ready');

      // Up again, fix it, Enter.
      await input.press('ArrowUp');
      await editor.fill('the plan is **ready**');
      await editor.press('Enter');
      const edited = b.getByTestId('message').filter({ hasText: 'the plan is ready' });
      await edited.getByTestId('message-edited').waitFor();
      expect(await edited.locator('strong').textContent()).toBe('ready');
      expect(await edited.getByTestId('message-edited').getAttribute('title')).toMatch(/^Edited /);
      expect(await edited.getAttribute('aria-label')).toContain('(edited)');
      // Bob may not edit or delete Alice's message: no such actions are offered to him.
      await edited.hover();
      await edited.getByTestId('action-react').waitFor();
      expect(await edited.getByTestId('action-edit').count()).toBe(0);
      expect(await edited.getByTestId('action-delete').count()).toBe(0);

      const stored = await liveHistory(session.server.url, room.id);
      expect(stored[0]?.content).toBe('the plan is **ready**');
      expect(stored[0]?.edited_at).toBeTypeOf('string');
    },
    TEST_TIMEOUT,
  );

  it(
    'deletes after a confirm; the message vanishes everywhere without moving what a reader looks at',
    async () => {
      const room = await createRoom(session.server.url, 'deletes');
      await seed(session.server.url, room.id, 'Alice', 60, 'line');
      const { page: a } = await user('Alice');
      const { page: b } = await user('Bob', '/', { viewport: { width: 1000, height: 600 } });
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      await waitForMessage(b, 'line 60');

      // Bob reads in the middle: "line 30" at the top of his view.
      const anchor = message(b, 'line 30');
      await anchor.evaluate((el) => el.scrollIntoView({ block: 'start' }));
      const before = await anchor.evaluate((el) => el.getBoundingClientRect().top);

      // Alice deletes "line 20" (above Bob's view): Cancel first, then Delete.
      const doomed = message(a, 'line 20');
      await doomed.scrollIntoViewIfNeeded();
      await doomed.hover();
      await doomed.getByTestId('action-delete').click();
      const dialog = a.getByTestId('confirm-dialog');
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await message(a, 'line 20').count()).toBe(1);
      await doomed.hover();
      await doomed.getByTestId('action-delete').click();
      await a.getByTestId('confirm-button').click();

      await message(a, 'line 20').waitFor({ state: 'detached' });
      await message(b, 'line 20').waitFor({ state: 'detached' });
      const after = await anchor.evaluate((el) => el.getBoundingClientRect().top);
      expect(Math.abs(after - before)).toBeLessThanOrEqual(1);
      const stored = await liveHistory(session.server.url, room.id);
      expect(stored.map((m) => m.content)).not.toContain('line 20');
      expect(stored).toHaveLength(59);
    },
    TEST_TIMEOUT,
  );

  it(
    'renders safe Markdown: markup stays text, javascript: never links, links show their target; mentions stand out',
    async () => {
      const room = await createRoom(session.server.url, 'markdown');
      const alice = await user('Alice');
      const bob = await user('Bob');
      const { page: a } = alice;
      const { page: b } = bob;
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      const hostile = [
        '<script>window.__pwned = 1</script>',
        '<img src=x onerror="window.__pwned = 2">',
        '[click me](javascript:window.__pwned=3)',
        '<a href="javascript:window.__pwned=4">x</a>',
      ];
      for (const text of hostile) await send(a, text);
      await send(a, '**bold** _em_ `code` and [your bank](https://evil.example/login)');
      await send(a, '> quoted\n\n- one\n- two\n\n```\n<b>not bold</b>\n```');
      await send(a, 'hey @Bob, and @Dan, see https://example.com/docs');
      await send(a, `${'A long line of text. '.repeat(60)}END`);
      await waitForMessage(b, 'hey @Bob, and @Dan, see https://example.com/docs');

      for (const page of [a, b]) {
        const log = page.getByTestId('timeline');
        expect(await log.locator('script, img, iframe').count()).toBe(0);
        expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
        // The markup is shown as the text it is.
        await waitForMessage(page, '<script>window.__pwned = 1</script>');
        for (const a of await log.locator('a[href]').all()) {
          expect(await a.getAttribute('href')).toMatch(/^https?:/);
          expect(await a.getAttribute('rel')).toBe('noopener noreferrer');
          expect(await a.getAttribute('target')).toBe('_blank');
        }
      }
      expect(bob.dialogs).toEqual([]);
      expect(bob.errors).toEqual([]);

      const rich = b.getByTestId('message').filter({ hasText: 'your bank' });
      expect(await rich.locator('strong').textContent()).toBe('bold');
      expect(await rich.locator('em').textContent()).toBe('em');
      expect(await rich.locator('code').textContent()).toBe('code');
      expect(await rich.locator('a').getAttribute('href')).toBe('https://evil.example/login');
      expect(await rich.locator('.link-target').textContent()).toBe(' (evil.example)');
      const blocks = b.getByTestId('message').filter({ hasText: 'quoted' });
      expect(await blocks.locator('blockquote').textContent()).toBe('quoted');
      expect(await blocks.locator('li').count()).toBe(2);
      expect(await blocks.locator('pre').textContent()).toBe('<b>not bold</b>');

      // Mentions: Bob's own is highlighted more strongly, and the message too.
      const mention = b.getByTestId('message').filter({ hasText: 'hey @Bob' });
      expect(await mention.getByTestId('mention-me').textContent()).toBe('@Bob');
      expect(await mention.getByTestId('mention').textContent()).toBe('@Dan');
      expect(await mention.getAttribute('class')).toContain('msg-mentioned');
      const forAlice = a.getByTestId('message').filter({ hasText: 'hey @Bob' });
      expect(await forAlice.getByTestId('mention-me').count()).toBe(0);
      // Each message is one item named after its author, time and text.
      expect(await mention.getAttribute('aria-label')).toMatch(
        /^Alice, .+: hey @Bob, and @Dan, see https:\/\/example\.com\/docs$/,
      );

      // A very long message starts collapsed.
      const long = b.getByTestId('message').filter({ hasText: 'END' });
      const more = long.getByTestId('show-more');
      expect(await more.getAttribute('aria-expanded')).toBe('false');
      await more.click();
      expect(await more.getAttribute('aria-expanded')).toBe('true');
      expect(await more.textContent()).toBe('Show less');
    },
    TEST_TIMEOUT,
  );

  it(
    'on a phone, a long press opens the actions as a sheet at the bottom',
    async () => {
      const room = await createRoom(session.server.url, 'phone actions');
      const { page: a } = await user('Alice');
      const { page: p } = await user('Pia', '/', { viewport: { width: 390, height: 844 } });
      await enterRoom(a, room.id);
      await enterRoom(p, room.id);
      await send(a, 'Anyone near the office?');
      const item = message(p, 'Anyone near the office?');
      await item.waitFor();
      const box = await item.boundingBox();
      if (!box) throw new Error('no box');
      const at = { pointerType: 'touch', clientX: box.x + 60, clientY: box.y + 20 };
      await item.dispatchEvent('pointerdown', at);
      const sheet = p.getByTestId('action-menu-popover');
      await sheet.waitFor({ timeout: 3_000 });
      await item.dispatchEvent('pointerup', at);
      // Along the bottom edge of the screen, across its width.
      const rect = await sheet.boundingBox();
      expect(rect && rect.y + rect.height).toBeGreaterThan(800);
      expect(rect?.width).toBeGreaterThan(350);
      await p.screenshot({ path: screenshotPath('live-phone-actions') });
      await sheet.getByTestId('menu-reply').click();
      await p.getByTestId('reply-bar').getByText('Alice').waitFor();
      await send(p, 'Yes, I am');
      await message(a, 'Yes, I am').getByTestId('reply-preview').waitFor();
    },
    TEST_TIMEOUT,
  );

  it(
    'keeps an edit and a reaction made offline and applies each once when the connection is back',
    async () => {
      const room = await createRoom(session.server.url, 'offline changes');
      const proxy = await startProxy(session.server.port);
      try {
        const { page: a } = await user('Ivy', '/', {
          baseUrl: proxy.url,
          storage: {
            'parley:test:reconnect': JSON.stringify({
              min: 100,
              max: 200,
              slowMin: 500,
              slowMax: 800,
            }),
          },
        });
        const { page: b } = await user('Jon');
        await enterRoom(a, room.id);
        await enterRoom(b, room.id);
        await send(b, 'Is the build green?');
        await send(a, 'checkign now');
        await waitForMessage(a, 'Is the build green?');
        await waitForMessage(b, 'checkign now');

        proxy.pause();
        await a
          .getByTestId('connection-status')
          .and(a.locator(':not([data-state="open"])'))
          .waitFor();
        // React to Jon's message and fix the typo while offline: shown at once, pending.
        const theirs = message(a, 'Is the build green?');
        await theirs.hover();
        await theirs.getByTestId('action-react').click();
        await a.locator('[data-testid="emoji-option"][data-emoji="✅"]').click();
        await theirs.getByTestId('reaction').waitFor();
        await a.getByTestId('message-input').press('ArrowUp');
        await a.getByTestId('edit-input').fill('checking now');
        await a.getByTestId('edit-input').press('Enter');
        const mine = a.getByTestId('message').filter({ hasText: 'checking now' });
        await mine.getByTestId('change-pending').waitFor();
        // They wait in localStorage, so a reload or a crash would not lose them.
        expect(
          await a.evaluate((id) => localStorage.getItem(`parley:changes:v1:${id}`), room.id),
        ).toContain('checking now');

        proxy.resume();
        await waitConnected(a, 15_000);
        await mine.getByTestId('change-pending').waitFor({ state: 'detached' });
        await eventually(async () =>
          expect(await message(b, 'Is the build green?').getByTestId('reaction').count()).toBe(1),
        );
        await b.getByTestId('message').filter({ hasText: 'checking now' }).waitFor();
        const stored = await liveHistory(session.server.url, room.id);
        expect(stored.find((m) => m.username === 'Jon')?.reactions).toEqual([
          { emoji: '✅', count: 1, users: ['Ivy'] },
        ]);
        expect(stored.find((m) => m.username === 'Ivy')?.content).toBe('checking now');
        expect(
          await a.evaluate((id) => localStorage.getItem(`parley:changes:v1:${id}`), room.id),
        ).toBeNull();
      } finally {
        await proxy.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'a reader cut off while two others edit, delete, react and reply sees the final state on reconnect',
    async () => {
      const room = await createRoom(session.server.url, 'away');
      const proxy = await startProxy(session.server.port);
      try {
        const { page: a } = await user('Alice');
        const { page: b } = await user('Bob');
        const { page: c } = await user('Carl', '/', {
          baseUrl: proxy.url,
          storage: {
            'parley:test:reconnect': JSON.stringify({
              min: 100,
              max: 200,
              slowMin: 500,
              slowMax: 800,
            }),
          },
        });
        for (const page of [a, b, c]) await enterRoom(page, room.id);
        await send(a, 'draft plan v1');
        await send(a, 'wrong room, sorry');
        await send(b, 'looks good');
        await waitForMessage(c, 'looks good');

        proxy.pause();
        await c
          .getByTestId('connection-status')
          .and(c.locator(':not([data-state="open"])'))
          .waitFor();

        // Alice fixes her plan and takes back the stray message.
        await waitForMessage(a, 'looks good');
        const plan = message(a, 'draft plan v1');
        await plan.hover();
        await plan.getByTestId('action-edit').click();
        await a.getByTestId('edit-input').fill('final plan v2');
        await a.getByTestId('edit-input').press('Enter');
        await message(a, 'final plan v2').waitFor();
        const stray = message(a, 'wrong room, sorry');
        await stray.hover();
        await stray.getByTestId('action-delete').click();
        await a.getByTestId('confirm-button').click();
        await stray.waitFor({ state: 'detached' });
        // Bob reacts to the plan and replies to it.
        const onB = message(b, 'final plan v2');
        await onB.waitFor();
        await onB.hover();
        await onB.getByTestId('action-react').click();
        await b.locator('[data-testid="emoji-option"][data-emoji="👍"]').click();
        await onB.getByTestId('reaction').waitFor();
        await onB.hover();
        await onB.getByTestId('action-reply').click();
        await send(b, 'ship it');
        await message(b, 'ship it').getByTestId('reply-preview').waitFor();

        // Carl is back: the same state as theirs, without a reload.
        proxy.resume();
        await waitConnected(c, 15_000);
        const planOnC = message(c, 'final plan v2');
        await planOnC.waitFor();
        await planOnC.getByTestId('reaction').waitFor();
        expect(await planOnC.textContent()).toContain('edited');
        await message(c, 'ship it').getByTestId('reply-preview').waitFor();
        expect(await message(c, 'ship it').getByTestId('reply-preview').textContent()).toContain(
          'final plan v2',
        );
        await eventually(async () => expect(await message(c, 'wrong room, sorry').count()).toBe(0));
        expect(await c.getByText('draft plan v1').count()).toBe(0);
      } finally {
        await proxy.close();
      }
    },
    TEST_TIMEOUT,
  );
});
