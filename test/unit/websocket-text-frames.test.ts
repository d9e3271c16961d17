// The bytes are also read by real `ws` clients in test/integration/join-storm.test.ts
// (join notices go out through websocketTextFrames).
import { describe, expect, it } from 'vitest';
import { websocketTextFrames } from '../../src/server/ws/server-frames.js';

/** A final, unmasked text frame as RFC 6455 5.2 spells it. */
const frame = (header: number[], payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from(header), payload]);

describe('websocketTextFrames', () => {
  it('writes each length form of RFC 6455, frame after frame', () => {
    const a = Buffer.alloc(125, 'a');
    const b = Buffer.alloc(126, 'b');
    const c = Buffer.alloc(65_535, 'c');
    const d = Buffer.alloc(70_000, 'd');
    const e = Buffer.alloc(0);
    expect(websocketTextFrames([a, b, c, d, e])).toEqual(
      Buffer.concat([
        frame([0x81, 125], a),
        frame([0x81, 126, 0x00, 0x7e], b),
        frame([0x81, 126, 0xff, 0xff], c),
        frame([0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70], d),
        frame([0x81, 0], e),
      ]),
    );
  });

  it('is empty for no frames', () => {
    expect(websocketTextFrames([])).toHaveLength(0);
  });
});
