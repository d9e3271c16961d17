// `npx tsx bench/micro.ts`
// The small send-path costs of rounds 6 and 7, each against what it replaced, in one
// process (ns per call, medians of five rounds; a busy machine moves them all):
// - uuidv7 as one flat string against the former 20 joined pieces, each used once
//   (written to a buffer, as a bind or a JSON write would);
// - a Date formatted per message against one read per commit of 450;
// - a message's optional fields set when present against spread conditional literals;
// - how long the search backlog takes to index N waiting messages (ms; fewer than
//   its 500, which it indexes on its own);
// - round 7: 450 index inserts in one transaction, each guarded by its own
//   NOT EXISTS subquery (round 6's statement) against one range query for all;
// - round 8: a sidebar of 20 rooms, one of them with 200,000 messages its reader
//   never read, listed with counts that stop at SIDEBAR_COUNT_CAP against counts
//   of everything (the statement before it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { indexText } from '../src/protocol/search-text.js';
import { uuidv7 } from '../src/protocol/uuid7.js';
import { SIDEBAR_ENTRIES_SQL } from '../src/server/storage/sqlite-sidebar-store.js';
import { SqliteStore } from '../src/server/storage/sqlite-store.js';

/** The former uuidv7: the same bits, joined from 20 pieces. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL = new Uint8Array(8 * 256);
let poolAt = POOL.length;
function joinedUuidv7(ms = Date.now()): string {
  if (poolAt === POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 8;
  const hi = Math.floor(ms / 2 ** 16);
  const lo = ms % 2 ** 16;
  // biome-ignore format: the former code's shape, one piece per term
  return HEX[(hi >>> 24) & 0xff]! + HEX[(hi >>> 16) & 0xff]! + HEX[(hi >>> 8) & 0xff]! + HEX[hi & 0xff]! +
    '-' + HEX[lo >>> 8]! + HEX[lo & 0xff]! + '-' + HEX[0x70]! + HEX[0]! + '-' +
    HEX[0x80 | (POOL[r]! & 0x3f)]! + HEX[POOL[r + 1]!]! + '-' + HEX[POOL[r + 2]!]! + HEX[POOL[r + 3]!]! +
    HEX[POOL[r + 4]!]! + HEX[POOL[r + 5]!]! + HEX[POOL[r + 6]!]! + HEX[POOL[r + 7]!]!;
}

function nsPerCall(fn: (i: number) => unknown, calls = 1_000_000): number {
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn(i);
    rounds.push(Number(process.hrtime.bigint() - start) / calls);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2] as number;
}

const line = (what: string, before: number, after: number) =>
  console.log(`${what}: ${before.toFixed(0)} ns before, ${after.toFixed(0)} ns after`);

const sink = Buffer.alloc(64);
line(
  'uuidv7, made and used once',
  nsPerCall(() => sink.write(joinedUuidv7(), 'latin1')),
  nsPerCall(() => sink.write(uuidv7(), 'latin1')),
);

let stamp = '';
line(
  'timestamp per message',
  nsPerCall(() => {
    stamp = new Date().toISOString();
  }),
  nsPerCall((i) => {
    if (i % 450 === 0) stamp = new Date().toISOString();
  }),
);

interface Item {
  roomId: string;
  content: string;
  clientId: string;
  attachments?: readonly string[];
  replyTo?: string;
}
const frames = Array.from({ length: 1000 }, (_, i) => ({
  content: `hello ${i}`,
  client_id: `c${i}`,
  attachments: undefined as readonly string[] | undefined,
  reply_to: undefined as string | undefined,
}));
let last: Item | undefined;
line(
  "a message's optional fields",
  nsPerCall((i) => {
    const f = frames[i % 1000] as (typeof frames)[number];
    last = {
      roomId: 'r',
      content: f.content,
      clientId: f.client_id,
      ...(f.attachments ? { attachments: f.attachments } : {}),
      ...(f.reply_to !== undefined ? { replyTo: f.reply_to } : {}),
    };
  }),
  nsPerCall((i) => {
    const f = frames[i % 1000] as (typeof frames)[number];
    const item: Item = { roomId: 'r', content: f.content, clientId: f.client_id };
    if (f.attachments) item.attachments = f.attachments;
    if (f.reply_to !== undefined) item.replyTo = f.reply_to;
    last = item;
  }),
);

async function backlog(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-micro-'));
  const store = new SqliteStore({ path: join(dir, 'chat.db'), checkpointIntervalMs: 0 });
  await store.init();
  const rooms: string[] = [];
  for (let i = 0; i < 500; i++) rooms.push((await store.createRoom(`room ${i}`)).id);
  // A search indexes what waits first (SqliteSearchBacklog.flush).
  const indexWaiting = () =>
    store.searchMessages({ include: [['x']], exclude: [], from: [], roomNames: [], limit: 1 });
  let k = 0;
  for (const waiting of [50, 250, 450]) {
    const times: number[] = [];
    for (let round = 0; round < 5; round++) {
      await indexWaiting();
      for (let i = 0; i < waiting; i += 50) {
        await store.appendMessages(
          Array.from({ length: 50 }, () => {
            k++;
            return {
              roomId: rooms[k % 500] as string,
              username: `user ${k & 1}`,
              content: `~B~${k % 500}.${k & 1}.${k}.${Date.now()}~`.padEnd(64, 'x'),
            };
          }),
        );
      }
      const start = performance.now();
      await indexWaiting();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(
      `search backlog: ${waiting} waiting messages indexed in ${times[2]?.toFixed(1)} ms`,
    );
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Round 7: the backlog's two ways of skipping rowids the index holds, on a store's own index. */
async function indexGuard(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-micro-'));
  const path = join(dir, 'chat.db');
  const store = new SqliteStore({ path, checkpointIntervalMs: 0 });
  await store.init();
  await store.close();
  const db = new Database(path);
  const perRow = db.prepare(
    `INSERT INTO messages_fts (rowid, body)
       SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM messages_fts_docsize WHERE id = ?)`,
  );
  const insert = db.prepare('INSERT INTO messages_fts (rowid, body) VALUES (?, ?)');
  const indexedIn = db
    .prepare<[number, number], number>(
      'SELECT id FROM messages_fts_docsize WHERE id BETWEEN ? AND ?',
    )
    .pluck();
  const text = (k: number) =>
    indexText(`~B~${k % 500}.${k & 1}.${k}.${Date.now()}~`.padEnd(64, 'x'));
  const former = db.transaction((from: number) => {
    for (let k = from; k < from + 450; k++) perRow.run(k, text(k), k);
  });
  const current = db.transaction((from: number) => {
    const indexed = new Set(indexedIn.all(from, from + 449));
    for (let k = from; k < from + 450; k++) if (!indexed.has(k)) insert.run(k, text(k));
  });
  let next = 1;
  const msPer450 = (tx: (from: number) => void) => {
    const times: number[] = [];
    for (let round = 0; round < 21; round++) {
      const start = performance.now();
      tx(next);
      times.push(performance.now() - start);
      next += 450;
    }
    times.sort((a, b) => a - b);
    return times[10] as number;
  };
  // Alternated, so both see an index of about the same size.
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 5; i++) {
    a.push(msPer450(former));
    b.push(msPer450(current));
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  console.log(
    `450 index inserts in one transaction: ${a[2]?.toFixed(1)} ms with a NOT EXISTS per row, ` +
      `${b[2]?.toFixed(1)} ms with one range query`,
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Round 8: the sidebar statement before its counts stopped at SIDEBAR_COUNT_CAP. */
const UNCAPPED_SIDEBAR_SQL = `
  SELECT r.id, r.name, r.created_at, r.visibility, r.owner_id, r.kind, r.last_seq,
         s.last_read_seq, s.notify,
         (SELECT count(*) FROM messages m
          WHERE m.room_id = s.room_id AND m.seq > s.last_read_seq
            AND m.deleted_at IS NULL AND m.username <> @username) AS unread,
         (SELECT count(*) FROM message_mentions n
          JOIN messages m ON m.room_id = n.room_id AND m.seq = n.seq
          WHERE n.room_id = s.room_id AND n.name = @mention AND n.seq > s.last_read_seq
            AND m.deleted_at IS NULL AND m.username <> @username) AS mentions
  FROM sidebar_rooms s
  JOIN rooms r ON r.id = s.room_id
  WHERE s.reader = @reader AND (@room IS NULL OR s.room_id = @room)
    AND r.deleted_at IS NULL
    AND (@account IS NULL OR r.visibility = 'public' OR EXISTS
      (SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = @account))
  ORDER BY s.rowid`;

async function sidebarCounts(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-micro-'));
  const path = join(dir, 'chat.db');
  const store = new SqliteStore({ path, checkpointIntervalMs: 0 });
  await store.init();
  const sidebar = store.sidebarStore();
  for (let i = 0; i < 20; i++) {
    const room = await store.createRoom(`room ${i}`);
    await sidebar.join('u:ann', room.id, 'mentions');
    const count = i === 0 ? 200_000 : 20;
    for (let from = 0; from < count; from += 500) {
      await store.appendMessages(
        Array.from({ length: Math.min(500, count - from) }, (_, k) => ({
          roomId: room.id,
          username: 'bob',
          content: k % 50 === 0 ? `@ann look at ${from + k}` : `message ${from + k}`,
        })),
      );
    }
  }
  await store.close();
  const db = new Database(path, { readonly: true });
  const params = { reader: 'u:ann', username: 'ann', mention: 'ann', account: null, room: null };
  const statements = [db.prepare(UNCAPPED_SIDEBAR_SQL), db.prepare(SIDEBAR_ENTRIES_SQL)];
  const times: number[][] = [[], []];
  // Alternated, eleven each.
  for (let round = 0; round < 11; round++) {
    statements.forEach((statement, i) => {
      const start = performance.now();
      statement.all(params);
      times[i]?.push(performance.now() - start);
    });
  }
  const median = (t: number[] | undefined) => (t ?? []).sort((x, y) => x - y)[5]?.toFixed(1);
  console.log(
    `a sidebar of 20 rooms, one with 200,000 unread: listed in ${median(times[0])} ms ` +
      `counting everything, ${median(times[1])} ms counting up to the cap`,
  );
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

backlog()
  .then(indexGuard)
  .then(sidebarCounts)
  .then(() => {
    if (stamp === '' || last === undefined) throw new Error('nothing measured');
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
