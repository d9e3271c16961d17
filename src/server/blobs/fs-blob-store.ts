import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BlobStat, type BlobStore, isBlobId, limited, newBlobId } from './blob-store.js';

/** Files in `tmp/` older than this are leftovers of a crash, removed at start. */
const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * Blobs as files in a folder: `ab/cd/abcd…` (two levels of 256 shards, so no
 * folder grows past a few thousand entries). A blob is written under `tmp/` and
 * renamed into place once complete, so a reader never sees half a file and a
 * failed upload leaves nothing behind. Paths are built only from ids this store
 * made (32 hex digits), never from a request.
 * Several processes may share the folder only on a shared filesystem with atomic
 * rename (NFS, CephFS…); the PostgreSQL store needs nothing more than the database.
 */
export class FsBlobStore implements BlobStore {
  private readonly tmp: string;

  constructor(
    readonly root: string,
    /** Removes the whole folder at close (a throwaway store for `:memory:` databases). */
    private readonly removeOnClose = false,
  ) {
    this.tmp = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    // Partial files of uploads cut short by a crash; recent ones may be another
    // process's uploads in progress.
    const now = Date.now();
    for (const name of await readdir(this.tmp)) {
      const path = join(this.tmp, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > STALE_TMP_MS) await rm(path, { force: true });
    }
  }

  private path(id: string): string {
    return join(this.root, id.slice(0, 2), id.slice(2, 4), id);
  }

  async put(source: Readable, maxBytes: number): Promise<{ id: string; size: number }> {
    const id = newBlobId();
    const partial = join(this.tmp, id);
    let size = 0;
    const file = createWriteStream(partial, { flags: 'wx' });
    try {
      await pipeline(
        limited(source, maxBytes),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            yield chunk;
          }
        },
        file,
      );
      const final = this.path(id);
      await mkdir(join(final, '..'), { recursive: true });
      await rename(partial, final);
    } catch (error) {
      // A file stream destroyed while it is still opening creates its file after
      // the pipeline has failed: removing it before the stream closed left it behind.
      if (!file.closed) await once(file, 'close').catch(() => undefined);
      await rm(partial, { force: true });
      throw error;
    }
    return { id, size };
  }

  async get(id: string): Promise<Readable | null> {
    if (!isBlobId(id)) return null;
    // Opened before answering, so a blob deleted meanwhile is a null, not a stream error.
    const handle = await open(this.path(id), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    return handle ? handle.createReadStream() : null;
  }

  async stat(id: string): Promise<BlobStat | null> {
    if (!isBlobId(id)) return null;
    const info = await stat(this.path(id)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    return info ? { size: info.size } : null;
  }

  async delete(id: string): Promise<boolean> {
    if (!isBlobId(id)) return false;
    try {
      await unlink(this.path(id));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.removeOnClose) await rm(this.root, { recursive: true, force: true });
  }
}
