import { Readable } from 'node:stream';
import { type Attachment, formatBytes, toAttachment } from '../../protocol/attachments.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type BlobStore, BlobTooLargeError } from '../blobs/blob-store.js';
import { MAX_FILENAME_LENGTH, sanitizeFilename } from '../blobs/filename.js';
import { SNIFF_BYTES, sniff } from '../blobs/sniff.js';
import { ChatError, roomNotFound, validationFailed } from '../errors.js';
import type { ChatStore, StoredUpload } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import type { Actor } from './actor.js';
import type { RoomAccess } from './room-access.js';

export interface AttachmentOptions {
  maxUploadBytes: number;
  /** An upload not sent within this is deleted. */
  abandonMs: number;
  /** How often abandoned uploads are looked for. */
  sweepMs: number;
}

/** Uploads and blobs removed per round of a purge or sweep. */
const BATCH = 100;

export const fileNotFound = (): ChatError =>
  new ChatError(ErrorCode.FILE_NOT_FOUND, 'File not found', 404);

/**
 * Files: uploads into a room (bytes to the blob store, what they are to the chat
 * store), reads checked against the room, and cleanup: files of deleted rooms
 * (driven by RoomPurger) and uploads never sent (a periodic sweep).
 */
export class AttachmentService {
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | null = null;

  constructor(
    private readonly store: ChatStore,
    private readonly blobs: BlobStore,
    private readonly access: RoomAccess,
    private readonly opts: AttachmentOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Stores one uploaded file. The room is checked before a byte is read; the size
   * limit while the bytes stream in (past it nothing is kept: 413); the type from
   * the content. Resolves with the attachment as a message will carry it.
   */
  async upload(
    roomId: string,
    actor: Actor,
    file: { filename: string; stream: Readable },
  ): Promise<Attachment> {
    const named = sanitizeFilename(file.filename);
    if (!named.ok) {
      throw validationFailed(
        ['body', 'file', 'filename'],
        `File name is longer than ${MAX_FILENAME_LENGTH} characters`,
        'string_too_long',
      );
    }
    if (!(await this.access.canSee(actor, roomId))) throw roomNotFound(roomId);
    const head: Buffer[] = [];
    let headBytes = 0;
    async function* tap(source: Readable): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        const buf = chunk as Buffer;
        if (headBytes < SNIFF_BYTES) {
          const part = buf.subarray(0, SNIFF_BYTES - headBytes);
          head.push(part);
          headBytes += part.length;
        }
        yield buf;
      }
    }
    let blob: { id: string; size: number };
    try {
      blob = await this.blobs.put(Readable.from(tap(file.stream)), this.opts.maxUploadBytes);
    } catch (error) {
      if (error instanceof BlobTooLargeError) {
        throw new ChatError(
          ErrorCode.PAYLOAD_TOO_LARGE,
          `File is larger than the limit of ${formatBytes(this.opts.maxUploadBytes)} (${this.opts.maxUploadBytes} bytes)`,
          413,
        );
      }
      throw error;
    }
    const kind = sniff(Buffer.concat(head, headBytes), blob.size <= headBytes);
    const upload = { id: blob.id, roomId, name: named.name, size: blob.size, ...kind };
    let recorded = false;
    try {
      recorded = await this.store.createUpload(upload);
    } finally {
      // The room went away meanwhile (or the store failed): the blob must not stay.
      if (!recorded) await this.blobs.delete(blob.id).catch(() => {});
    }
    if (!recorded) throw roomNotFound(roomId);
    return toAttachment(upload);
  }

  /** A file and its bytes, if `actor` may read its room; else FILE_NOT_FOUND, whatever the reason. */
  async open(fileId: string, actor: Actor): Promise<{ upload: StoredUpload; stream: Readable }> {
    const upload = await this.store.getUpload(fileId);
    if (!upload || !(await this.access.canSee(actor, upload.roomId))) throw fileNotFound();
    const stream = await this.blobs.get(upload.id);
    if (!stream) throw fileNotFound();
    return { upload, stream };
  }

  /**
   * Deletes up to `limit` files of deleted rooms, blobs first (a crash between
   * leaves a row whose blob is gone, which the next round removes). RoomPurger
   * calls it before each slice of messages. Resolves with how many went.
   */
  async purgeDeletedRooms(limit = BATCH): Promise<number> {
    const ids = await this.store.deletedRoomUploads(Math.max(1, Math.min(limit, BATCH)));
    for (const id of ids) await this.blobs.delete(id);
    return this.store.forgetUploads(ids);
  }

  /**
   * Deletes the files of a deleted message (released by the store in the delete's
   * transaction, so a failure here is finished by the next sweep).
   */
  async deleteReleased(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) await this.blobs.delete(id);
    await this.store.forgetUploads(ids);
  }

  /** Deletes uploads older than `abandonMs` that no message took. Resolves with how many. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepAll().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepAll(): Promise<number> {
    const before = new Date(Date.now() - this.opts.abandonMs).toISOString();
    let total = 0;
    for (;;) {
      const ids = await this.store.claimAbandonedUploads(before, BATCH);
      if (ids.length === 0) break;
      for (const id of ids) await this.blobs.delete(id);
      total += await this.store.forgetUploads(ids);
      if (ids.length < BATCH) break;
    }
    if (total > 0) this.log.info({ uploads: total }, 'deleted abandoned uploads');
    return total;
  }

  /** Starts the periodic sweep of abandoned uploads. */
  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.log.warn({ err: error }, 'sweeping abandoned uploads failed; will retry'),
      );
    }, this.opts.sweepMs);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.sweeping?.catch(() => {});
  }
}
