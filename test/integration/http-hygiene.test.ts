// Ordinary HTTP hygiene: slow or idle clients cannot hold sockets, /metrics is
// not open to the world, and room creation floods are limited.
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { sleep, TestClient } from '../support/ws-client.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

const portOf = (server: TestServer): number => Number(new URL(server.url).port);

/** A raw TCP connection that records what it received and whether the server closed it. */
class RawConnection {
  received = '';
  readonly closed: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.received += chunk;
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }
  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }
  /** Sends one keep-alive GET and waits for the whole (small) answer. */
  async get(path: string): Promise<number> {
    const before = this.received.length;
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await waitFor(() => /\r\n\r\n[\s\S]*\}/.test(this.received.slice(before)), 5_000);
    return Number(/HTTP\/1\.1 (\d{3})/.exec(this.received.slice(before))?.[1]);
  }
  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readyState === 'closed';
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves true if `promise` settles within `ms`, false otherwise. */
const within = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);

describe('slow and idle HTTP clients', () => {
  it('cuts off a client that sends its headers a byte at a time, with 408', async () => {
    const server = await serve({ http: { headersTimeoutMs: 500, requestTimeoutMs: 500 } });
    const slow = await RawConnection.open(portOf(server));
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // a never-ending header, one byte every 50 ms
    const drip = setInterval(() => {
      if (!slow.isClosed) slow.socket.write('a');
    }, 50);
    try {
      // Node's default would let this go on for 60 s; the bound here is generous
      expect(await within(slow.closed, 10_000)).toBe(true);
    } finally {
      clearInterval(drip);
    }
    expect(slow.received).toMatch(/^HTTP\/1\.1 408/);
    // bystanders are served
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const server = await serve({ http: { keepAliveTimeoutMs: 300 } });
    const idle = await RawConnection.open(portOf(server));
    expect(await idle.get('/healthz')).toBe(200);
    expect(idle.isClosed).toBe(false);
    // Fastify's default keeps it 72 s
    expect(await within(idle.closed, 10_000)).toBe(true);
  });

  it('caps idle connections: past the cap the longest-idle one is closed, busy ones stay', async () => {
    // a long keep-alive, so only the cap can close a connection here
    const server = await serve({ http: { maxIdleConnections: 2, keepAliveTimeoutMs: 60_000 } });
    const port = portOf(server);
    const first = await RawConnection.open(port);
    expect(await first.get('/healthz')).toBe(200);
    const second = await RawConnection.open(port);
    expect(await second.get('/healthz')).toBe(200);
    expect(first.isClosed).toBe(false);
    const third = await RawConnection.open(port);
    expect(await within(first.closed, 5_000)).toBe(true);
    // the newer ones are still served on their connections
    expect(await second.get('/healthz')).toBe(200);
    expect(await third.get('/healthz')).toBe(200);
    expect(second.isClosed || third.isClosed).toBe(false);
    for (const c of [second, third]) c.socket.destroy();
  });

  it('leaves WebSockets alone: neither the timeouts nor the idle cap close them', async () => {
    const tight = await serve({
      http: {
        headersTimeoutMs: 300,
        requestTimeoutMs: 300,
        keepAliveTimeoutMs: 300,
        maxIdleConnections: 1,
      },
    });
    const room = await createRoom(tight.url);
    const alice = await TestClient.join(tight.wsUrl, room.id, 'alice');
    // idle sockets come and go past the cap of one
    const raws = await Promise.all([1, 2, 3].map(() => RawConnection.open(portOf(tight))));
    // several timeout checks pass (one every 300 ms)
    await sleep(1_500);
    expect((await alice.say('still here')).content).toBe('still here');
    for (const r of raws) r.socket.destroy();
    await alice.close();
  });

  it('refuses bad timeout settings at boot', async () => {
    const { loadConfig } = await import('../../src/server/config.js');
    expect(() =>
      loadConfig({ CHAT_HTTP_HEADERS_TIMEOUT_MS: '20000', CHAT_HTTP_REQUEST_TIMEOUT_MS: '10000' }),
    ).toThrow(/CHAT_HTTP_REQUEST_TIMEOUT_MS must be at least CHAT_HTTP_HEADERS_TIMEOUT_MS/);
    expect(() => loadConfig({ CHAT_HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' })).toThrow(
      /CHAT_HTTP_KEEP_ALIVE_TIMEOUT_MS/,
    );
  });
});

/** A non-loopback IPv4 address of this machine, if it has one. */
const publicAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('/metrics access', () => {
  const metrics = (server: TestServer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/metrics`, { headers });

  it('serves loopback clients, refuses others with 403, and lets the token in from anywhere', async () => {
    const server = await serve({ http: { trustProxy: true }, metrics: { token: 's3cret' } });
    expect((await metrics(server)).status).toBe(200);
    // a local proxy in front: every hop loopback
    expect((await metrics(server, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(200);

    const remote = { 'x-forwarded-for': '203.0.113.9' };
    const refused = await metrics(server, remote);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ detail: expect.any(String), code: 'FORBIDDEN' });
    // a remote client cannot pass itself off as local through the proxy
    expect((await metrics(server, { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' })).status).toBe(
      403,
    );
    for (const auth of ['Bearer wrong', 'Bearer s3cret2', 's3cret', 'Basic s3cret', 'Bearer ']) {
      expect((await metrics(server, { ...remote, authorization: auth })).status).toBe(403);
    }
    const ok = await metrics(server, { ...remote, authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('parley_connections_open');
    // the scheme is case-insensitive (RFC 7235)
    expect((await metrics(server, { ...remote, authorization: 'bearer s3cret' })).status).toBe(200);
    // the rest of the server does not care
    expect((await fetch(`${server.url}/api/chat/rooms`, { headers: remote })).status).toBe(200);
  });

  it('without a token, only loopback gets in', async () => {
    const server = await serve({ http: { trustProxy: true } });
    expect((await metrics(server)).status).toBe(200);
    const remote = { 'x-forwarded-for': '203.0.113.9' };
    expect((await metrics(server, remote)).status).toBe(403);
    expect((await metrics(server, { ...remote, authorization: 'Bearer ' })).status).toBe(403);
  });

  it.runIf(publicAddress)(
    'refuses a client connecting from a non-loopback address of this machine',
    async () => {
      const server = await serve({ host: '0.0.0.0', metrics: { token: 'tok' } });
      const url = `http://${publicAddress}:${portOf(server)}/metrics`;
      expect((await fetch(url)).status).toBe(403);
      expect((await fetch(url, { headers: { authorization: 'Bearer tok' } })).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${portOf(server)}/metrics`)).status).toBe(200);
    },
  );
});

describe('room creation floods', () => {
  it('limits room creations per client address per minute with 429, Retry-After and RATE_LIMITED', async () => {
    const server = await serve({ http: { roomCreatePerMin: 3, trustProxy: true } });
    const create = (ip: string) =>
      fetch(`${server.url}/api/chat/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ name: 'flood' }),
      });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await create('198.51.100.1')).status);
    expect(codes).toEqual([201, 201, 201, 429, 429]);
    const res = await create('198.51.100.1');
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await res.json()).toEqual({
      detail: 'Too many requests; slow down',
      code: 'RATE_LIMITED',
    });
    // only the three were created; reading is not limited by it, nor is another address
    const list = await fetch(`${server.url}/api/chat/rooms`, {
      headers: { 'x-forwarded-for': '198.51.100.1' },
    });
    expect(list.status).toBe(200);
    expect(((await list.json()) as unknown[]).length).toBe(3);
    expect((await create('198.51.100.2')).status).toBe(201);
  });

  it('is off with CHAT_ROOM_CREATE_RATE=0', async () => {
    const server = await serve({ http: { roomCreatePerMin: 0 } });
    for (let i = 0; i < 40; i++) await createRoom(server.url);
  });
});
