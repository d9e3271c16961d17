import { describe, expect, it } from 'vitest';
import { Sender } from 'ws';
import { websocketTextFrames } from '../../src/server/ws/server-frames.js';

/** What `ws` itself writes for one unmasked text frame. */
const wsFrame = (payload: Buffer): Buffer =>
  Buffer.concat(
    Sender.frame(payload, {
      fin: true,
      opcode: 1,
      mask: false,
      readOnly: true,
      rsv1: false,
    }) as Buffer[],
  );

describe('websocketTextFrames', () => {
  it('writes the bytes ws writes, frame after frame, for every length form', () => {
    const payloads = [0, 5, 125, 126, 200, 65_535, 65_536, 70_000].map((n) => Buffer.alloc(n, 'a'));
    expect(websocketTextFrames(payloads)).toEqual(Buffer.concat(payloads.map(wsFrame)));
  });

  it('is empty for no frames', () => {
    expect(websocketTextFrames([])).toHaveLength(0);
  });
});
