// Page-level helpers for the browser tests. Selectors are data-testid attributes
// and roles, never CSS classes.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import WebSocket from 'ws';
import type { Message, Room } from '../../src/protocol/rest.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { launchBrowser } from './browser.js';

export interface UserPage {
  context: BrowserContext;
  page: Page;
  /** Messages of dialogs the page opened (alert/confirm); XSS tests expect none. */
  dialogs: string[];
  /** Uncaught page errors and console errors. */
  errors: string[];
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** Skip the name screen by remembering `username` in localStorage. */
  presetName?: boolean;
  /** Where the page connects (e.g. through a test proxy); the session's server by default. */
  baseUrl?: string;
  /** localStorage entries set before every page load (e.g. the reconnect test hook). */
  storage?: Record<string, string>;
}

export interface BrowserSession {
  /** The server of this describe block (started in its beforeAll). */
  readonly server: SpawnedServer;
  /** A new person: a browser context of its own, closed after the test. */
  user(name: string, path?: string, opts?: OpenOptions): Promise<UserPage>;
}

/**
 * One server (with `env`) and one browser for the enclosing describe block. Pages
 * of finished tests are closed, as they would keep sockets and timers busy on a
 * 2-core machine.
 */
export function useBrowserSession(env: Record<string, string> = {}): BrowserSession {
  let server: SpawnedServer | undefined;
  let browser: Browser | undefined;
  const pages: UserPage[] = [];
  beforeAll(async () => {
    [server, browser] = await Promise.all([spawnServer({ env }), launchBrowser()]);
  });
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((u) => u.context.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  const started = () => {
    if (!server || !browser) throw new Error('the browser session has not started');
    return { server, browser };
  };
  return {
    get server() {
      return started().server;
    },
    async user(name, path = '/', opts = {}) {
      const { server, browser } = started();
      const u = await openAs(browser, opts.baseUrl ?? server.url, name, path, opts);
      pages.push(u);
      return u;
    },
  };
}

/** A fresh browser context (its own storage) with the app open at `path`. */
export async function openAs(
  browser: Browser,
  baseUrl: string,
  username: string,
  path = '/',
  opts: OpenOptions = {},
): Promise<UserPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    baseURL: baseUrl,
  });
  if (opts.presetName !== false) {
    await context.addInitScript((name) => {
      if (!localStorage.getItem('parley:username')) localStorage.setItem('parley:username', name);
    }, username);
  }
  if (opts.storage) {
    await context.addInitScript((entries) => {
      for (const [k, v] of Object.entries(entries)) localStorage.setItem(k, v);
    }, opts.storage);
  }
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // The browser logs failed connections itself while the server is down; those are expected.
    if (
      m.type() === 'error' &&
      !/ERR_CONNECTION_REFUSED|WebSocket|Failed to load resource/.test(m.text())
    ) {
      errors.push(m.text());
    }
  });
  await page.goto(path);
  return { context, page, dialogs, errors };
}

export async function createRoom(baseUrl: string, name: string): Promise<Room> {
  const res = await fetch(`${baseUrl}/api/chat/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Room;
}

export async function history(baseUrl: string, roomId: string, limit = 1000): Promise<Message[]> {
  const res = await fetch(`${baseUrl}/api/chat/rooms/${roomId}/messages?limit=${limit}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Message[];
}

export function roomPath(roomId: string): string {
  return `/#/room/${roomId}`;
}

export async function waitConnected(page: Page, timeout = 10_000): Promise<void> {
  await page
    .getByTestId('connection-status')
    .and(page.locator('[data-state="open"]'))
    .waitFor({ timeout });
}

/** Opens a room page and waits until it is live. */
export async function enterRoom(page: Page, roomId: string): Promise<void> {
  await page.goto(roomPath(roomId));
  await waitConnected(page);
}

export async function send(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('message-input');
  await input.fill(text);
  await input.press('Enter');
}

/** Waits until a confirmed message with exactly this text is in the timeline. */
export async function waitForMessage(page: Page, text: string, timeout = 5_000): Promise<void> {
  await page
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-content').getByText(text, { exact: true }) })
    .first()
    .waitFor({ timeout });
}

/** The seqs of the confirmed messages shown, top to bottom. */
export async function shownSeqs(page: Page): Promise<number[]> {
  return page
    .getByTestId('message')
    .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.seq)));
}

export async function onlineCount(page: Page): Promise<string> {
  return (await page.getByTestId('online-count').textContent()) ?? '';
}

/** Polls `fn` until it stops throwing (like expect.poll, but for async assertions). */
export async function eventually(fn: () => Promise<void>, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Posts `n` messages as `username` over a plain WebSocket (fast seeding). */
export async function seed(
  baseUrl: string,
  roomId: string,
  username: string,
  n: number,
  prefix = 'seed message',
): Promise<void> {
  const ws = new WebSocket(
    `${baseUrl.replace('http', 'ws')}/ws/chat/${roomId}?username=${encodeURIComponent(username)}`,
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let echoed = 0;
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      if (JSON.parse(data.toString()).type === 'message' && ++echoed === n) resolve();
    });
  });
  for (let i = 1; i <= n; i++) {
    ws.send(JSON.stringify({ type: 'message', content: `${prefix} ${i}` }));
  }
  await done;
  ws.close();
}
