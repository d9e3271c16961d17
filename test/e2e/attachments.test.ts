// Attachments in a real browser: upload by button with a progress bar and cancel,
// paste a screenshot, drop a file; images inline in a box of their real aspect
// ratio before they load (no layout jump), opened full size; other files as cards.
// Screenshots (desktop and phone, light and dark) go to PARLEY_SHOTS_DIR when set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { makePng } from '../support/images.js';
import { describeBrowser } from './browser.js';
import {
  createRoom,
  enterRoom,
  eventually,
  history,
  send,
  useBrowserSession,
  waitForMessage,
} from './helpers.js';

const TEST_TIMEOUT = 45_000;
const SHOTS = process.env.PARLEY_SHOTS_DIR;

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Hands files to the page as a paste into the message box (what a screenshot paste does). */
async function pasteFiles(page: Page, files: { name: string; type: string; bytes: Buffer }[]) {
  await page.getByTestId('message-input').evaluate(
    (input, list) => {
      const dt = new DataTransfer();
      for (const f of list)
        dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      input.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }),
      );
    },
    files.map((f) => ({ ...f, bytes: [...f.bytes] })),
  );
}

/** Drops files onto the conversation area. */
async function dropFiles(page: Page, files: { name: string; type: string; bytes: Buffer }[]) {
  await page.locator('.conversation').evaluate(
    (area, list) => {
      const dt = new DataTransfer();
      for (const f of list)
        dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        area.dispatchEvent(
          new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
      }
    },
    files.map((f) => ({ ...f, bytes: [...f.bytes] })),
  );
}

async function waitUploaded(page: Page, count: number): Promise<void> {
  await eventually(async () => {
    const states = await page
      .getByTestId('tray-item')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.state));
    expect(states).toEqual(Array(count).fill('done'));
  }, 15_000);
}

describeBrowser('web client: attachments', () => {
  const session = useBrowserSession();
  const { user } = session;

  it(
    'uploads by button with a progress bar that can be cancelled, and sends files with a message',
    async () => {
      const room = await createRoom(session.server.url, 'files');
      const alice = await user('alice');
      const bob = await user('bob');
      const a = alice.page;
      await enterRoom(a, room.id);
      await enterRoom(bob.page, room.id);

      // Slow the upload down so the progress bar is seen moving, then cancel it.
      const cdp = await alice.context.newCDPSession(a);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 256 * 1024,
      });
      await a.getByTestId('file-input').setInputFiles({
        name: 'big-video.bin',
        mimeType: 'application/octet-stream',
        buffer: Buffer.alloc(3 * 1024 * 1024, 7),
      });
      const progress = a.getByTestId('upload-progress');
      await eventually(async () => {
        const value = await progress.evaluate((p) => (p as HTMLProgressElement).value);
        expect(value).toBeGreaterThan(0);
      }, 15_000);
      const max = await progress.evaluate((p) => (p as HTMLProgressElement).max);
      expect(await progress.evaluate((p) => (p as HTMLProgressElement).value)).toBeLessThan(max);
      await shot(a, 'desktop-light-uploading');
      // sending waits for uploads
      await a.getByTestId('message-input').press('Enter');
      await expect.poll(() => a.getByRole('alert').first().textContent()).toContain('uploading');
      await a.getByTestId('upload-cancel').click();
      await expect.poll(() => a.getByTestId('tray-item').count()).toBe(0);
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });

      // Two files by the button, sent with text.
      await a.getByTestId('file-input').setInputFiles([
        {
          name: 'report.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.from('%PDF-1.7\n% test\n'),
        },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello\n') },
      ]);
      await waitUploaded(a, 2);
      await send(a, 'the files');
      await waitForMessage(bob.page, 'the files');
      const cards = bob.page.getByTestId('attachment-file');
      await expect.poll(() => cards.count()).toBe(2);
      expect(await cards.getByTestId('attachment-name').allTextContents()).toEqual([
        'report.pdf',
        'notes.txt',
      ]);
      expect(await cards.first().getAttribute('download')).toBe('report.pdf');
      expect(await cards.first().textContent()).toContain('PDF');
      await expect.poll(() => a.getByTestId('tray-item').count()).toBe(0);
      // the stored message names its files for clients without attachments
      const stored = await history(session.server.url, room.id);
      expect(stored[0]?.content).toMatch(
        /^the files\n📎 report\.pdf \(\d+ B\) \/api\/chat\/files\//,
      );
      // the cancelled upload never reached a message
      expect(stored.flatMap((m) => m.attachments ?? []).map((f) => f.name)).toEqual([
        'report.pdf',
        'notes.txt',
      ]);

      // A message with files is edited like any other: the editor holds only the
      // typed text, and the files stay with the message for everyone.
      const input = a.getByTestId('message-input');
      await input.focus();
      await input.press('ArrowUp');
      const editor = a.getByTestId('edit-input');
      await editor.waitFor();
      expect(await editor.inputValue()).toBe('the files');
      await editor.fill('the files, final');
      await editor.press('Enter');
      const edited = bob.page.getByTestId('message').filter({ hasText: 'the files, final' });
      await edited.getByTestId('message-edited').waitFor();
      await expect.poll(() => edited.getByTestId('attachment-file').count()).toBe(2);
      const afterEdit = await history(session.server.url, room.id);
      expect(afterEdit[0]?.content).toMatch(/^the files, final\n📎 report\.pdf /);
      expect(afterEdit[0]?.attachments?.map((f) => f.name)).toEqual(['report.pdf', 'notes.txt']);
      expect(alice.errors).toEqual([]);
      expect(bob.errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'shows a pasted screenshot inline for everyone, in a box of its aspect ratio before it loads',
    async () => {
      const room = await createRoom(session.server.url, 'screenshots');
      const alice = await user('alice');
      const bob = await user('bob');
      const a = alice.page;
      const b = bob.page;
      await enterRoom(a, room.id);
      await enterRoom(b, room.id);
      // Bob's copies of files are held back: his timeline must reserve their space anyway.
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      await b.route('**/api/chat/files/**', async (route) => {
        await held;
        await route.continue();
      });

      const png = makePng(640, 360);
      await pasteFiles(a, [{ name: 'image.png', type: 'image/png', bytes: png }]);
      await waitUploaded(a, 1);
      await a.getByTestId('message-input').press('Enter'); // an image alone, no text
      const img = b.getByTestId('attachment-img');
      await img.waitFor({ timeout: 10_000 });
      const before = await img.evaluate((el) => {
        const i = el as HTMLImageElement;
        const r = i.getBoundingClientRect();
        return { loaded: i.complete && i.naturalWidth > 0, width: r.width, height: r.height };
      });
      expect(before.loaded).toBe(false);
      expect(before.width).toBeGreaterThan(100);
      expect(before.height / before.width).toBeCloseTo(360 / 640, 2);
      release();
      await eventually(async () => {
        expect(await img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(640);
      }, 10_000);
      const after = await img.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return { width: r.width, height: r.height };
      });
      expect(after).toEqual({ width: before.width, height: before.height });
      // no text in the message: just the image
      const msg = b.getByTestId('message').last();
      expect(await msg.getByTestId('message-content').count()).toBe(0);

      // Open it full size; Escape closes.
      await img.click();
      const viewer = b.getByTestId('image-viewer');
      await viewer.waitFor();
      await eventually(async () => {
        expect(
          await b.getByTestId('viewer-img').evaluate((i) => (i as HTMLImageElement).naturalWidth),
        ).toBe(640);
      });
      await b.keyboard.press('Escape');
      await expect.poll(() => viewer.count()).toBe(0);
      expect(alice.errors).toEqual([]);
      expect(bob.errors).toEqual([]);
      expect(alice.dialogs).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'takes dropped files, never runs an uploaded SVG or HTML, and looks right on desktop and phone, light and dark',
    async () => {
      const room = await createRoom(session.server.url, 'design');
      const alice = await user('alice');
      const a = alice.page;
      await enterRoom(a, room.id);
      await send(a, 'Here are the mockups for the new onboarding flow 👇');
      await dropFiles(a, [
        { name: 'onboarding-wide.png', type: 'image/png', bytes: makePng(1200, 500) },
        { name: 'phone-tall.png', type: 'image/png', bytes: makePng(390, 844) },
      ]);
      await waitUploaded(a, 2);
      await a.getByTestId('message-input').press('Enter');
      await a.getByTestId('attachment-img').nth(1).waitFor();
      const svg = Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
      );
      await dropFiles(a, [
        { name: 'logo.svg', type: 'image/svg+xml', bytes: svg },
        { name: 'page.html', type: 'text/html', bytes: Buffer.from('<script>alert(3)</script>') },
        {
          name: 'Q3 planning — final (v2).pdf',
          type: 'application/pdf',
          bytes: Buffer.from('%PDF-1.4\n'),
        },
      ]);
      await waitUploaded(a, 3);
      await send(a, 'And the logo, plus the plan');
      await waitForMessage(a, 'And the logo, plus the plan');
      // SVG and HTML are files to download, never images or pages
      const names = await a
        .getByTestId('attachment-file')
        .getByTestId('attachment-name')
        .allTextContents();
      expect(names).toEqual(['logo.svg', 'page.html', 'Q3 planning — final (v2).pdf']);
      expect(await a.getByTestId('attachment-img').count()).toBe(2);
      // a pending upload in the tray for the screenshot
      await a.getByTestId('file-input').setInputFiles({
        name: 'draft.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('draft'),
      });
      await waitUploaded(a, 1);
      await eventually(async () => {
        const loaded = await a
          .getByTestId('attachment-img')
          .evaluateAll((els) => els.every((i) => (i as HTMLImageElement).naturalWidth > 0));
        expect(loaded).toBe(true);
      });
      // A phone, as a second person would see the room.
      const phone = await user('bob', '/', { viewport: { width: 390, height: 844 } });
      const p = phone.page;
      await enterRoom(p, room.id);
      await p.getByTestId('attachment-file').nth(2).waitFor();
      for (const scheme of ['light', 'dark'] as const) {
        await a.emulateMedia({ colorScheme: scheme });
        await p.emulateMedia({ colorScheme: scheme });
        await eventually(async () => {
          const loaded = await p
            .getByTestId('attachment-img')
            .evaluateAll((els) => els.every((i) => (i as HTMLImageElement).naturalWidth > 0));
          expect(loaded).toBe(true);
        });
        await shot(a, `desktop-${scheme}`);
        await shot(p, `phone-${scheme}`);
      }
      const phoneImg = await p.getByTestId('attachment-img').first().boundingBox();
      expect(phoneImg?.width ?? 0).toBeLessThanOrEqual(390);
      expect((phoneImg?.height ?? 0) / (phoneImg?.width ?? 1)).toBeCloseTo(500 / 1200, 1);
      await p.getByTestId('attachment-image').nth(1).click();
      await p.getByTestId('image-viewer').waitFor();
      await eventually(async () => {
        expect(
          await p.getByTestId('viewer-img').evaluate((i) => (i as HTMLImageElement).naturalWidth),
        ).toBe(390);
      });
      await shot(p, 'phone-dark-viewer');
      await p.keyboard.press('Escape');
      await a.getByTestId('attachment-image').first().click();
      await a.getByTestId('image-viewer').waitFor();
      await shot(a, 'desktop-dark-viewer');
      await a.keyboard.press('Escape');
      expect(phone.errors).toEqual([]);
      expect(alice.dialogs).toEqual([]);
      expect(alice.errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});
