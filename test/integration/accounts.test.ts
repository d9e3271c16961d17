// Accounts mode (CHAT_AUTH=accounts), real server, real HTTP and WebSocket:
// sign-up, login, sessions, API tokens, invites, admin operations, CSRF and the
// login limits. Permissions on rooms are in permissions.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminUser, User } from '../../src/protocol/accounts.js';
import { CloseCode } from '../../src/protocol/error-codes.js';
import {
  invite,
  login,
  loginRequest,
  PASSWORD,
  type Session,
  signup,
  upgradeStatus,
} from '../support/accounts.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { sleep } from '../support/ws-client.js';

const accounts = { auth: { mode: 'accounts' as const } };

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function code(res: Response): Promise<string | undefined> {
  return ((await res.json()) as { code?: string }).code;
}

describe('accounts: sign-up, login, me, logout', () => {
  let server: TestServer;
  let admin: Session;
  beforeAll(async () => {
    server = await startServer(accounts);
  });
  afterAll(() => server.close());

  it('reports the mode and first run, then makes the first account an admin without invite', async () => {
    const before = await (await fetch(`${server.url}/api/auth/mode`)).json();
    expect(before).toEqual({ mode: 'accounts', first_run: true, signup_open: false });
    admin = await signup(server.url, 'Alice');
    expect(admin.user).toMatchObject({ username: 'Alice', role: 'admin' });
    const after = await (await fetch(`${server.url}/api/auth/mode`)).json();
    expect(after).toMatchObject({ first_run: false });
  });

  it('sets an HttpOnly SameSite=Lax session cookie, not Secure over plain HTTP', async () => {
    const res = await loginRequest(server.url, 'Alice');
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^parley_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
  });

  it('sets Secure when the request came over HTTPS through a trusted proxy', async () => {
    const proxied = await startServer({ ...accounts, http: { trustProxy: true } });
    try {
      await signup(proxied.url, 'root');
      const res = await fetch(`${proxied.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ username: 'root', password: PASSWORD }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toContain('Secure');
    } finally {
      await proxied.close();
    }
  });

  it('refuses later sign-ups without a valid invite; an invite works for its uses only', async () => {
    const none = await post(server.url, '/api/auth/signup', {
      username: 'bob',
      password: PASSWORD,
    });
    expect(none.status).toBe(403);
    expect(await code(none)).toBe('INVITE_INVALID');
    const bogus = await post(server.url, '/api/auth/signup', {
      username: 'bob',
      password: PASSWORD,
      invite: 'nope',
    });
    expect(await code(bogus)).toBe('INVITE_INVALID');
    const once = await invite(admin, 1);
    const bob = await signup(server.url, 'bob', once);
    expect(bob.user.role).toBe('member');
    const again = await post(server.url, '/api/auth/signup', {
      username: 'carol',
      password: PASSWORD,
      invite: once,
    });
    expect(await code(again)).toBe('INVITE_INVALID');
    const list =
      await admin.json<{ code: string; uses_left: number; url: string }[]>('/api/auth/invites');
    const used = list.find((i) => i.code === once);
    expect(used?.uses_left).toBe(0);
    expect(used?.url).toBe(`${server.url}/?invite=${once}`);
  });

  it('refuses a taken username ignoring case (409), and keeps the invite unused', async () => {
    const code1 = await invite(admin, 1);
    const res = await post(server.url, '/api/auth/signup', {
      username: 'ALICE',
      password: PASSWORD,
      invite: code1,
    });
    expect(res.status).toBe(409);
    expect(await code(res)).toBe('USERNAME_TAKEN');
    // the failed sign-up did not use up the invite
    await signup(server.url, 'dave', code1);
  });

  it('validates username and password (422)', async () => {
    const code1 = await invite(admin, 5);
    for (const body of [
      { username: 'eve', password: 'short', invite: code1 },
      { username: '   ', password: PASSWORD, invite: code1 },
      { username: 'e\u200Bve', password: PASSWORD, invite: code1 },
      { username: 'eve' },
    ]) {
      const res = await post(server.url, '/api/auth/signup', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(await code(res)).toBe('VALIDATION_FAILED');
    }
  });

  it('admins can open sign-up; then no invite is needed; members cannot', async () => {
    const member = await login(server.url, 'bob');
    const denied = await member.fetch('/api/admin/settings', {
      method: 'PATCH',
      json: { signup_open: true },
    });
    expect(denied.status).toBe(403);
    expect(await code(denied)).toBe('FORBIDDEN');
    expect(
      await admin.json('/api/admin/settings', { method: 'PATCH', json: { signup_open: true } }),
    ).toEqual({ signup_open: true });
    await signup(server.url, 'frank');
    await admin.json('/api/admin/settings', { method: 'PATCH', json: { signup_open: false } });
    const closed = await post(server.url, '/api/auth/signup', {
      username: 'gina',
      password: PASSWORD,
    });
    expect(await code(closed)).toBe('INVITE_INVALID');
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const wrong = await loginRequest(server.url, 'bob', 'not the password');
    const unknown = await loginRequest(server.url, 'nobody-here', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it('me answers the account; logout revokes the session on the server', async () => {
    const bob = await login(server.url, 'bob');
    const me = await bob.json<{ user: User }>('/api/auth/me');
    expect(me.user).toEqual(bob.user);
    const out = await bob.fetch('/api/auth/logout', { method: 'POST' });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    // the old cookie, replayed, is dead
    const after = await bob.fetch('/api/auth/me');
    expect(after.status).toBe(401);
    expect(await code(after)).toBe('UNAUTHENTICATED');
  });

  it('refuses every /api/chat call, /api/users and /api/admin without identity, and forged cookies', async () => {
    const room = await admin.createRoom('guarded');
    const forged = 'parley_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    for (const [method, path] of [
      ['GET', '/api/chat/rooms'],
      ['POST', '/api/chat/rooms'],
      ['GET', `/api/chat/rooms/${room.id}/messages`],
      ['POST', `/api/chat/rooms/${room.id}/messages`],
      ['DELETE', `/api/chat/rooms/${room.id}`],
      ['GET', '/api/users'],
      ['GET', '/api/admin/users'],
      ['GET', '/api/auth/me'],
    ] as const) {
      const variants: Record<string, string>[] = [
        {},
        { cookie: forged },
        { authorization: 'Bearer parley_forged' },
      ];
      for (const headers of variants) {
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', origin: server.url, ...headers },
          ...(method === 'POST' ? { body: JSON.stringify({ name: 'x', content: 'x' }) } : {}),
        });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(await code(res)).toBe('UNAUTHENTICATED');
      }
    }
    // the room survived every attempt
    expect((await admin.fetch(`/api/chat/rooms/${room.id}/messages`)).status).toBe(200);
    // public routes stay public
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/auth/mode`)).status).toBe(200);
  });

  it('refuses a WebSocket upgrade without identity with HTTP 401 (forged cookie too)', async () => {
    const room = await admin.createRoom('ws-guarded');
    expect(await upgradeStatus(admin.wsUrl, room.id)).toBe(401);
    expect(await upgradeStatus(admin.wsUrl, room.id, { cookie: 'parley_session=forged' })).toBe(
      401,
    );
    expect(await upgradeStatus(admin.wsUrl, room.id, { authorization: 'Bearer nope' })).toBe(401);
    expect(await upgradeStatus(admin.wsUrl, room.id, { cookie: admin.cookie })).toBe(101);
  });
});

describe('accounts: CSRF guard', () => {
  let server: TestServer;
  let admin: Session;
  beforeAll(async () => {
    server = await startServer({ ...accounts, ws: { allowedOrigins: ['https://app.example'] } });
    admin = await signup(server.url, 'admin');
  });
  afterAll(() => server.close());

  it('refuses a cookie-authenticated change from another origin, or with no origin at all', async () => {
    const variants: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: '' },
      { referer: 'https://evil.example/page' },
    ];
    for (const headers of variants) {
      const res = await fetch(`${server.url}/api/chat/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: admin.cookie, ...headers },
        body: JSON.stringify({ name: 'csrf' }),
      });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await code(res)).toBe('ORIGIN_MISMATCH');
    }
    const noOrigin = await fetch(`${server.url}/api/chat/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: admin.cookie },
      body: JSON.stringify({ name: 'csrf' }),
    });
    expect(noOrigin.status).toBe(403);
    const rooms = await admin.json<{ name: string }[]>('/api/chat/rooms');
    expect(rooms.filter((r) => r.name === 'csrf')).toEqual([]);
  });

  it('accepts the own origin, a Referer from it, and the configured extra origins', async () => {
    expect(
      (await admin.fetch('/api/chat/rooms', { method: 'POST', json: { name: 'a' } })).status,
    ).toBe(201);
    const viaReferer = await fetch(`${server.url}/api/chat/rooms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: admin.cookie,
        referer: `${server.url}/x`,
      },
      body: JSON.stringify({ name: 'b' }),
    });
    expect(viaReferer.status).toBe(201);
    const extra = await admin.fetch('/api/chat/rooms', {
      method: 'POST',
      json: { name: 'c' },
      headers: { origin: 'https://app.example' },
    });
    expect(extra.status).toBe(201);
  });

  it('does not ask Bearer-token calls for an Origin (no ambient credential to abuse)', async () => {
    const { token } = await admin.json<{ token: string }>(
      '/api/auth/tokens',
      { method: 'POST', json: { name: 'bot' } },
      201,
    );
    const res = await fetch(`${server.url}/api/chat/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'by-bot' }),
    });
    expect(res.status).toBe(201);
  });

  it('refuses a login posted from another origin (login CSRF)', async () => {
    const res = await post(
      server.url,
      '/api/auth/login',
      { username: 'admin', password: PASSWORD },
      { origin: 'https://evil.example' },
    );
    expect(res.status).toBe(403);
    expect(await code(res)).toBe('ORIGIN_MISMATCH');
  });
});

describe('accounts: sessions, tokens, password change, expiry', () => {
  let server: TestServer;
  let admin: Session;
  beforeAll(async () => {
    server = await startServer(accounts);
    admin = await signup(server.url, 'admin');
  });
  afterAll(() => server.close());

  it('lists the sessions (current marked) and revokes one; its open WebSocket closes with 4003', async () => {
    const other = await login(server.url, 'admin');
    const room = await admin.createRoom('sessions');
    const ws = await other.join(room.id);
    const list = await admin.json<{ id: string; current: boolean }[]>('/api/auth/sessions');
    expect(list).toHaveLength(2);
    const current = list.filter((s) => s.current);
    expect(current).toHaveLength(1);
    const victim = list.find((s) => !s.current);
    const res = await admin.fetch(`/api/auth/sessions/${victim?.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect((await ws.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect((await other.fetch('/api/auth/me')).status).toBe(401);
    expect(await upgradeStatus(other.wsUrl, room.id, { cookie: other.cookie })).toBe(401);
    // someone else's session id is not yours to end
    const bob = await signup(server.url, 'bob', await invite(admin));
    const bobs = await bob.json<{ id: string }[]>('/api/auth/sessions');
    expect(
      (await admin.fetch(`/api/auth/sessions/${bobs[0]?.id}`, { method: 'DELETE' })).status,
    ).toBe(404);
    expect((await bob.fetch('/api/auth/me')).status).toBe(200);
  });

  it('API tokens: shown once, hashed, usable as Bearer over REST and WebSocket, revocable', async () => {
    const created = await admin.json<{ id: string; token: string; name: string }>(
      '/api/auth/tokens',
      { method: 'POST', json: { name: 'ci bot' } },
      201,
    );
    expect(created.token).toMatch(/^parley_/);
    const listed = await admin.json<Record<string, unknown>[]>('/api/auth/tokens');
    expect(listed.map((t) => t.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    const bearer = { authorization: `Bearer ${created.token}` };
    const me = await fetch(`${server.url}/api/auth/me`, { headers: bearer });
    expect(((await me.json()) as { user: User }).user.username).toBe('admin');
    const room = await admin.createRoom('bots');
    const { TestClient } = await import('../support/ws-client.js');
    const ws = await TestClient.join(admin.wsUrl, room.id, 'whatever', { headers: bearer });
    const revoke = await admin.fetch(`/api/auth/tokens/${created.id}`, { method: 'DELETE' });
    expect(revoke.status).toBe(204);
    expect((await ws.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect((await fetch(`${server.url}/api/auth/me`, { headers: bearer })).status).toBe(401);
  });

  it('a password change ends the other sessions (their sockets close), keeps this one', async () => {
    const carol = await signup(server.url, 'carol', await invite(admin));
    const elsewhere = await login(server.url, 'carol');
    const room = await admin.createRoom('pw');
    const ws = await elsewhere.join(room.id);
    const wrong = await carol.fetch('/api/auth/password', {
      method: 'POST',
      json: { current_password: 'not it at all', new_password: 'a new password' },
    });
    expect(wrong.status).toBe(401);
    expect(await code(wrong)).toBe('INVALID_CREDENTIALS');
    const short = await carol.fetch('/api/auth/password', {
      method: 'POST',
      json: { current_password: PASSWORD, new_password: 'short' },
    });
    expect(short.status).toBe(422);
    const res = await carol.fetch('/api/auth/password', {
      method: 'POST',
      json: { current_password: PASSWORD, new_password: 'a new password' },
    });
    expect(res.status).toBe(204);
    expect((await ws.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect((await elsewhere.fetch('/api/auth/me')).status).toBe(401);
    expect((await carol.fetch('/api/auth/me')).status).toBe(200);
    expect((await loginRequest(server.url, 'carol')).status).toBe(401);
    expect((await loginRequest(server.url, 'carol', 'a new password')).status).toBe(200);
  });

  it('a session unused for longer than the idle limit is refused', async () => {
    // 0.00002 days: about 1.7 s
    const quick = await startServer({ auth: { mode: 'accounts', sessionIdleDays: 0.00002 } });
    try {
      const me = await signup(quick.url, 'sleepy');
      const room = await me.createRoom('idle');
      expect((await me.fetch('/api/auth/me')).status).toBe(200);
      await sleep(2_500);
      expect((await me.fetch('/api/auth/me')).status).toBe(401);
      expect(await upgradeStatus(me.wsUrl, room.id, { cookie: me.cookie })).toBe(401);
    } finally {
      await quick.close();
    }
  });
});

describe('accounts: admin', () => {
  let server: TestServer;
  let admin: Session;
  let bob: Session;
  beforeAll(async () => {
    server = await startServer(accounts);
    admin = await signup(server.url, 'admin');
    bob = await signup(server.url, 'bob', await invite(admin));
  });
  afterAll(() => server.close());

  it('members cannot use admin routes (403)', async () => {
    for (const [method, path, json] of [
      ['GET', '/api/admin/users', undefined],
      ['PATCH', `/api/admin/users/${admin.user.id}`, { active: false }],
      ['GET', '/api/admin/settings', undefined],
      ['POST', '/api/auth/invites', {}],
      ['GET', '/api/auth/invites', undefined],
    ] as const) {
      const res = await bob.fetch(path, { method, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await code(res)).toBe('FORBIDDEN');
    }
    expect((await admin.fetch('/api/auth/me')).status).toBe(200);
  });

  it('the last admin cannot be demoted or deactivated (409 LAST_ADMIN)', async () => {
    for (const change of [{ role: 'member' }, { active: false }]) {
      const res = await admin.fetch(`/api/admin/users/${admin.user.id}`, {
        method: 'PATCH',
        json: change,
      });
      expect(res.status).toBe(409);
      expect(await code(res)).toBe('LAST_ADMIN');
    }
    // with a second admin, the first may step down
    await admin.json(`/api/admin/users/${bob.user.id}`, {
      method: 'PATCH',
      json: { role: 'admin' },
    });
    const down = await admin.json<AdminUser>(`/api/admin/users/${admin.user.id}`, {
      method: 'PATCH',
      json: { role: 'member' },
    });
    expect(down.role).toBe('member');
    const back = await bob.json<AdminUser>(`/api/admin/users/${admin.user.id}`, {
      method: 'PATCH',
      json: { role: 'admin' },
    });
    expect(back.role).toBe('admin');
  });

  it('deactivation ends sessions and tokens and closes open WebSockets (4003) at once', async () => {
    const carol = await signup(server.url, 'carol', await invite(admin));
    const { token } = await carol.json<{ token: string }>(
      '/api/auth/tokens',
      { method: 'POST', json: { name: 't' } },
      201,
    );
    const room = await admin.createRoom('deact');
    const ws = await carol.join(room.id);
    const watcher = await admin.join(room.id);
    const res = await admin.json<AdminUser>(`/api/admin/users/${carol.user.id}`, {
      method: 'PATCH',
      json: { active: false },
    });
    expect(res.active).toBe(false);
    expect((await ws.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect((await carol.fetch('/api/auth/me')).status).toBe(401);
    expect(
      (await fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(401);
    expect((await loginRequest(server.url, 'carol')).status).toBe(401);
    const users = await admin.json<AdminUser[]>('/api/admin/users');
    expect(users.find((u) => u.id === carol.user.id)?.active).toBe(false);
    const directory = await admin.json<{ username: string }[]>('/api/users');
    expect(directory.map((u) => u.username)).not.toContain('carol');
    // the bystander is undisturbed
    await watcher.say('still here');
    await watcher.close();
  });
});

describe('accounts: login limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      auth: {
        mode: 'accounts',
        loginFreeAttempts: 3,
        loginFreeAttemptsPerIp: 100,
        loginMaxDelaySec: 60,
      },
    });
    await signup(server.url, 'target');
  });
  afterAll(() => server.close());

  it('makes a guesser wait (429 + Retry-After) after the free attempts, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await loginRequest(server.url, 'target', `guess-${i}-xx`)).status).toBe(401);
    }
    // the 4th failure still counts; then the account must wait
    expect((await loginRequest(server.url, 'target', 'guess-3-xx')).status).toBe(401);
    const limited = await loginRequest(server.url, 'target');
    expect(limited.status).toBe(429);
    expect(await code(limited)).toBe('RATE_LIMITED');
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    // the wait is over after Retry-After: the right password works and clears the count
    await sleep(retry * 1000 + 100);
    expect((await loginRequest(server.url, 'target')).status).toBe(200);
    expect((await loginRequest(server.url, 'target', 'wrong-again')).status).toBe(401);
    expect((await loginRequest(server.url, 'target')).status).toBe(200);
  });

  it('counts unknown usernames the same way (no telling them apart by the limit)', async () => {
    for (let i = 0; i < 4; i++) await loginRequest(server.url, 'ghost', `guess-${i}-xx`);
    expect((await loginRequest(server.url, 'ghost', 'guess-x-xx')).status).toBe(429);
  });

  it('guesses sent all at once get no more password checks than guesses sent one by one', async () => {
    await signup(server.url, 'parallel', await invite(await login(server.url, 'target')));
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        loginRequest(server.url, 'parallel', `guess-${i}-xx`).then((r) => r.status),
      ),
    );
    // 3 free failures and the 4th that starts the wait, as one by one; the rest wait.
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
  });
});
