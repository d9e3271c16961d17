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

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
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
  return (
    HEX[(hi >>> 24) & 0xff]! +
    HEX[(hi >>> 16) & 0xff]! +
    HEX[(hi >>> 8) & 0xff]! +
    HEX[hi & 0xff]! +
    '-' +
    HEX[lo >>> 8]! +
    HEX[lo & 0xff]! +
    '-' +
    HEX[0x70 | (counter >>> 8)]! +
    HEX[counter & 0xff]! +
    '-' +
    HEX[0x80 | (POOL[r]! & 0x3f)]! +
    HEX[POOL[r + 1]!]! +
    '-' +
    HEX[POOL[r + 2]!]! +
    HEX[POOL[r + 3]!]! +
    HEX[POOL[r + 4]!]! +
    HEX[POOL[r + 5]!]! +
    HEX[POOL[r + 6]!]! +
    HEX[POOL[r + 7]!]!
  );
}
