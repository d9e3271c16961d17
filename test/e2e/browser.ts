// Shared setup of the browser tests: Debian's Chromium driven by playwright-core.
// Without Chromium the tests are skipped with a loud warning on a developer's
// machine, and fail in CI (CI=true), where a silent skip would hide a broken setup.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
const inCI = process.env.CI === 'true';

export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

/** `describe` for browser suites: runs, fails (CI without Chromium) or is skipped loudly. */
export function describeBrowser(name: string, fn: () => void): void {
  if (!hasChromium && !inCI) {
    console.warn(
      `\n${'!'.repeat(72)}\n  SKIPPING browser tests "${name}": no Chromium at ${CHROMIUM_PATH}.\n` +
        `  Install it (apt-get install chromium) or set CHROMIUM_PATH. In CI this is a failure.\n${'!'.repeat(72)}\n`,
    );
    describe.skip(name, fn);
    return;
  }
  describe(name, fn);
}

export async function launchBrowser(): Promise<Browser> {
  if (!hasChromium) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: browser tests cannot run (CI=true makes this fatal)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}
