// CHAT_LOG_FORMAT on the real process: one JSON object per line, or readable lines.
// (A pipe is not a terminal, so `auto` here is JSON; chooseLogFormat's TTY rule
// has a unit test.)
import { afterEach, describe, expect, it } from 'vitest';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';

let server: SpawnedServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Runs the server with `format`, then stops it; resolves with the lines it printed. */
async function linesOf(format: string): Promise<string[]> {
  // NO_COLOR: plain text even where the environment forces colours
  server = await spawnServer({
    env: { CHAT_LOG_LEVEL: 'info', CHAT_LOG_FORMAT: format, NO_COLOR: '1' },
  });
  expect(await server.stop('SIGTERM')).toBe(0);
  return server
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '');
}

describe('log format', () => {
  it.each([['json'], ['auto']])('%s: one JSON object per line', async (format) => {
    const lines = await linesOf(format);
    expect(lines.length).toBeGreaterThan(1);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) {
      expect(r).toMatchObject({ level: expect.any(Number), time: expect.any(Number) });
      expect(r.node).toEqual(expect.any(String));
    }
    expect(records.map((r) => r.msg)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Parley listening on /), 'shutting down']),
    );
  });

  it('pretty: readable lines with time, level and message, no JSON', async () => {
    const lines = await linesOf('pretty');
    for (const line of lines) expect(() => JSON.parse(line), line).toThrow();
    const listening = lines.find((l) => l.includes('Parley listening on'));
    expect(listening).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Parley listening on http/);
    expect(lines.some((l) => /^\s+node: "[0-9a-f]{8}"$/.test(l))).toBe(true);
    expect(lines.some((l) => / INFO: shutting down$/.test(l))).toBe(true);
  });
});
