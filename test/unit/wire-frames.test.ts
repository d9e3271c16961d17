// Server frames are built on the wire once (server-frames.ts) and written as is to
// every socket. Real `ws` clients read them in every integration test; here each
// length form of RFC 6455 5.2 is checked byte for byte, and read back by `ws`'s own
// receiver, as a client would.
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { encodeFrame, textFrame } from '../../src/server/ws/server-frames.js';

/** A final, unmasked text frame as RFC 6455 5.2 spells it. */
const frame = (header: number[], payload: string): Buffer =>
  Buffer.concat([Buffer.from(header), Buffer.from(payload)]);

/** `ws`'s frame parser, which its package exports but its types do not declare. */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = ws as unknown as {
  Receiver: new (opts: { isServer: boolean }) => FrameReceiver;
};

/** What a client's `ws` reads from `bytes`: each message's text, in order. */
function received(bytes: Buffer): string[] {
  const texts: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    texts.push(data.toString());
  });
  receiver.write(bytes);
  return texts;
}

describe('textFrame', () => {
  it('writes each length form of RFC 6455', () => {
    const a = 'a'.repeat(125);
    const b = 'b'.repeat(126);
    const c = 'c'.repeat(65_535);
    const d = 'd'.repeat(70_000);
    expect(textFrame(a)).toEqual(frame([0x81, 125], a));
    expect(textFrame(b)).toEqual(frame([0x81, 126, 0x00, 0x7e], b));
    expect(textFrame(c)).toEqual(frame([0x81, 126, 0xff, 0xff], c));
    expect(textFrame(d)).toEqual(frame([0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70], d));
    expect(textFrame('')).toEqual(frame([0x81, 0], ''));
  });

  it('counts the length in bytes, not characters', () => {
    // 42 characters, 126 bytes of UTF-8: the 16-bit length form.
    const text = '€'.repeat(42);
    expect(textFrame(text).subarray(0, 4)).toEqual(Buffer.from([0x81, 126, 0x00, 0x7e]));
    expect(received(textFrame(text))).toEqual([text]);
  });

  it('is read back by ws, frame after frame, when frames are sent together', () => {
    const frames = [
      encodeFrame({ type: 'join', data: { username: 'ana', message: 'ana joined the room' } }),
      textFrame('x'.repeat(300)),
      textFrame('y'.repeat(70_000)),
      textFrame('🙂 ünïcödé'),
    ];
    expect(received(Buffer.concat(frames))).toEqual([
      JSON.stringify({ type: 'join', data: { username: 'ana', message: 'ana joined the room' } }),
      'x'.repeat(300),
      'y'.repeat(70_000),
      '🙂 ünïcödé',
    ]);
  });
});
