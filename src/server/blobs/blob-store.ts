import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { UPLOAD_ID_PATTERN } from '../../protocol/attachments.js';

/** What a stored blob is: its size in bytes. */
export interface BlobStat {
  size: number;
}

/**
 * Bytes of uploaded files, by id; nothing else (names, types and rooms live in the
 * chat store). Ids are made by the store, never taken from a request: a caller can
 * only name a blob with an id it was given. Like the chat store, one implementation
 * per deployment shape: a folder (fs-blob-store.ts) or PostgreSQL (postgres-blob-store.ts).
 */
export interface BlobStore {
  init(): Promise<void>;
  /**
   * Streams `source` into a new blob. Past `maxBytes` it stops reading, keeps
   * nothing and rejects with BlobTooLargeError; any other failure of `source` also
   * leaves nothing behind. Resolves once the blob is complete and readable.
   */
  put(source: Readable, maxBytes: number): Promise<{ id: string; size: number }>;
  /** The blob's bytes, or null when there is no such blob (or `id` is not a blob id). */
  get(id: string): Promise<Readable | null>;
  stat(id: string): Promise<BlobStat | null>;
  /** Removes the blob; false when there was none. Deleting twice is fine. */
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob larger than ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/** A fresh blob id: 128 random bits as 32 hex digits. */
export const newBlobId = (): string => randomBytes(16).toString('hex');

/** Whether `id` could be a blob id; anything else never reaches a path or a query. */
export const isBlobId = (id: string): boolean => UPLOAD_ID_PATTERN.test(id);

/**
 * The chunks of `source`, failing with BlobTooLargeError as soon as more than
 * `maxBytes` arrived (before the chunk that crosses the limit is handed on).
 */
export async function* limited(source: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buf.length;
    if (total > maxBytes) {
      source.destroy();
      throw new BlobTooLargeError(maxBytes);
    }
    yield buf;
  }
}
