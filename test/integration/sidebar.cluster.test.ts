// Reader events across server processes (PostgreSQL + Redis): a sidebar or read
// state changed through one process reaches the reader's topic on the other, and
// no other reader's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SidebarRoom } from '../../src/protocol/workspace.js';
import type { BusEvent, ReaderFrame } from '../../src/server/bus/bus-events.js';
import { readerTopic } from '../../src/server/domain/reader.js';
import { invite, Session, signup } from '../support/accounts.js';
import { requirePostgres, requireRedis } from '../support/services.js';
import { type ServerPair, startServerPair, type TestServer } from '../support/start-server.js';

const available = (await requirePostgres()) && (await requireRedis());

/** The frames of `key`'s topic as process `server` receives them, once subscribed. */
async function listen(
  server: TestServer,
  key: string,
): Promise<{ frames: ReaderFrame[]; next(count: number): Promise<ReaderFrame[]>; stop(): void }> {
  const frames: ReaderFrame[] = [];
  let waiter: (() => void) | null = null;
  const stop = server.app.bus.subscribe(readerTopic(key), (event: BusEvent) => {
    if (event.type !== 'reader') return;
    frames.push(event.frame);
    waiter?.();
  });
  await server.app.bus.subscribed(readerTopic(key));
  return {
    frames,
    async next(count) {
      while (frames.length < count) await new Promise<void>((r) => (waiter = r));
      return frames.slice(0, count);
    },
    stop,
  };
}

describe.runIf(available)('reader events across two server processes', () => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  beforeAll(async () => {
    pair = await startServerPair({ auth: { mode: 'accounts' } });
    ({ a, b } = pair);
    admin = await signup(a.url, 'root');
    // password hashing is slow on a busy machine: the accounts are made here
    alice = await signup(a.url, 'alice', await invite(admin));
    bob = await signup(a.url, 'bob', await invite(admin));
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('a change made on one process reaches the reader on the other, and nobody else', async () => {
    const onB = await listen(b, `a:${alice.user.id}`);
    const bobOnB = await listen(b, `a:${bob.user.id}`);
    const room = await alice.createRoom('shared', 'private');
    const added = (await alice.json<SidebarRoom[]>('/api/chat/me/rooms')).find(
      (e) => e.room.id === room.id,
    );
    await alice.post(room.id, 'one');
    await admin.createRoom('not hers');
    const bRead = new Session(b.url, alice.user, alice.cookie);
    expect(
      (await bRead.fetch(`/api/chat/me/rooms/${room.id}/read`, { method: 'PUT', json: { seq: 1 } }))
        .status,
    ).toBe(204);
    expect(
      (
        await alice.fetch(`/api/chat/me/rooms/${room.id}/notify`, {
          method: 'PUT',
          json: { level: 'all' },
        })
      ).status,
    ).toBe(204);
    expect((await alice.fetch(`/api/chat/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect(await onB.next(4)).toEqual([
      { type: 'sidebar_added', data: added },
      { type: 'read_state', data: { room_id: room.id, last_read_seq: 1, notify: 'mentions' } },
      { type: 'read_state', data: { room_id: room.id, last_read_seq: 1, notify: 'all' } },
      { type: 'sidebar_removed', data: { room_id: room.id } },
    ]);
    // bob's topic carried nothing of alice's; his own change arrives alone
    const lobby = await bob.createRoom('bobs');
    const [bobsFrame] = await bobOnB.next(1);
    expect(bobsFrame).toMatchObject({ type: 'sidebar_added', data: { room: { id: lobby.id } } });
    expect(bobOnB.frames).toHaveLength(1);
    onB.stop();
    bobOnB.stop();
  });
});
