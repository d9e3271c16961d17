// Deleting a big room must not freeze the other rooms: the room is marked deleted
// in one small transaction and its messages are purged in slices behind it.
// A bystander in another room keeps chatting and reports its longest pause
// (logged, not asserted: no timing assertions in this suite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { prefillHistory } from '../../bench/prefill.js';
import { allMessages, createRoom } from '../support/api.js';
import { TEST_PG_URL, testBackendName } from '../support/services.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { TestClient } from '../support/ws-client.js';

const COUNT = 200_000;
const dir = mkdtempSync(join(tmpdir(), 'parley-purge-'));
let server: TestServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The big room's rows in the database, read beside the server. */
interface Rows {
  remaining(roomId: string): Promise<number>;
  close(): Promise<void>;
}

/** A room holding COUNT messages, on whichever backend the suite runs on. */
async function bigRoom(): Promise<{ server: TestServer; roomId: string; rows: Rows }> {
  const overrides = { ws: { ratePerSec: 0, maxConnectionsPerIp: 0 } };
  if (testBackendName() === 'sqlite-local') {
    const path = join(dir, 'big.db');
    const { roomId } = await prefillHistory(path, COUNT);
    const s = await startServer({ ...overrides, dbPath: path });
    const db = new Database(path, { readonly: true });
    const count = db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM messages WHERE room_id = ?',
    );
    return {
      server: s,
      roomId,
      rows: { remaining: async (id) => count.get(id)?.n ?? 0, close: async () => void db.close() },
    };
  }
  const s = await startServer(overrides);
  const room = await createRoom(s.url, 'big');
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  const schema = s.config.postgres.schema;
  await client.query(
    `INSERT INTO "${schema}".messages (id, room_id, seq, username, content, timestamp)
     SELECT gen_random_uuid()::text, $1, g, 'user' || (g % 50), 'message ' || g, now()
     FROM generate_series(1, $2::int) AS g`,
    [room.id, COUNT],
  );
  await client.query(`UPDATE "${schema}".rooms SET last_seq = $2 WHERE id = $1`, [room.id, COUNT]);
  return {
    server: s,
    roomId: room.id,
    rows: {
      remaining: async (id) =>
        Number(
          (
            await client.query<{ n: string }>(
              `SELECT count(*) AS n FROM "${schema}".messages WHERE room_id = $1`,
              [id],
            )
          ).rows[0]?.n,
        ),
      close: () => client.end(),
    },
  };
}

/** Sends one message at a time until stopped, timing each round trip. */
function chatter(client: TestClient) {
  let stop = false;
  let sent = 0;
  let longest = 0;
  const done = (async () => {
    while (!stop) {
      const started = performance.now();
      await client.say(`tick ${++sent}`);
      longest = Math.max(longest, performance.now() - started);
    }
  })();
  return {
    /** Longest round trip since the last call, in ms. */
    takeLongest() {
      const value = longest;
      longest = 0;
      return value;
    },
    async stop() {
      stop = true;
      await done;
      return sent;
    },
  };
}

describe('deleting a large room', () => {
  it('answers at once, hides the room at once, purges behind it while other rooms keep going', async () => {
    const big = await bigRoom();
    server = big.server;
    const { url, wsUrl } = server;
    expect(await big.rows.remaining(big.roomId)).toBe(COUNT);

    const member = await TestClient.join(wsUrl, big.roomId, 'member');
    const quiet = await createRoom(url, 'bystanders');
    const bystander = await TestClient.join(wsUrl, quiet.id, 'bystander');
    const ticks = chatter(bystander);
    // a baseline for the report
    while ((await allMessages(url, quiet.id)).length < 100)
      await new Promise((r) => setTimeout(r, 10));
    const before = ticks.takeLongest();

    // The server runs in this process: its event loop's stalls are the pauses
    // every room would see.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const started = performance.now();
    const res = await fetch(`${url}/api/chat/rooms/${big.roomId}`, { method: 'DELETE' });
    const answeredMs = performance.now() - started;
    expect(res.status).toBe(204);
    // Answered before the purge could have finished: rows are still there, and
    // the room is already gone for everyone.
    expect(await big.rows.remaining(big.roomId)).toBeGreaterThan(0);
    expect((await fetch(`${url}/api/chat/rooms/${big.roomId}/messages`)).status).toBe(404);
    const rooms = (await (await fetch(`${url}/api/chat/rooms`)).json()) as { id: string }[];
    expect(rooms.map((r) => r.id)).not.toContain(big.roomId);
    expect(await member.next('room_deleted')).toMatchObject({ room_id: big.roomId });
    expect((await member.closed).code).toBe(4010);
    const late = await TestClient.connect(wsUrl, big.roomId, 'late');
    expect((await late.closed).code).toBe(4004);

    await server.app.purger.idle();
    const purgeMs = performance.now() - started;
    const during = ticks.takeLongest();
    loop.disable();
    const sent = await ticks.stop();
    expect(await big.rows.remaining(big.roomId)).toBe(0);

    // every bystander message arrived, in order, none lost
    const stored = await allMessages(url, quiet.id);
    expect(stored.map((m) => m.content)).toEqual(
      Array.from({ length: sent }, (_, i) => `tick ${i + 1}`),
    );
    console.log(
      `[room purge, ${testBackendName()}] ${COUNT} messages: DELETE answered in ` +
        `${answeredMs.toFixed(1)} ms, purged in ${purgeMs.toFixed(0)} ms; bystander sent ` +
        `${sent} messages, longest round trip ${before.toFixed(1)} ms before the delete, ` +
        `${during.toFixed(1)} ms during it; event loop stalls during it: p99 ` +
        `${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
    );
    await bystander.close();
    await big.rows.close();
  }, 180_000);
});
