// AccountStore on PostgreSQL (the twin of sqlite-account-store.ts, held together by
// the account-store contract suite). Long because each operation's SQL sits beside
// its mapping.
import type pg from 'pg';
import type { Role, UserRef } from '../../protocol/accounts.js';
import { inTransaction } from '../util/pg-transaction.js';
import type {
  AccountStore,
  CreateUserResult,
  InviteRecord,
  LoginCounter,
  NewUser,
  SessionRecord,
  TokenRecord,
  UserRecord,
  UserUpdateResult,
} from './account-store.js';

type Stamp = Date | string | null;
const iso = (v: Stamp): string => (v instanceof Date ? v.toISOString() : String(v));
const isoOrNull = (v: Stamp): string | null => (v === null ? null : iso(v));

const USER_COLUMNS = 'id, username, role, active, created_at, password_hash';
const JOINED_USER =
  'u.id AS u_id, u.username AS u_username, u.role AS u_role, u.active AS u_active, u.created_at AS u_created_at, u.password_hash AS u_password_hash';

interface UserRow {
  id: string;
  username: string;
  role: Role;
  active: boolean;
  created_at: Stamp;
  password_hash: string;
}

const toUser = (r: UserRow): UserRecord => ({ ...r, created_at: iso(r.created_at) });
const joinedUser = (r: Record<string, unknown>): UserRecord =>
  toUser({
    id: r.u_id as string,
    username: r.u_username as string,
    role: r.u_role as Role,
    active: r.u_active as boolean,
    created_at: r.u_created_at as Stamp,
    password_hash: r.u_password_hash as string,
  });
const toSession = (r: Record<string, unknown>): SessionRecord => ({
  id: r.id as string,
  user_id: r.user_id as string,
  created_at: iso(r.created_at as Stamp),
  last_seen_at: iso(r.last_seen_at as Stamp),
  user_agent: r.user_agent as string,
});
const toToken = (r: Record<string, unknown>): TokenRecord => ({
  id: r.id as string,
  user_id: r.user_id as string,
  name: r.name as string,
  created_at: iso(r.created_at as Stamp),
  last_used_at: isoOrNull(r.last_used_at as Stamp),
});
const toInvite = (r: Record<string, unknown>): InviteRecord => ({
  code: r.code as string,
  created_by: r.created_by as string,
  uses: Number(r.uses),
  uses_left: Number(r.uses_left),
  expires_at: iso(r.expires_at as Stamp),
  created_at: iso(r.created_at as Stamp),
});

/** PostgreSQL text cannot hold NUL; such an id or key names nothing stored. */
const storable = (v: string): boolean => !v.includes('\u0000');

/** AccountStore on the PostgresStore's pool. */
export class PostgresAccountStore implements AccountStore {
  constructor(private readonly pool: pg.Pool) {}

  private async rows<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values: unknown[] = [],
  ): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  private async count(text: string, values: unknown[] = []): Promise<number> {
    return (await this.pool.query(text, values)).rowCount ?? 0;
  }

  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  async countUsers(): Promise<number> {
    const [row] = await this.rows<{ n: string }>('SELECT count(*) AS n FROM users');
    return Number(row?.n ?? 0);
  }

  async createUser(user: NewUser): Promise<CreateUserResult> {
    try {
      return await this.tx(async (c) => {
        // One sign-up at a time, so two first sign-ups cannot both become admin.
        await c.query("SELECT pg_advisory_xact_lock(hashtext('parley-signup'))");
        const n = Number((await c.query('SELECT count(*) AS n FROM users')).rows[0]?.n ?? 0);
        const first = n === 0;
        if (!first) {
          const open = await c.query(
            "SELECT 1 FROM parley_meta WHERE key = 'signup_open' AND value = 'true'",
          );
          if (open.rowCount === 0) {
            const used =
              user.invite !== null && storable(user.invite)
                ? await c.query(
                    'UPDATE invites SET uses_left = uses_left - 1 WHERE code = $1 AND uses_left > 0 AND expires_at > $2',
                    [user.invite, user.createdAt],
                  )
                : null;
            if (!used?.rowCount) return { ok: false, reason: 'invite_invalid' } as const;
          }
        }
        const role: Role = first ? 'admin' : 'member';
        const inserted = await c.query(
          `INSERT INTO users (id, username, username_key, password_hash, role, active, created_at)
           VALUES ($1, $2, $3, $4, $5, true, $6) ON CONFLICT (username_key) DO NOTHING`,
          [user.id, user.username, user.usernameKey, user.passwordHash, role, user.createdAt],
        );
        // Rolls back the invite's use with the rest.
        if (inserted.rowCount === 0) throw new UsernameTaken();
        return {
          ok: true,
          user: {
            id: user.id,
            username: user.username,
            role,
            active: true,
            created_at: user.createdAt,
            password_hash: user.passwordHash,
          },
        } as const;
      });
    } catch (error) {
      if (error instanceof UsernameTaken) return { ok: false, reason: 'username_taken' };
      throw error;
    }
  }

  async userById(id: string): Promise<UserRecord | null> {
    if (!storable(id)) return null;
    const [row] = await this.rows<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return row ? toUser(row) : null;
  }

  async userByKey(key: string): Promise<UserRecord | null> {
    if (!storable(key)) return null;
    const [row] = await this.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE username_key = $1`,
      [key],
    );
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, id`,
    );
    return rows.map(toUser);
  }

  async setPasswordHash(userId: string, hash: string): Promise<void> {
    await this.pool.query('UPDATE users SET password_hash = $1 WHERE id = $2', [hash, userId]);
  }

  async updateUser(
    userId: string,
    change: { role?: Role; active?: boolean },
  ): Promise<UserUpdateResult> {
    if (!storable(userId)) return { ok: false, reason: 'not_found' };
    return this.tx(async (c) => {
      // Admin changes one at a time, so two demotions cannot leave no admin.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('parley-admins'))");
      const row = (
        await c.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId])
      ).rows[0];
      if (!row) return { ok: false, reason: 'not_found' } as const;
      const user = toUser(row);
      const role = change.role ?? user.role;
      const active = change.active ?? user.active;
      if (user.role === 'admin' && user.active && !(role === 'admin' && active)) {
        const others = await c.query(
          "SELECT 1 FROM users WHERE role = 'admin' AND active AND id <> $1 LIMIT 1",
          [userId],
        );
        if (others.rowCount === 0) return { ok: false, reason: 'last_admin' } as const;
      }
      await c.query('UPDATE users SET role = $1, active = $2 WHERE id = $3', [
        role,
        active,
        userId,
      ]);
      if (!active) {
        await c.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
        await c.query('DELETE FROM api_tokens WHERE user_id = $1', [userId]);
      }
      return { ok: true, user: { ...user, role, active } } as const;
    });
  }

  async createSession(x: SessionRecord & { tokenHash: string }): Promise<void> {
    await this.pool.query(
      `INSERT INTO sessions (id, user_id, created_at, last_seen_at, user_agent, token_hash)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [x.id, x.user_id, x.created_at, x.last_seen_at, x.user_agent, x.tokenHash],
    );
  }

  async sessionByHash(tokenHash: string) {
    const [row] = await this.rows(
      `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.user_agent, ${JOINED_USER}
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
      [tokenHash],
    );
    return row ? { session: toSession(row), user: joinedUser(row) } : null;
  }

  async touchSession(id: string, at: string): Promise<void> {
    await this.pool.query('UPDATE sessions SET last_seen_at = $1 WHERE id = $2', [at, id]);
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    const rows = await this.rows(
      'SELECT id, user_id, created_at, last_seen_at, user_agent FROM sessions WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );
    return rows.map(toSession);
  }

  async deleteSession(userId: string, id: string): Promise<boolean> {
    if (!storable(id)) return false;
    return (
      (await this.count('DELETE FROM sessions WHERE user_id = $1 AND id = $2', [userId, id])) > 0
    );
  }

  async deleteSessions(userId: string, exceptId = ''): Promise<string[]> {
    const rows = await this.rows<{ id: string }>(
      'DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING id',
      [userId, exceptId],
    );
    return rows.map((r) => r.id);
  }

  async deleteIdleSessions(before: string): Promise<number> {
    return this.count('DELETE FROM sessions WHERE last_seen_at < $1', [before]);
  }

  async createToken(t: TokenRecord & { tokenHash: string }): Promise<void> {
    await this.pool.query(
      `INSERT INTO api_tokens (id, user_id, name, created_at, last_used_at, token_hash)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [t.id, t.user_id, t.name, t.created_at, t.last_used_at, t.tokenHash],
    );
  }

  async tokenByHash(tokenHash: string) {
    const [row] = await this.rows(
      `SELECT t.id, t.user_id, t.name, t.created_at, t.last_used_at, ${JOINED_USER}
       FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
    return row ? { token: toToken(row), user: joinedUser(row) } : null;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.pool.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async listTokens(userId: string): Promise<TokenRecord[]> {
    const rows = await this.rows(
      'SELECT id, user_id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );
    return rows.map(toToken);
  }

  async deleteToken(userId: string, id: string): Promise<boolean> {
    if (!storable(id)) return false;
    return (
      (await this.count('DELETE FROM api_tokens WHERE user_id = $1 AND id = $2', [userId, id])) > 0
    );
  }

  async createInvite(i: InviteRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO invites (code, created_by, uses, uses_left, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [i.code, i.created_by, i.uses, i.uses_left, i.expires_at, i.created_at],
    );
  }

  async listInvites(): Promise<InviteRecord[]> {
    return (await this.rows('SELECT * FROM invites ORDER BY created_at')).map(toInvite);
  }

  async deleteInvite(code: string): Promise<boolean> {
    if (!storable(code)) return false;
    return (await this.count('DELETE FROM invites WHERE code = $1', [code])) > 0;
  }

  async signupOpen(): Promise<boolean> {
    const rows = await this.rows(
      "SELECT 1 FROM parley_meta WHERE key = 'signup_open' AND value = 'true'",
    );
    return rows.length > 0;
  }

  async setSignupOpen(open: boolean): Promise<void> {
    await this.pool.query(
      `INSERT INTO parley_meta (key, value) VALUES ('signup_open', $1)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [String(open)],
    );
  }

  async loginCounters(keys: readonly string[]): Promise<Map<string, LoginCounter>> {
    const rows = await this.rows(
      'SELECT key, failures, last_failure_at FROM login_counters WHERE key = ANY($1::text[])',
      [keys.filter(storable)],
    );
    return new Map(
      rows.map((r) => [
        r.key as string,
        { failures: Number(r.failures), last_failure_at: iso(r.last_failure_at as Stamp) },
      ]),
    );
  }

  async recordLoginFailure(keys: readonly string[], at: string, forget: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO login_counters (key, failures, last_failure_at)
       SELECT k, 1, $2 FROM unnest($1::text[]) AS k
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN login_counters.last_failure_at < $3 THEN 1
                         ELSE login_counters.failures + 1 END,
         last_failure_at = $2`,
      [keys.filter(storable), at, forget],
    );
  }

  async clearLoginCounter(key: string): Promise<void> {
    if (!storable(key)) return;
    await this.pool.query('DELETE FROM login_counters WHERE key = $1', [key]);
  }

  async addMember(roomId: string, userId: string): Promise<boolean> {
    if (!storable(roomId) || !storable(userId)) return false;
    const n = await this.count(
      `INSERT INTO room_members (room_id, user_id, added_at)
       SELECT $1, id, now() FROM users WHERE id = $2 ON CONFLICT DO NOTHING`,
      [roomId, userId],
    );
    return n > 0;
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    if (!storable(roomId) || !storable(userId)) return false;
    const n = await this.count('DELETE FROM room_members WHERE room_id = $1 AND user_id = $2', [
      roomId,
      userId,
    ]);
    return n > 0;
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    if (!storable(roomId) || !storable(userId)) return false;
    const rows = await this.rows('SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2', [
      roomId,
      userId,
    ]);
    return rows.length > 0;
  }

  async listMembers(roomId: string): Promise<UserRef[]> {
    if (!storable(roomId)) return [];
    return this.rows<UserRef>(
      `SELECT u.id, u.username FROM room_members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = $1 ORDER BY u.username_key`,
      [roomId],
    );
  }

  async dmPeers(roomIds: readonly string[], viewerId: string): Promise<Map<string, string>> {
    if (roomIds.length === 0) return new Map();
    const rows = await this.rows<{ room_id: string; username: string }>(
      `SELECT m.room_id, u.username FROM room_members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = ANY($1::text[]) AND m.user_id <> $2`,
      [roomIds.filter(storable), viewerId],
    );
    return new Map(rows.map((r) => [r.room_id, r.username]));
  }
}

/** Thrown inside the sign-up transaction so the invite's use rolls back too. */
class UsernameTaken extends Error {}
