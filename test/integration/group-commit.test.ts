// The group commit's bounds (MessageService): sends of one event-loop turn share
// a transaction, up to 4,096 messages or 1 MiB of content, and every one of them
// is stored once, in order, whatever the split. A real SQLite store and local bus;
// only the sizes of the batches the store is handed are recorded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/server/bus/local-bus.js';
import { MessageService } from '../../src/server/domain/message-service.js';
import type { AppendResult, NewMessage } from '../../src/server/storage/chat-store.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-group-commit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real store, telling how many messages each transaction took. */
class RecordingStore extends SqliteStore {
  readonly batches: { count: number; chars: number }[] = [];
  override async appendMessages(batch: readonly NewMessage[]): Promise<AppendResult[]> {
    this.batches.push({
      count: batch.length,
      chars: batch.reduce((n, m) => n + m.content.length, 0),
    });
    return super.appendMessages(batch);
  }
}

async function setUp(name: string) {
  const store = new RecordingStore({ path: join(dir, `${name}.db`) });
  await store.init();
  const room = await store.createRoom(name);
  const service = new MessageService(store, new LocalBus(), pino({ level: 'silent' }));
  return { store, room, service };
}

describe('group commit', () => {
  it('commits one turn of short messages together, at most 4,096 to a transaction', async () => {
    const { store, room, service } = await setUp('short');
    const sends = Array.from({ length: 5_000 }, (_, i) =>
      service.send({ roomId: room.id, username: 'u', content: `m${i}` }),
    );
    const results = await Promise.all(sends);
    expect(store.batches.map((b) => b.count)).toEqual([4_096, 904]);
    expect(results.map((r) => (r.ok ? r.message.seq : 0))).toEqual(
      Array.from({ length: 5_000 }, (_, i) => i + 1),
    );
    await store.close();
  });

  it('splits a turn of large messages at 1 MiB of content, storing each once, in order', async () => {
    const { store, room, service } = await setUp('large');
    const content = 'x'.repeat(8_000);
    const sends = Array.from({ length: 300 }, () =>
      service.send({ roomId: room.id, username: 'u', content }),
    );
    const results = await Promise.all(sends);
    // 1 MiB is 131.07 messages of 8,000 characters: the one that passes it closes the batch.
    expect(store.batches.map((b) => b.count)).toEqual([132, 132, 36]);
    expect(store.batches.every((b) => b.chars <= 2 ** 20 + content.length)).toBe(true);
    expect(results.map((r) => (r.ok ? r.message.seq : 0))).toEqual(
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    const stored = await store.messagesAfter(room.id, 0, 1_000);
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    await store.close();
  });
});
