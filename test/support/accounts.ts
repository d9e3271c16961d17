// Accounts-mode helpers for tests: sign up or log in over real HTTP and keep the
// session cookie, then call the API (with the right Origin) or open WebSockets as
// that account.
import WebSocket from 'ws';
import type { User } from '../../src/protocol/accounts.js';
import type { Message, Room } from '../../src/protocol/rest.js';
import { type ConnectOptions, TestClient } from './ws-client.js';

export const PASSWORD = 'correct horse battery';

/** A signed-in account: its user and session cookie. */
export class Session {
  constructor(
    readonly baseUrl: string,
    readonly user: User,
    /** `parley_session=…` */
    readonly cookie: string,
  ) {}

  get wsUrl(): string {
    return this.baseUrl.replace(/^http/, 'ws');
  }

  /** fetch with this session's cookie and the server's own Origin (as a browser sends). */
  fetch(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const { json, ...rest } = init;
    const headers: Record<string, string> = {
      cookie: this.cookie,
      origin: this.baseUrl,
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(rest.headers as Record<string, string> | undefined),
    };
    return fetch(`${this.baseUrl}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  }

  async json<T>(
    path: string,
    init: RequestInit & { json?: unknown } = {},
    status = 200,
  ): Promise<T> {
    const res = await this.fetch(path, init);
    if (res.status !== status) {
      throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    }
    return (await res.json()) as T;
  }

  createRoom(name: string, visibility: 'public' | 'private' = 'public'): Promise<Room> {
    return this.json<Room>('/api/chat/rooms', { method: 'POST', json: { name, visibility } }, 201);
  }

  async addMember(roomId: string, userId: string): Promise<void> {
    const res = await this.fetch(`/api/chat/rooms/${roomId}/members/${userId}`, { method: 'PUT' });
    if (res.status !== 204) throw new Error(`addMember: ${res.status} ${await res.text()}`);
  }

  post(roomId: string, content: string, clientId?: string): Promise<Response> {
    return this.fetch(`/api/chat/rooms/${roomId}/messages`, {
      method: 'POST',
      json: { content, ...(clientId ? { client_id: clientId } : {}) },
    });
  }

  history(roomId: string): Promise<Message[]> {
    return this.json<Message[]>(`/api/chat/rooms/${roomId}/messages`);
  }

  /** Joins a room over WebSocket with this session's cookie (the username parameter is a decoy). */
  join(roomId: string, opts: ConnectOptions & { username?: string } = {}): Promise<TestClient> {
    return TestClient.join(this.wsUrl, roomId, opts.username ?? this.user.username, {
      ...opts,
      headers: { cookie: this.cookie, ...opts.headers },
    });
  }
}

function sessionCookie(res: Response): string {
  const header = res.headers.get('set-cookie') ?? '';
  const match = /parley_session=([^;]*)/.exec(header);
  if (!match?.[1]) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return `parley_session=${match[1]}`;
}

export async function signup(
  baseUrl: string,
  username: string,
  invite?: string,
  password = PASSWORD,
): Promise<Session> {
  const res = await fetch(`${baseUrl}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, ...(invite ? { invite } : {}) }),
  });
  if (res.status !== 201) throw new Error(`signup ${username}: ${res.status} ${await res.text()}`);
  const { user } = (await res.json()) as { user: User };
  return new Session(baseUrl, user, sessionCookie(res));
}

export function loginRequest(
  baseUrl: string,
  username: string,
  password = PASSWORD,
): Promise<Response> {
  return fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

export async function login(
  baseUrl: string,
  username: string,
  password = PASSWORD,
): Promise<Session> {
  const res = await loginRequest(baseUrl, username, password);
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const { user } = (await res.json()) as { user: User };
  return new Session(baseUrl, user, sessionCookie(res));
}

/** An invite code made by `admin`. */
export async function invite(admin: Session, uses = 1): Promise<string> {
  const body = await admin.json<{ code: string }>(
    '/api/auth/invites',
    { method: 'POST', json: { uses } },
    201,
  );
  return body.code;
}

/** The first account (admin) and `names.length` members invited by it. */
export async function team(baseUrl: string, ...names: string[]): Promise<Session[]> {
  const admin = await signup(baseUrl, 'admin');
  const members: Session[] = [];
  for (const name of names) members.push(await signup(baseUrl, name, await invite(admin)));
  return [admin, ...members];
}

/**
 * The HTTP status a WebSocket upgrade gets (101 when it opens), without a client
 * that hides it.
 */
export function upgradeStatus(
  wsUrl: string,
  roomId: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/ws/chat/${roomId}?username=x`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', (error) => reject(error));
  });
}
