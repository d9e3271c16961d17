/**
 * Time-ordered UUIDs (RFC 9562 version 7): 48 bits of Unix time in
 * milliseconds, then a 12-bit counter within the millisecond, then 62 random
 * bits. Ids made one after another sort one after another, so each insert into
 * a unique index on them lands on the index's last page instead of a random one:
 * a commit dirties (and writes to the WAL, and later checkpoints) one page of
 * that index for a whole batch, not one per message.
 *
 * The server makes message and change ids with it; the web client makes its
 * `client_id`s (idempotency keys) with it, which lead their unique index for the
 * same reason. Still UUID strings; nothing relies on them being random.
 */

/** Character codes of each byte's two hex digits. */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = '0123456789abcdef'.charCodeAt(i >>> 4);
  HEX_LO[i] = '0123456789abcdef'.charCodeAt(i & 0xf);
}
/** The id's 36 character codes, reused; the dashes stay where they are. */
const CHARS: number[] = new Array(36).fill(0x2d);
/** Where each of the 16 bytes' two digits go in the 8-4-4-4-12 form. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** Random bytes drawn in bulk, like crypto.randomUUID's own cache: 8 per id. */
const POOL = new Uint8Array(8 * 256);
let poolAt = POOL.length;

let lastMs = 0;
let counter = 0;

export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4,096 ids in one millisecond: borrow the next millisecond, so order holds.
    lastMs++;
    counter = 0;
  }
  if (poolAt === POOL.length) {
    // Web Crypto, in browsers (secure context or not) and in Node.js alike.
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 8;
  const ms = lastMs;
  const hi = Math.floor(ms / 2 ** 16); // top 32 bits of the 48-bit time
  const lo = ms % 2 ** 16;
  put(0, (hi >>> 24) & 0xff);
  put(1, (hi >>> 16) & 0xff);
  put(2, (hi >>> 8) & 0xff);
  put(3, hi & 0xff);
  put(4, lo >>> 8);
  put(5, lo & 0xff);
  put(6, 0x70 | (counter >>> 8)); // version 7
  put(7, counter & 0xff);
  put(8, 0x80 | (POOL[r]! & 0x3f)); // variant 10
  for (let i = 1; i < 8; i++) put(8 + i, POOL[r + i]!);
  // One flat string from the codes: joining 20 pieces built a chain of 20 strings
  // and flattened it on first use: about 320 ns an id against 210 (bench/micro.ts), on the
  // send path of every message.
  return String.fromCharCode.apply(null, CHARS);
}

/** Writes byte number `n` of the id as two hex digits. */
function put(n: number, byte: number): void {
  const at = AT[n]!;
  CHARS[at] = HEX_HI[byte]!;
  CHARS[at + 1] = HEX_LO[byte]!;
}
