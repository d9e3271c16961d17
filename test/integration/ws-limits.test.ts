import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRoom, history } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, sleep, TestClient } from '../support/ws-client.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('rate limits', () => {
  it('answers frames over the per-connection rate with RATE_LIMITED errors, then closes an abuser with 4129', async () => {
    server = await startServer({ ws: { ratePerSec: 5, rateBurst: 5, rateStrikes: 10 } });
    const room = await createRoom(server.url);
    const spammer = await TestClient.join(server.wsUrl, room.id, 'spammer');
    const bystander = await TestClient.join(server.wsUrl, room.id, 'bystander');
    for (let i = 0; i < 40; i++) spammer.send({ type: 'message', content: `spam ${i}` });
    const error = await spammer.next('error');
    expect(error.code).toBe('RATE_LIMITED');
    expect((await spammer.closed).code).toBe(4129);
    // the burst got through (and was stored), the rest did not; the close can
    // overtake the burst's commit (PostgreSQL), so wait for the commit
    let stored = await history(server.url, room.id);
    for (let i = 0; i < 100 && stored.length < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stored = await history(server.url, room.id);
    }
    expect(stored.length).toBeGreaterThanOrEqual(5);
    expect(stored.length).toBeLessThan(12);
    expect((await bystander.say('still here')).content).toBe('still here');
    await bystander.close();
  });

  it('lets a client within the rate send freely', async () => {
    server = await startServer({ ws: { ratePerSec: 50, rateBurst: 10, rateStrikes: 5 } });
    const room = await createRoom(server.url);
    const c = await TestClient.join(server.wsUrl, room.id, 'calm');
    for (let i = 0; i < 10; i++) await c.say(`m${i}`);
    expect(c.pending('error')).toEqual([]);
    await c.close();
  });

  it('limits the REST API per client address with 429', async () => {
    server = await startServer({ http: { ratePerSec: 1, rateBurst: 3 } });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await fetch(`${server.url}/api/chat/rooms`)).status);
    expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
    expect(codes.slice(3)).toEqual([429, 429]);
    const res = await fetch(`${server.url}/api/chat/rooms`);
    // a window of burst / rate = 3 s: the retry is due within it
    expect(['1', '2', '3']).toContain(res.headers.get('retry-after'));
    expect(await res.json()).toMatchObject({ code: 'RATE_LIMITED' });
    // health checks are not rate limited
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('connection limits', () => {
  it('closes connections beyond the per-address limit with 4130', async () => {
    server = await startServer({ ws: { maxConnectionsPerIp: 2 } });
    const room = await createRoom(server.url);
    const a = await TestClient.join(server.wsUrl, room.id, 'a');
    const b = await TestClient.join(server.wsUrl, room.id, 'b');
    const c = await TestClient.connect(server.wsUrl, room.id, 'c');
    expect((await c.closed).code).toBe(4130);
    await a.close();
    await eventually(() => server?.app.gateway.openSockets() === 1, 2_000, 'a closed');
    const d = await TestClient.join(server.wsUrl, room.id, 'd');
    expect(d.received.some((f) => f.type === 'user_list')).toBe(true);
    await Promise.all([b.close(), d.close()]);
  });

  it('refuses WebSocket upgrades from other sites (403) and allows listed origins', async () => {
    server = await startServer({ ws: { allowedOrigins: ['https://partner.example'] } });
    const room = await createRoom(server.url);
    const statusFor = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${server?.wsUrl}/ws/chat/${room.id}?username=x`, {
          headers: { origin },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
      });
    expect(await statusFor('https://evil.example')).toBe(403);
    expect(await statusFor('https://partner.example')).toBe(101);
    expect(await statusFor(server.url)).toBe(101);
  });
});

describe('dead and slow peers', () => {
  it('drops a peer that stops answering pings and announces its leave', async () => {
    server = await startServer({ ws: { heartbeatMs: 100 } });
    const room = await createRoom(server.url);
    const alive = await TestClient.join(server.wsUrl, room.id, 'alive');
    const ghost = await TestClient.join(server.wsUrl, room.id, 'ghost');
    // a paused socket reads nothing, so it never sees the ping and never pongs
    ghost.ws.pause();
    expect(await alive.next('leave')).toEqual({
      username: 'ghost',
      message: 'ghost left the room',
    });
    expect(await alive.next('user_list', (d) => d.users.length === 1)).toEqual({
      users: ['alive'],
    });
    // a healthy client survived several heartbeat rounds
    await sleep(350);
    expect((await alive.say('still connected')).content).toBe('still connected');
    ghost.ws.terminate();
    await alive.close();
  });

  it('disconnects a client that stops reading, while the room keeps its pace', async () => {
    server = await startServer({ ws: { ratePerSec: 0, slowConsumerBytes: 256 * 1024 } });
    const room = await createRoom(server.url);
    const sender = await TestClient.join(server.wsUrl, room.id, 'sender');
    const reader = await TestClient.join(server.wsUrl, room.id, 'reader');
    const slow = await TestClient.join(server.wsUrl, room.id, 'slow');
    slow.ws.pause();
    const content = 'x'.repeat(8_000);
    const total = 2_000; // ~16 MB per reader: more than the kernel buffers hold
    let received = 0;
    reader.ws.on('message', () => received++);
    for (let i = 0; i < total; i++) {
      sender.send({ type: 'message', content });
      if (i % 100 === 99) await sleep(1);
    }
    expect(await reader.next('leave', (d) => d.username === 'slow', 20_000)).toMatchObject({
      username: 'slow',
    });
    await sender.next('message', (m) => m.seq === total, 20_000);
    await eventually(
      () => reader.received.some((f) => f.type === 'message' && f.data.seq === total),
      20_000,
      'reader got all',
    );
    const seqs = reader.received.flatMap((f) => (f.type === 'message' ? [f.data.seq] : []));
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(received).toBeGreaterThan(total);
    expect(server.app.gateway.openSockets()).toBe(2);
    slow.ws.terminate();
    await Promise.all([sender.close(), reader.close()]);
  });
});
