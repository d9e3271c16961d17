// RedisPresence on its own: several "processes" (instances) on one Redis.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/server/bus/bus-events.js';
import { LocalBus } from '../../src/server/bus/local-bus.js';
import { RoomPresence } from '../../src/server/domain/room-presence.js';
import { RedisPresence } from '../../src/server/presence/redis-presence.js';
import { createLogger } from '../../src/server/util/logger.js';
import { presenceContract } from '../contracts/presence-contract.js';
import { clearRedisPrefix, randomName, requireRedis, TEST_REDIS_URL } from '../support/services.js';
import { eventually } from '../support/ws-client.js';

const run = await requireRedis();
const prefix = `${randomName('parley_test_')}:`;
const TTL_MS = 600;
const HEARTBEAT_MS = 150;

interface Node {
  presence: RedisPresence;
  events: BusEvent[];
}
const open: RedisPresence[] = [];

async function node(id: string, roomId: string): Promise<Node> {
  const bus = new LocalBus();
  const events: BusEvent[] = [];
  bus.subscribe(roomId, (e) => events.push(e));
  const presence = new RedisPresence({
    url: TEST_REDIS_URL,
    prefix,
    nodeId: `${id}-${randomName('')}`,
    ttlMs: TTL_MS,
    heartbeatMs: HEARTBEAT_MS,
    announceReady: () => bus.ping(),
  });
  // The domain service announces what the presence backend repairs.
  new RoomPresence(presence, bus, createLogger('silent', id, 'json'));
  await presence.init();
  open.push(presence);
  return { presence, events };
}

/** A process dying without a word: its heartbeat stops and its connection drops. */
function crash(presence: RedisPresence): void {
  const inner = presence as unknown as { timer: NodeJS.Timeout; closed: boolean };
  clearInterval(inner.timer);
  inner.closed = true;
  (presence as unknown as { redis: { disconnect(): void } }).redis.disconnect();
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});
afterAll(() => (run ? clearRedisPrefix(prefix) : undefined));

if (run) {
  presenceContract('RedisPresence', () => {
    const nodeId = randomName('contract-');
    let n = 0;
    return async () =>
      new RedisPresence({ url: TEST_REDIS_URL, prefix, nodeId: `${nodeId}-${++n}` });
  });
}

describe.runIf(run)('RedisPresence', () => {
  it('sweeps a crashed process: its users leave, with notices, within TTL + heartbeat', async () => {
    const room = randomName('room-');
    const a = await node('a', room);
    const doomed = await node('doomed', room);
    await a.presence.join(room, 'alice');
    await doomed.presence.join(room, 'dave');
    // alice has a tab there too
    const { version } = await doomed.presence.join(room, 'alice');
    crash(doomed.presence);
    const crashedAt = Date.now();
    await eventually(
      () => a.events.some((e) => e.type === 'presence' && e.username === 'dave'),
      TTL_MS + HEARTBEAT_MS + 1_000,
      'dave to leave',
    );
    expect(Date.now() - crashedAt).toBeLessThanOrEqual(TTL_MS + HEARTBEAT_MS + 1_000);
    expect(a.events).toEqual([
      {
        type: 'presence',
        roomId: room,
        change: 'leave',
        username: 'dave',
        users: ['alice'],
        version: expect.toSatisfy((v: number) => v > version),
      },
    ]);
    expect((await a.presence.list(room)).users).toEqual(['alice']);
  });

  it('rebuilds the lists when Redis loses everything, and announces them', async () => {
    const room = randomName('room-');
    const [a, b] = [await node('a', room), await node('b', room)];
    await a.presence.join(room, 'alice');
    await b.presence.join(room, 'bob');
    await clearRedisPrefix(prefix);
    expect((await a.presence.list(room)).users).toEqual([]);
    await eventually(
      async () => (await a.presence.list(room)).users.sort().join() === 'alice,bob',
      2_000,
      'lists rebuilt',
    );
    // each process re-announced the list it saw; the later one saw both users
    await eventually(
      () => [...a.events, ...b.events].some((e) => e.type === 'user_list' && e.users.length === 2),
      2_000,
      'a complete list announced',
    );
    // counts were rebuilt too: alice's one tab still makes one leave
    expect(await a.presence.leave(room, 'alice')).toMatchObject({ changed: true, users: ['bob'] });
  });

  it('keeps versions growing when Redis loses everything', async () => {
    const room = randomName('room-');
    const a = await node('a', room);
    const before = (await a.presence.join(room, 'alice')).version;
    await clearRedisPrefix(prefix);
    const after = await a.presence.join(room, 'bob');
    expect(after.version).toBeGreaterThan(before);
    // Every list announced by the rebuild is newer than anything before the loss.
    await eventually(
      () => a.events.some((e) => e.type === 'user_list' && e.users.length === 2),
      2_000,
      'the rebuilt list announced',
    );
    for (const e of a.events) {
      if (e.type === 'user_list') expect(e.version).toBeGreaterThan(before);
    }
  });

  it('withdraws its users, with notices, when closed', async () => {
    const room = randomName('room-');
    const [a, b] = [await node('a', room), await node('b', room)];
    await a.presence.join(room, 'alice');
    const { version } = await b.presence.join(room, 'bob');
    await b.presence.close();
    expect(b.events.at(-1)).toEqual({
      type: 'presence',
      roomId: room,
      change: 'leave',
      username: 'bob',
      users: ['alice'],
      version: expect.toSatisfy((v: number) => v > version),
    });
    expect((await a.presence.list(room)).users).toEqual(['alice']);
  });
});
