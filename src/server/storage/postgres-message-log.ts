// The message log's writes on PostgreSQL: new messages and changes (edits, deletes,
// reactions). Each batch runs inside the caller's transaction, locks its rooms' rows
// in id order and takes their next seqs, so writers to a room in every process queue.
// Over 300 lines: both writes take seqs under the same room locks, so they stay
// together (as in sqlite-message-log.ts).
import type pg from 'pg';
import { type Attachment, composeContent } from '../../protocol/attachments.js';
import type { Message } from '../../protocol/rest.js';
import { indexText } from '../../protocol/search-text.js';
import { uuidv7 } from '../../protocol/uuid7.js';
import type { AppendResult, ChangeResult, NewChange, NewMessage } from './chat-store.js';
import {
  CHANGE_COLUMNS,
  type ChangeColumns,
  changeReactions,
  editedContent,
  mentionKeys,
  mentionsColumn,
  replyPreview,
  toChange,
} from './message-state.js';
import {
  type MessageRow,
  type PgChangeRow,
  SELECT_MESSAGE,
  storable,
  toMessage,
  toPgChange,
  UPLOAD_COLUMNS,
  type UploadRow,
  uploadAttachment,
} from './postgres-rows.js';

const MESSAGE_COLUMNS = 'id, room_id, seq, username, content, timestamp, client_id, attachments';

/**
 * Locks the live rooms of a batch (sends or changes) and reads their seqs. In id
 * order, so two batches never deadlock; writers to a room in any process wait
 * here until this batch commits. A room missing from the map is gone.
 */
async function lockRooms(
  client: pg.PoolClient,
  batch: readonly { roomId: string }[],
): Promise<Map<string, number>> {
  const roomIds = [...new Set(batch.map((item) => item.roomId).filter(storable))].sort();
  const locked = await client.query<{ id: string; last_seq: string }>(
    `SELECT id, last_seq FROM rooms WHERE id = ANY($1::text[]) AND deleted_at IS NULL
     ORDER BY id FOR UPDATE`,
    [roomIds],
  );
  return new Map(locked.rows.map((r) => [r.id, Number(r.last_seq)]));
}

/** Inside appendMessages' transaction: stores a batch of new messages, taking each room's next seqs. */
export async function appendBatch(
  client: pg.PoolClient,
  batch: readonly NewMessage[],
): Promise<AppendResult[]> {
  const lastSeq = await lockRooms(client, batch);

  // Messages already stored under the batch's client ids (retried sends), per sender.
  const key = (roomId: string, username: string, clientId: string) =>
    `${roomId}\n${username}\n${clientId}`;
  const known = new Map<string, Message>();
  const keyed = batch.filter(
    (m): m is NewMessage & { clientId: string } =>
      m.clientId !== undefined && lastSeq.has(m.roomId),
  );
  if (keyed.length > 0) {
    const found = await client.query<MessageRow>(
      `${SELECT_MESSAGE}
       WHERE (m.room_id, m.username, m.client_id) IN
         (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
      [keyed.map((m) => m.roomId), keyed.map((m) => m.username), keyed.map((m) => m.clientId)],
    );
    for (const row of found.rows) {
      known.set(key(row.room_id, row.username, row.client_id as string), toMessage(row));
    }
  }

  // The unsent uploads the batch attaches, locked against the abandoned-upload
  // sweep and against another batch taking them (in id order: no deadlock).
  const wanted = batch.flatMap((m) => (lastSeq.has(m.roomId) ? (m.attachments ?? []) : []));
  const uploads = new Map<string, UploadRow>();
  if (wanted.length > 0) {
    const found = await client.query<UploadRow>(
      `SELECT ${UPLOAD_COLUMNS} FROM uploads
       WHERE id = ANY($1::text[]) AND message_id IS NULL AND NOT deleting
       ORDER BY id FOR UPDATE`,
      [[...new Set(wanted)]],
    );
    for (const row of found.rows) uploads.set(row.id, row);
  }
  const taken = new Map<string, string>();

  // The messages the batch answers: live ones of the same room only.
  const replyIds = batch.flatMap((m) =>
    m.replyTo !== undefined && lastSeq.has(m.roomId) && storable(m.replyTo) ? [m.replyTo] : [],
  );
  const targets = new Map<
    string,
    { room_id: string; seq: string; username: string; excerpt: string }
  >();
  if (replyIds.length > 0) {
    const found = await client.query<{
      id: string;
      room_id: string;
      seq: string;
      username: string;
      excerpt: string;
    }>(
      `SELECT id, room_id, seq, username, substr(content, 1, 140) AS excerpt FROM messages
       WHERE id = ANY($1::text[]) AND deleted_at IS NULL`,
      [[...new Set(replyIds)]],
    );
    for (const row of found.rows) targets.set(row.id, row);
  }

  const results: AppendResult[] = [];
  const fresh: Message[] = [];
  for (const item of batch) {
    const last = lastSeq.get(item.roomId);
    if (last === undefined) {
      results.push({ ok: false, reason: 'room_not_found' });
      continue;
    }
    if (item.clientId !== undefined) {
      const existing = known.get(key(item.roomId, item.username, item.clientId));
      if (existing) {
        results.push({ ok: true, message: existing, duplicate: true });
        continue;
      }
    }
    let reply: Message['reply_to'];
    if (item.replyTo !== undefined) {
      const target = targets.get(item.replyTo);
      if (!target || target.room_id !== item.roomId) {
        results.push({ ok: false, reason: 'reply_not_found' });
        continue;
      }
      reply = replyPreview({
        id: item.replyTo,
        seq: Number(target.seq),
        username: target.username,
        excerpt: target.excerpt,
        deleted: false,
      });
    }
    let files: Attachment[] | null = null;
    if (item.attachments && item.attachments.length > 0) {
      const rows = item.attachments.map((id) => uploads.get(id));
      const usable =
        new Set(item.attachments).size === item.attachments.length &&
        rows.every((r) => r !== undefined && r.room_id === item.roomId && !taken.has(r.id));
      if (!usable) {
        results.push({ ok: false, reason: 'attachment_invalid' });
        continue;
      }
      files = (rows as UploadRow[]).map(uploadAttachment);
    }
    const message: Message = {
      id: uuidv7(),
      room_id: item.roomId,
      username: item.username,
      content: files ? composeContent(item.content, files) : item.content,
      timestamp: new Date().toISOString(),
      seq: last + 1,
    };
    if (files) {
      message.attachments = files;
      for (const f of files) taken.set(f.id, message.id);
    }
    if (reply) message.reply_to = reply;
    const names = mentionsColumn(item.content).names;
    if (names.length > 0) message.mentions = names;
    lastSeq.set(item.roomId, message.seq);
    if (item.clientId !== undefined) {
      message.client_id = item.clientId;
      // a second send with the same id in this very batch is a duplicate too
      known.set(key(item.roomId, item.username, item.clientId), message);
    }
    fresh.push(message);
    results.push({ ok: true, message, duplicate: false });
  }
  if (fresh.length === 0) return results;

  await client.query(
    `INSERT INTO messages (${MESSAGE_COLUMNS}, search_vector, reply_to, mentions)
     SELECT id, room_id, seq, username, content, timestamp, client_id, attachments,
            to_tsvector('simple', body), reply_to, mentions
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                 $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       AS v (id, room_id, seq, username, content, timestamp, client_id, attachments, body,
             reply_to, mentions)`,
    [
      fresh.map((m) => m.id),
      fresh.map((m) => m.room_id),
      fresh.map((m) => m.seq),
      fresh.map((m) => m.username),
      fresh.map((m) => m.content),
      fresh.map((m) => m.timestamp),
      fresh.map((m) => m.client_id ?? null),
      fresh.map((m) => (m.attachments ? JSON.stringify(m.attachments) : null)),
      // the search index, in this transaction (search-text.ts)
      fresh.map((m) => indexText(m.content)),
      fresh.map((m) => m.reply_to?.id ?? null),
      fresh.map((m) => (m.mentions ? JSON.stringify(m.mentions) : null)),
    ],
  );
  const mentioned = fresh.flatMap((m) =>
    m.mentions ? mentionKeys(m.mentions).map((name) => [m.room_id, m.seq, name] as const) : [],
  );
  if (mentioned.length > 0) {
    await client.query(
      `INSERT INTO message_mentions (room_id, seq, name)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
      [mentioned.map((m) => m[0]), mentioned.map((m) => m[1]), mentioned.map((m) => m[2])],
    );
  }
  if (taken.size > 0) {
    await client.query(
      `UPDATE uploads SET message_id = v.mid
       FROM unnest($1::text[], $2::text[]) AS v (id, mid) WHERE uploads.id = v.id`,
      [[...taken.keys()], [...taken.values()]],
    );
  }
  const touched = [...new Set(fresh.map((m) => m.room_id))];
  await client.query(
    `UPDATE rooms SET last_seq = v.seq
     FROM unnest($1::text[], $2::bigint[]) AS v (id, seq) WHERE rooms.id = v.id`,
    [touched, touched.map((id) => lastSeq.get(id))],
  );
  return results;
}

/** Inside applyChanges' transaction: applies a batch of changes, taking each room's next seqs. */
export async function changeBatch(
  client: pg.PoolClient,
  batch: readonly NewChange[],
): Promise<ChangeResult[]> {
  const lastSeq = await lockRooms(client, batch);
  const results: ChangeResult[] = [];
  for (const item of batch) results.push(await changeOne(client, item, lastSeq));
  const touched = [...lastSeq.entries()];
  await client.query(
    `UPDATE rooms SET last_seq = v.seq
     FROM unnest($1::text[], $2::bigint[]) AS v (id, seq)
     WHERE rooms.id = v.id AND rooms.last_seq < v.seq`,
    [touched.map((t) => t[0]), touched.map((t) => t[1])],
  );
  return results;
}

/** Inside applyChanges' transaction: one change, taking the room's next seq. */
async function changeOne(
  client: pg.PoolClient,
  item: NewChange,
  lastSeq: Map<string, number>,
): Promise<ChangeResult> {
  const last = lastSeq.get(item.roomId);
  if (last === undefined) return { ok: false, reason: 'room_not_found' };
  if (!storable(item.messageId)) return { ok: false, reason: 'message_not_found' };
  const current = async (): Promise<Message | null> => {
    const rows = await client.query<MessageRow>(
      `${SELECT_MESSAGE} WHERE m.id = $1 AND m.deleted_at IS NULL`,
      [item.messageId],
    );
    return rows.rows[0] ? toMessage(rows.rows[0]) : null;
  };
  const clientId = item.clientId ?? null;
  if (clientId !== null) {
    const first = await client.query<PgChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM message_changes
       WHERE room_id = $1 AND username = $2 AND client_id = $3`,
      [item.roomId, item.username, clientId],
    );
    if (first.rows[0]) {
      return {
        ok: true,
        change: toPgChange(first.rows[0]),
        message: await current(),
        duplicate: true,
        releasedUploads: [],
      };
    }
    const message = await client.query(
      'SELECT 1 FROM messages WHERE room_id = $1 AND username = $2 AND client_id = $3',
      [item.roomId, item.username, clientId],
    );
    if (message.rows.length > 0) return { ok: false, reason: 'client_id_taken' };
  }
  const found = await client.query<{
    seq: string;
    attachments: string | null;
    reactions: string | null;
    deleted_at: Date | null;
  }>(
    `SELECT seq, attachments, reactions, deleted_at FROM messages
     WHERE id = $1 AND room_id = $2 FOR UPDATE`,
    [item.messageId, item.roomId],
  );
  const target = found.rows[0];
  if (!target || target.deleted_at !== null) return { ok: false, reason: 'message_not_found' };
  const now = new Date().toISOString();
  const change: ChangeColumns = {
    id: uuidv7(),
    room_id: item.roomId,
    seq: last + 1,
    message_id: item.messageId,
    kind: item.kind,
    username: item.username,
    timestamp: now,
    content: null,
    emoji: item.emoji ?? null,
    client_id: clientId,
  };
  let releasedUploads: string[] = [];
  switch (item.kind) {
    case 'edit': {
      const content = editedContent(item.content ?? '', target.attachments);
      const mentions = mentionsColumn(item.content ?? '');
      await client.query(
        `UPDATE messages SET content = $1, edited_at = $2, mentions = $3,
           search_vector = to_tsvector('simple', $4) WHERE id = $5`,
        [content, now, mentions.json, indexText(content), item.messageId],
      );
      await setMentions(client, item.roomId, target.seq, mentionKeys(mentions.names));
      change.content = content;
      break;
    }
    case 'delete': {
      // The tombstone: no text, files, reactions, mentions or index entry are left.
      await client.query(
        `UPDATE messages SET content = '', attachments = NULL, reactions = NULL,
           mentions = NULL, search_vector = NULL, deleted_at = $1 WHERE id = $2`,
        [now, item.messageId],
      );
      await setMentions(client, item.roomId, target.seq, []);
      // The message's earlier changes (their edit texts among them) go with it.
      await client.query('DELETE FROM message_changes WHERE message_id = $1', [item.messageId]);
      // Released like abandoned uploads, so the sweep deletes them should the caller not.
      const released = await client.query<{ id: string }>(
        `UPDATE uploads SET message_id = NULL, deleting = true WHERE message_id = $1
         RETURNING id`,
        [item.messageId],
      );
      releasedUploads = released.rows.map((r) => r.id);
      break;
    }
    case 'react':
    case 'unreact': {
      const next = changeReactions(
        target.reactions,
        item.emoji ?? '',
        item.username,
        item.kind === 'react',
      );
      if (next === 'too_many') return { ok: false, reason: 'too_many_reactions' };
      await client.query('UPDATE messages SET reactions = $1 WHERE id = $2', [
        next.json,
        item.messageId,
      ]);
      break;
    }
  }
  await client.query(
    `INSERT INTO message_changes (${CHANGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      change.id,
      change.room_id,
      change.seq,
      change.message_id,
      change.kind,
      change.username,
      change.timestamp,
      change.content,
      change.emoji,
      change.client_id,
    ],
  );
  lastSeq.set(item.roomId, change.seq);
  return {
    ok: true,
    change: toChange(change),
    message: item.kind === 'delete' ? null : await current(),
    duplicate: false,
    releasedUploads,
  };
}

/** Replaces who the message at `seq` mentions. */
async function setMentions(
  client: pg.PoolClient,
  roomId: string,
  seq: string,
  names: string[],
): Promise<void> {
  await client.query('DELETE FROM message_mentions WHERE room_id = $1 AND seq = $2', [roomId, seq]);
  if (names.length === 0) return;
  await client.query(
    `INSERT INTO message_mentions (room_id, seq, name)
     SELECT $1::text, $2::bigint, unnest($3::text[])`,
    [roomId, seq, names],
  );
}
