import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt (node:crypto, memory-hard): N = 2^15, r = 8, p = 1 takes 32 MiB and
// tens of milliseconds per hash. The parameters are stored with each hash, so
// they can be raised later without invalidating existing passwords.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
/** Above 128 * N * r bytes, or Node refuses the parameters. */
const MAX_MEM = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_LENGTH,
      { N: n, r, p, maxmem: MAX_MEM },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`, with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${Math.log2(N)}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches `stored` (constant-time compare); false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !logN || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(
    password,
    Buffer.from(salt, 'base64'),
    2 ** Number(logN),
    Number(r),
    Number(p),
  );
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A random secret of 256 bits (session cookies, API tokens, invites), URL-safe. */
export const newSecret = (prefix = ''): string =>
  `${prefix}${randomBytes(32).toString('base64url')}`;

/** What is stored for a secret: its SHA-256 (a 256-bit random secret needs no slow hash). */
export const hashSecret = (secret: string): string =>
  createHash('sha256').update(secret).digest('hex');
