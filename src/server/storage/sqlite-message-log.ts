// The message log's writes on SQLite: new messages and changes (edits, deletes,
// reactions), each batch in one transaction taking the rooms' next seqs in order.
import type Database from 'better-sqlite3';
import { type Attachment, composeContent } from '../../protocol/attachments.js';
import type { Message } from '../../protocol/rest.js';
import { uuidv7 } from '../../protocol/uuid7.js';
import type { AppendResult, ChangeResult, NewChange, NewMessage } from './chat-store.js';
import {
  type ChangeColumns,
  changeReactions,
  editedContent,
  mentionKeys,
  mentionsColumn,
  replyPreview,
  toChange,
} from './message-state.js';
import type { SqliteRoomIndex, Unplaced } from './sqlite-room-index.js';
import { toMessage, uploadAttachment } from './sqlite-rows.js';
import type { SqliteSearchBacklog, Unindexed } from './sqlite-search-backlog.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** A change row before it is read back. */
type NewChangeRow = ChangeColumns;

/** A room's state within a batch. */
interface BatchRoom {
  no: number;
  stored: number;
  last: number;
}

export class SqliteMessageLog {
  /** Stores a batch of new messages in one transaction. */
  readonly append: (batch: readonly NewMessage[]) => AppendResult[];
  /** Applies a batch of changes in one transaction. */
  readonly change: (batch: readonly NewChange[]) => ChangeResult[];
  /**
   * Inside a batch: per room, its number (room_seq), its stored seq and the newest
   * one this batch took (null: no live room).
   */
  private readonly batchSeq = new Map<string, BatchRoom | null>();
  /**
   * Each room's number and newest seq as committed, so that a batch's first
   * message to a room does not read its row: in a commit of 450 messages over 500
   * rooms those reads were a tenth of the store's time (`npx tsx
   * bench/store-append.ts`). Valid while no other connection wrote to the file,
   * which `PRAGMA data_version` tells, read under the write lock each batch takes
   * at its start (BEGIN IMMEDIATE). A room marked deleted leaves it (`forget`).
   */
  private readonly known = new Map<string, { no: number; seq: number }>();
  private dataVersion = -1;
  /**
   * The batch's time, read once: everything in one commit is stored at the same
   * instant, and formatting a Date per message was 2% of a busy server's CPU.
   */
  private batchTime = '';
  private batchMs = 0;

  /** This batch's new messages, for room_seq and the search index once they are committed. */
  private committed: (Unplaced & Unindexed)[] = [];

  constructor(
    db: Database.Database,
    private readonly stmts: SqliteStatements,
    private readonly roomIndex: SqliteRoomIndex,
    private readonly indexBacklog: SqliteSearchBacklog,
  ) {
    const appendOne = (item: NewMessage) => this.appendOne(item);
    const changeOne = (item: NewChange) => this.changeOne(item);
    const appendTx = this.batchTx(db, appendOne);
    const changeTx = this.batchTx(db, changeOne);
    this.append = (batch) => {
      try {
        const results = appendTx(batch);
        this.roomIndex.add(this.committed);
        this.indexBacklog.add(this.committed);
        return results;
      } finally {
        this.committed = [];
      }
    };
    // An edit's or delete's triggers take the message's tokens out of the index:
    // it must be there first.
    this.change = (batch) => {
      this.indexBacklog.flush();
      return changeTx(batch);
    };
  }

  /** A room marked deleted takes no more messages or changes. */
  forget(roomId: string): void {
    this.known.delete(roomId);
  }

  /**
   * A batch in one transaction (IMMEDIATE: the write lock first, see `known`):
   * `one` on each item, then each room's newest seq written once, one write per
   * room per batch; once committed, the rooms' new seqs are known.
   */
  private batchTx<T, R>(db: Database.Database, one: (item: T) => R) {
    const tx = db.transaction((batch: readonly T[]) => {
      const version = this.stmts.dataVersion.get() as number;
      if (version !== this.dataVersion) {
        this.known.clear();
        this.dataVersion = version;
      }
      this.batchMs = Date.now();
      this.batchTime = new Date(this.batchMs).toISOString();
      const results = batch.map(one);
      for (const seq of this.batchSeq.values()) {
        if (seq !== null && seq.last !== seq.stored) this.stmts.setSeq.run(seq.last, seq.no);
      }
      return results;
    });
    return (batch: readonly T[]): R[] => {
      try {
        const results = tx.immediate(batch);
        for (const [roomId, seq] of this.batchSeq) {
          if (seq !== null) this.known.set(roomId, { no: seq.no, seq: seq.last });
        }
        return results;
      } finally {
        this.batchSeq.clear();
      }
    };
  }

  /** The room's seqs in this batch: read once, at its first entry; null when the room is gone. */
  private roomSeq(roomId: string): BatchRoom | null {
    let seq = this.batchSeq.get(roomId);
    if (seq === undefined) {
      const known = this.known.get(roomId);
      if (known) seq = { no: known.no, stored: known.seq, last: known.seq };
      else {
        const row = this.stmts.latestSeq.get(roomId);
        seq = row ? { no: row.no, stored: row.last_seq, last: row.last_seq } : null;
      }
      this.batchSeq.set(roomId, seq);
    }
    return seq;
  }

  /** Inside append: stores one message, its seq taken from the batch's running count. */
  private appendOne(item: NewMessage): AppendResult {
    const seq = this.roomSeq(item.roomId);
    if (seq === null) return { ok: false, reason: 'room_not_found' };
    const clientId = item.clientId ?? null;
    let reply: Message['reply_to'];
    if (item.replyTo !== undefined) {
      // A retried reply is answered even when its target was deleted since.
      if (clientId !== null) {
        const existing = this.stmts.sameClientId.get(item.roomId, item.username, clientId);
        if (existing) return { ok: true, message: toMessage(existing), duplicate: true };
      }
      const target = this.stmts.target.get(item.replyTo, item.roomId);
      if (!target || target.deleted_at !== null) return { ok: false, reason: 'reply_not_found' };
      reply = replyPreview({
        id: item.replyTo,
        seq: target.seq,
        username: target.username,
        excerpt: [...target.content].slice(0, 140).join(''),
        deleted: false,
      });
    }
    let files: Attachment[] | null = null;
    if (item.attachments && item.attachments.length > 0) {
      // A retried send's files are attached already: answer the retry before checking them.
      if (clientId !== null) {
        const existing = this.stmts.sameClientId.get(item.roomId, item.username, clientId);
        if (existing) return { ok: true, message: toMessage(existing), duplicate: true };
      }
      if (new Set(item.attachments).size !== item.attachments.length) {
        return { ok: false, reason: 'attachment_invalid' };
      }
      files = [];
      for (const id of item.attachments) {
        const upload = this.stmts.attachable.get(id, item.roomId);
        if (!upload) return { ok: false, reason: 'attachment_invalid' };
        files.push(uploadAttachment(upload));
      }
    }
    const message: Message = {
      id: uuidv7(this.batchMs),
      room_id: item.roomId,
      username: item.username,
      content: files ? composeContent(item.content, files) : item.content,
      timestamp: this.batchTime,
      seq: seq.last + 1,
    };
    const mentions = mentionsColumn(item.content);
    const insert = clientId === null ? this.stmts.insertMessage : this.stmts.insertKeyed;
    const { changes, lastInsertRowid } = insert.run(
      message.id,
      message.room_id,
      message.seq,
      message.username,
      message.content,
      message.timestamp,
      clientId,
      files ? JSON.stringify(files) : null,
      item.replyTo ?? null,
      mentions.json,
    );
    if (changes === 0) {
      // A retried send (same sender, same client_id): the first message, and no seq used.
      const existing = this.stmts.sameClientId.get(item.roomId, item.username, clientId as string);
      if (!existing) throw new Error('insert ignored without a conflicting message');
      return { ok: true, message: toMessage(existing), duplicate: true };
    }
    // Placed in room_seq and indexed for search after the commit, with others.
    this.committed.push({
      rowid: lastInsertRowid,
      room: seq.no,
      seq: message.seq,
      content: message.content,
    });
    seq.last = message.seq;
    if (clientId !== null) message.client_id = clientId;
    if (files) {
      for (const file of files) this.stmts.attach.run(message.id, file.id);
      message.attachments = files;
    }
    if (reply) message.reply_to = reply;
    if (mentions.json !== null) {
      message.mentions = mentions.names;
      for (const name of mentionKeys(mentions.names)) {
        this.stmts.insertMention.run(message.room_id, message.seq, name);
      }
    }
    return { ok: true, message, duplicate: false };
  }

  /** Inside change: applies one change, taking the room's next seq. */
  private changeOne(item: NewChange): ChangeResult {
    const seq = this.roomSeq(item.roomId);
    if (seq === null) return { ok: false, reason: 'room_not_found' };
    const clientId = item.clientId ?? null;
    if (clientId !== null) {
      const first = this.stmts.sameChangeKey.get(item.roomId, item.username, clientId);
      if (first) {
        const current = this.stmts.getMessage.get(item.messageId, item.roomId);
        return {
          ok: true,
          change: toChange(first),
          message: current && current.deleted_at === null ? toMessage(current) : null,
          duplicate: true,
          releasedUploads: [],
        };
      }
      if (this.stmts.sameClientId.get(item.roomId, item.username, clientId)) {
        return { ok: false, reason: 'client_id_taken' };
      }
    }
    const target = this.stmts.target.get(item.messageId, item.roomId);
    if (!target || target.deleted_at !== null) return { ok: false, reason: 'message_not_found' };
    const now = this.batchTime;
    const change: NewChangeRow = {
      id: uuidv7(this.batchMs),
      room_id: item.roomId,
      seq: seq.last + 1,
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
        this.stmts.editMessage.run(content, now, mentions.json, item.messageId);
        this.stmts.dropMentions.run(item.roomId, target.seq);
        for (const name of mentionKeys(mentions.names)) {
          this.stmts.insertMention.run(item.roomId, target.seq, name);
        }
        change.content = content;
        break;
      }
      case 'delete':
        this.stmts.deleteMessage.run(now, item.messageId);
        this.stmts.dropMentions.run(item.roomId, target.seq);
        this.stmts.dropChanges.run(item.messageId);
        releasedUploads = this.stmts.messageUploads.all(item.messageId);
        if (releasedUploads.length > 0) this.stmts.releaseUploads.run(item.messageId);
        break;
      case 'react':
      case 'unreact': {
        const next = changeReactions(
          target.reactions,
          item.emoji ?? '',
          item.username,
          item.kind === 'react',
        );
        if (next === 'too_many') return { ok: false, reason: 'too_many_reactions' };
        this.stmts.setReactions.run(next.json, item.messageId);
        break;
      }
    }
    this.stmts.insertChange.run(
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
    );
    seq.last = change.seq;
    const current =
      item.kind === 'delete' ? undefined : this.stmts.getMessage.get(item.messageId, item.roomId);
    return {
      ok: true,
      change: toChange(change),
      message: current ? toMessage(current) : null,
      duplicate: false,
      releasedUploads,
    };
  }
}
