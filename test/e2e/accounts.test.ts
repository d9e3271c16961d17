// The web client against a server in accounts mode: the first-run administrator,
// an invite link used in other browsers, sign-in and sign-out, a private room that
// a third account can neither see nor open, and a deactivation that sends the
// account's open tab to the sign-in screen. The steps build on each other (one
// server for the block), as a team's first day would.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeBrowser } from './browser.js';
import { roomPath, send, useBrowserSession, waitConnected, waitForMessage } from './helpers.js';

const TEST_TIMEOUT = 45_000;
const PASSWORDS: Record<string, string> = {
  ada: 'ada-correct-horse',
  bob: 'bob-battery-staple',
  cy: 'cy-third-password',
};

async function fillAuth(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByTestId('auth-submit').click();
}

async function signIn(page: Page, username: string): Promise<void> {
  await page.getByTestId('auth-signin').waitFor();
  await fillAuth(page, username, PASSWORDS[username] ?? '');
  await page.getByTestId('lobby').waitFor();
}

async function openMenuItem(page: Page, testid: string): Promise<void> {
  await page.getByTestId('user-chip').click();
  await page.getByTestId(testid).click();
}

describeBrowser('web client: accounts mode', () => {
  const session = useBrowserSession({ CHAT_AUTH: 'accounts' });
  const { user } = session;
  const open = (name: string, path = '/') => user(name, path, { presetName: false });
  let inviteUrl = '';
  let privateRoomId = '';

  it(
    'first run: the first account is created in the browser and becomes the administrator',
    async () => {
      const { page, errors } = await open('ada');
      await page.getByTestId('first-run').waitFor();
      expect(await page.getByTestId('first-run-note').textContent()).toContain(
        'This first account becomes the administrator',
      );
      // Validation before anything is sent.
      await fillAuth(page, 'ada', 'short');
      expect(await page.getByRole('alert').filter({ hasText: 'at least 8' }).count()).toBe(1);
      await fillAuth(page, 'ada', PASSWORDS.ada ?? '');
      await page.getByTestId('lobby').waitFor();
      const chip = page.getByTestId('user-chip');
      expect(await chip.textContent()).toContain('ada');
      expect(await chip.textContent()).toContain('admin');
      // The menu offers the administration page to an admin.
      await chip.click();
      await page.getByTestId('menu-admin').waitFor();
      await page.keyboard.press('Escape');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
        'user-chip',
      );
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'an invite link made on the admin page lets two more people sign up in their own browsers',
    async () => {
      const { page: a } = await open('ada');
      await signIn(a, 'ada');
      await openMenuItem(a, 'menu-admin');
      await a.getByTestId('admin-page').waitFor();
      await a.getByLabel('Number of uses').fill('2');
      await a.getByTestId('create-invite').click();
      const field = a.getByTestId('invite-url');
      await field.waitFor();
      inviteUrl = await field.inputValue();
      expect(inviteUrl).toMatch(/\/\?invite=[^&]+$/);
      await a.getByTestId('invite-item').first().waitFor();
      expect(await a.getByTestId('invite-list').textContent()).toContain('2 of 2 uses left');

      const invitePath = new URL(inviteUrl).pathname + new URL(inviteUrl).search;
      for (const name of ['bob', 'cy']) {
        const { page, errors } = await open(name, invitePath);
        await page.getByTestId('auth-signup').waitFor();
        // The code leaves the address bar at once.
        expect(page.url()).not.toContain('invite=');
        await fillAuth(page, name, PASSWORDS[name] ?? '');
        await page.getByTestId('lobby').waitFor();
        expect(await page.getByTestId('user-chip').textContent()).toContain(name);
        await page.getByTestId('user-chip').click();
        await page.getByTestId('menu-account').waitFor();
        expect(await page.getByTestId('menu-admin').count()).toBe(0);
        expect(errors).toEqual([]);
      }

      // Used up: a fourth person is told so.
      const { page: d } = await open('dee', invitePath);
      await d.getByTestId('auth-signup').waitFor();
      await fillAuth(d, 'dee', 'dee-password-1');
      await expect
        .poll(() => d.getByTestId('auth-error').textContent())
        .toContain('not valid any more');

      await a.reload();
      await a.getByTestId('user-item').nth(2).waitFor();
      expect(await a.getByTestId('user-item').count()).toBe(3);
    },
    TEST_TIMEOUT,
  );

  it(
    'a private room: its members chat, a third account neither sees nor opens it',
    async () => {
      const { page: a } = await open('ada');
      await signIn(a, 'ada');
      await a.getByLabel('New room name').fill('leadership');
      await a.getByTestId('visibility-private').check();
      await a.getByTestId('create-room').click();
      await waitConnected(a);
      expect(await a.getByTestId('room-private').count()).toBe(1);
      privateRoomId = decodeURIComponent(/#\/room\/([^/?#]+)/.exec(a.url())?.[1] ?? '');
      expect(privateRoomId).not.toBe('');

      // Ada adds Bob from the lobby's members dialog.
      await a.goto('/#/');
      const item = a.getByTestId('room-item').filter({ hasText: 'leadership' });
      await item.getByTestId('room-lock').waitFor();
      await item.getByTestId('room-members-btn').click();
      const dialog = a.getByTestId('members-dialog');
      await dialog.getByTestId('add-candidates').getByText('bob').waitFor();
      await dialog
        .getByTestId('person')
        .filter({ hasText: 'bob' })
        .getByTestId('add-member')
        .click();
      await dialog.getByTestId('room-members').getByText('bob').waitFor();
      await dialog.getByTestId('modal-close').click();

      const { page: b } = await open('bob');
      await signIn(b, 'bob');
      const bobItem = b.getByTestId('room-item').filter({ hasText: 'leadership' });
      await bobItem.getByTestId('room-lock').waitFor();
      // Not the owner: no rename, delete or members.
      expect(await bobItem.getByTestId('delete-room').count()).toBe(0);
      expect(await bobItem.getByTestId('rename-room').count()).toBe(0);
      expect(await bobItem.getByTestId('room-members-btn').count()).toBe(0);
      await bobItem.getByTestId('room-link').click();
      await waitConnected(b);
      await a.goto(roomPath(privateRoomId));
      await waitConnected(a);
      await send(b, 'Only for the two of us');
      await waitForMessage(a, 'Only for the two of us');
      // The room's owner may delete a member's message (not edit it); the member may not
      // delete the owner's.
      await send(b, 'A message the owner removes');
      const theirs = a.getByTestId('message').filter({ hasText: 'A message the owner removes' });
      await theirs.hover();
      await theirs.getByTestId('action-react').waitFor();
      expect(await theirs.getByTestId('action-edit').count()).toBe(0);
      await theirs.getByTestId('action-delete').click();
      await a.getByTestId('confirm-button').click();
      await b
        .getByTestId('message')
        .filter({ hasText: 'A message the owner removes' })
        .waitFor({ state: 'detached' });
      await send(a, 'From the owner');
      const owners = b.getByTestId('message').filter({ hasText: 'From the owner' });
      await owners.hover();
      await owners.getByTestId('action-react').waitFor();
      expect(await owners.getByTestId('action-delete').count()).toBe(0);

      const { page: c } = await open('cy');
      await signIn(c, 'cy');
      await c.getByTestId('refresh-rooms').click();
      await expect.poll(() => c.getByTestId('room-list').textContent()).not.toContain('leadership');
      await c.goto(roomPath(privateRoomId));
      await c.getByTestId('room-not-found').waitFor();
      expect(await c.getByTestId('timeline').textContent()).not.toContain('Only for the two of us');
    },
    TEST_TIMEOUT,
  );

  it(
    'sign-out ends the session; a wrong password is refused; sign-in brings the rooms back',
    async () => {
      const { page: b, errors } = await open('bob');
      await signIn(b, 'bob');
      await openMenuItem(b, 'menu-sign-out');
      await b.getByTestId('auth-signin').waitFor();
      // Signed out on the server too: a reload stays at the door.
      await b.reload();
      await b.getByTestId('auth-signin').waitFor();
      await fillAuth(b, 'bob', 'not-his-password');
      await expect
        .poll(() => b.getByTestId('auth-error').textContent())
        .toContain('Wrong username or password');
      await b.getByLabel('Password', { exact: true }).fill(PASSWORDS.bob ?? '');
      await b.getByTestId('auth-submit').click();
      await b.getByTestId('lobby').waitFor();
      await b.getByTestId('room-item').filter({ hasText: 'leadership' }).waitFor();
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'removed from a private room while in it: the room closes (4011) and the lobby says why',
    async () => {
      const { page: b } = await open('bob');
      await signIn(b, 'bob');
      await b.goto(roomPath(privateRoomId));
      await waitConnected(b);

      const { page: a } = await open('ada');
      await signIn(a, 'ada');
      const item = a.getByTestId('room-item').filter({ hasText: 'leadership' });
      await item.getByTestId('room-members-btn').click();
      const dialog = a.getByTestId('members-dialog');
      await dialog
        .getByTestId('room-members')
        .getByTestId('person')
        .filter({ hasText: 'bob' })
        .getByTestId('remove-member')
        .click();
      await dialog.getByTestId('add-candidates').getByText('bob').waitFor();

      await b.getByTestId('lobby').waitFor({ timeout: 10_000 });
      await b.getByTestId('toasts').getByText('You were removed from “leadership”').waitFor();
      await b.getByTestId('refresh-rooms').click();
      await expect.poll(() => b.getByTestId('room-list').textContent()).not.toContain('leadership');
    },
    TEST_TIMEOUT,
  );

  it(
    "deactivating an account sends its open tab to the sign-in screen; the last admin can't be demoted",
    async () => {
      const { page: c } = await open('cy');
      await signIn(c, 'cy');
      await c.getByLabel('New room name').fill('cy-corner');
      await c.getByTestId('create-room').click();
      await waitConnected(c);

      const { page: a } = await open('ada');
      await signIn(a, 'ada');
      await a.goto('/#/admin');
      const row = a.locator('[data-testid="user-item"][data-username="cy"]');
      await row.getByTestId('deactivate-user').click();
      await a.getByTestId('confirm-button').click();
      await a
        .locator('[data-testid="user-item"][data-username="cy"][data-active="false"]')
        .waitFor();

      await c.getByTestId('auth-signin').waitFor({ timeout: 10_000 });
      expect(await c.getByTestId('auth-signin').textContent()).toContain('session has ended');
      await fillAuth(c, 'cy', PASSWORDS.cy ?? '');
      await expect.poll(() => c.getByTestId('auth-error').textContent()).not.toBe('');
      expect(await c.getByTestId('lobby').count()).toBe(0);

      // Ada is the only admin: demoting herself is refused, and the page says why.
      const self = a.locator('[data-testid="user-item"][data-username="ada"]');
      await self.getByTestId('demote-user').click();
      await a.getByTestId('confirm-button').click();
      await expect
        .poll(() => a.getByTestId('users-error').textContent())
        .toContain('last active administrator');
      expect(await self.getAttribute('data-role')).toBe('admin');
    },
    TEST_TIMEOUT,
  );
});
