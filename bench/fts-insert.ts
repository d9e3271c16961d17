// `npx tsx bench/fts-insert.ts [--rows=200000] [--batch=500] [--variant=NAME]...`
// CPU per row of indexing into a contentless FTS5 table like Parley's
// (messages_fts, migration 80), alone: one INSERT per row, a transaction per
// batch, as SqliteSearchBacklog does. Text is shaped like the load generator's
// stamps (a room, a sender, a unique count and a unique timestamp, padding), so
// every row brings new terms. Each --variant changes one option; without any,
// all of them run one after another, each on a fresh file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { numberOption } from './cli.js';

const ROWS = numberOption('rows', 200_000);
const BATCH = numberOption('batch', 500);

const PARLEY_TOKENIZER = `tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* P* S* C*'"`;
/**
 * Table options and the FTS5 configuration commands run after creating it;
 * `jsonEach` writes each batch with one `INSERT … SELECT` over `json_each` instead
 * of a statement per row.
 */
const VARIANTS: Record<string, { table: string; config: string[]; jsonEach?: true }> = {
  parley: { table: `content = '', ${PARLEY_TOKENIZER}`, config: ["('secure-delete', 1)"] },
  'no-secure-delete': { table: `content = '', ${PARLEY_TOKENIZER}`, config: [] },
  'detail-column': {
    table: `content = '', detail = column, ${PARLEY_TOKENIZER}`,
    config: ["('secure-delete', 1)"],
  },
  'ascii-tokenizer': {
    table: `content = '', tokenize = "ascii"`,
    config: ["('secure-delete', 1)"],
  },
  'columnsize-0': {
    table: `content = '', columnsize = 0, ${PARLEY_TOKENIZER}`,
    config: ["('secure-delete', 1)"],
  },
  'automerge-8': {
    table: `content = '', ${PARLEY_TOKENIZER}`,
    config: ["('secure-delete', 1)", "('automerge', 8)"],
  },
  'pgsz-8000': {
    table: `content = '', ${PARLEY_TOKENIZER}`,
    config: ["('secure-delete', 1)", "('pgsz', 8000)"],
  },
  'json-each': {
    table: `content = '', ${PARLEY_TOKENIZER}`,
    config: ["('secure-delete', 1)"],
    jsonEach: true,
  },
};

const text = (i: number) =>
  `b ${i % 500} ${i & 1} ${i} ${1_733_500_000_000_000 + i * 37} ${'x'.repeat(40)}`;

function run(name: string): void {
  const variant = VARIANTS[name];
  if (!variant) throw new Error(`unknown variant ${name}: ${Object.keys(VARIANTS).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-fts-insert-'));
  const db = new Database(join(dir, 'fts.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE VIRTUAL TABLE f USING fts5(body, ${variant.table})`);
    for (const c of variant.config) db.exec(`INSERT INTO f (f, rank) VALUES ${c}`);
    const insert = db.prepare('INSERT INTO f (rowid, body) VALUES (?, ?)');
    const insertAll = db.prepare(
      'INSERT INTO f (rowid, body) SELECT value ->> 0, value ->> 1 FROM json_each(?)',
    );
    const batch = db.transaction((from: number) => {
      if (variant.jsonEach) {
        const rows: [number, string][] = [];
        for (let i = from; i < from + BATCH; i++) rows.push([i + 1, text(i)]);
        insertAll.run(JSON.stringify(rows));
      } else {
        for (let i = from; i < from + BATCH; i++) insert.run(i + 1, text(i));
      }
    });
    let next = 0;
    const index = (rows: number) => {
      for (const end = next + rows; next < end; next += BATCH) batch(next);
    };
    index(ROWS / 10); // warm-up: statements prepared, a few segments merged
    const cpu = process.cpuUsage();
    index(ROWS);
    const used = process.cpuUsage(cpu);
    console.log(
      `${name.padEnd(18)} batches of ${BATCH}: ${((used.user + used.system) / ROWS).toFixed(2)} µs CPU per row`,
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const chosen = process.argv.filter((a) => a.startsWith('--variant=')).map((a) => a.slice(10));
for (const name of chosen.length > 0 ? chosen : Object.keys(VARIANTS)) run(name);
