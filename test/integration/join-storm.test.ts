// A burst of joins and leaves into one room (issue 14): online lists and join/leave
// notices are batched (src/server/ws/room-hub.ts), and must still end complete and
// exact for every member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ ws: { maxConnectionsPerIp: 0, ratePerSec: 0 } });
});
afterAll(() => server.close());

const JOINERS = 120;
const LEAVERS = 40;

/** The last online list `client` received, sorted. */
const lastList = (client: TestClient): string[] => {
  const lists = client.received.filter((f) => f.type === 'user_list');
  const last = lists[lists.length - 1];
  return last?.type === 'user_list' ? [...last.data.users].sort() : [];
};

const namesOf = (client: TestClient, type: 'join' | 'leave'): string[] =>
  client.received.flatMap((f) => (f.type === type ? [f.data.username] : []));

describe('join storm', () => {
  it('ends with a complete list and exact join and leave notices for every member', async () => {
    const room = await createRoom(server.url);
    const names = Array.from({ length: JOINERS }, (_, i) => `u${i}`);
    const clients = await Promise.all(
      names.map((n) => TestClient.connect(server.wsUrl, room.id, n)),
    );
    const leavers = clients.slice(0, LEAVERS);
    const stayers = clients.slice(LEAVERS);
    // Every member's latest list holds everyone before anyone leaves.
    await eventually(
      () => clients.every((c) => lastList(c).length === JOINERS),
      20_000,
      'complete lists after the joins',
    );
    await Promise.all(leavers.map((c) => c.close()));
    const remaining = names.slice(LEAVERS).sort();
    await eventually(
      () => stayers.every((c) => lastList(c).join() === remaining.join()),
      20_000,
      'complete lists after the leaves',
    );

    // Each join notice once, the member's own included, and of any two members at
    // least one heard the other arrive (both may: a connection hears the joins
    // announced after it was registered, which is just before its own).
    const heard = new Map(clients.map((c, i) => [names[i] as string, new Set(namesOf(c, 'join'))]));
    for (const [i, c] of clients.entries()) {
      const joins = namesOf(c, 'join');
      expect(new Set(joins).size).toBe(joins.length);
      expect(joins).toContain(names[i]);
    }
    for (const a of names) {
      for (const b of names) {
        if (a >= b) continue;
        expect((heard.get(a)?.has(b) ?? false) || (heard.get(b)?.has(a) ?? false)).toBe(true);
      }
    }
    // Every member that stayed heard every leave, once.
    const left = names.slice(0, LEAVERS).sort();
    for (const c of stayers) expect(namesOf(c, 'leave').sort()).toEqual(left);

    await Promise.all(stayers.map((c) => c.close()));
  });

  it('answers get_users with the full list during a storm', async () => {
    const room = await createRoom(server.url);
    const names = Array.from({ length: JOINERS }, (_, i) => `g${i}`);
    // Each join is complete once its own user_list arrives.
    const clients = await Promise.all(names.map((n) => TestClient.join(server.wsUrl, room.id, n)));
    const asker = clients[0] as TestClient;
    // Lists sent before the last join are stale; drop them, then ask. Whatever list
    // comes next (the answer, or a broadcast sent since) holds everyone.
    while (asker.pending('user_list').length > 0) await asker.next('user_list');
    asker.send({ type: 'get_users' });
    expect([...(await asker.next('user_list')).users].sort()).toEqual([...names].sort());
    await Promise.all(clients.map((c) => c.close()));
  });
});
