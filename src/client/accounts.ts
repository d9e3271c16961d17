// The accounts-mode REST routes of the web client (see ACCOUNTS_API in the README):
// the server's mode, sign-up and sign-in, the signed-in account's sessions and
// tokens, invites, the admin routes and room permissions. Thin typed wrappers over
// Api.call; every failure is an ApiError as elsewhere.
import type { Room } from '../protocol/rest.js';
import { type Api, ApiError } from './api.js';

export type Role = 'admin' | 'member';

export interface User {
  id: string;
  username: string;
  role: Role;
  created_at: string;
}

export interface AdminUser extends User {
  active: boolean;
}

/** Another account, as listed for direct messages and room members. */
export interface UserRef {
  id: string;
  username: string;
}

export interface AuthMode {
  mode: 'open' | 'accounts';
  first_run: boolean;
  signup_open: boolean;
}

export const OPEN_MODE: AuthMode = { mode: 'open', first_run: false, signup_open: false };

export interface SessionInfo {
  id: string;
  created_at: string;
  last_seen_at: string;
  user_agent: string | null;
  current: boolean;
}

export interface TokenInfo {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

export interface NewToken {
  id: string;
  name: string;
  created_at: string;
  token: string;
}

export interface Invite {
  code: string;
  url: string;
  uses: number;
  uses_left: number;
  expires_at: string;
}

export type Visibility = 'public' | 'private';

/**
 * A room with the fields accounts mode adds, optional: an older server, and the room
 * list cached by an older client, have none of them.
 */
export type RoomInfo = Omit<Room, 'visibility' | 'owner_id' | 'kind'> & {
  visibility?: Visibility;
  owner_id?: string | null;
  kind?: 'room' | 'dm';
};

/** Error codes of the accounts routes (also in protocol/error-codes.ts on the server side). */
export const AuthCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  USERNAME_TAKEN: 'USERNAME_TAKEN',
  INVITE_INVALID: 'INVITE_INVALID',
  FORBIDDEN: 'FORBIDDEN',
  LAST_ADMIN: 'LAST_ADMIN',
} as const;

/** WebSocket close codes of accounts mode. */
export const AuthClose = {
  /** The session ended (signed out elsewhere, revoked, password changed, deactivated). */
  SESSION_ENDED: 4003,
  /** Removed from this private room. */
  REMOVED_FROM_ROOM: 4011,
} as const;

/**
 * Reads a `GET /api/auth/mode` answer. Anything that is not a well-formed accounts
 * answer (an older server without the route, a proxy's page) means open mode: the
 * original client behaviour is the safe default, and an accounts server refuses
 * every chat call with 401 anyway, which sends the client to the sign-in screen.
 */
export function parseAuthMode(body: unknown): AuthMode {
  if (typeof body !== 'object' || body === null) return OPEN_MODE;
  const b = body as Record<string, unknown>;
  if (b.mode !== 'accounts') return OPEN_MODE;
  return {
    mode: 'accounts',
    first_run: b.first_run === true,
    signup_open: b.signup_open === true,
  };
}

const enc = encodeURIComponent;

export class AccountsApi {
  constructor(readonly api: Api) {}

  /** The server's mode; open when the route does not exist (an older server). */
  async mode(): Promise<AuthMode> {
    try {
      return parseAuthMode(await this.api.call<unknown>('GET', '/api/auth/mode'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return OPEN_MODE;
      throw err;
    }
  }

  async me(): Promise<User> {
    return (await this.api.call<{ user: User }>('GET', '/api/auth/me')).user;
  }

  async signup(username: string, password: string, invite?: string): Promise<User> {
    const body = invite ? { username, password, invite } : { username, password };
    return (await this.api.call<{ user: User }>('POST', '/api/auth/signup', body)).user;
  }

  async login(username: string, password: string): Promise<User> {
    return (await this.api.call<{ user: User }>('POST', '/api/auth/login', { username, password }))
      .user;
  }

  async logout(): Promise<void> {
    await this.api.call<void>('POST', '/api/auth/logout');
  }

  async changePassword(current: string, next: string): Promise<void> {
    await this.api.call<void>('POST', '/api/auth/password', {
      current_password: current,
      new_password: next,
    });
  }

  sessions(): Promise<SessionInfo[]> {
    return this.api.call<SessionInfo[]>('GET', '/api/auth/sessions');
  }

  async revokeSession(id: string): Promise<void> {
    await this.api.call<void>('DELETE', `/api/auth/sessions/${enc(id)}`);
  }

  tokens(): Promise<TokenInfo[]> {
    return this.api.call<TokenInfo[]>('GET', '/api/auth/tokens');
  }

  createToken(name: string): Promise<NewToken> {
    return this.api.call<NewToken>('POST', '/api/auth/tokens', { name });
  }

  async revokeToken(id: string): Promise<void> {
    await this.api.call<void>('DELETE', `/api/auth/tokens/${enc(id)}`);
  }

  invites(): Promise<Invite[]> {
    return this.api.call<Invite[]>('GET', '/api/auth/invites');
  }

  createInvite(uses: number, expiresInS: number): Promise<Invite> {
    return this.api.call<Invite>('POST', '/api/auth/invites', { uses, expires_in_s: expiresInS });
  }

  async deleteInvite(code: string): Promise<void> {
    await this.api.call<void>('DELETE', `/api/auth/invites/${enc(code)}`);
  }

  adminUsers(): Promise<AdminUser[]> {
    return this.api.call<AdminUser[]>('GET', '/api/admin/users');
  }

  updateUser(id: string, patch: { role?: Role; active?: boolean }): Promise<AdminUser> {
    return this.api.call<AdminUser>('PATCH', `/api/admin/users/${enc(id)}`, patch);
  }

  async settings(): Promise<{ signup_open: boolean }> {
    return this.api.call<{ signup_open: boolean }>('GET', '/api/admin/settings');
  }

  setSignupOpen(open: boolean): Promise<{ signup_open: boolean }> {
    return this.api.call<{ signup_open: boolean }>('PATCH', '/api/admin/settings', {
      signup_open: open,
    });
  }

  users(): Promise<UserRef[]> {
    return this.api.call<UserRef[]>('GET', '/api/users');
  }

  renameRoom(roomId: string, name: string): Promise<RoomInfo> {
    return this.api.call<RoomInfo>('PATCH', `/api/chat/rooms/${enc(roomId)}`, { name });
  }

  members(roomId: string): Promise<UserRef[]> {
    return this.api.call<UserRef[]>('GET', `/api/chat/rooms/${enc(roomId)}/members`);
  }

  async addMember(roomId: string, userId: string): Promise<void> {
    await this.api.call<void>('PUT', `/api/chat/rooms/${enc(roomId)}/members/${enc(userId)}`);
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.api.call<void>('DELETE', `/api/chat/rooms/${enc(roomId)}/members/${enc(userId)}`);
  }

  openDm(userId: string): Promise<RoomInfo> {
    return this.api.call<RoomInfo>('POST', '/api/chat/dms', { user_id: userId });
  }
}
