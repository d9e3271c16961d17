// Message search on SQLite: a query built per request from the filters given (the
// FTS5 index drives when there are words), so it is prepared each time, not at init.
import type Database from 'better-sqlite3';
import type { SearchHit, SearchParams } from './chat-store.js';
import { REPLY_JOIN, STATE_SELECT } from './message-state.js';
import { ftsMatch } from './search-sql.js';
import { type MessageRow, toMessage } from './sqlite-rows.js';

export function searchMessages(db: Database.Database, p: SearchParams): SearchHit[] {
  const where: string[] = ['rm.deleted_at IS NULL', 'm.deleted_at IS NULL'];
  const args: unknown[] = [];
  let from = 'messages m';
  let order = 'm.rowid';
  const include = ftsMatch(p.include);
  const exclude = ftsMatch(p.exclude, 'OR');
  if (include) {
    // The index drives: its rowids come newest first without a sort.
    from = 'messages_fts f JOIN messages m ON m.rowid = f.rowid';
    order = 'f.rowid';
    where.push('messages_fts MATCH ?');
    args.push(exclude ? `(${include}) NOT (${exclude})` : include);
  } else if (exclude) {
    where.push('m.rowid NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)');
    args.push(exclude);
  }
  const list = (column: string, values: readonly string[] | undefined) => {
    if (values === undefined) return;
    where.push(`${column} IN (SELECT value FROM json_each(?))`);
    args.push(JSON.stringify(values));
  };
  list('m.room_id', p.roomIds);
  if (p.from.length > 0) list('m.username', p.from);
  if (p.roomNames.length > 0) list('rm.name', p.roomNames);
  if (p.after !== undefined) {
    where.push('m.timestamp >= ?');
    args.push(p.after);
  }
  if (p.before !== undefined) {
    where.push('m.timestamp < ?');
    args.push(p.before);
  }
  if (p.beforePos !== undefined) {
    where.push(`${order} < ?`);
    args.push(p.beforePos);
  }
  args.push(p.limit);
  const rows = db
    .prepare<unknown[], MessageRow & { pos: number; room_name: string }>(
      `SELECT m.id, m.room_id, m.seq, m.username, m.content, m.timestamp, m.client_id, m.attachments,
                ${STATE_SELECT}, m.rowid AS pos, rm.name AS room_name
         FROM ${from} JOIN rooms rm ON rm.id = m.room_id ${REPLY_JOIN}
         WHERE ${where.join(' AND ')} ORDER BY ${order} DESC LIMIT ?`,
    )
    .all(...args);
  return rows.map((row) => ({
    message: toMessage(row),
    room: { id: row.room_id, name: row.room_name },
    pos: row.pos,
  }));
}
