// Reads the server's wire frames (server-frames.ts) back as JSON, for unit tests
// that stand in for a socket.
import type { EncodedFrame } from '../../src/server/ws/server-frames.js';

/** The JSON of each unmasked text frame in `bytes`, in order. */
export function framePayloads(bytes: EncodedFrame): unknown[] {
  const out: unknown[] = [];
  for (let at = 0; at < bytes.length; ) {
    const short = bytes.readUInt8(at + 1) & 0x7f;
    const [header, length] =
      short < 126
        ? [2, short]
        : short === 126
          ? [4, bytes.readUInt16BE(at + 2)]
          : [10, Number(bytes.readBigUInt64BE(at + 2))];
    out.push(JSON.parse(bytes.subarray(at + header, at + header + length).toString()));
    at += header + length;
  }
  return out;
}
