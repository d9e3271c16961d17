// AccountStore on SQLite: users, sessions, API tokens, invites, login counters and
// memberships. Long because each operation's SQL sits beside its mapping; the
// account-store contract suite runs it against the PostgreSQL twin.
import type Database from 'better-sqlite3';
import type { Role, UserRef } from '../../protocol/accounts.js';
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

type UserRow = Omit<UserRecord, 'active'> & { active: number };
const USER_COLUMNS = 'id, username, role, active, created_at, password_hash';
const SESSION_COLUMNS = 'id, user_id, created_at, last_seen_at, user_agent';
const TOKEN_COLUMNS = 'id, user_id, name, created_at, last_used_at';
const INVITE_COLUMNS = 'code, created_by, uses, uses_left, expires_at, created_at';

const toUser = (row: UserRow): UserRecord => ({ ...row, active: row.active === 1 });

/** Splits the `u_*` columns of a joined row into the account. */
function splitUser<T extends object>(
  row: T & Record<string, unknown>,
): { rest: T; user: UserRecord } {
  const rest: Record<string, unknown> = {};
  const user: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('u_')) user[k.slice(2)] = v;
    else rest[k] = v;
  }
  return { rest: rest as T, user: toUser(user as UserRow) };
}

const JOINED_USER =
  'u.id AS u_id, u.username AS u_username, u.role AS u_role, u.active AS u_active, u.created_at AS u_created_at, u.password_hash AS u_password_hash';

/** AccountStore on the SqliteStore's database (synchronous under the async interface). */
export class SqliteAccountStore implements AccountStore {
  private readonly s: ReturnType<SqliteAccountStore['prepare']>;
  private readonly createUserTx: (user: NewUser) => CreateUserResult;
  private readonly updateUserTx: (
    userId: string,
    change: { role?: Role; active?: boolean },
  ) => UserUpdateResult;

  constructor(private readonly db: Database.Database) {
    this.s = this.prepare();
    this.createUserTx = db.transaction((user: NewUser) => this.createUserIn(user));
    this.updateUserTx = db.transaction((userId, change) => this.updateUserIn(userId, change));
  }

  private prepare() {
    const db = this.db;
    return {
      countUsers: db.prepare<[], number>('SELECT count(*) FROM users').pluck(),
      insertUser: db.prepare(
        `INSERT INTO users (id, username, username_key, password_hash, role, active, created_at)
         VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (username_key) DO NOTHING`,
      ),
      useInvite: db.prepare<[string, string]>(
        'UPDATE invites SET uses_left = uses_left - 1 WHERE code = ? AND uses_left > 0 AND expires_at > ?',
      ),
      userById: db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
      userByKey: db.prepare<[string], UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE username_key = ?`,
      ),
      listUsers: db.prepare<[], UserRow>(
        `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, rowid`,
      ),
      activeAdmins: db
        .prepare<[string], number>(
          "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id <> ?",
        )
        .pluck(),
      setUser: db.prepare<[string, number, string]>(
        'UPDATE users SET role = ?, active = ? WHERE id = ?',
      ),
      setPassword: db.prepare<[string, string]>('UPDATE users SET password_hash = ? WHERE id = ?'),
      insertSession: db.prepare(
        `INSERT INTO sessions (${SESSION_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      sessionByHash: db.prepare<[string], SessionRecord & Record<string, unknown>>(
        `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.user_agent, ${JOINED_USER}
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`,
      ),
      touchSession: db.prepare<[string, string]>(
        'UPDATE sessions SET last_seen_at = ? WHERE id = ?',
      ),
      listSessions: db.prepare<[string], SessionRecord>(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = ? ORDER BY created_at`,
      ),
      deleteSession: db.prepare<[string, string]>(
        'DELETE FROM sessions WHERE user_id = ? AND id = ?',
      ),
      deleteSessions: db
        .prepare<[string, string], string>(
          'DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING id',
        )
        .pluck(),
      deleteIdle: db.prepare<[string]>('DELETE FROM sessions WHERE last_seen_at < ?'),
      deleteUserTokens: db.prepare<[string]>('DELETE FROM api_tokens WHERE user_id = ?'),
      insertToken: db.prepare(
        `INSERT INTO api_tokens (${TOKEN_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      tokenByHash: db.prepare<[string], TokenRecord & Record<string, unknown>>(
        `SELECT t.id, t.user_id, t.name, t.created_at, t.last_used_at, ${JOINED_USER}
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
      ),
      touchToken: db.prepare<[string, string]>(
        'UPDATE api_tokens SET last_used_at = ? WHERE id = ?',
      ),
      listTokens: db.prepare<[string], TokenRecord>(
        `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_at`,
      ),
      deleteToken: db.prepare<[string, string]>(
        'DELETE FROM api_tokens WHERE user_id = ? AND id = ?',
      ),
      insertInvite: db.prepare(`INSERT INTO invites (${INVITE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`),
      listInvites: db.prepare<[], InviteRecord>(
        `SELECT ${INVITE_COLUMNS} FROM invites ORDER BY created_at`,
      ),
      deleteInvite: db.prepare<[string]>('DELETE FROM invites WHERE code = ?'),
      getMeta: db.prepare<[string], string>('SELECT value FROM parley_meta WHERE key = ?').pluck(),
      setMeta: db.prepare<[string, string]>(
        'INSERT INTO parley_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      counter: db.prepare<[string], LoginCounter>(
        'SELECT failures, last_failure_at FROM login_counters WHERE key = ?',
      ),
      countFailure: db.prepare<{ key: string; at: string; forget: string }>(
        `INSERT INTO login_counters (key, failures, last_failure_at) VALUES (@key, 1, @at)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN last_failure_at < @forget THEN 1 ELSE failures + 1 END,
           last_failure_at = @at`,
      ),
      clearCounter: db.prepare<[string]>('DELETE FROM login_counters WHERE key = ?'),
      addMember: db.prepare<[string, string, string]>(
        `INSERT INTO room_members (room_id, user_id, added_at)
         SELECT ?, id, ? FROM users WHERE id = ? ON CONFLICT DO NOTHING`,
      ),
      removeMember: db.prepare<[string, string]>(
        'DELETE FROM room_members WHERE room_id = ? AND user_id = ?',
      ),
      isMember: db
        .prepare<[string, string], number>(
          'SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?',
        )
        .pluck(),
      members: db.prepare<[string], UserRef>(
        `SELECT u.id, u.username FROM room_members m JOIN users u ON u.id = m.user_id
         WHERE m.room_id = ? ORDER BY u.username_key`,
      ),
    };
  }

  private createUserIn(user: NewUser): CreateUserResult {
    const first = this.s.countUsers.get() === 0;
    if (!first && this.s.getMeta.get('signup_open') !== 'true') {
      const ok =
        user.invite !== null && this.s.useInvite.run(user.invite, user.createdAt).changes > 0;
      if (!ok) return { ok: false, reason: 'invite_invalid' };
    }
    const role: Role = first ? 'admin' : 'member';
    const inserted = this.s.insertUser.run(
      user.id,
      user.username,
      user.usernameKey,
      user.passwordHash,
      role,
      user.createdAt,
    );
    if (inserted.changes === 0) {
      // Undo the invite's use along with everything else.
      throw new UsernameTaken();
    }
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
    };
  }

  private updateUserIn(
    userId: string,
    change: { role?: Role; active?: boolean },
  ): UserUpdateResult {
    const row = this.s.userById.get(userId);
    if (!row) return { ok: false, reason: 'not_found' };
    const user = toUser(row);
    const role = change.role ?? user.role;
    const active = change.active ?? user.active;
    const wasAdmin = user.role === 'admin' && user.active;
    if (wasAdmin && !(role === 'admin' && active) && this.s.activeAdmins.get(userId) === 0) {
      return { ok: false, reason: 'last_admin' };
    }
    this.s.setUser.run(role, active ? 1 : 0, userId);
    if (!active) {
      this.s.deleteSessions.all(userId, '');
      this.s.deleteUserTokens.run(userId);
    }
    return { ok: true, user: { ...user, role, active } };
  }

  async countUsers(): Promise<number> {
    return this.s.countUsers.get() ?? 0;
  }

  async createUser(user: NewUser): Promise<CreateUserResult> {
    try {
      return this.createUserTx(user);
    } catch (error) {
      if (error instanceof UsernameTaken) return { ok: false, reason: 'username_taken' };
      throw error;
    }
  }

  async userById(id: string): Promise<UserRecord | null> {
    const row = this.s.userById.get(id);
    return row ? toUser(row) : null;
  }

  async userByKey(usernameKey: string): Promise<UserRecord | null> {
    const row = this.s.userByKey.get(usernameKey);
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.s.listUsers.all().map(toUser);
  }

  async setPasswordHash(userId: string, hash: string): Promise<void> {
    this.s.setPassword.run(hash, userId);
  }

  async updateUser(
    userId: string,
    change: { role?: Role; active?: boolean },
  ): Promise<UserUpdateResult> {
    return this.updateUserTx(userId, change);
  }

  async createSession(x: SessionRecord & { tokenHash: string }): Promise<void> {
    this.s.insertSession.run(
      x.id,
      x.user_id,
      x.created_at,
      x.last_seen_at,
      x.user_agent,
      x.tokenHash,
    );
  }

  async sessionByHash(tokenHash: string) {
    const row = this.s.sessionByHash.get(tokenHash);
    if (!row) return null;
    const { rest, user } = splitUser<SessionRecord>(row);
    return { session: rest, user };
  }

  async touchSession(id: string, at: string): Promise<void> {
    this.s.touchSession.run(at, id);
  }

  async listSessions(userId: string): Promise<SessionRecord[]> {
    return this.s.listSessions.all(userId);
  }

  async deleteSession(userId: string, id: string): Promise<boolean> {
    return this.s.deleteSession.run(userId, id).changes > 0;
  }

  async deleteSessions(userId: string, exceptId = ''): Promise<string[]> {
    return this.s.deleteSessions.all(userId, exceptId);
  }

  async deleteIdleSessions(before: string): Promise<number> {
    return this.s.deleteIdle.run(before).changes;
  }

  async createToken(t: TokenRecord & { tokenHash: string }): Promise<void> {
    this.s.insertToken.run(t.id, t.user_id, t.name, t.created_at, t.last_used_at, t.tokenHash);
  }

  async tokenByHash(tokenHash: string) {
    const row = this.s.tokenByHash.get(tokenHash);
    if (!row) return null;
    const { rest, user } = splitUser<TokenRecord>(row);
    return { token: rest, user };
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.s.touchToken.run(at, id);
  }

  async listTokens(userId: string): Promise<TokenRecord[]> {
    return this.s.listTokens.all(userId);
  }

  async deleteToken(userId: string, id: string): Promise<boolean> {
    return this.s.deleteToken.run(userId, id).changes > 0;
  }

  async createInvite(i: InviteRecord): Promise<void> {
    this.s.insertInvite.run(i.code, i.created_by, i.uses, i.uses_left, i.expires_at, i.created_at);
  }

  async listInvites(): Promise<InviteRecord[]> {
    return this.s.listInvites.all();
  }

  async deleteInvite(code: string): Promise<boolean> {
    return this.s.deleteInvite.run(code).changes > 0;
  }

  async signupOpen(): Promise<boolean> {
    return this.s.getMeta.get('signup_open') === 'true';
  }

  async setSignupOpen(open: boolean): Promise<void> {
    this.s.setMeta.run('signup_open', String(open));
  }

  async loginCounters(keys: readonly string[]): Promise<Map<string, LoginCounter>> {
    const out = new Map<string, LoginCounter>();
    for (const key of keys) {
      const row = this.s.counter.get(key);
      if (row) out.set(key, row);
    }
    return out;
  }

  async recordLoginFailure(keys: readonly string[], at: string, forget: string): Promise<void> {
    for (const key of keys) this.s.countFailure.run({ key, at, forget });
  }

  async clearLoginCounter(key: string): Promise<void> {
    this.s.clearCounter.run(key);
  }

  async addMember(roomId: string, userId: string): Promise<boolean> {
    return this.s.addMember.run(roomId, new Date().toISOString(), userId).changes > 0;
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    return this.s.removeMember.run(roomId, userId).changes > 0;
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    return this.s.isMember.get(roomId, userId) === 1;
  }

  async listMembers(roomId: string): Promise<UserRef[]> {
    return this.s.members.all(roomId);
  }

  async dmPeers(roomIds: readonly string[], viewerId: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const roomId of roomIds) {
      const peer = this.s.members.all(roomId).find((m) => m.id !== viewerId);
      if (peer) out.set(roomId, peer.username);
    }
    return out;
  }
}

/** Thrown inside the sign-up transaction so the invite's use rolls back too. */
class UsernameTaken extends Error {}
