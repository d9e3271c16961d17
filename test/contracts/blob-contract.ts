// One behaviour for every BlobStore: run by store.blobs.test.ts against the
// folder store and the PostgreSQL store, so the backends cannot drift apart.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BlobStore, BlobTooLargeError } from '../../src/server/blobs/blob-store.js';

export interface BlobBackend {
  /** Two stores over the same data, as two server processes would have. */
  stores: [BlobStore, BlobStore];
  /** Blobs held, partial ones included. */
  count(): Promise<number>;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable | null): Promise<Buffer | null> {
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A source sending `bytes` in pieces of `piece` bytes. */
function source(bytes: Buffer, piece = 16 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += piece) yield bytes.subarray(at, at + piece);
    })(),
  );
}

export function blobContract(name: string, make: () => Promise<BlobBackend>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let backend: BlobBackend;
    let a: BlobStore;
    let b: BlobStore;
    beforeEach(async () => {
      backend = await make();
      [a, b] = backend.stores;
    });
    afterEach(() => backend.cleanup());

    it('stores bytes exactly under a fresh hex id, and reads them back from another process', async () => {
      const bytes = randomBytes(700 * 1024 + 13); // several PostgreSQL chunks, a partial last one
      const put = await a.put(source(bytes), 1024 * 1024);
      expect(put.id).toMatch(/^[0-9a-f]{32}$/);
      expect(put.size).toBe(bytes.length);
      expect(await b.stat(put.id)).toEqual({ size: bytes.length });
      expect((await readAll(await b.get(put.id)))?.equals(bytes)).toBe(true);
      const empty = await a.put(source(Buffer.alloc(0)), 10);
      expect(empty.size).toBe(0);
      expect((await readAll(await a.get(empty.id)))?.length).toBe(0);
      expect(await backend.count()).toBe(2);
    });

    it('takes exactly the limit; past it rejects with BlobTooLargeError and keeps nothing', async () => {
      const ok = await a.put(source(Buffer.alloc(1000, 1), 100), 1000);
      expect(ok.size).toBe(1000);
      await expect(a.put(source(Buffer.alloc(1001, 1), 100), 1000)).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      // a limit crossed in the middle of a big chunk
      await expect(a.put(source(Buffer.alloc(5000, 1), 5000), 1000)).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect(await backend.count()).toBe(1);
    });

    it('keeps nothing when the source fails midway', async () => {
      const failing = Readable.from(
        (async function* () {
          yield Buffer.alloc(300 * 1024, 2);
          throw new Error('client went away');
        })(),
      );
      await expect(a.put(failing, 10 * 1024 * 1024)).rejects.toThrow('client went away');
      expect(await backend.count()).toBe(0);
    });

    it('deletes, once: the blob is gone for every process', async () => {
      const put = await a.put(source(Buffer.from('bye')), 100);
      expect(await b.delete(put.id)).toBe(true);
      expect(await a.get(put.id)).toBeNull();
      expect(await a.stat(put.id)).toBeNull();
      expect(await a.delete(put.id)).toBe(false);
      expect(await backend.count()).toBe(0);
    });

    it('answers null or false for ids it never made, whatever they look like', async () => {
      await a.put(source(Buffer.from('x')), 10);
      for (const id of [
        '0123456789abcdef0123456789abcdef',
        '../../../../etc/passwd',
        '..',
        '',
        'tmp',
        '0123456789ABCDEF0123456789ABCDEF',
        '0123456789abcdef0123456789abcde/',
        '01/23/0123456789abcdef0123456789abcdef',
        'a\u0000b',
      ]) {
        expect(await a.get(id), JSON.stringify(id)).toBeNull();
        expect(await a.stat(id), JSON.stringify(id)).toBeNull();
        expect(await a.delete(id), JSON.stringify(id)).toBe(false);
      }
      expect(await backend.count()).toBe(1);
    });

    it('takes concurrent uploads side by side, each under its own id', async () => {
      const files = Array.from({ length: 6 }, (_, i) => randomBytes(50_000 + i));
      const puts = await Promise.all(files.map((f, i) => (i % 2 ? a : b).put(source(f), 100_000)));
      expect(new Set(puts.map((p) => p.id)).size).toBe(6);
      for (const [i, p] of puts.entries()) {
        expect((await readAll(await a.get(p.id)))?.equals(files[i] as Buffer)).toBe(true);
      }
    });
  });
}
