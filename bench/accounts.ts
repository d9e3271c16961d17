// Accounts mode for the bench (server kind `parley-accounts`): before the server
// starts, one account per simulated user and a session for each are written into
// its fresh database through Parley's own SqliteAccountStore, the store calls the
// sign-up route makes. The one shortcut: every account shares one scrypt hash.
// Sign-up hashes each password with scrypt (N = 2^15, about 0.1 s of CPU), so
// 1,000 sign-ups over HTTP would cost minutes per server start; nobody logs in
// with these passwords, the clients present their session cookies.
import { randomUUID } from 'node:crypto';
import { DEFAULT_LIMITS } from '../src/protocol/limits.js';
import { nameProblem, normalizeName } from '../src/protocol/text-rules.js';
import { usernameKey } from '../src/server/domain/accounts.js';
import { hashPassword, hashSecret, newSecret } from '../src/server/domain/passwords.js';
import { SqliteStore } from '../src/server/storage/sqlite-store.js';

/** The first account (so the admin), who creates the rooms. */
export const BENCH_ADMIN = 'bench-admin';

export interface BenchAccounts {
  /** The admin's session token. */
  admin: string;
  /** Each simulated user's session token, by username. */
  sessions: ReadonlyMap<string, string>;
  /** Time spent writing them (before the server started; never in a measured window). */
  seedMs: number;
}

/**
 * Creates the admin and one member account per username, each with a session,
 * in the SQLite database at `dbPath` (created, with Parley's schema, if new).
 * Sign-up is opened for the seeding and closed again, as after an admin's
 * invites: the server then starts as an ordinary accounts-mode deployment.
 */
export async function seedAccounts(
  dbPath: string,
  usernames: readonly string[],
): Promise<BenchAccounts> {
  const t0 = performance.now();
  const store = new SqliteStore({ path: dbPath });
  await store.init();
  try {
    const accounts = store.accountStore();
    const passwordHash = await hashPassword(newSecret());
    const create = async (raw: string): Promise<string> => {
      const username = normalizeName(raw);
      const problem = nameProblem(username, DEFAULT_LIMITS.maxUsernameLength);
      if (problem) throw new Error(`bench username ${JSON.stringify(raw)}: ${problem}`);
      const now = new Date().toISOString();
      const created = await accounts.createUser({
        id: randomUUID(),
        username,
        usernameKey: usernameKey(username),
        passwordHash,
        createdAt: now,
        invite: null,
      });
      if (!created.ok) throw new Error(`bench account ${username}: ${created.reason}`);
      const token = newSecret();
      await accounts.createSession({
        id: randomUUID(),
        user_id: created.user.id,
        created_at: now,
        last_seen_at: now,
        user_agent: 'parley-bench',
        tokenHash: hashSecret(token),
      });
      return token;
    };
    const admin = await create(BENCH_ADMIN);
    await accounts.setSignupOpen(true);
    const sessions = new Map<string, string>();
    for (const name of usernames) sessions.set(name, await create(name));
    await accounts.setSignupOpen(false);
    return { admin, sessions, seedMs: Math.round(performance.now() - t0) };
  } finally {
    await store.close();
  }
}
