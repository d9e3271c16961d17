// The server's VAPID key pair (RFC 8292): made on first start and kept, because
// every browser subscription is bound to the public key: a new pair would make
// every subscription useless. SQLite deployments keep it in a file beside the
// database (the data directory); PostgreSQL ones in the database, the one place
// every process (on any host) shares.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import webpush from 'web-push';
import type { SharedVapidKeys, VapidKeyPair } from '../storage/push-store.js';

/** The file's name in the data directory. */
export const VAPID_FILE = 'vapid.json';

/** Where the key pair is kept. */
export type VapidKeyHome =
  | { kind: 'file'; path: string }
  | { kind: 'database'; store: SharedVapidKeys }
  /** `CHAT_DB_PATH=:memory:`: a throwaway database gets throwaway keys. */
  | { kind: 'memory' };

/** The home for a store: the database when it keeps keys, else a file beside `dbPath`. */
export function vapidKeyHome(dbPath: string, store: Partial<SharedVapidKeys>): VapidKeyHome {
  if (store.vapidKeys) return { kind: 'database', store: store as SharedVapidKeys };
  if (dbPath === ':memory:') return { kind: 'memory' };
  return { kind: 'file', path: join(dirname(dbPath), VAPID_FILE) };
}

const decodedLength = (b64url: string): number => Buffer.from(b64url, 'base64url').length;

/** A stored pair is used only if it has the shape of one (65-byte point, 32-byte scalar). */
function checked(pair: unknown, where: string): VapidKeyPair {
  const p = pair as Partial<VapidKeyPair> | null;
  if (
    typeof p?.publicKey !== 'string' ||
    typeof p.privateKey !== 'string' ||
    decodedLength(p.publicKey) !== 65 ||
    decodedLength(p.privateKey) !== 32
  ) {
    throw new Error(`${where} does not hold a VAPID key pair`);
  }
  return { publicKey: p.publicKey, privateKey: p.privateKey };
}

/** The key pair, made and stored first if there is none. Throws when it cannot be kept. */
export async function loadVapidKeys(home: VapidKeyHome): Promise<VapidKeyPair> {
  const fresh = (): VapidKeyPair => webpush.generateVAPIDKeys();
  switch (home.kind) {
    case 'memory':
      return fresh();
    case 'database':
      return checked(await home.store.vapidKeys(fresh()), 'the push_vapid table');
    case 'file':
      return fileKeys(home.path, fresh);
  }
}

/**
 * Reads the file, or writes it once: to a temporary file linked into place, which
 * fails if another process got there first (several workers start together);
 * then that process's pair is read. Owner-only: the private key signs pushes.
 */
function fileKeys(path: string, fresh: () => VapidKeyPair): VapidKeyPair {
  try {
    return checked(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(fresh(), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return checked(JSON.parse(readFileSync(path, 'utf8')), path);
}
