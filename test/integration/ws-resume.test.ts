import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/error-codes.js';
import { HELD_MAX, REPLAY_STALL_MS } from '../../src/server/ws/connection.js';
import { createRoom, history, historyEpoch, postMessage } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { WorkspaceClient } from '../support/workspace-client.js';
import { eventually, sleep, TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ limits: { replayLimit: 50 }, ws: { ratePerSec: 0 } });
});
afterAll(() => server.close());

const seqsOf = (c: TestClient) =>
  c.received.flatMap((f) => (f.type === 'message' ? [f.data.seq] : []));

describe('per-room sequence', () => {
  it('numbers each room’s messages 1, 2, 3… independently', async () => {
    const [a, b] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    const ca = await TestClient.join(server.wsUrl, a.id, 'u');
    const cb = await TestClient.join(server.wsUrl, b.id, 'u');
    expect((await ca.say('a1')).seq).toBe(1);
    expect((await cb.say('b1')).seq).toBe(1);
    expect((await ca.say('a2')).seq).toBe(2);
    await Promise.all([ca.close(), cb.close()]);
  });
});

describe('resume with since=<seq>', () => {
  it('replays exactly the missed messages, in order, before live ones', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    for (let i = 1; i <= 5; i++) await alice.say(`m${i}`);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob', { since: 2 });
    expect(seqsOf(bob)).toEqual([3, 4, 5]);
    // replayed messages come before the join notice
    expect(bob.received.slice(0, 3).map((f) => f.type)).toEqual(['message', 'message', 'message']);
    await alice.say('m6');
    await bob.next('message', (m) => m.seq === 6);
    expect(seqsOf(bob)).toEqual([3, 4, 5, 6]);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('has no gap and no duplicate while messages arrive during the replay', async () => {
    const room = await createRoom(server.url);
    const sender = await TestClient.join(server.wsUrl, room.id, 'sender');
    for (let i = 1; i <= 10; i++) sender.send({ type: 'message', content: `pre${i}` });
    await sender.next('message', (m) => m.seq === 10);
    // keep sending while several clients resume from different points
    for (let i = 1; i <= 30; i++) sender.send({ type: 'message', content: `live${i}` });
    const resumers = await Promise.all(
      [0, 3, 7, 10].map((since) => TestClient.join(server.wsUrl, room.id, `r${since}`, { since })),
    );
    await sender.next('message', (m) => m.seq === 40);
    for (const [i, since] of [0, 3, 7, 10].entries()) {
      const c = resumers[i] as TestClient;
      await c.next('message', (m) => m.seq === 40);
      const seqs = seqsOf(c);
      expect(seqs).toEqual(Array.from({ length: 40 - since }, (_, k) => since + 1 + k));
    }
    await Promise.all([sender.close(), ...resumers.map((c) => c.close())]);
  });

  it('asks the client to resync when more were missed than the replay limit', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    for (let i = 1; i <= 60; i++) alice.send({ type: 'message', content: `m${i}` });
    await alice.next('message', (m) => m.seq === 60);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob', { since: 1 });
    expect(bob.received[0]).toEqual({
      type: 'resync',
      data: {
        latest_seq: 60,
        missed: 59,
        epoch: await historyEpoch(server.url, room.id),
        reason: 'replay_limit',
      },
    });
    expect(seqsOf(bob)).toEqual([]);
    await alice.say('after');
    expect((await bob.next('message')).seq).toBe(61);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('replays nothing for a client that is up to date', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    await alice.say('one');
    const again = await TestClient.join(server.wsUrl, room.id, 'alice2', { since: 1 });
    expect(seqsOf(again)).toEqual([]);
    await Promise.all([alice.close(), again.close()]);
  });
});

describe('resume from a position the room never reached, or from another epoch', () => {
  it('answers since beyond the newest seq with resync, then delivers live messages', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    for (let i = 1; i <= 3; i++) await alice.say(`m${i}`);
    // As after a restore of an older backup: the client has seen seq 100.
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob', { since: 100 });
    const epoch = await historyEpoch(server.url, room.id);
    expect(bob.received[0]).toEqual({
      type: 'resync',
      data: { latest_seq: 3, missed: 3, epoch, reason: 'ahead' },
    });
    expect(seqsOf(bob)).toEqual([]);
    // Not deaf: seq 4 arrives, far below 100.
    await alice.say('m4');
    expect((await bob.next('message')).seq).toBe(4);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('answers since=1 in an empty room with resync', async () => {
    const room = await createRoom(server.url);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob', { since: 1 });
    expect(bob.received[0]).toMatchObject({
      type: 'resync',
      data: { latest_seq: 0, missed: 0, reason: 'ahead' },
    });
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    await alice.say('first');
    expect((await bob.next('message')).seq).toBe(1);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('replays as usual with the current epoch', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    for (let i = 1; i <= 3; i++) await alice.say(`m${i}`);
    const epoch = await historyEpoch(server.url, room.id);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob', { since: 1, epoch });
    expect(seqsOf(bob)).toEqual([2, 3]);
    expect(bob.received.some((f) => f.type === 'resync')).toBe(false);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('answers a stale epoch with resync (not a replay), then delivers live messages', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    for (let i = 1; i <= 3; i++) await alice.say(`m${i}`);
    const old = await historyEpoch(server.url, room.id);
    // What a restore does; a client still holds a position in the old history.
    const renewed = await server.app.store.renewEpoch();
    try {
      expect(renewed).not.toBe(old);
      expect(await historyEpoch(server.url, room.id)).toBe(renewed);
      const bob = await TestClient.join(server.wsUrl, room.id, 'bob', { since: 1, epoch: old });
      expect(bob.received[0]).toEqual({
        type: 'resync',
        data: { latest_seq: 3, missed: 3, epoch: renewed, reason: 'epoch' },
      });
      expect(seqsOf(bob)).toEqual([]);
      await alice.say('m4');
      expect((await bob.next('message')).seq).toBe(4);
      // Resuming in the new epoch is an ordinary replay.
      const carol = await TestClient.join(server.wsUrl, room.id, 'carol', {
        since: 2,
        epoch: renewed,
      });
      expect(seqsOf(carol)).toEqual([3, 4]);
      await Promise.all([bob.close(), carol.close()]);
    } finally {
      await alice.close();
    }
  });

  it('ignores epoch without since (nothing to resume)', async () => {
    const room = await createRoom(server.url);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob', { epoch: 'whatever' });
    expect(bob.received.some((f) => f.type === 'resync')).toBe(false);
    expect((await bob.say('hi')).seq).toBe(1);
    await bob.close();
  });

  it('refuses a malformed epoch with 4000, leaving the room undisturbed', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    for (const epoch of ['', 'x'.repeat(65), 'a b', 'é', 'a/b']) {
      const query = `username=bad&since=0&epoch=${encodeURIComponent(epoch)}`;
      const bad = await TestClient.connect(server.wsUrl, room.id, 'bad', { query });
      expect((await bad.closed).code).toBe(CloseCode.INVALID_REQUEST);
    }
    expect((await alice.say('still here')).seq).toBe(1);
    expect(alice.pending('join').filter((j) => j.username === 'bad')).toEqual([]);
    await alice.close();
  });
});

describe('paging back through history', () => {
  it('walks a room of any size with before=<seq>, without gaps', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    for (let i = 1; i <= 55; i++) alice.send({ type: 'message', content: `m${i}` });
    await alice.next('message', (m) => m.seq === 55);
    await alice.close();
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await history(
        server.url,
        room.id,
        `?limit=20${before ? `&before=${before}` : ''}`,
      );
      if (page.length === 0) break;
      seen.unshift(...page.map((m) => m.seq));
      before = page[0]?.seq;
    }
    expect(seen).toEqual(Array.from({ length: 55 }, (_, i) => i + 1));
  });
});

describe('idempotent send with client_id', () => {
  it('stores and broadcasts a retried message once; the echo carries client_id', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    const id = randomUUID();
    const first = await alice.say('only once', id);
    expect(first.client_id).toBe(id);
    expect(await bob.next('message')).toEqual(first);
    // a retry on a new connection, as after a reconnect
    await alice.close();
    const again = await TestClient.join(server.wsUrl, room.id, 'alice');
    const echo = await again.say('only once', id);
    expect(echo).toEqual(first);
    await bob.say('marker');
    expect(bob.pending('message')).toEqual([]);
    const stored = await history(server.url, room.id);
    expect(stored.filter((m) => m.client_id === id)).toHaveLength(1);
    expect(stored.map((m) => m.content)).toEqual(['only once', 'marker']);
    await Promise.all([again.close(), bob.close()]);
  });

  it('dedupes two identical sends in the same batch', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const id = randomUUID();
    alice.send({ type: 'message', content: 'twice', client_id: id });
    alice.send({ type: 'message', content: 'twice', client_id: id });
    await alice.next('message');
    await alice.next('message');
    expect((await history(server.url, room.id)).length).toBe(1);
    await alice.close();
  });

  it('scopes client_id to its room', async () => {
    const [a, b] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    const ca = await TestClient.join(server.wsUrl, a.id, 'u');
    const cb = await TestClient.join(server.wsUrl, b.id, 'u');
    await ca.say('same id', 'k1');
    expect((await cb.say('same id', 'k1')).room_id).toBe(b.id);
    await Promise.all([ca.close(), cb.close()]);
  });
});

describe('a resume larger than the slow-consumer limit', () => {
  // 256 KiB, and replays of about 13 MB: more than the kernel's socket buffers take
  // at once, so most of each waits in the server (the test reads both ends in turn).
  let small: TestServer;
  beforeAll(async () => {
    small = await startServer({
      ws: { ratePerSec: 0, slowConsumerBytes: 256 * 1024 },
      http: { ratePerSec: 0 },
    });
  });
  afterAll(() => small.close());

  const long = 'x'.repeat(16_000);
  const slowConsumers = async () =>
    (await small.app.metrics.slowConsumers.get()).values.reduce((n, v) => n + v.value, 0);
  /** Stores `n` long messages over REST (no socket of the test hears them live). */
  async function fill(roomId: string, n: number, content = long): Promise<void> {
    for (let i = 0; i < n; i++) await postMessage(small.url, roomId, 'filler', content);
  }

  it('arrives whole and in order at the client’s pace; live messages follow it, once', async () => {
    const room = await createRoom(small.url);
    await fill(room.id, 800);
    const late = await TestClient.connect(small.wsUrl, room.id, 'late', { since: 0 });
    // Stored while the replay is going out.
    await fill(room.id, 20, 'live');
    await late.next('message', (m) => m.seq === 820, 20_000);
    expect(seqsOf(late)).toEqual(Array.from({ length: 820 }, (_, i) => i + 1));
    expect(small.app.gateway.openSockets()).toBe(1);
    await late.close();
  });

  it('on a workspace socket too, for several rooms at once', async () => {
    const rooms = await Promise.all([1, 2, 3].map(() => createRoom(small.url)));
    for (const room of rooms) await fill(room.id, 300);
    const ws = await WorkspaceClient.open(small.wsUrl, 'late');
    for (const room of rooms) ws.send({ type: 'subscribe', room_id: room.id, since: 0 });
    for (const room of rooms) {
      expect(await ws.next('subscribed', (d) => d.room_id === room.id, 20_000)).toMatchObject({
        latest_seq: 300,
      });
      const seqs = ws.all('message', room.id).map((f) => f.data.seq);
      expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    }
    expect(ws.ws.readyState).toBe(ws.ws.OPEN);
    await ws.close();
  });

  /** A room of 800 long messages and a client resuming from 0 that reads nothing. */
  async function stuckResume(): Promise<{ roomId: string; stuck: TestClient; before: number }> {
    const room = await createRoom(small.url);
    await fill(room.id, 800);
    const before = await slowConsumers();
    const stuck = await TestClient.connect(small.wsUrl, room.id, 'stuck', { since: 0 });
    stuck.ws.pause();
    return { roomId: room.id, stuck, before };
  }

  it('drops a client that takes nothing of its replay for REPLAY_STALL_MS', async () => {
    const { stuck, before } = await stuckResume();
    await sleep(REPLAY_STALL_MS - 3_000);
    expect(small.app.gateway.openSockets()).toBe(1);
    await eventually(() => small.app.gateway.openSockets() === 0, 10_000, 'stuck dropped');
    expect(await slowConsumers()).toBe(before + 1);
    stuck.ws.terminate();
  }, 30_000);

  it('still drops a client that reads nothing once the room outruns it', async () => {
    const { roomId, stuck, before } = await stuckResume();
    const sender = await TestClient.join(small.wsUrl, roomId, 'sender');
    // More live messages than a member may have held behind its resume.
    for (let i = 0; i <= HELD_MAX; i++) sender.send({ type: 'message', content: `m${i}` });
    await sender.next('message', (m) => m.seq === 800 + HELD_MAX + 1, 60_000);
    await eventually(() => small.app.gateway.openSockets() === 1, 10_000, 'stuck dropped');
    // Its close frame waits behind megabytes it never read: count it on the server.
    expect(await slowConsumers()).toBe(before + 1);
    stuck.ws.terminate();
    await sender.close();
  }, 90_000);
});
