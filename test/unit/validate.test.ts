import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/protocol/limits.js';
import { contentProblem, nameProblem } from '../../src/protocol/text-rules.js';
import { parseClientFrame } from '../../src/protocol/validate.js';

const limits = { maxContentLength: 10, maxClientIdLength: 8, maxAttachments: 3 };
const parse = (value: unknown) =>
  parseClientFrame(typeof value === 'string' ? value : JSON.stringify(value), limits);

describe('parseClientFrame', () => {
  it('accepts the three client frames', () => {
    expect(parse({ type: 'message', content: 'hi' })).toEqual({
      ok: true,
      frame: { type: 'message', content: 'hi' },
    });
    expect(parse({ type: 'message', content: 'hi', client_id: 'abc' }).ok).toBe(true);
    expect(parse({ type: 'typing', is_typing: false }).ok).toBe(true);
    expect(parse({ type: 'get_users' }).ok).toBe(true);
  });

  it('ignores extra fields, as the original did', () => {
    expect(parse({ type: 'get_users', extra: 1 }).ok).toBe(true);
  });

  it.each([
    ['{', 'INVALID_JSON'],
    ['42', 'INVALID_FRAME'],
    ['[]', 'INVALID_FRAME'],
    [{}, 'UNKNOWN_TYPE'],
    [{ type: 'toString' }, 'UNKNOWN_TYPE'],
    [{ type: '__proto__' }, 'UNKNOWN_TYPE'],
    [{ type: 'message' }, 'INVALID_CONTENT'],
    [{ type: 'message', content: null }, 'INVALID_CONTENT'],
    [{ type: 'message', content: '   ' }, 'INVALID_CONTENT'],
    [{ type: 'message', content: 'x'.repeat(11) }, 'CONTENT_TOO_LONG'],
    [{ type: 'message', content: 'a\u0007' }, 'INVALID_CONTENT'],
    [{ type: 'message', content: 'a\u0085' }, 'INVALID_CONTENT'],
    [{ type: 'message', content: 'a\u009b31m' }, 'INVALID_CONTENT'],
    [{ type: 'message', content: '\r\n\r' }, 'INVALID_CONTENT'],
    [{ type: 'message', content: 'hi', client_id: 'x'.repeat(9) }, 'INVALID_FRAME'],
    [{ type: 'message', content: 'hi', client_id: 7 }, 'INVALID_FRAME'],
    [{ type: 'typing', is_typing: 1 }, 'INVALID_FRAME'],
    [{ type: 'message', content: 'a\ud800' }, 'INVALID_CONTENT'],
    [{ type: 'message', content: 'hi', client_id: 'a\u0000b' }, 'INVALID_FRAME'],
  ])('rejects %j with %s', (frame, code) => {
    const result = parse(frame);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(code);
  });

  it('allows newlines and tabs in content, with CRLF and CR turned into LF', () => {
    expect(parse({ type: 'message', content: 'a\nb\tc\r\nd\re' })).toEqual({
      ok: true,
      frame: { type: 'message', content: 'a\nb\tc\nd\ne' },
    });
  });

  it('counts content length after normalizing line endings', () => {
    expect(parse({ type: 'message', content: `${'x'.repeat(8)}\r\n` }).ok).toBe(true);
  });
});

describe('parseClientFrame: changes (issue 11)', () => {
  it('accepts edit, delete and react, normalizing content and emoji', () => {
    expect(parse({ type: 'edit', message_id: 'm', content: 'a\r\nb' })).toEqual({
      ok: true,
      frame: { type: 'edit', message_id: 'm', content: 'a\nb' },
    });
    expect(parse({ type: 'delete', message_id: 'm', client_id: 'k' }).ok).toBe(true);
    // a decomposed é becomes the composed one
    expect(parse({ type: 'react', message_id: 'm', emoji: 'e\u0301', on: true })).toEqual({
      ok: true,
      frame: { type: 'react', message_id: 'm', emoji: '\u00e9', on: true },
    });
    expect(parse({ type: 'react', message_id: 'm', emoji: '👩🏽‍💻', on: false }).ok).toBe(true);
  });

  it('refuses bad changes with the right code and the frame’s client_id', () => {
    const code = (v: unknown) => {
      const r = parse(v);
      return r.ok ? 'ok' : [r.code, r.clientId];
    };
    expect(code({ type: 'edit', message_id: 'm', content: ' ', client_id: 'k' })).toEqual([
      'INVALID_CONTENT',
      'k',
    ]);
    expect(code({ type: 'edit', message_id: 'm', content: 'x'.repeat(11) })[0]).toBe(
      'CONTENT_TOO_LONG',
    );
    expect(code({ type: 'edit', message_id: 'm', content: null })[0]).toBe('INVALID_CONTENT');
    for (const emoji of ['', 'a b', 'x'.repeat(17), '\u200b', 'a\u0007']) {
      expect(code({ type: 'react', message_id: 'm', emoji, on: true })[0]).toBe('INVALID_EMOJI');
    }
    expect(code({ type: 'react', message_id: 'm', emoji: 'x' })[0]).toBe('INVALID_FRAME');
    expect(code({ type: 'delete' })[0]).toBe('INVALID_FRAME');
    expect(code({ type: 'delete', message_id: 'm', client_id: '123456789' })[0]).toBe(
      'INVALID_FRAME',
    );
    expect(code({ type: 'delete', message_id: 'm', client_id: 'a\u200b' })[0]).toBe(
      'INVALID_FRAME',
    );
  });
});

describe('text rules', () => {
  it('checks names', () => {
    expect(nameProblem('alice', DEFAULT_LIMITS.maxUsernameLength)).toBeNull();
    expect(nameProblem('', 10)).toBe('empty');
    expect(nameProblem('x'.repeat(11), 10)).toBe('too_long');
    expect(nameProblem('a\tb', 10)).toBe('control_chars');
    expect(nameProblem('a\u0085b', 10)).toBe('control_chars');
    expect(nameProblem('日本語 ok', 10)).toBeNull();
    expect(nameProblem('emoji 😀', 10)).toBeNull();
    expect(nameProblem('bad \udc00', 10)).toBe('control_chars');
  });

  it('checks content', () => {
    expect(contentProblem('hello\nworld', 100)).toBeNull();
    expect(contentProblem('\n', 100)).toBe('empty');
    expect(contentProblem('a\u0000', 100)).toBe('control_chars');
  });
});
