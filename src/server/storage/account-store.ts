import type { Role, UserRef } from '../../protocol/accounts.js';

/** An account as stored. Never leaves the server with its password hash. */
export interface UserRecord {
  id: string;
  username: string;
  role: Role;
  active: boolean;
  created_at: string;
  password_hash: string;
}

export interface NewUser {
  id: string;
  username: string;
  /** The username compared for uniqueness (case-folded). */
  usernameKey: string;
  passwordHash: string;
  createdAt: string;
  /** Invite code offered at sign-up, if any. */
  invite: string | null;
}

export type CreateUserResult =
  | { ok: true; user: UserRecord }
  | { ok: false; reason: 'username_taken' | 'invite_invalid' };

export interface SessionRecord {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  user_agent: string;
}

export interface TokenRecord {
  id: string;
  user_id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

export interface InviteRecord {
  code: string;
  created_by: string;
  uses: number;
  uses_left: number;
  expires_at: string;
  created_at: string;
}

export type UserUpdateResult =
  | { ok: true; user: UserRecord }
  | { ok: false; reason: 'not_found' | 'last_admin' };

export interface LoginCounter {
  failures: number;
  /** ISO time of the last failure. */
  last_failure_at: string;
}

/**
 * Accounts, their credentials, invites, shared settings, login-failure counters
 * and private-room memberships: everything identity needs, in the same database
 * as the rooms (so several processes share it). Secrets are stored only as
 * SHA-256 hashes (`tokenHash`); passwords only as scrypt hashes.
 */
export interface AccountStore {
  countUsers(): Promise<number>;
  /**
   * In one transaction: the first account ever becomes `admin` without invite;
   * later ones need sign-up open or a usable invite, whose use is counted.
   */
  createUser(user: NewUser): Promise<CreateUserResult>;
  userById(id: string): Promise<UserRecord | null>;
  userByKey(usernameKey: string): Promise<UserRecord | null>;
  /** Every account, oldest first. */
  listUsers(): Promise<UserRecord[]>;
  setPasswordHash(userId: string, hash: string): Promise<void>;
  /**
   * Changes role and/or active flag; refuses to leave no active admin. Deactivating
   * deletes the account's sessions and tokens in the same transaction.
   */
  updateUser(userId: string, change: { role?: Role; active?: boolean }): Promise<UserUpdateResult>;

  createSession(s: SessionRecord & { tokenHash: string }): Promise<void>;
  /** The session with this token hash and its account. */
  sessionByHash(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord } | null>;
  touchSession(id: string, at: string): Promise<void>;
  listSessions(userId: string): Promise<SessionRecord[]>;
  /** Deletes one of the user's sessions; false when it is not theirs or unknown. */
  deleteSession(userId: string, id: string): Promise<boolean>;
  /** Deletes every session of the user except `exceptId`; the ids deleted. */
  deleteSessions(userId: string, exceptId?: string): Promise<string[]>;
  /** Deletes sessions idle since before `before` (ISO); how many. */
  deleteIdleSessions(before: string): Promise<number>;

  createToken(t: TokenRecord & { tokenHash: string }): Promise<void>;
  tokenByHash(tokenHash: string): Promise<{ token: TokenRecord; user: UserRecord } | null>;
  touchToken(id: string, at: string): Promise<void>;
  listTokens(userId: string): Promise<TokenRecord[]>;
  deleteToken(userId: string, id: string): Promise<boolean>;

  createInvite(invite: InviteRecord): Promise<void>;
  listInvites(): Promise<InviteRecord[]>;
  deleteInvite(code: string): Promise<boolean>;

  signupOpen(): Promise<boolean>;
  setSignupOpen(open: boolean): Promise<void>;

  /** Counters for these keys (missing keys have none). */
  loginCounters(keys: readonly string[]): Promise<Map<string, LoginCounter>>;
  /**
   * Counts a failure for each key: one more, or a fresh count of 1 when the last
   * failure is older than `forgetBefore` (ISO). Atomic across processes.
   */
  recordLoginFailure(keys: readonly string[], at: string, forgetBefore: string): Promise<void>;
  clearLoginCounter(key: string): Promise<void>;

  /** Adds a member to a room; false when already one. */
  addMember(roomId: string, userId: string): Promise<boolean>;
  removeMember(roomId: string, userId: string): Promise<boolean>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  /** The room's members, by username. */
  listMembers(roomId: string): Promise<UserRef[]>;
  /** For each of these DM rooms, the username of its member who is not `viewerId`. */
  dmPeers(roomIds: readonly string[], viewerId: string): Promise<Map<string, string>>;
}
