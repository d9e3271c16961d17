// The pure parts of attachments: content composing for original clients (and its
// exact inverse), file names, and type detection from content.
import { describe, expect, it } from 'vitest';
import {
  type AttachmentInfo,
  composeContent,
  formatBytes,
  messageText,
} from '../../src/protocol/attachment-text.js';
import { contentDisposition, sanitizeFilename } from '../../src/server/blobs/filename.js';
import { sniff } from '../../src/server/blobs/sniff.js';
import { gifHeader, jpegHeader, makePng, webpHeader } from '../support/images.js';

const file = (name: string, size: number): AttachmentInfo => ({
  id: 'a'.repeat(32),
  name,
  type: 'text/plain',
  size,
  url: `/api/chat/files/${'a'.repeat(32)}/${encodeURIComponent(name)}`,
});

describe('content of a message with files', () => {
  it('adds one line per file after the text, and messageText takes them off exactly', () => {
    const files = [file('a b.txt', 999), file('c.zip', 2_345_678)];
    const content = composeContent('look\n📎 at this', files);
    expect(content).toBe(
      `look\n📎 at this\n📎 a b.txt (999 B) ${files[0]?.url}\n📎 c.zip (2.3 MB) ${files[1]?.url}`,
    );
    expect(messageText(content, files)).toBe('look\n📎 at this');
    expect(messageText(composeContent('', files), files)).toBe('');
    expect(composeContent('plain', [])).toBe('plain');
    // a content that does not end in its files' lines is shown whole
    expect(messageText('edited elsewhere', files)).toBe('edited elsewhere');
  });

  it('formats sizes in powers of 1000', () => {
    expect([0, 999, 1000, 15_499, 999_999, 25 * 1024 * 1024].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.0 KB',
      '15.5 KB',
      '1.0 MB',
      '26.2 MB',
    ]);
  });
});

describe('file names', () => {
  it('keeps the last path segment without controls, bidi or invisible characters', () => {
    expect(sanitizeFilename('../../etc/passwd')).toEqual({ ok: true, name: 'passwd' });
    expect(sanitizeFilename('C:\\Users\\me\\cat.png')).toEqual({ ok: true, name: 'cat.png' });
    expect(sanitizeFilename('\u202Egnp.exe')).toEqual({ ok: true, name: 'gnp.exe' });
    expect(sanitizeFilename(' . ')).toEqual({ ok: true, name: 'file' });
    expect(sanitizeFilename('e\u0301t\u00e9.txt')).toEqual({ ok: true, name: '\u00e9t\u00e9.txt' });
    expect(sanitizeFilename('x'.repeat(255))).toEqual({ ok: true, name: 'x'.repeat(255) });
    expect(sanitizeFilename('x'.repeat(256))).toEqual({ ok: false, reason: 'too_long' });
    expect(sanitizeFilename('x'.repeat(10_000_000))).toEqual({ ok: false, reason: 'too_long' });
  });

  it('writes Content-Disposition with an ASCII fallback and the exact name', () => {
    expect(contentDisposition('attachment', 'résumé "final" 100%.pdf')).toBe(
      `attachment; filename="r_sum_ _final_ 100_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%20100%25.pdf`,
    );
  });
});

describe('type detection', () => {
  it('reads images and their sizes from the header', () => {
    expect(sniff(makePng(3, 2), true)).toEqual({ type: 'image/png', width: 3, height: 2 });
    expect(sniff(gifHeader(5, 4), true)).toEqual({ type: 'image/gif', width: 5, height: 4 });
    expect(sniff(webpHeader(16384, 1), true)).toEqual({
      type: 'image/webp',
      width: 16384,
      height: 1,
    });
    expect(sniff(jpegHeader(800, 600, 8), true)).toEqual({
      type: 'image/jpeg',
      width: 600,
      height: 800,
    });
  });

  it('never calls markup anything but text, and binary without a signature octet-stream', () => {
    expect(sniff(Buffer.from('<svg onload="x()"/>'), true).type).toBe('text/plain');
    expect(sniff(Buffer.from('<!DOCTYPE html><script>'), true).type).toBe('text/plain');
    expect(sniff(Buffer.from([0x3c, 0x00, 0x73]), true).type).toBe('application/octet-stream');
    expect(sniff(Buffer.from([0xff, 0xfe, 0x3c, 0x00]), true).type).toBe(
      'application/octet-stream',
    );
    // a head cut inside a multi-byte character is still text
    const text = Buffer.from('é'.repeat(10));
    expect(sniff(text.subarray(0, 7), false).type).toBe('text/plain');
    // an image signature with a nonsense header is no image
    expect(sniff(Buffer.from('GIF89a'), true).type).toBe('application/octet-stream');
    expect(sniff(Buffer.concat([gifHeader(0, 10)]), true).type).toBe('application/octet-stream');
  });
});
