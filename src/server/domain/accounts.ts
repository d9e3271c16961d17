// Accounts mode's rules: sign-up (first admin, invites, open sign-up), login (with
// limits and equal timing), sessions, API tokens, invites and admin changes. Over
// 300 lines because each is a short method on one service that shares the store.
import { randomUUID } from 'node:crypto';
import {
  type AdminUser,
  type AuthMode,
  type Invite,
  MIN_PASSWORD_LENGTH,
  type Role,
  type SessionInfo,
  type TokenCreated,
  type TokenInfo,
  type User,
  type UserRef,
} from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import { ACCOUNTS_TOPIC } from '../bus/bus-events.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import {
  ChatError,
  forbidden,
  invalidCredentials,
  tooManyLogins,
  unauthenticated,
  validationFailed,
} from '../errors.js';
import type { AccountStore, InviteRecord, UserRecord } from '../storage/account-store.js';
import type { Logger } from '../util/logger.js';
import type { Actor, UserActor } from './actor.js';
import { LoginLimits } from './login-limits.js';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './passwords.js';

const DAY_MS = 86_400_000;
const DEFAULT_INVITE_S = 7 * 86_400;
/** API tokens start with this, so a leaked one is recognisable (secret scanners). */
const TOKEN_PREFIX = 'parley_';

/** Usernames are unique ignoring case: "Alice" cannot sign up beside "alice". */
export const usernameKey = (username: string): string => username.toLowerCase();

export const toUser = (u: UserRecord): User => ({
  id: u.id,
  username: u.username,
  role: u.role,
  created_at: u.created_at,
});
const toAdminUser = (u: UserRecord): AdminUser => ({ ...toUser(u), active: u.active });

/** Where a sign-in comes from (login limits, the session list). */
export interface ClientInfo {
  address: string;
  userAgent: string;
}

export interface SignedIn {
  user: User;
  /** The session cookie's value. */
  sessionToken: string;
}

/**
 * Accounts mode: sign-up, sign-in, sessions, API tokens, invites and the admin
 * operations. Every credential is a random 256-bit secret of which only the
 * SHA-256 is stored; revocations are announced on the bus (ACCOUNTS_TOPIC) so
 * every process closes the WebSockets opened with them.
 */
export class AccountService {
  private readonly limits: LoginLimits;
  private readonly idleMs: number;
  /** A hash to verify against for unknown usernames, so they take as long as known ones. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly bus: MessageBus,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.limits = new LoginLimits(store, {
      freePerAccount: config.auth.loginFreeAttempts,
      freePerAddress: config.auth.loginFreeAttemptsPerIp,
      maxDelaySec: config.auth.loginMaxDelaySec,
    });
    this.idleMs = config.auth.sessionIdleDays * DAY_MS;
    if (config.auth.mode === 'accounts') this.dummyHash = hashPassword(newSecret());
  }

  /** Accounts mode's state for `GET /api/auth/mode` (open mode has no AccountService). */
  async mode(): Promise<AuthMode> {
    const [users, open] = await Promise.all([this.store.countUsers(), this.store.signupOpen()]);
    return { mode: 'accounts', first_run: users === 0, signup_open: open };
  }

  private checkUsername(raw: string): string {
    const username = normalizeName(raw);
    const problem = nameProblem(username, this.config.limits.maxUsernameLength);
    if (problem) {
      const msg = {
        empty: 'Username must not be empty',
        too_long: `Username is longer than ${this.config.limits.maxUsernameLength} characters`,
        control_chars: 'Username must not contain control characters',
        invisible_chars: 'Username must not contain invisible or bidirectional control characters',
      }[problem];
      throw validationFailed(['body', 'username'], msg, 'value_error');
    }
    return username;
  }

  private checkPassword(password: string, field: string): void {
    if ([...password].length < MIN_PASSWORD_LENGTH) {
      throw validationFailed(
        ['body', field],
        `Password must have at least ${MIN_PASSWORD_LENGTH} characters`,
        'string_too_short',
      );
    }
  }

  async signup(
    body: { username: string; password: string; invite?: string },
    client: ClientInfo,
  ): Promise<SignedIn> {
    const username = this.checkUsername(body.username);
    this.checkPassword(body.password, 'password');
    const createdAt = new Date().toISOString();
    const result = await this.store.createUser({
      id: randomUUID(),
      username,
      usernameKey: usernameKey(username),
      passwordHash: await hashPassword(body.password),
      createdAt,
      invite: body.invite ?? null,
    });
    if (!result.ok) {
      if (result.reason === 'username_taken') {
        throw new ChatError(ErrorCode.USERNAME_TAKEN, 'This username is taken', 409);
      }
      throw new ChatError(
        ErrorCode.INVITE_INVALID,
        'Sign-up needs a valid invite (missing, unknown, used up or expired)',
        403,
      );
    }
    this.log.info({ user: result.user.id, role: result.user.role }, 'account created');
    return { user: toUser(result.user), sessionToken: await this.newSession(result.user, client) };
  }

  async login(body: { username: string; password: string }, client: ClientInfo): Promise<SignedIn> {
    const key = usernameKey(normalizeName(body.username));
    return this.limits.serialize(key, client.address, () => this.attemptLogin(key, body, client));
  }

  private async attemptLogin(
    key: string,
    body: { username: string; password: string },
    client: ClientInfo,
  ): Promise<SignedIn> {
    const wait = await this.limits.wait(key, client.address);
    if (wait > 0) throw tooManyLogins(wait);
    const user = await this.store.userByKey(key);
    // An unknown user costs one scrypt too, so the answer does not tell them apart.
    this.dummyHash ??= hashPassword(newSecret());
    const ok = await verifyPassword(body.password, user?.password_hash ?? (await this.dummyHash));
    if (!user || !ok || !user.active) {
      await this.limits.failed(key, client.address);
      throw invalidCredentials();
    }
    await this.limits.succeeded(key);
    return { user: toUser(user), sessionToken: await this.newSession(user, client) };
  }

  private async newSession(user: UserRecord, client: ClientInfo): Promise<string> {
    const token = newSecret();
    const now = new Date();
    await this.store.createSession({
      id: randomUUID(),
      user_id: user.id,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      user_agent: client.userAgent.slice(0, 300),
      tokenHash: hashSecret(token),
    });
    // Idle sessions of everyone are swept now and then, here rather than on a timer.
    if (Math.random() < 0.05) {
      await this.store.deleteIdleSessions(new Date(now.getTime() - this.idleMs).toISOString());
    }
    return token;
  }

  /** The account behind a session cookie's value, or null (unknown, idle too long, deactivated). */
  async fromSession(token: string): Promise<UserActor | null> {
    if (token.length === 0 || token.length > 200) return null;
    const found = await this.store.sessionByHash(hashSecret(token));
    if (!found?.user.active) return null;
    const now = Date.now();
    const idle = now - Date.parse(found.session.last_seen_at);
    if (idle > this.idleMs) {
      await this.store.deleteSession(found.user.id, found.session.id);
      return null;
    }
    // Written at most every minute (or tenth of the idle limit), not on every request.
    if (idle > Math.min(60_000, this.idleMs / 10)) {
      await this.store.touchSession(found.session.id, new Date(now).toISOString());
    }
    return this.actor(found.user, found.session.id, 'session');
  }

  /** The account behind an API token, or null. */
  async fromToken(token: string): Promise<UserActor | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const found = await this.store.tokenByHash(hashSecret(token));
    if (!found?.user.active) return null;
    const last = found.token.last_used_at;
    if (last === null || Date.now() - Date.parse(last) > 60_000) {
      await this.store.touchToken(found.token.id, new Date().toISOString());
    }
    return this.actor(found.user, found.token.id, 'token');
  }

  /** Keeps a session alive while a WebSocket opened with it is (heartbeat); false if it ended. */
  async stillValid(actor: UserActor): Promise<boolean> {
    const user = await this.store.userById(actor.userId);
    if (!user?.active) return false;
    if (actor.credential === 'token') {
      return (await this.store.listTokens(actor.userId)).some((t) => t.id === actor.credentialId);
    }
    const session = (await this.store.listSessions(actor.userId)).find(
      (s) => s.id === actor.credentialId,
    );
    if (!session) return false;
    await this.store.touchSession(session.id, new Date().toISOString());
    return true;
  }

  private actor(
    user: UserRecord,
    credentialId: string,
    credential: 'session' | 'token',
  ): UserActor {
    return {
      kind: 'user',
      userId: user.id,
      username: user.username,
      role: user.role,
      credentialId,
      credential,
    };
  }

  private async revoked(userId: string, credentialIds?: string[]): Promise<void> {
    if (credentialIds?.length === 0) return;
    await this.bus.publish({
      type: 'credentials_revoked',
      roomId: ACCOUNTS_TOPIC,
      userId,
      ...(credentialIds ? { credentialIds } : {}),
    });
  }

  async logout(actor: Actor): Promise<void> {
    if (actor.kind !== 'user' || actor.credential !== 'session') return;
    if (await this.store.deleteSession(actor.userId, actor.credentialId)) {
      await this.revoked(actor.userId, [actor.credentialId]);
    }
  }

  async me(actor: UserActor): Promise<User> {
    const user = await this.store.userById(actor.userId);
    if (!user?.active) throw unauthenticated();
    return toUser(user);
  }

  /** Changes the password; the account's other sessions end (API tokens stay). */
  async changePassword(actor: UserActor, current: string, next: string): Promise<void> {
    this.checkPassword(next, 'new_password');
    const user = await this.store.userById(actor.userId);
    if (!user || !(await verifyPassword(current, user.password_hash))) throw invalidCredentials();
    await this.store.setPasswordHash(user.id, await hashPassword(next));
    const keep = actor.credential === 'session' ? actor.credentialId : undefined;
    await this.revoked(user.id, await this.store.deleteSessions(user.id, keep));
  }

  async sessions(actor: UserActor): Promise<SessionInfo[]> {
    const list = await this.store.listSessions(actor.userId);
    return list.map((s) => ({
      id: s.id,
      created_at: s.created_at,
      last_seen_at: s.last_seen_at,
      user_agent: s.user_agent,
      current: actor.credential === 'session' && s.id === actor.credentialId,
    }));
  }

  async revokeSession(actor: UserActor, sessionId: string): Promise<void> {
    if (!(await this.store.deleteSession(actor.userId, sessionId))) {
      throw new ChatError(ErrorCode.NOT_FOUND, 'No such session', 404);
    }
    await this.revoked(actor.userId, [sessionId]);
  }

  async createToken(actor: UserActor, rawName: string): Promise<TokenCreated> {
    const name = normalizeName(rawName);
    if (nameProblem(name, 100))
      throw validationFailed(['body', 'name'], 'Invalid token name', 'value_error');
    const token = newSecret(TOKEN_PREFIX);
    const record = {
      id: randomUUID(),
      user_id: actor.userId,
      name,
      created_at: new Date().toISOString(),
      last_used_at: null,
    };
    await this.store.createToken({ ...record, tokenHash: hashSecret(token) });
    return { id: record.id, name, created_at: record.created_at, token };
  }

  async tokens(actor: UserActor): Promise<TokenInfo[]> {
    return (await this.store.listTokens(actor.userId)).map(
      ({ id, name, created_at, last_used_at }) => ({
        id,
        name,
        created_at,
        last_used_at,
      }),
    );
  }

  async revokeToken(actor: UserActor, tokenId: string): Promise<void> {
    if (!(await this.store.deleteToken(actor.userId, tokenId))) {
      throw new ChatError(ErrorCode.NOT_FOUND, 'No such token', 404);
    }
    await this.revoked(actor.userId, [tokenId]);
  }

  // ---- admin --------------------------------------------------------------

  requireAdmin(actor: Actor): asserts actor is UserActor {
    if (actor.kind !== 'user' || actor.role !== 'admin') throw forbidden('Admins only');
  }

  private toInvite(i: InviteRecord, origin: string): Invite {
    return {
      code: i.code,
      url: `${origin}/?invite=${encodeURIComponent(i.code)}`,
      uses: i.uses,
      uses_left: i.uses_left,
      expires_at: i.expires_at,
    };
  }

  async createInvite(
    actor: Actor,
    body: { uses?: number; expires_in_s?: number },
    origin: string,
  ): Promise<Invite> {
    this.requireAdmin(actor);
    const uses = body.uses ?? 1;
    const now = Date.now();
    const invite: InviteRecord = {
      code: newSecret().slice(0, 22),
      created_by: actor.userId,
      uses,
      uses_left: uses,
      expires_at: new Date(now + (body.expires_in_s ?? DEFAULT_INVITE_S) * 1000).toISOString(),
      created_at: new Date(now).toISOString(),
    };
    await this.store.createInvite(invite);
    return this.toInvite(invite, origin);
  }

  async invites(actor: Actor, origin: string): Promise<Invite[]> {
    this.requireAdmin(actor);
    return (await this.store.listInvites()).map((i) => this.toInvite(i, origin));
  }

  async deleteInvite(actor: Actor, code: string): Promise<void> {
    this.requireAdmin(actor);
    if (!(await this.store.deleteInvite(code))) {
      throw new ChatError(ErrorCode.NOT_FOUND, 'No such invite', 404);
    }
  }

  async users(actor: Actor): Promise<AdminUser[]> {
    this.requireAdmin(actor);
    return (await this.store.listUsers()).map(toAdminUser);
  }

  /** Active accounts, for starting DMs and adding members. */
  async directory(): Promise<UserRef[]> {
    return (await this.store.listUsers())
      .filter((u) => u.active)
      .map(({ id, username }) => ({ id, username }));
  }

  async updateUser(
    actor: Actor,
    userId: string,
    change: { role?: Role; active?: boolean },
  ): Promise<AdminUser> {
    this.requireAdmin(actor);
    const result = await this.store.updateUser(userId, change);
    if (!result.ok) {
      if (result.reason === 'not_found')
        throw new ChatError(ErrorCode.NOT_FOUND, 'No such account', 404);
      throw new ChatError(
        ErrorCode.LAST_ADMIN,
        'The last active admin must stay an active admin',
        409,
      );
    }
    if (change.active === false) {
      this.log.info({ user: userId, by: actor.userId }, 'account deactivated');
      await this.revoked(userId);
    }
    return toAdminUser(result.user);
  }

  async settings(actor: Actor): Promise<{ signup_open: boolean }> {
    this.requireAdmin(actor);
    return { signup_open: await this.store.signupOpen() };
  }

  async setSettings(
    actor: Actor,
    body: { signup_open?: boolean },
  ): Promise<{ signup_open: boolean }> {
    this.requireAdmin(actor);
    if (body.signup_open !== undefined) await this.store.setSignupOpen(body.signup_open);
    return { signup_open: await this.store.signupOpen() };
  }

  /** An active account by id (DMs, adding members), or null. */
  async activeUser(userId: string): Promise<UserRecord | null> {
    const user = await this.store.userById(userId);
    return user?.active ? user : null;
  }
}
