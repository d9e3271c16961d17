// `npm run bench:search`: latency of typical searches on a store of 1,000,000
// messages (SQLite, the embedded default). Builds the database directly with
// better-sqlite3 on Parley's schema (the search index filled by its triggers, as
// in production), then runs each query through SearchService, as the REST route
// does, and reports p50/p99 per query and over all of them.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { indexText } from '../src/protocol/search-text.js';
import { OPEN_ACTOR } from '../src/server/domain/actor.js';
import { SearchService } from '../src/server/domain/search-service.js';
import { SqliteStore } from '../src/server/storage/sqlite-store.js';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v = 'true'] = a.replace(/^--/, '').split('=');
    return [k, v] as const;
  }),
);
const COUNT = Number(args.get('messages') ?? 1_000_000);
const ROUNDS = Number(args.get('rounds') ?? 200);
const ROOMS = 200;
const USERS = 500;

// A deterministic generator, so every run searches the same data.
let state = 42;
const rand = () => {
  state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
  return state / 2 ** 31;
};
// 20,000 made-up words, drawn with a Zipf-like skew (a few very common, most rare),
// plus real words in several languages.
const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'bar', 'dor', 'fen'];
const vocab = Array.from({ length: 20_000 }, (_, i) => {
  let w = '';
  for (let n = i + 1; n > 0; n = Math.floor(n / syllables.length))
    w += syllables[n % syllables.length];
  return w;
});
const real = [
  'deploy',
  'release',
  'meeting',
  'budget',
  'launch',
  'review',
  'Straße',
  'München',
  'Grüße',
  'café',
  'réunion',
  'привет',
  'встреча',
  '東京',
  '会議',
  'リリース',
  'database',
  'incident',
];
const word = () =>
  rand() < 0.1
    ? real[Math.floor(rand() * real.length)]
    : vocab[Math.floor(vocab.length * rand() ** 3)];
const sentence = () => Array.from({ length: 6 + Math.floor(rand() * 12) }, word).join(' ');

async function build(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  await store.init();
  await store.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  const rooms = Array.from({ length: ROOMS }, (_, i) => ({ id: randomUUID(), name: `room ${i}` }));
  const seqs = new Array<number>(ROOMS).fill(0);
  const insertRoom = db.prepare(
    'INSERT INTO rooms (id, name, created_at, last_seq) VALUES (?, ?, ?, 0)',
  );
  const insert = db.prepare(
    'INSERT INTO messages (id, room_id, seq, username, content, timestamp, client_id) VALUES (?, ?, ?, ?, ?, ?, NULL)',
  );
  // Each message's search index entry, as SqliteMessageLog.appendOne writes it (migration 80).
  const index = db.prepare('INSERT INTO messages_fts (rowid, body) VALUES (?, ?)');
  db.transaction(() => {
    for (const r of rooms) insertRoom.run(r.id, r.name, new Date(start).toISOString());
  })();
  const BATCH = 50_000;
  for (let done = 0; done < COUNT; done += BATCH) {
    db.transaction(() => {
      for (let i = done; i < Math.min(COUNT, done + BATCH); i++) {
        const r = Math.floor(ROOMS * rand() ** 2);
        seqs[r] = (seqs[r] ?? 0) + 1;
        const content = sentence();
        const { lastInsertRowid } = insert.run(
          randomUUID(),
          rooms[r]?.id,
          seqs[r],
          `user${Math.floor(USERS * rand() ** 2)}`,
          content,
          // a year of history, a message every ~30 s
          new Date(start + i * 31_000).toISOString(),
        );
        index.run(lastInsertRowid, indexText(content));
      }
    })();
    process.stderr.write(`\r  prefill ${Math.min(COUNT, done + BATCH)} / ${COUNT}`);
  }
  const setSeq = db.prepare('UPDATE rooms SET last_seq = ? WHERE id = ?');
  db.transaction(() => {
    for (const [i, r] of rooms.entries()) setSeq.run(seqs[i], r.id);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  process.stderr.write('\n');
}

const QUERIES: [label: string, q: string][] = [
  ['common word', vocab[0] as string],
  ['mid-frequency word', vocab[300] as string],
  ['rare word', vocab[15_000] as string],
  ['two words', `${vocab[5]} ${vocab[40]}`],
  ['phrase', `"${vocab[1]} ${vocab[2]}"`],
  ['word + from:', `${vocab[10]} from:user7`],
  ['word + in:', `${vocab[10]} in:"room 3"`],
  ['from: only', 'from:user3'],
  ['word -excluded', `${vocab[20]} -${vocab[0]}`],
  ['accented (Straße)', 'strasse straße'],
  ['Cyrillic', 'встреча'],
  ['CJK substring', '東京'],
  ['date range', `${vocab[3]} after:2024-06-01 before:2024-07-01`],
  ['no match', 'zzzzqqqq'],
];

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-search-'));
  const path = join(dir, 'search.db');
  try {
    const t0 = performance.now();
    await build(path);
    const fillS = (performance.now() - t0) / 1000;
    const store = new SqliteStore({ path });
    await store.init();
    const service = new SearchService(store);
    const all: number[] = [];
    const rows: string[] = [];
    for (const [label, q] of QUERIES) {
      await service.search(OPEN_ACTOR, q); // warm the page cache
      const times: number[] = [];
      let hits = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const t = performance.now();
        hits = (await service.search(OPEN_ACTOR, q, 20)).results.length;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      all.push(...times);
      rows.push(
        `| ${label} | \`${q}\` | ${hits} | ${pct(times, 50).toFixed(2)} | ${pct(times, 99).toFixed(2)} |`,
      );
    }
    all.sort((a, b) => a - b);
    await store.close();
    const report = [
      `Search on ${COUNT.toLocaleString('en')} messages in ${ROOMS} rooms (SQLite FTS5), ${ROUNDS} runs per query, first page of 20, newest first. Prefill ${fillS.toFixed(0)} s.`,
      '',
      '| query | text | hits on page | p50 ms | p99 ms |',
      '| --- | --- | ---: | ---: | ---: |',
      ...rows,
      `| **all** | | | ${pct(all, 50).toFixed(2)} | **${pct(all, 99).toFixed(2)}** |`,
    ].join('\n');
    console.log(report);
    writeFileSync(join('bench', 'results', 'search.md'), `${report}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
