// Message search on PostgreSQL: a query built per request from the filters given
// (the words matched against messages.search_vector), run by the store's query function.
import type { SearchHit, SearchParams } from './chat-store.js';
import { REPLY_JOIN, STATE_SELECT } from './message-state.js';
import { type MessageRow, storable, toMessage } from './postgres-rows.js';
import { tsQuery } from './search-sql.js';

/** A search result row: the message, where it stands in the global order, and its room's name. */
export type SearchRow = MessageRow & { pos: string; room_name: string };

export async function searchMessages(
  query: (text: string, values: unknown[]) => Promise<SearchRow[]>,
  p: SearchParams,
): Promise<SearchHit[]> {
  const where: string[] = ['rm.deleted_at IS NULL', 'm.deleted_at IS NULL'];
  const args: unknown[] = [];
  const arg = (value: unknown): string => {
    args.push(value);
    return `$${args.length}`;
  };
  const include = tsQuery(p.include);
  const exclude = tsQuery(p.exclude, '|');
  if (include) {
    const q = exclude ? `(${include}) & !(${exclude})` : include;
    where.push(`m.search_vector @@ to_tsquery('simple', ${arg(q)})`);
  } else if (exclude) {
    where.push(`NOT (m.search_vector @@ to_tsquery('simple', ${arg(exclude)}))`);
  }
  // Text that holds a NUL cannot be stored, so it names nothing that is.
  const texts = (values: readonly string[]) => values.filter(storable);
  if (p.roomIds !== undefined) where.push(`m.room_id = ANY(${arg(texts(p.roomIds))}::text[])`);
  if (p.from.length > 0) where.push(`m.username = ANY(${arg(texts(p.from))}::text[])`);
  if (p.roomNames.length > 0) where.push(`rm.name = ANY(${arg(texts(p.roomNames))}::text[])`);
  if (p.after !== undefined) where.push(`m.timestamp >= ${arg(p.after)}::timestamptz`);
  if (p.before !== undefined) where.push(`m.timestamp < ${arg(p.before)}::timestamptz`);
  if (p.beforePos !== undefined) where.push(`m.pos < ${arg(p.beforePos)}::bigint`);
  const rows = await query(
    `SELECT m.id, m.room_id, m.seq, m.username, m.content, m.timestamp, m.client_id, m.attachments,
            ${STATE_SELECT}, m.pos, rm.name AS room_name
     FROM messages m JOIN rooms rm ON rm.id = m.room_id ${REPLY_JOIN}
     WHERE ${where.join(' AND ')} ORDER BY m.pos DESC LIMIT ${arg(p.limit)}`,
    args,
  );
  return rows.map((row) => ({
    message: toMessage(row),
    room: { id: row.room_id, name: row.room_name },
    pos: Number(row.pos),
  }));
}
