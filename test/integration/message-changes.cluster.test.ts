// Issue 11 across two server processes (PostgreSQL + Redis): messages and
// changes made on both, concurrently, reach every client in one order, and a
// client resuming on the other process gets what it missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../src/protocol/frames.js';
import { createRoom, history } from '../support/api.js';
import { requirePostgres, requireRedis } from '../support/services.js';
import { type ServerPair, startServerPair, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

const available = (await requirePostgres()) && (await requireRedis());

const CHANGES = { features: 'changes' };
const logOf = (frames: ServerFrame[]) =>
  frames.flatMap((f) =>
    f.type === 'message'
      ? [`m${f.data.seq}`]
      : f.type === 'change'
        ? [`c${f.data.seq}:${f.data.kind}`]
        : [],
  );

describe.runIf(available)('message changes across two server processes', () => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    pair = await startServerPair({ ws: { ratePerSec: 0 } });
    ({ a, b } = pair);
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('gives every client one order of messages and changes made on both', async () => {
    const room = await createRoom(a.url);
    const onA = await TestClient.join(a.wsUrl, room.id, 'ann', CHANGES);
    const onB = await TestClient.join(b.wsUrl, room.id, 'ben', CHANGES);
    const oldOnB = await TestClient.join(b.wsUrl, room.id, 'olga');
    const target = await onA.say('react to this');
    await onB.next('message', (m) => m.id === target.id);
    // both processes write the room at once: messages from one, reactions from the other
    const n = 20;
    for (let i = 0; i < n; i++) {
      onA.send({ type: 'message', content: `a${i}` });
      onB.send({ type: 'react', message_id: target.id, emoji: `e${i % 5}`, on: i !== 7 });
    }
    const last = 1 + 2 * n;
    for (const c of [onA, onB]) {
      await eventually(() => logOf(c.received).length >= last, 10_000, 'every entry');
    }
    const order = logOf(onA.received);
    expect(order).toHaveLength(last);
    expect(order.map((e) => Number(e.slice(1).split(':')[0]))).toEqual(
      Array.from({ length: last }, (_, i) => i + 1),
    );
    expect(logOf(onB.received)).toEqual(order);
    // the original client: the same messages, no changes
    await oldOnB.next('message', (m) => m.content === `a${n - 1}`);
    expect(logOf(oldOnB.received)).toEqual(order.filter((e) => e.startsWith('m')));
    expect(oldOnB.received.some((f) => f.type === 'change')).toBe(false);
    // the stored state is the one both processes show
    const [first] = await history(b.url, room.id, '?limit=1&after=0');
    expect(first?.reactions?.map((r) => r.emoji)).toEqual(['e0', 'e1', 'e3', 'e4', 'e2']);
    await Promise.all([onA.close(), onB.close(), oldOnB.close()]);
  });

  it('replays changes made on one process to a client resuming on the other', async () => {
    const room = await createRoom(a.url);
    const onA = await TestClient.join(a.wsUrl, room.id, 'ann', CHANGES);
    const m1 = await onA.say('one');
    const m2 = await onA.say('two');
    onA.send({ type: 'edit', message_id: m1.id, content: 'one!', client_id: 'e1' });
    await onA.next('change', (c) => c.client_id === 'e1');
    onA.send({ type: 'delete', message_id: m2.id, client_id: 'd2' });
    await onA.next('change', (c) => c.client_id === 'd2');
    const back = await TestClient.join(b.wsUrl, room.id, 'ben', { ...CHANGES, since: 1 });
    expect(logOf(back.received)).toEqual(['c3:edit', 'c4:delete']);
    // a change made on B now reaches A live
    back.send({ type: 'react', message_id: m1.id, emoji: '👍', on: true, client_id: 'r1' });
    expect(await onA.next('change', (c) => c.client_id === 'r1')).toMatchObject({ seq: 5 });
    await Promise.all([onA.close(), back.close()]);
  });
});
