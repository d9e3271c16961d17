import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountsApi,
  parseAuthMode,
  type RoomInfo,
  type User,
} from '../../../src/client/accounts.js';
import { Api, type ApiError } from '../../../src/client/api.js';
import { inviteFromSearch, withoutInvite } from '../../../src/client/invite-link.js';
import {
  canManageMembers,
  canManageRoom,
  isPrivate,
  roomDisplayName,
} from '../../../src/client/permissions.js';
import { describeUserAgent } from '../../../src/client/user-agent.js';

const ADMIN: User = { id: 'a', username: 'ada', role: 'admin', created_at: '' };
const BOB: User = { id: 'b', username: 'bob', role: 'member', created_at: '' };
const CY: User = { id: 'c', username: 'cy', role: 'member', created_at: '' };

function room(extra: Partial<RoomInfo>): RoomInfo {
  return { id: 'r', name: 'plans', created_at: '2026-01-01T00:00:00Z', ...extra };
}

describe('parseAuthMode', () => {
  it('reads an accounts answer', () => {
    expect(parseAuthMode({ mode: 'accounts', first_run: true, signup_open: false })).toEqual({
      mode: 'accounts',
      first_run: true,
      signup_open: false,
    });
  });

  it('takes anything else as open mode (older server, proxy page, junk)', () => {
    for (const body of [null, 'accounts', 42, {}, { mode: 'ACCOUNTS' }, { mode: 'open' }, []]) {
      expect(parseAuthMode(body).mode).toBe('open');
    }
    // Flags of the wrong type are false, never truthy strings.
    expect(parseAuthMode({ mode: 'accounts', first_run: 'yes', signup_open: 1 })).toMatchObject({
      first_run: false,
      signup_open: false,
    });
  });
});

describe('room permissions', () => {
  const owned = room({ visibility: 'private', owner_id: 'b', kind: 'room' });
  const pub = room({ visibility: 'public', owner_id: 'b', kind: 'room' });
  const dm = room({ visibility: 'private', owner_id: null, kind: 'dm', name: 'ada, bob' });
  const legacy = room({ owner_id: null });

  it('rename and delete: the owner or an admin, nobody else', () => {
    expect(canManageRoom(BOB, owned)).toBe(true);
    expect(canManageRoom(ADMIN, owned)).toBe(true);
    expect(canManageRoom(CY, owned)).toBe(false);
    expect(canManageRoom(CY, pub)).toBe(false);
    // A room from before accounts has no owner: admins only.
    expect(canManageRoom(BOB, legacy)).toBe(false);
    expect(canManageRoom(ADMIN, legacy)).toBe(true);
    // A DM is not "owned" by either side.
    expect(canManageRoom(BOB, dm)).toBe(false);
  });

  it('open mode (no account) offers everything, as before', () => {
    expect(canManageRoom(null, pub)).toBe(true);
    expect(canManageMembers(null, owned)).toBe(false);
  });

  it('members: private rooms only, by their owner or an admin, never DMs', () => {
    expect(canManageMembers(BOB, owned)).toBe(true);
    expect(canManageMembers(ADMIN, owned)).toBe(true);
    expect(canManageMembers(CY, owned)).toBe(false);
    expect(canManageMembers(BOB, pub)).toBe(false);
    expect(canManageMembers(ADMIN, dm)).toBe(false);
  });

  it('a DM is private and named after the other person', () => {
    expect(isPrivate(dm)).toBe(true);
    expect(isPrivate(pub)).toBe(false);
    expect(roomDisplayName(dm, ADMIN)).toBe('bob');
    expect(roomDisplayName(dm, BOB)).toBe('ada');
    // Already the other's name (server computed it per viewer), or not ours: as given.
    expect(roomDisplayName({ ...dm, name: 'bob' }, ADMIN)).toBe('bob');
    expect(roomDisplayName(dm, CY)).toBe('ada, bob');
    expect(roomDisplayName(pub, ADMIN)).toBe('plans');
  });
});

describe('invite links', () => {
  it('reads the code from the query string', () => {
    expect(inviteFromSearch('?invite=abc123')).toBe('abc123');
    expect(inviteFromSearch('?x=1&invite=%20abc%20')).toBe('abc');
    expect(inviteFromSearch('')).toBeNull();
    expect(inviteFromSearch('?invite=')).toBeNull();
    expect(inviteFromSearch(`?invite=${'x'.repeat(600)}`)).toBeNull();
  });

  it('removes only the invite from the address', () => {
    expect(withoutInvite('http://h/?invite=abc#/room/1')).toBe('http://h/#/room/1');
    expect(withoutInvite('http://h/?a=1&invite=abc')).toBe('http://h/?a=1');
    expect(withoutInvite('http://h/#/')).toBe('http://h/#/');
  });
});

describe('describeUserAgent', () => {
  it('names browser and system', () => {
    expect(
      describeUserAgent(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      ),
    ).toBe('Chrome on Linux');
    expect(
      describeUserAgent(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1',
      ),
    ).toBe('Safari on iOS');
    expect(
      describeUserAgent(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
      ),
    ).toBe('Firefox on Windows');
    expect(
      describeUserAgent('Mozilla/5.0 (Windows NT 10.0) Chrome/120 Safari/537.36 Edg/120'),
    ).toBe('Edge on Windows');
    expect(describeUserAgent('curl/8.5.0')).toBe('curl');
    expect(describeUserAgent('my-bot/1.2')).toBe('my-bot');
    expect(describeUserAgent(null)).toBe('Unknown device');
    expect(describeUserAgent('')).toBe('Unknown device');
  });
});

// The Api against a real HTTP server that answers as an accounts-mode server would.
describe('Api in accounts mode', () => {
  let server: Server;
  let base = '';
  const bodies: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        if (raw) bodies.push(JSON.parse(raw));
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.url === '/api/auth/login')
          return send(401, { detail: 'Wrong username or password', code: 'INVALID_CREDENTIALS' });
        if (req.url === '/api/auth/mode')
          return send(200, { mode: 'accounts', first_run: false, signup_open: true });
        if (req.url === '/api/chat/rooms' && req.method === 'POST')
          return send(201, { id: 'r', name: 'x', created_at: '' });
        return send(401, { detail: 'Not signed in', code: 'UNAUTHENTICATED' });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reports a 401 for a missing session, not for a wrong password', async () => {
    const seen: ApiError[] = [];
    const api = new Api({ base, onUnauthorized: (e) => seen.push(e) });
    const accounts = new AccountsApi(api);
    await expect(accounts.login('ada', 'nope')).rejects.toMatchObject({
      status: 401,
      code: 'INVALID_CREDENTIALS',
    });
    expect(seen).toEqual([]);
    await expect(api.listRooms()).rejects.toMatchObject({ status: 401 });
    await expect(accounts.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(seen.map((e) => e.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(await accounts.mode()).toEqual({
      mode: 'accounts',
      first_run: false,
      signup_open: true,
    });
  });

  it('sends visibility only when asked (open mode bodies stay as they were)', async () => {
    const api = new Api({ base });
    bodies.length = 0;
    await api.createRoom('x');
    await api.createRoom('y', 'private');
    expect(bodies).toEqual([{ name: 'x' }, { name: 'y', visibility: 'private' }]);
  });
});
