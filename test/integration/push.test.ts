// Web Push end to end on the server side: a real server sends to a fake push
// service (local HTTPS); the test decrypts what arrives with the subscription's
// private key and checks the notification, the VAPID signature, who is told and
// who is not (the author, readers in the room), removal of gone subscriptions,
// refused bodies, and accounts-mode ownership. Runs on SQLite and PostgreSQL.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushKey, PushNotification, PushSubscriptionBody } from '../../src/protocol/push.js';
import type { Message, Room } from '../../src/protocol/rest.js';
import { loadConfig } from '../../src/server/config.js';
import { ConfigError } from '../../src/server/errors.js';
import { invite, type Session, signup } from '../support/accounts.js';
import { createRoom, postMessage } from '../support/api.js';
import {
  checkVapid,
  type FakeBrowser,
  FakePushService,
  type ReceivedPush,
} from '../support/fake-push-service.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

const json = (body: unknown): RequestInit => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('web push (open mode)', () => {
  let service: FakePushService;
  let server: TestServer;
  let publicKey: string;

  beforeAll(async () => {
    service = await new FakePushService().start();
    server = await startServer({}, { pushAgent: service.agent });
    const res = await fetch(`${server.url}/api/chat/push/key`);
    expect(res.status).toBe(200);
    publicKey = ((await res.json()) as PushKey).public_key;
  });
  afterAll(async () => {
    await server.close();
    await service.close();
  });

  const subscribe = (username: string, body: unknown) =>
    fetch(`${server.url}/api/chat/push/subscriptions?username=${encodeURIComponent(username)}`, {
      method: 'POST',
      ...json(body),
    });
  const unsubscribe = (username: string, endpoint: unknown) =>
    fetch(`${server.url}/api/chat/push/subscriptions?username=${encodeURIComponent(username)}`, {
      method: 'DELETE',
      ...json({ endpoint }),
    });
  async function subscribed(username: string): Promise<FakeBrowser> {
    const browser = service.browser();
    const res = await subscribe(username, browser.subscription());
    expect(res.status, await res.text()).toBe(204);
    return browser;
  }
  const post = (roomId: string, username: string, content: string) =>
    postMessage(server.url, roomId, username, content);
  /** Every push for the messages sent so far has been answered. */
  const settled = () => (server.app.push as NonNullable<TestServer['app']['push']>).idle();
  const decrypted = (browser: FakeBrowser, push: ReceivedPush): PushNotification =>
    JSON.parse(browser.decrypt(push.body)) as PushNotification;

  it('the key is a P-256 public key', () => {
    expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);
    expect(Buffer.from(publicKey, 'base64url')[0]).toBe(4);
  });

  it('a mention reaches the mentioned reader, encrypted for their browser and signed', async () => {
    const room = await createRoom(server.url, 'push-general');
    const bob = await subscribed('bob');
    const message = await post(room.id, 'alice', 'hi @bob, look at this');
    await settled();
    const pushes = service.to(bob);
    expect(pushes).toHaveLength(1);
    const push = pushes[0] as ReceivedPush;
    expect(push.headers['content-encoding']).toBe('aes128gcm');
    expect(Number(push.headers.ttl)).toBeGreaterThan(0);
    checkVapid(String(push.headers.authorization), publicKey, bob.endpoint);
    expect(decrypted(bob, push)).toEqual({
      type: 'message',
      room_id: room.id,
      room_name: 'push-general',
      room_kind: 'room',
      message_id: message.id,
      seq: message.seq,
      author: 'alice',
      excerpt: 'hi @bob, look at this',
      url: `/#/room/${room.id}/m/${message.seq}`,
    });
  });

  it('long messages are cut to an excerpt; every browser of the reader gets it', async () => {
    const room = await createRoom(server.url);
    const [phone, laptop] = [await subscribed('cleo'), await subscribed('cleo')];
    await post(room.id, 'alice', `@cleo ${'x'.repeat(500)}`);
    await settled();
    for (const browser of [phone, laptop]) {
      const [push] = service.to(browser);
      const excerpt = decrypted(browser, push as ReceivedPush).excerpt;
      expect(Array.from(excerpt)).toHaveLength(140);
      expect(excerpt.endsWith('…')).toBe(true);
    }
  });

  it('nothing for the author, for readers not mentioned, or for readers in the room', async () => {
    const room = await createRoom(server.url);
    const dan = await subscribed('dan');
    const eve = await subscribed('eve');
    await post(room.id, 'dan', 'note to self @dan');
    await post(room.id, 'alice', 'nobody named here');
    await post(room.id, 'alice', 'e-mail dan@example.com is no mention');
    // eve has the room open: she sees it there
    const watching = await TestClient.join(server.wsUrl, room.id, 'eve');
    await post(room.id, 'alice', 'hey @eve');
    await settled();
    expect(service.to(dan)).toEqual([]);
    expect(service.to(eve)).toEqual([]);
    // once she has left, she is told
    await watching.close();
    await eventually(
      async () => !(await server.app.presence.list(room.id)).users.includes('eve'),
      5_000,
      'eve to leave',
    );
    await post(room.id, 'alice', 'hey @eve, again');
    await settled();
    expect(service.to(eve).map((p) => decrypted(eve, p).excerpt)).toEqual(['hey @eve, again']);
  });

  it('notify levels: `all` hears every message, `none` not even a mention', async () => {
    const room = await createRoom(server.url);
    const level = async (username: string, notify: string) => {
      const me = `${server.url}/api/chat/me/rooms/${room.id}`;
      const query = `?username=${encodeURIComponent(username)}`;
      expect((await fetch(`${me}${query}`, { method: 'PUT' })).status).toBe(200);
      const res = await fetch(`${me}/notify${query}`, {
        method: 'PUT',
        ...json({ level: notify }),
      });
      expect(res.status).toBe(204);
    };
    const gus = await subscribed('gus');
    const hal = await subscribed('hal');
    // Levels are set before the room's first message: they are read once per few seconds.
    await level('gus', 'all');
    await level('hal', 'none');
    await post(room.id, 'alice', 'plain news');
    await post(room.id, 'alice', 'and @hal, @gus');
    await settled();
    expect(service.to(gus).map((p) => decrypted(gus, p).excerpt)).toEqual([
      'plain news',
      'and @hal, @gus',
    ]);
    expect(service.to(hal)).toEqual([]);
  });

  it('names match ignoring case, as mentions do: subscribing, muting, unsubscribing', async () => {
    const room = await createRoom(server.url);
    const ivy = await subscribed('Ivy');
    const kim = await subscribed('kim');
    const lea = await subscribed('lea');
    // Lea mutes the room under another casing of her name.
    const me = `${server.url}/api/chat/me/rooms/${room.id}`;
    expect((await fetch(`${me}?username=LEA`, { method: 'PUT' })).status).toBe(200);
    const muted = await fetch(`${me}/notify?username=LEA`, {
      method: 'PUT',
      ...json({ level: 'none' }),
    });
    expect(muted.status).toBe(204);
    await post(room.id, 'alice', 'hello @ivy and @KIM and @Lea');
    await post(room.id, 'IVY', 'note to self @Ivy');
    await settled();
    expect(service.to(ivy).map((p) => decrypted(ivy, p).excerpt)).toEqual([
      'hello @ivy and @KIM and @Lea',
    ]);
    expect(service.to(kim)).toHaveLength(1);
    expect(service.to(lea)).toEqual([]);
    // Unsubscribing under another casing removes the same subscription.
    expect((await unsubscribe('KIM', kim.endpoint)).status).toBe(204);
    await post(room.id, 'alice', 'again @kim');
    await settled();
    expect(service.to(kim)).toHaveLength(1);
  });

  it('a subscription the push service calls gone (410, 404) is deleted', async () => {
    const room = await createRoom(server.url);
    const gone = await subscribed('finn');
    const missing = await subscribed('finn');
    const fine = await subscribed('finn');
    service.status.set(gone.path, 410);
    service.status.set(missing.path, 404);
    await post(room.id, 'alice', '@finn one');
    await settled();
    await post(room.id, 'alice', '@finn two');
    await settled();
    expect(service.to(gone)).toHaveLength(1);
    expect(service.to(missing)).toHaveLength(1);
    expect(service.to(fine)).toHaveLength(2);
    const metrics = await server.app.metrics.render();
    expect(/parley_push_total\{[^}]*result="gone"[^}]*\} (\d+)/.exec(metrics)?.[1]).toBe('2');
    expect((await unsubscribe('finn', gone.endpoint)).status).toBe(404);
    expect((await unsubscribe('finn', fine.endpoint)).status).toBe(204);
  });

  it('a failing push service (500) is logged and changes nothing', async () => {
    const room = await createRoom(server.url);
    const flaky = await subscribed('gina');
    service.status.set(flaky.path, 500);
    await post(room.id, 'alice', '@gina one');
    await settled();
    service.status.delete(flaky.path);
    await post(room.id, 'alice', '@gina two');
    await settled();
    expect(service.to(flaky)).toHaveLength(2);
  });

  it('unsubscribing stops pushes; a browser changing hands moves its subscription', async () => {
    const room = await createRoom(server.url);
    const browser = await subscribed('hal');
    expect((await subscribe('ivy', browser.subscription())).status).toBe(204);
    // hal's is now ivy's: hal cannot remove it, and hal's mention goes nowhere
    expect((await unsubscribe('hal', browser.endpoint)).status).toBe(404);
    await post(room.id, 'alice', '@hal @ivy');
    await settled();
    expect(service.to(browser).map((p) => decrypted(browser, p).excerpt)).toEqual(['@hal @ivy']);
    expect((await unsubscribe('ivy', browser.endpoint)).status).toBe(204);
    await post(room.id, 'alice', '@ivy again');
    await settled();
    expect(service.to(browser)).toHaveLength(1);
  });

  it('refuses what is not a usable subscription with 422', async () => {
    const good = service.browser().subscription();
    const offCurve = Buffer.alloc(65, 7);
    offCurve[0] = 4;
    const bad: [string, unknown][] = [
      ['no body', undefined],
      ['not an object', 'https://push.example.net/x'],
      ['http endpoint', { ...good, endpoint: 'http://push.example.net/x' }],
      ['not a URL', { ...good, endpoint: 'https://' }],
      ['credentials in the URL', { ...good, endpoint: 'https://u:p@push.example.net/x' }],
      ['endpoint too long', { ...good, endpoint: `https://push.example.net/${'x'.repeat(3000)}` }],
      ['no keys', { endpoint: good.endpoint }],
      ['p256dh not base64url', { ...good, keys: { ...good.keys, p256dh: '!'.repeat(87) } }],
      ['p256dh too short', { ...good, keys: { ...good.keys, p256dh: 'A'.repeat(40) } }],
      [
        'p256dh off the curve',
        { ...good, keys: { ...good.keys, p256dh: offCurve.toString('base64url') } },
      ],
      [
        'p256dh compressed',
        {
          ...good,
          keys: { ...good.keys, p256dh: Buffer.alloc(65, 2).toString('base64url') },
        },
      ],
      ['auth too short', { ...good, keys: { ...good.keys, auth: 'AAAA' } }],
      [
        'auth of 17 bytes',
        { ...good, keys: { ...good.keys, auth: Buffer.alloc(17).toString('base64url') } },
      ],
    ];
    for (const [what, body] of bad) {
      const res = await fetch(`${server.url}/api/chat/push/subscriptions?username=kim`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(res.status, what).toBe(422);
    }
    for (const username of ['', '   ', 'x'.repeat(500)]) {
      expect((await subscribe(username, good)).status, `username ${username}`).toBe(422);
    }
    const noName = await fetch(`${server.url}/api/chat/push/subscriptions`, {
      method: 'POST',
      ...json(good),
    });
    expect(noName.status).toBe(422);
    expect(((await noName.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    expect((await unsubscribe('kim', undefined)).status).toBe(422);
    expect((await unsubscribe('kim', '')).status).toBe(422);
    expect((await unsubscribe('kim', good.endpoint)).status).toBe(404);
  });
});

describe('web push (accounts mode)', () => {
  let service: FakePushService;
  let server: TestServer;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  beforeAll(async () => {
    service = await new FakePushService().start();
    server = await startServer({ auth: { mode: 'accounts' } }, { pushAgent: service.agent });
    admin = await signup(server.url, 'admin');
    alice = await signup(server.url, 'alice', await invite(admin));
    bob = await signup(server.url, 'bob', await invite(admin));
    carol = await signup(server.url, 'carol', await invite(admin));
  });
  afterAll(async () => {
    await server.close();
    await service.close();
  });

  const settled = () => (server.app.push as NonNullable<TestServer['app']['push']>).idle();
  async function subscribed(session: Session): Promise<FakeBrowser> {
    const browser = service.browser();
    const res = await session.fetch('/api/chat/push/subscriptions', {
      method: 'POST',
      json: browser.subscription() satisfies PushSubscriptionBody,
    });
    expect(res.status, await res.text()).toBe(204);
    return browser;
  }
  const notes = (browser: FakeBrowser) =>
    service.to(browser).map((p) => JSON.parse(browser.decrypt(p.body)) as PushNotification);

  it('needs an account: 401 without one', async () => {
    const browser = service.browser();
    expect((await fetch(`${server.url}/api/chat/push/key`)).status).toBe(401);
    const res = await fetch(`${server.url}/api/chat/push/subscriptions`, {
      method: 'POST',
      ...json(browser.subscription()),
    });
    expect(res.status).toBe(401);
  });

  it('every message of a DM reaches the other member, named after the author', async () => {
    const bobs = await subscribed(bob);
    const alices = await subscribed(alice);
    const dm = await alice.json<Room>(
      '/api/chat/dms',
      {
        method: 'POST',
        json: { user_id: bob.user.id },
      },
      201,
    );
    const sent = await alice.json<Message>(
      `/api/chat/rooms/${dm.id}/messages`,
      {
        method: 'POST',
        json: { content: 'psst' },
      },
      201,
    );
    await settled();
    expect(notes(bobs)).toEqual([
      {
        type: 'message',
        room_id: dm.id,
        room_name: 'alice',
        room_kind: 'dm',
        message_id: sent.id,
        seq: sent.seq,
        author: 'alice',
        excerpt: 'psst',
        url: `/#/room/${dm.id}/m/${sent.seq}`,
      },
    ]);
    expect(notes(alices)).toEqual([]);
  });

  it('private rooms: mentioned members only; public rooms: mentioned accounts (any case)', async () => {
    const carols = await subscribed(carol);
    const secret = await alice.createRoom('secret', 'private');
    await alice.post(secret.id, '@carol cannot read this');
    const open = await alice.createRoom('lobby');
    await alice.post(open.id, 'no mention');
    await alice.post(open.id, 'hello @Carol');
    await settled();
    expect(notes(carols).map((n) => n.excerpt)).toEqual(['hello @Carol']);
    await alice.addMember(secret.id, carol.user.id);
    await alice.post(secret.id, 'now @carol can');
    await alice.post(secret.id, 'not mentioned');
    await settled();
    expect(notes(carols).map((n) => n.excerpt)).toEqual(['hello @Carol', 'now @carol can']);
  });

  it('a deactivated account is told nothing, even in its DMs', async () => {
    const dave = await signup(server.url, 'dave', await invite(admin));
    const daves = await subscribed(dave);
    const dm = await alice.json<Room>(
      '/api/chat/dms',
      { method: 'POST', json: { user_id: dave.user.id } },
      201,
    );
    await alice.post(dm.id, 'before');
    await settled();
    expect(notes(daves).map((n) => n.excerpt)).toEqual(['before']);
    await admin.json(`/api/admin/users/${dave.user.id}`, {
      method: 'PATCH',
      json: { active: false },
    });
    await alice.post(dm.id, 'after, @dave');
    const lobby = await alice.createRoom('after-lobby');
    await alice.post(lobby.id, 'hey @dave');
    await settled();
    expect(notes(daves).map((n) => n.excerpt)).toEqual(['before']);
  });

  it("one account cannot remove another's subscription (404); its own, yes", async () => {
    const bobs = await subscribed(bob);
    const del = (session: Session) =>
      session.fetch('/api/chat/push/subscriptions', {
        method: 'DELETE',
        json: { endpoint: bobs.endpoint },
      });
    expect((await del(carol)).status).toBe(404);
    // the username parameter of open mode means nothing here
    const spoof = await carol.fetch('/api/chat/push/subscriptions?username=bob', {
      method: 'DELETE',
      json: { endpoint: bobs.endpoint },
    });
    expect(spoof.status).toBe(404);
    expect((await del(bob)).status).toBe(204);
    expect((await del(bob)).status).toBe(404);
  });

  it('a change from another origin is refused (403)', async () => {
    const res = await bob.fetch('/api/chat/push/subscriptions', {
      method: 'POST',
      json: service.browser().subscription(),
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
  });
});

describe('VAPID keys across restarts (SQLite)', () => {
  const sqlite = { store: 'sqlite', bus: 'local', presence: 'local', blobs: 'fs' } as const;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-push-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const keyOf = async (server: TestServer) =>
    ((await (await fetch(`${server.url}/api/chat/push/key`)).json()) as PushKey).public_key;

  it('a restarted server keeps its key, so existing subscriptions stay valid', async () => {
    const dbPath = join(dir, 'keep', 'chat.db');
    const first = await startServer({ dbPath, backends: sqlite });
    const key = await keyOf(first);
    await first.close();
    const second = await startServer({ dbPath, backends: sqlite });
    try {
      expect(await keyOf(second)).toBe(key);
    } finally {
      await second.close();
    }
  });

  it('keys that cannot be read turn push off; the server still starts', async () => {
    // a folder where the key file should be: unreadable as a file, and not replaced
    mkdirSync(join(dir, 'broken', 'vapid.json'), { recursive: true });
    const server = await startServer({ dbPath: join(dir, 'broken', 'chat.db'), backends: sqlite });
    try {
      expect(server.app.push).toBeNull();
      expect((await fetch(`${server.url}/api/chat/push/key`)).status).toBe(404);
      expect((await fetch(`${server.url}/api/chat/rooms`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('web push off', () => {
  it('CHAT_PUSH and CHAT_PUSH_SUBJECT are checked at start', () => {
    expect(loadConfig({}).push).toEqual({ mode: 'on', subject: 'mailto:admin@localhost' });
    expect(loadConfig({ CHAT_PUSH: 'off' }).push.mode).toBe('off');
    for (const env of [
      { CHAT_PUSH: 'maybe' },
      { CHAT_PUSH_SUBJECT: 'admin@example.com' },
      { CHAT_PUSH_SUBJECT: 'http://example.com' },
      { CHAT_PUSH_SUBJECT: 'mailto:' },
    ]) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError);
    }
  });

  it('CHAT_PUSH=off: no push routes, nothing sent', async () => {
    const server = await startServer({ push: { mode: 'off' } });
    try {
      expect(server.app.push).toBeNull();
      expect((await fetch(`${server.url}/api/chat/push/key`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
