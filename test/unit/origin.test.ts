import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { originAllowed } from '../../src/server/ws/origin.js';

const req = (origin: string | undefined, host = 'chat.example.com') =>
  ({ headers: { origin, host } }) as unknown as IncomingMessage;

describe('originAllowed', () => {
  it('allows requests without Origin (non-browser clients)', () => {
    expect(originAllowed(req(undefined), [])).toBe(true);
  });
  it('allows the server’s own origin and localhost', () => {
    expect(originAllowed(req('https://chat.example.com'), [])).toBe(true);
    expect(originAllowed(req('http://localhost:5173'), [])).toBe(true);
    expect(originAllowed(req('http://127.0.0.1:3000'), [])).toBe(true);
  });
  it('rejects other sites unless allow-listed', () => {
    expect(originAllowed(req('https://evil.example'), [])).toBe(false);
    expect(originAllowed(req('https://chat.example.com.evil.example'), [])).toBe(false);
    expect(originAllowed(req('null'), [])).toBe(false);
    expect(originAllowed(req('https://app.example'), ['https://app.example'])).toBe(true);
    expect(originAllowed(req('https://anything.example'), ['*'])).toBe(true);
  });
});
