// axe-core on every main screen, light and dark, desktop and phone: the name
// picker, the workspace with a room open, the room browser, the search dialog and
// the quick switcher (open mode); sign-up, sign-in, the workspace, the account
// and admin pages (accounts mode). Any violation fails, listed by rule and element.
// axe is evaluated into the page over the DevTools protocol, which the app's
// Content-Security-Policy does not govern (a script tag would be refused).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { describeBrowser, launchBrowser, screenshotPath } from './browser.js';
import { createRoom, send, waitConnected, waitForMessage } from './helpers.js';

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const TEST_TIMEOUT = 120_000;

interface Mode {
  name: string;
  colorScheme: 'light' | 'dark';
  viewport: { width: number; height: number };
  mobile: boolean;
}

const MODES: Mode[] = [
  {
    name: 'desktop-light',
    colorScheme: 'light',
    viewport: { width: 1280, height: 800 },
    mobile: false,
  },
  {
    name: 'desktop-dark',
    colorScheme: 'dark',
    viewport: { width: 1280, height: 800 },
    mobile: false,
  },
  {
    name: 'phone-light',
    colorScheme: 'light',
    viewport: { width: 390, height: 844 },
    mobile: true,
  },
  { name: 'phone-dark', colorScheme: 'dark', viewport: { width: 390, height: 844 }, mobile: true },
];

interface Violation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/** Runs axe on the page as it is; returns "rule: element" lines (empty: none). */
async function axe(page: Page, screen: string, mode: Mode): Promise<string[]> {
  // Animations settle first: a half-faded colour is not the colour people read.
  await page.waitForTimeout(0);
  await page.evaluate(() =>
    Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
  );
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as {
      axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Violation[] }> };
    };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  await page.screenshot({ path: screenshotPath(`a11y-${screen}-${mode.name}`) });
  return violations.flatMap((v: Violation) =>
    v.nodes.map((n) => `${screen} ${mode.name}: ${v.id} (${v.impact}) at ${n.target.join(' ')}`),
  );
}

/** On a phone: interactive elements (not links inside text) smaller than 44 × 44 px. */
async function smallTargets(page: Page, screen: string): Promise<string[]> {
  const small = await page.evaluate(() => {
    const out: string[] = [];
    const els = document.querySelectorAll<HTMLElement>(
      'button, a[href], input:not([type="hidden"]), select, textarea, [role="option"], [role="menuitem"], [role="menuitemradio"]',
    );
    for (const el of Array.from(els)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || el.closest('[inert], [hidden]')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
      // A link in a sentence is exempt (WCAG 2.5.8 "inline").
      if (el.tagName === 'A' && style.display === 'inline') continue;
      if (r.width < 44 || r.height < 44) {
        const id = el.dataset.testid ?? el.getAttribute('aria-label') ?? el.className;
        out.push(
          `${el.tagName.toLowerCase()} ${id} ${Math.round(r.width)}x${Math.round(r.height)}`,
        );
      }
    }
    return out;
  });
  return small.map((s) => `${screen}: small target ${s}`);
}

async function newPage(browser: Browser, url: string, mode: Mode, name?: string): Promise<Page> {
  const context = await browser.newContext({
    baseURL: url,
    viewport: mode.viewport,
    isMobile: mode.mobile,
    hasTouch: mode.mobile,
    colorScheme: mode.colorScheme,
    reducedMotion: 'reduce',
  });
  if (name) {
    await context.addInitScript((n) => localStorage.setItem('parley:username', n), name);
  }
  return context.newPage();
}

describeBrowser('web client: accessibility (axe-core)', () => {
  let browser: Browser | undefined;
  let open: SpawnedServer | undefined;
  let accounts: SpawnedServer | undefined;
  beforeAll(async () => {
    [browser, open, accounts] = await Promise.all([
      launchBrowser(),
      spawnServer({ env: { CHAT_WS_RATE: '0' } }),
      spawnServer({ env: { CHAT_AUTH: 'accounts' } }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await open?.stop();
    await accounts?.stop();
  });

  it(
    'open mode: name picker, workspace with a room, room browser, search and quick switcher',
    async () => {
      if (!browser || !open) throw new Error('not started');
      const url = open.url;
      const room = await createRoom(url, 'a11y-room');
      await createRoom(url, 'a11y-other');
      const found: string[] = [];
      for (const mode of MODES) {
        const picker = await newPage(browser, url, mode);
        await picker.goto('/');
        await picker.getByLabel('Your name').waitFor();
        found.push(...(await axe(picker, 'name-picker', mode)));
        await picker.context().close();

        const page = await newPage(browser, url, mode, `Ann-${mode.name}`);
        await page.goto(`/#/room/${room.id}`);
        await waitConnected(page);
        await send(page, `Hello from ${mode.name} @Bo`);
        await waitForMessage(page, `Hello from ${mode.name} @Bo`);
        found.push(...(await axe(page, 'room', mode)));
        if (mode.mobile) found.push(...(await smallTargets(page, 'room')));

        if (mode.mobile) {
          const toggle = page.getByTestId('open-sidebar');
          await toggle.click();
          await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
          const entry = page.getByTestId('sidebar').getByTestId('sidebar-room').first();
          await entry.waitFor({ state: 'attached' });
          await entry.waitFor();
          found.push(...(await axe(page, 'sidebar-drawer', mode)));
          found.push(...(await smallTargets(page, 'sidebar-drawer')));
          await page.keyboard.press('Escape');
        }

        await page.goto('/#/');
        await page.getByTestId('room-item').first().waitFor();
        found.push(...(await axe(page, 'room-browser', mode)));
        if (mode.mobile) found.push(...(await smallTargets(page, 'room-browser')));

        await page.getByTestId('search-open').click();
        await page.getByRole('dialog').waitFor();
        found.push(...(await axe(page, 'search', mode)));
        await page.keyboard.press('Escape');

        await page.keyboard.press('Control+k');
        await page.getByTestId('quick-switcher').waitFor();
        found.push(...(await axe(page, 'quick-switcher', mode)));
        if (mode.mobile) found.push(...(await smallTargets(page, 'quick-switcher')));
        await page.keyboard.press('Escape');
        await page.context().close();
      }
      expect(found).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'accounts mode: sign-up, sign-in, workspace, account and admin pages',
    async () => {
      if (!browser || !accounts) throw new Error('not started');
      const url = accounts.url;
      const found: string[] = [];
      let first = true;
      for (const mode of MODES) {
        const page = await newPage(browser, url, mode);
        await page.goto('/');
        if (first) {
          await page.getByTestId('first-run').waitFor();
          found.push(...(await axe(page, 'sign-up', mode)));
          await page.getByLabel('Username').fill('root');
          await page.getByLabel('Password', { exact: true }).fill('root-password-1');
          await page.getByTestId('auth-submit').click();
          first = false;
        } else {
          await page.getByTestId('auth-signin').waitFor();
          found.push(...(await axe(page, 'sign-in', mode)));
          await page.getByLabel('Username').fill('root');
          await page.getByLabel('Password', { exact: true }).fill('root-password-1');
          await page.getByTestId('auth-submit').click();
        }
        await page.getByTestId('lobby').waitFor();
        found.push(...(await axe(page, 'accounts-browser', mode)));

        await page.getByLabel('New room name').fill(`private-${mode.name}`);
        await page.getByTestId('visibility-private').check();
        await page.getByTestId('create-room').click();
        await waitConnected(page);
        found.push(...(await axe(page, 'accounts-room', mode)));

        await page.goto('/#/account');
        await page.getByTestId('account-page').waitFor();
        found.push(...(await axe(page, 'account', mode)));
        await page.goto('/#/admin');
        await page.getByTestId('admin-page').waitFor();
        found.push(...(await axe(page, 'admin', mode)));
        await page.context().close();
      }
      expect(found).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});
